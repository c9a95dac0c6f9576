// Network isolation with the real Azure CLI (issue #5 "Done when", items 3–6): every resource is made through the
// real ARM routes with az (no store seeding), VMs are the vantage points (hsmlink's admin API), `dig` asks a VM's
// DNS view and the VM's data-plane requests are `az rest` calls through the gateway as that VM (`hsmlink env --vm`).
// One hsmlink and one resource group for the file; the tests run in order and build on each other.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az, type AzResult } from "../support/az.js";
import { AzTopology } from "../support/az-topology.js";
import { adminRequest } from "../../src/client/admin-client.js";
import { publicAddressOfHsm } from "../../src/network/index.js";

const { test, before, after } = clientSuite("az", "dig");

const execFileP = promisify(execFile);
const RG = "rg-iso-az";
const ZONE = "privatelink.managedhsm.azure.net";
const LOC = "westeurope";

interface Vm {
  name: string;
  privateIpAddress: string;
  publicIpAddress: string;
  dns: { host: string; port: number };
}

let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
let vm1: Vm;

const hsmId = (name: string) =>
  `/subscriptions/${h.config.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/${name}`;

function createVm(name: string, vnet: string, subnet: string, dnsForwarder = false): Promise<Vm> {
  return adminRequest<Vm>(h.endpoints, "POST", "/_hsmlink/vms", {
    name,
    resourceGroup: RG,
    vnet,
    subnet,
    dnsForwarder,
  });
}

/** `dig +short` of `{hsm}.managedhsm.azure.net` (or `name`) against the VM's DNS listener: the last line (the address). */
async function digFrom(vm: Vm, hsm: string, name = `${hsm}.managedhsm.azure.net`): Promise<string> {
  const { stdout } = await execFileP("dig", ["@" + vm.dns.host, "-p", String(vm.dns.port), name, "+short"]);
  return stdout.trim().split("\n").pop() ?? "";
}

/** The `status:` of a full `dig` answer (NOERROR, NXDOMAIN, …) from the VM's DNS view. */
async function digStatus(vm: Vm, name: string): Promise<string> {
  const { stdout } = await execFileP("dig", ["@" + vm.dns.host, "-p", String(vm.dns.port), name]);
  return /status: (\w+)/.exec(stdout)?.[1] ?? stdout;
}

/** A data-plane request from inside `vm` with the real az: list the role assignments (the HSM administrator may). */
function requestFrom(vm: Vm, hsm: string): Promise<AzResult> {
  const env = h.clientEnv(vm.name);
  const url = `https://${hsm}.managedhsm.azure.net/providers/Microsoft.Authorization/roleAssignments?api-version=7.4`;
  return az.run(["rest", "--method", "get", "--url", url, "--resource", "https://managedhsm.azure.net", "-o", "json"], {
    env: { HTTPS_PROXY: env.HTTPS_PROXY, HTTP_PROXY: env.HTTP_PROXY },
  });
}

function assertAllowed(r: AzResult): void {
  assert.equal(r.code, 0, r.stderr);
  assert.ok(Array.isArray(r.json?.value), r.stdout);
}

/** az rest's error line: `Forbidden({...Key Vault envelope...})`; returns the envelope's error. */
function refusal(r: AzResult): { code: string; message: string; innererror?: { code: string } } {
  assert.notEqual(r.code, 0, `expected a refusal, got ${r.stdout}`);
  const m = /^ERROR: Forbidden\((\{.*\})\)\s*$/m.exec(r.stderr);
  assert.ok(m, `no 403 envelope in: ${r.stderr}`);
  return JSON.parse(m[1]).error;
}

function assertFirewall(r: AzResult, clientAddress: string): void {
  const e = refusal(r);
  assert.equal(e.code, "Forbidden");
  assert.equal(e.innererror?.code, "ForbiddenByFirewall");
  assert.match(e.message, /^Client address is not authorized and caller is not a trusted service\./);
  assert.ok(e.message.includes(`Client address: ${clientAddress}`), e.message);
}

/** az's error for a dropped connection: the tunnel fails with the reason, no Key Vault envelope. */
function assertDropped(r: AzResult, state: string): void {
  assert.notEqual(r.code, 0, `expected a connection failure, got ${r.stdout}`);
  assert.doesNotMatch(r.stderr, /Forbidden\(/);
  assert.match(r.stderr, new RegExp(`Tunnel connection failed: 504 hsmlink: dropped: connection ${state} `), r.stderr);
}

async function createHsm(name: string, deny: boolean): Promise<void> {
  await topology.managedHsm(name, h.endpoints.principalObjectId);
  if (deny) await topology.hsmFirewall(name, "deny", "AzureServices");
}

/** A private endpoint to `hsm` in vnet/subnet; returns the PE as az prints it and its NIC's private address. */
async function createPe(
  name: string,
  hsm: string,
  vnet: string,
  subnet: string,
  manual = false,
): Promise<{ pe: any; ip: string }> {
  return topology.privateEndpoint(name, {
    vnet,
    subnet,
    hsmId: hsmId(hsm),
    connection: `${name}-conn`,
    manualRequest: manual,
  });
}

async function peStatus(name: string): Promise<string> {
  const pe = await az.ok(["network", "private-endpoint", "show", "-g", RG, "-n", name]);
  const conn = pe.privateLinkServiceConnections?.[0] ?? pe.manualPrivateLinkServiceConnections?.[0];
  return conn.privateLinkServiceConnectionState.status;
}

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
  topology = new AzTopology(az, RG);
  await az.ok(["login", "--identity"]);
  await az.ok(["group", "create", "-n", RG, "-l", LOC]);
  await topology.vnet("vnet1", "10.0.0.0/16", { name: "snet1", prefix: "10.0.1.0/24" });
  await topology.privateDnsZone();
  await topology.zoneLink("link1", "vnet1");
  vm1 = await createVm("vm1", "vnet1", "snet1");
});
after(async () => h?.dispose());

test("a Pending manual private endpoint leaves the name public (the VM meets the firewall) until approved; a rejected one behind a second, approved endpoint stays blocked and cannot be approved", async () => {
  await createHsm("azmanual", true);
  const { pe, ip } = await createPe("pe-manual", "azmanual", "vnet1", "snet1", true);
  assert.equal(pe.manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Pending");
  await topology.aRecord("azmanual", ip);
  // private-link-diagnostics.md §5: no Approved connection → no privatelink alias, so the linked zone is never asked.
  const { stdout: full } = await execFileP("dig", [
    "@" + vm1.dns.host,
    "-p",
    String(vm1.dns.port),
    "azmanual.managedhsm.azure.net",
    "+noall",
    "+answer",
  ]);
  assert.doesNotMatch(full, /privatelink/);
  assert.equal(await digFrom(vm1, "azmanual"), publicAddressOfHsm("azmanual"));
  assertFirewall(await requestFrom(vm1, "azmanual"), vm1.publicIpAddress);

  const approved = await az.ok([
    "keyvault",
    "private-endpoint-connection",
    "approve",
    "--description",
    "ok",
    "-g",
    RG,
    "--hsm-name",
    "azmanual",
    "--name",
    "pe-manual-conn",
  ]);
  assert.equal(approved.privateLinkServiceConnectionState.status, "Approved");
  assert.equal(await peStatus("pe-manual"), "Approved");
  assert.equal(await digFrom(vm1, "azmanual"), ip);
  assertAllowed(await requestFrom(vm1, "azmanual"));

  // A second, auto-approved endpoint elsewhere keeps the alias, so vm1 still reaches the rejected endpoint's address.
  await createHsm("azreject", false);
  await topology.vnet("vnet-other", "10.30.0.0/16", { name: "snet-other", prefix: "10.30.1.0/24" });
  await createPe("pe-keep", "azreject", "vnet-other", "snet-other");
  const rej = await createPe("pe-reject", "azreject", "vnet1", "snet1", true);
  await topology.aRecord("azreject", rej.ip);
  const rejected = await az.ok([
    "keyvault",
    "private-endpoint-connection",
    "reject",
    "--description",
    "no",
    "-g",
    RG,
    "--hsm-name",
    "azreject",
    "--name",
    "pe-reject-conn",
  ]);
  assert.equal(rejected.privateLinkServiceConnectionState.status, "Rejected");
  assert.equal(await peStatus("pe-reject"), "Rejected");
  assert.equal(await digFrom(vm1, "azreject"), rej.ip);
  // Azure drops traffic through a rejected endpoint: az gets a connection failure (the tunnel), not a 403.
  assertDropped(await requestFrom(vm1, "azreject"), "Rejected");
  const why = await adminRequest<{ verdict: string; outcome: { status: number; message?: string } }>(
    h.endpoints,
    "POST",
    "/_hsmlink/explain",
    { vm: "vm1", method: "GET", url: "https://azreject.managedhsm.azure.net/keys" },
  );
  assert.equal(why.verdict, "refused");
  assert.match(
    why.outcome.message ?? "",
    /^dropped: connection Rejected \(private endpoint pe-reject, connection pe-reject-conn to azreject\)/,
  );
  const again = await az.run([
    "keyvault",
    "private-endpoint-connection",
    "approve",
    "-g",
    RG,
    "--hsm-name",
    "azreject",
    "--name",
    "pe-reject-conn",
  ]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /Approving rejected private endpoint connections is not supported\./);
  assertDropped(await requestFrom(vm1, "azreject"), "Rejected");
});

let delIp = "";

test("deleting the HSM disconnects its private endpoint; after recover the name is public again (firewall); a new private endpoint mends it", async () => {
  await createHsm("azdel", true);
  const first = await createPe("pe-del", "azdel", "vnet1", "snet1");
  await topology.aRecord("azdel", first.ip);
  assertAllowed(await requestFrom(vm1, "azdel"));

  await az.ok(["keyvault", "delete", "--hsm-name", "azdel", "-g", RG]);
  assert.equal(await peStatus("pe-del"), "Disconnected");
  // soft-delete-overview.md: "The DNS record that corresponds to the HSM is also kept during the retention interval".
  // The connections went with the delete, so there is no privatelink alias: the public address, from the VM too.
  assert.equal(await digFrom(vm1, "azdel", `azdel.${ZONE}`), first.ip);
  assert.equal(await digStatus(vm1, "azdel.managedhsm.azure.net"), "NOERROR");
  assert.equal(await digFrom(vm1, "azdel"), publicAddressOfHsm("azdel"));
  // What a soft-deleted HSM serves is unrecorded; hsmlink's choice: the connection fails and says why.
  const gone = await requestFrom(vm1, "azdel");
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /Tunnel connection failed: 502 hsmlink: managed HSM azdel is soft-deleted/);
  const why = await adminRequest<{ outcome: { status: number; message?: string } }>(
    h.endpoints,
    "POST",
    "/_hsmlink/explain",
    { vm: "vm1", method: "GET", url: "https://azdel.managedhsm.azure.net/keys" },
  );
  assert.equal(why.outcome.status, 502);
  assert.match(why.outcome.message ?? "", /^managed HSM azdel is soft-deleted: its name resolves/);

  const recovered = await az.ok(["keyvault", "recover", "--hsm-name", "azdel", "-g", RG, "-l", LOC]);
  assert.equal(recovered.properties.networkAcls.defaultAction, "Deny");
  assert.equal((recovered.properties.privateEndpointConnections ?? []).length, 0);
  assert.equal(await peStatus("pe-del"), "Disconnected");
  // No Approved connection after recover: no privatelink alias, the VM resolves the public address and meets the firewall.
  assert.equal(await digFrom(vm1, "azdel"), publicAddressOfHsm("azdel"));
  assertFirewall(await requestFrom(vm1, "azdel"), vm1.publicIpAddress);

  const second = await createPe("pe-del2", "azdel", "vnet1", "snet1");
  assert.equal(second.pe.privateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Approved");
  assert.notEqual(second.ip, first.ip);
  await az.ok([
    "network",
    "private-dns",
    "record-set",
    "a",
    "remove-record",
    "-g",
    RG,
    "-z",
    ZONE,
    "-n",
    "azdel",
    "-a",
    first.ip,
    "--keep-empty-record-set",
  ]);
  await topology.aRecord("azdel", second.ip);
  assert.equal(await digFrom(vm1, "azdel"), second.ip);
  assertAllowed(await requestFrom(vm1, "azdel"));
  assert.equal(await peStatus("pe-del"), "Disconnected");
  delIp = second.ip;
});

test("a soft-deleted HSM still resolves; after purge its name is NXDOMAIN", async () => {
  await createHsm("azpurge", false);
  assert.equal(await digFrom(vm1, "azpurge"), publicAddressOfHsm("azpurge"));
  await az.ok(["keyvault", "delete", "--hsm-name", "azpurge", "-g", RG]);
  assert.equal(await digStatus(vm1, "azpurge.managedhsm.azure.net"), "NOERROR");
  assert.equal(await digFrom(vm1, "azpurge"), publicAddressOfHsm("azpurge"));
  const { stdout } = await execFileP("nslookup", [
    "-port=" + String(vm1.dns.port),
    "azpurge.managedhsm.azure.net",
    vm1.dns.host,
  ]);
  assert.match(stdout, new RegExp(`Address: ${publicAddressOfHsm("azpurge").replace(/\./g, "\\.")}`));
  await az.ok(["keyvault", "purge", "--hsm-name", "azpurge", "-l", LOC]);
  assert.equal(await digStatus(vm1, "azpurge.managedhsm.azure.net"), "NXDOMAIN");
});

test("hub and spoke: a spoke VM without custom DNS hits the firewall; the hub's DNS forwarder as custom DNS, or a zone link to the spoke, gives the private path", async () => {
  await createHsm("azhub", true);
  await topology.vnet("vnet-hub", "10.10.0.0/16", { name: "snet-hub", prefix: "10.10.1.0/24" });
  await topology.vnet("vnet-spoke", "10.20.0.0/16", { name: "snet-spoke", prefix: "10.20.1.0/24" });
  await az.ok([
    "network",
    "vnet",
    "peering",
    "create",
    "-g",
    RG,
    "-n",
    "hub-to-spoke",
    "--vnet-name",
    "vnet-hub",
    "--remote-vnet",
    "vnet-spoke",
    "--allow-vnet-access",
  ]);
  const back = await az.ok([
    "network",
    "vnet",
    "peering",
    "create",
    "-g",
    RG,
    "-n",
    "spoke-to-hub",
    "--vnet-name",
    "vnet-spoke",
    "--remote-vnet",
    "vnet-hub",
    "--allow-vnet-access",
  ]);
  assert.equal(back.peeringState, "Connected");
  const { ip } = await createPe("pe-hub", "azhub", "vnet-hub", "snet-hub");
  await topology.aRecord("azhub", ip);
  await topology.zoneLink("link-hub", "vnet-hub");
  const fwd = await createVm("fwd1", "vnet-hub", "snet-hub", true);
  const spokeVm = await createVm("spoke1", "vnet-spoke", "snet-spoke");
  const publicIp = publicAddressOfHsm("azhub");

  // No custom DNS on the spoke, zone linked to the hub only: Azure DNS of the spoke answers the public address.
  assert.equal(await digFrom(spokeVm, "azhub"), publicIp);
  assert.equal(await digFrom(fwd, "azhub"), ip);
  assertFirewall(await requestFrom(spokeVm, "azhub"), spokeVm.publicIpAddress);

  // The hub's forwarder as the spoke's DNS server: it asks Azure DNS of the hub, which has the zone.
  const updated = await az.ok([
    "network",
    "vnet",
    "update",
    "-g",
    RG,
    "-n",
    "vnet-spoke",
    "--dns-servers",
    fwd.privateIpAddress,
  ]);
  assert.deepEqual(updated.dhcpOptions.dnsServers, [fwd.privateIpAddress]);
  assert.equal(updated.virtualNetworkPeerings.length, 1, "the update keeps the peering");
  assert.equal(await digFrom(spokeVm, "azhub"), ip);
  assertAllowed(await requestFrom(spokeVm, "azhub"));

  // Back to Azure-provided DNS: public again, then a zone link to the spoke mends it.
  const cleared = await az.ok([
    "network",
    "vnet",
    "update",
    "-g",
    RG,
    "-n",
    "vnet-spoke",
    "--remove",
    "dhcpOptions.dnsServers",
  ]);
  assert.deepEqual(cleared.dhcpOptions?.dnsServers ?? [], []);
  assert.equal(await digFrom(spokeVm, "azhub"), publicIp);
  assertFirewall(await requestFrom(spokeVm, "azhub"), spokeVm.publicIpAddress);
  await topology.zoneLink("link-spoke", "vnet-spoke");
  assert.equal(await digFrom(spokeVm, "azhub"), ip);
  assertAllowed(await requestFrom(spokeVm, "azhub"));
});

test("unlinking the zone from the VM's VNet sends the VM to the public address and the firewall", async () => {
  assert.ok(delIp, "needs the mended azdel of the previous test");
  assert.equal(await digFrom(vm1, "azdel"), delIp);
  await az.ok(["network", "private-dns", "link", "vnet", "delete", "-g", RG, "-z", ZONE, "-n", "link1", "-y"]);
  assert.equal(await digFrom(vm1, "azdel"), publicAddressOfHsm("azdel"));
  assertFirewall(await requestFrom(vm1, "azdel"), vm1.publicIpAddress);
});
