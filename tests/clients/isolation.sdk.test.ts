// Network isolation with the unmodified @azure/keyvault-keys KeyClient (issue #5 "Done when", items 1 and 2): the
// how-to topology is built with the real az through the real ARM routes (no store seeding), a VM in the linked VNet
// is the vantage, and the same client script runs from the VM and from the internet — only `hsmlink env [--vm]`
// differs. Trusted-service bypass is exercised with ClientSecretCredential service principals.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { Az, grantLocalRole } from "../support/az.js";
import { buildHowto, type AzTopology } from "../support/az-topology.js";
import { adminRequest } from "../../src/client/admin-client.js";

const { test, before, after } = clientSuite("az");

const SCRIPT = fileURLToPath(new URL("./sdk/isolation-keys.ts", import.meta.url));
const RG = "rg-iso-sdk";
const HSM = "sdkiso";

let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
let peIp: string;
let vm: { name: string; privateIpAddress: string; publicIpAddress: string };

/** The proxy variables of `hsmlink env --vm NAME`: az then acts from inside that VM (same login). */
function vmProxy(name: string): NodeJS.ProcessEnv {
  const e = h.clientEnv(name);
  return { HTTPS_PROXY: e.HTTPS_PROXY, HTTP_PROXY: e.HTTP_PROXY };
}

/** Crypto User through the data plane, sent from the VM through the private endpoint. */
async function grantCryptoUser(principalId: string, hsm = HSM): Promise<void> {
  const r = await grantLocalRole(az, hsm, principalId, { env: vmProxy(vm.name) });
  assert.equal(r.properties.principalId, principalId);
}

async function client(env: NodeJS.ProcessEnv, key: string, sp?: { appId: string; password: string }, hsm = HSM) {
  const args = [hsm, key, ...(sp ? [h.endpoints.tenantId, sp.appId, sp.password] : [])];
  const r = await runNodeClient(SCRIPT, env, args);
  assert.ok(r.json, `no JSON from the client (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  return r.json;
}

function assertFirewall(j: any, clientAddress: string, bypassNone = false): void {
  assert.equal(j.ok, false, JSON.stringify(j));
  assert.equal(j.error.name, "RestError");
  assert.equal(j.error.statusCode, 403);
  assert.equal(j.error.code, "Forbidden");
  assert.equal(j.error.innerCode, "ForbiddenByFirewall", JSON.stringify(j));
  assert.match(
    j.error.message,
    bypassNone
      ? /^Client address is not authorized and caller was ignored because bypass is set to None/
      : /^Client address is not authorized and caller is not a trusted service\./,
  );
  assert.ok(j.error.message.includes(`Client address: ${clientAddress}`), j.error.message);
  assert.equal(j.error.networkInfo, `conn_type=Ipv4;addr=${clientAddress};act_addr_fam=Ipv4;`);
}

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
  await az.ok(["login", "--identity"]);
  ({ topology, peIp } = await buildHowto(az, { rg: RG, hsm: HSM, administrator: h.endpoints.principalObjectId }));
  vm = await adminRequest(h.endpoints, "POST", "/_hsmlink/vms", {
    name: "vm1",
    resourceGroup: RG,
    vnet: "vnet1",
    subnet: "snet1",
  });
});
after(async () => h?.dispose());

test("KeyClient with ManagedIdentityCredential: from the VM in the linked VNet it creates an RSA key and signs/decrypts through the private endpoint; from the internet 403 ForbiddenByFirewall", async () => {
  assert.equal(peIp, "10.0.1.4");
  assert.equal(vm.privateIpAddress, "10.0.1.5");
  await grantCryptoUser(h.endpoints.principalObjectId);
  const fromVm = await client(h.clientEnv("vm1"), "vm-key");
  assert.equal(fromVm.ok, true, JSON.stringify(fromVm));
  assert.match(fromVm.kid, /^https:\/\/sdkiso\.managedhsm\.azure\.net\/keys\/vm-key\/[0-9a-f]{32}$/);
  assert.equal(fromVm.keyType, "RSA-HSM");
  assert.equal(fromVm.signatureValid, true);
  assert.equal(fromVm.decrypted, "secret");
  // The decision trace of the sign request: vm1, through pe1, and the HSM saw the VM's private address.
  const { value } = await adminRequest<{
    value: {
      vantage: string;
      method: string;
      url: string;
      steps: { rule: string; detail: string }[];
      outcome?: { status: number };
    }[];
  }>(h.endpoints, "GET", "/_hsmlink/traces?limit=50");
  const sign = value.find((t) => t.method === "POST" && /\/keys\/vm-key\/[0-9a-f]{32}\/sign$/.test(t.url));
  assert.ok(sign, `no trace of the sign request among ${value.map((t) => `${t.method} ${t.url}`).join(", ")}`);
  assert.equal(sign.vantage, "vm1");
  assert.equal(sign.outcome?.status, 200);
  const approved = sign.steps.find((s) => s.rule === "private-endpoint-approved");
  assert.ok(
    approved?.detail.includes("pe1") && approved.detail.includes(`client address ${vm.privateIpAddress}`),
    JSON.stringify(sign.steps),
  );

  const fromInternet = await client(h.clientEnv(), "internet-key");
  assertFirewall(fromInternet, h.config.internetClientAddress);
  assert.ok(fromInternet.error.message.includes(`Vault: ${HSM};location=westeurope`), fromInternet.error.message);
});

test("bypass AzureServices: a trusted-service SP passes the firewall but needs a role (AccessDenied → success); bypass None → ForbiddenByFirewall; a non-trusted SP with a role → ForbiddenByFirewall", async () => {
  // Container Registry is in the Key Vault trusted-services table that Managed HSM points to (it was missing from the
  // last round's guessed list); Cosmos DB is not in the table, so it cannot even be made a trusted identity.
  const storage = h.identity.createServicePrincipal("acr-svc", "Microsoft.ContainerRegistry");
  assert.throws(
    () => h.identity.createServicePrincipal("cosmos-svc", "Microsoft.DocumentDB"),
    /not a trusted Microsoft service/,
  );
  const sp = { appId: storage.principal.appId, password: storage.password };
  const noRole = await client(h.clientEnv(), "trusted-key", sp);
  assert.equal(noRole.ok, false, JSON.stringify(noRole));
  assert.equal(noRole.error.statusCode, 403);
  assert.equal(noRole.error.code, "AccessDenied");
  assert.match(
    noRole.error.message,
    /^Not authorized to access Microsoft\.KeyVault\/managedHsm\/keys\/create on \/keys\/trusted-key/,
  );

  await grantCryptoUser(storage.principal.objectId);
  const withRole = await client(h.clientEnv(), "trusted-key", sp);
  assert.equal(withRole.ok, true, JSON.stringify(withRole));
  assert.equal(withRole.signatureValid, true);
  assert.equal(withRole.decrypted, "secret");

  const other = h.identity.createServicePrincipal("app-untrusted");
  await grantCryptoUser(other.principal.objectId);
  const untrusted = await client(h.clientEnv(), "untrusted-key", {
    appId: other.principal.appId,
    password: other.password,
  });
  assertFirewall(untrusted, h.config.internetClientAddress);
  assert.ok(
    untrusted.error.message.includes(`Caller: appid=${other.principal.appId};oid=${other.principal.objectId}`),
    untrusted.error.message,
  );

  const acls = (await az.ok(["keyvault", "update-hsm", "--hsm-name", HSM, "-g", RG, "--bypass", "None"])).properties
    .networkAcls;
  assert.equal(acls.bypass, "None");
  assert.equal(acls.defaultAction, "Deny");
  const ignored = await client(h.clientEnv(), "trusted-key-2", sp);
  assertFirewall(ignored, h.config.internetClientAddress, true);
  assert.ok(
    ignored.error.message.includes(`Caller: appid=${sp.appId};oid=${storage.principal.objectId}`),
    ignored.error.message,
  );
  // The private path does not depend on bypass: the trusted SP still works from the VM.
  const viaPe = await client(h.clientEnv("vm1"), "trusted-key-3", sp);
  assert.equal(viaPe.ok, true, JSON.stringify(viaPe));
});

test("connection states from the VM: a Pending-only endpoint leaves the public address (the SDK meets the firewall); approved → private; rejected behind a second, approved endpoint → dropped, a connection failure and not a 403", async () => {
  const HSM2 = "sdkiso2";
  const hsm2 = await topology.managedHsm(HSM2, h.endpoints.principalObjectId);
  await topology.hsmFirewall(HSM2, "deny", "AzureServices");
  const { ip } = await topology.privateEndpoint("pe-m", {
    vnet: "vnet1",
    subnet: "snet1",
    hsmId: hsm2.id,
    connection: "conn-m",
    manualRequest: true,
  });
  await topology.aRecord(HSM2, ip);

  // Pending only: no privatelink alias (private-link-diagnostics.md §5), so the VM goes public and meets the firewall.
  const pending = await client(h.clientEnv("vm1"), "pending-key", undefined, HSM2);
  assertFirewall(pending, vm.publicIpAddress);

  await az.ok(["keyvault", "private-endpoint-connection", "approve", "-g", RG, "--hsm-name", HSM2, "-n", "conn-m"]);
  await grantCryptoUser(h.endpoints.principalObjectId, HSM2);
  const approved = await client(h.clientEnv("vm1"), "approved-key", undefined, HSM2);
  assert.equal(approved.ok, true, JSON.stringify(approved));

  // A second, automatically approved endpoint in another VNet keeps the alias; vm1 still reaches pe-m's address.
  await topology.vnet("vnet-keep", "10.40.0.0/16", { name: "snet-keep", prefix: "10.40.1.0/24" });
  await topology.privateEndpoint("pe-keep", {
    vnet: "vnet-keep",
    subnet: "snet-keep",
    hsmId: hsm2.id,
    connection: "conn-keep",
  });
  await az.ok(["keyvault", "private-endpoint-connection", "reject", "-g", RG, "--hsm-name", HSM2, "-n", "conn-m"]);
  const rejected = await client(h.clientEnv("vm1"), "rejected-key", undefined, HSM2);
  assert.equal(rejected.ok, false, JSON.stringify(rejected));
  // The gateway fails the tunnel (Azure drops the traffic): no Key Vault answer, no 403.
  assert.notEqual(rejected.error.statusCode, 403, JSON.stringify(rejected));
  assert.equal(rejected.error.innerCode, undefined);
  // The SDK sees the proxy's failed CONNECT (504 from the gateway, no Key Vault body): "Unexpected status code: 504".
  assert.match(rejected.error.message, /504/);
  assert.notEqual(rejected.error.code, "Forbidden");
  const why = await adminRequest<{ verdict: string; outcome: { status: number; message?: string } }>(
    h.endpoints,
    "POST",
    "/_hsmlink/explain",
    { vm: "vm1", method: "GET", url: `https://${HSM2}.managedhsm.azure.net/keys` },
  );
  assert.equal(why.verdict, "refused");
  assert.match(
    why.outcome.message ?? "",
    /^dropped: connection Rejected \(private endpoint pe-m, connection conn-m to sdkiso2\)/,
  );
});
