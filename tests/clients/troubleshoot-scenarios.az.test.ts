// Issue #6 "Done when" for the troubleshooter: every configuration case of field-cases.md as a scenario. One hsmlink,
// BASE built once with the real az; each test changes the configuration with az (armCall where az 2.45 has no flag,
// and for quick restores), runs `hsmlink troubleshoot -o json` through its three sources (the running hsmlink;
// --from an export read from the ARM API; --subscription/--arm-endpoint with DefaultAzureCredential via MSI_ENDPOINT),
// asserts the expected finding and that the three sources agree, and restores BASE before the next test.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { buildHowto, type AzTopology } from "../support/az-topology.js";
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import type { Finding } from "../../src/troubleshoot/types.js";
import { armCall } from "../support/arm-client.js";
import { readFromHsmlink } from "../../src/troubleshoot/sources.js";

const { test, before, after } = clientSuite("az");

const ZONE = "privatelink.managedhsm.azure.net";
const RG = "rg-sc";
const HSM = "schsm";
const VNET = "vnet-sc";
const DNS_API = "api-version=2020-06-01";
const NET_API = "api-version=2022-01-01";
const KV_API = "api-version=2022-07-01";

let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
let tmp: string;
let env: NodeJS.ProcessEnv;
let rgId: string;
let hsmId: string;
let peIp: string;
let exportCount = 0;

const cli = (args: string[]) => runHsmlinkCli(args, env);

function parse(r: { code: number; stdout: string; stderr: string }): Finding[] {
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout).findings as Finding[];
}

/** id:status:code of every finding but data-complete (the sources' gaps differ by nature). */
const summary = (fs: Finding[]) =>
  fs.filter((f) => f.id !== "data-complete").map((f) => `${f.id}:${f.status}:${f.code ?? ""}`);

/**
 * `hsmlink troubleshoot` through the three sources; asserts they agree and returns the running hsmlink's findings.
 * `opts.hsm`/`opts.vnet` default to BASE's; `extra` is appended (e.g. `--host`).
 */
async function troubleshoot(opts: { hsm?: string; vnet?: string; extra?: string[] } = {}): Promise<Finding[]> {
  const args = [
    "troubleshoot",
    "--hsm",
    opts.hsm ?? HSM,
    "-g",
    RG,
    "--vnet",
    opts.vnet ?? VNET,
    "-o",
    "json",
    ...(opts.extra ?? []),
  ];
  const exported = await readFromHsmlink(h.endpoints);
  const file = join(tmp, `export-${++exportCount}.json`);
  writeFileSync(file, JSON.stringify(exported.resources));
  const [viaHsmlink, viaFile, viaSub] = await Promise.all([
    cli(args),
    cli([...args, "--from", file]),
    cli([...args, "--subscription", h.endpoints.subscriptionId, "--arm-endpoint", h.endpoints.httpsUrl]),
  ]);
  const findings = parse(viaHsmlink);
  const expected = summary(findings);
  assert.deepEqual(summary(parse(viaFile)), expected, "--from agrees with the running hsmlink");
  assert.deepEqual(summary(parse(viaSub)), expected, "--subscription/--arm-endpoint agrees with the running hsmlink");
  return findings;
}

function get(findings: Finding[], id: string): Finding {
  const f = findings.find((x) => x.id === id);
  assert.ok(f, `no finding ${id} in ${findings.map((x) => x.id).join(", ")}`);
  return f;
}

/** Status and code of one finding, for compact asserts. */
function sc(findings: Finding[], id: string): string {
  const f = get(findings, id);
  return `${f.status}:${f.code ?? ""}`;
}

async function arm(method: string, path: string, body?: unknown): Promise<any> {
  const r = await armCall(h, method, path, body === undefined ? {} : { body });
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${r.text}`);
  return r.json;
}

const zoneId = (name = ZONE) => `${rgId}/providers/Microsoft.Network/privateDnsZones/${name}`;
const linkPath = () => `${zoneId()}/virtualNetworkLinks/link-sc?${DNS_API}`;
const recordPath = () => `${zoneId()}/A/${HSM}?${DNS_API}`;
const vnetId = (name = VNET) => `${rgId}/providers/Microsoft.Network/virtualNetworks/${name}`;
const peId = (name: string) => `${rgId}/providers/Microsoft.Network/privateEndpoints/${name}`;

/** BASE is intact: everything passes (checked after each restore). */
async function assertBase(): Promise<Finding[]> {
  const findings = await troubleshoot();
  assert.deepEqual(
    findings
      .filter((f) => f.id !== "data-complete" && f.status !== "pass")
      .map((f) => `${f.id}:${f.status}:${f.message}`),
    [],
  );
  return findings;
}

before(async () => {
  h = await startTestHsmlink();
  env = { ...h.clientEnv(), HSMLINK_HOME: h.config.dataDir };
  az = new Az(h.clientEnv());
  tmp = mkdtempSync(join(tmpdir(), "hsmlink-tsc-"));
  await az.ok(["login", "--identity"]);
  const howto = await buildHowto(az, {
    rg: RG,
    hsm: HSM,
    administrator: h.endpoints.principalObjectId,
    vnet: VNET,
    subnet: "default",
    pe: "pe-sc",
    connection: "conn-sc",
    link: "link-sc",
  });
  ({ peIp, topology } = howto);
  rgId = howto.group.id;
  hsmId = howto.hsm.id;
});

after(async () => {
  await h?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("BASE (healthy set-up): every check passes through all three sources; bypass is reported (FC-17)", async () => {
  const findings = await assertBase();
  assert.equal(get(findings, "dns-resolves-private").evidence.values.address, peIp);
  assert.equal(get(findings, "public-network-access").evidence.values.bypass, "AzureServices");
  assert.equal(get(findings, "dns-fallback").evidence.values.nxdomain, false);
  assert.equal((get(findings, "private-endpoint-dns-record").evidence.values.recordIps as string[])[0], peIp);
});

test("FC-09 / FC-15: --host names the privatelink FQDN or the vault domain → client-host-name fails with the fix", async () => {
  const pl = await troubleshoot({ extra: ["--host", `${HSM}.privatelink.managedhsm.azure.net`] });
  assert.equal(sc(pl, "client-host-name"), "fail:HOST_PRIVATELINK_NAME");
  assert.match(get(pl, "client-host-name").fix!, new RegExp(`https://${HSM}\\.managedhsm\\.azure\\.net`));
  const vault = await troubleshoot({ extra: ["--host", `https://${HSM}.vault.azure.net/`] });
  assert.equal(sc(vault, "client-host-name"), "fail:HOST_VAULT_DOMAIN");
  assert.match(String(get(vault, "client-host-name").evidence.values.answer), /^NXDOMAIN/);
  const right = await troubleshoot({ extra: ["--host", `https://${HSM}.managedhsm.azure.net:443`] });
  assert.equal(sc(right, "client-host-name"), "pass:");
});

test("FC-02 / FC-18 / FC-19 / FC-21: zone not linked → DNS_ZONE_NOT_LINKED and the public path refuses; PNA Disabled → ForbiddenByConnection; linked again → PE traffic passes with PNA Disabled", async () => {
  await az.ok(["network", "private-dns", "link", "vnet", "delete", "-g", RG, "-z", ZONE, "-n", "link-sc", "--yes"]);
  const unlinked = await troubleshoot();
  assert.equal(sc(unlinked, "dns-zone-linked"), "fail:DNS_ZONE_NOT_LINKED");
  assert.equal(sc(unlinked, "a-record-exists"), "pass:");
  assert.equal(sc(unlinked, "dns-resolves-private"), "fail:RESOLVES_PUBLIC");
  assert.equal(sc(unlinked, "public-path-firewall"), "fail:ForbiddenByFirewall");

  // az 2.45's update-hsm has no --public-network-access: the ARM API directly.
  await arm("PATCH", `${hsmId}?${KV_API}`, { properties: { publicNetworkAccess: "Disabled" } });
  const pnaOff = await troubleshoot();
  assert.equal(sc(pnaOff, "public-path-firewall"), "fail:ForbiddenByConnection");

  await arm("PUT", linkPath(), {
    location: "global",
    properties: { virtualNetwork: { id: vnetId() }, registrationEnabled: false },
  });
  const viaPe = await troubleshoot();
  assert.equal(sc(viaPe, "public-path-firewall"), "pass:");
  assert.match(get(viaPe, "public-path-firewall").message, /not evaluated/);
  assert.equal(sc(viaPe, "dns-resolves-private"), "pass:");

  await arm("PATCH", `${hsmId}?${KV_API}`, { properties: { publicNetworkAccess: "Enabled" } });
  await assertBase();
});

test("FC-13: PE Succeeded but its record never written (no zone group, no A record) → DNS_RECORD_NOT_CREATED; NXDOMAIN reported by dns-fallback", async () => {
  await az.ok(["network", "private-dns", "record-set", "a", "delete", "-g", RG, "-z", ZONE, "-n", HSM, "--yes"]);
  const findings = await troubleshoot();
  assert.equal(sc(findings, "private-endpoint-dns-record"), "fail:DNS_RECORD_NOT_CREATED");
  assert.match(
    get(findings, "private-endpoint-dns-record").fix!,
    /az network private-endpoint dns-zone-group create -g rg-sc --endpoint-name pe-sc/,
  );
  assert.equal(sc(findings, "a-record-exists"), "fail:A_RECORD_MISSING");
  assert.equal(sc(findings, "dns-fallback"), "warn:X_FALLBACK");
  assert.equal(get(findings, "dns-fallback").evidence.values.nxdomain, true);

  await arm("PUT", recordPath(), { properties: { ttl: 3600, aRecords: [{ ipv4Address: peIp }] } });
  await assertBase();
});

test("FC-01 / FC-14: zone group on a near-miss zone → ZONE_GROUP_WRONG_ZONE; a typo in the zone id is refused; the zone deleted under the group → ZONE_GROUP_ZONE_NOT_FOUND", async () => {
  const near = "privatelink.managedhsm.azure.com";
  await topology.privateDnsZone(near);
  await topology.zoneLink("link-near", VNET, { zone: near });
  await topology.zoneGroup("pe-sc", zoneId(near));
  const wrong = await troubleshoot();
  assert.equal(sc(wrong, "private-dns-zone-group"), "fail:ZONE_GROUP_WRONG_ZONE");
  assert.equal(sc(wrong, "zone-name-near-miss"), "fail:DNS_ZONE_NAME_MISMATCH");

  const typo = await az.run([
    "network",
    "private-endpoint",
    "dns-zone-group",
    "add",
    "-g",
    RG,
    "--endpoint-name",
    "pe-sc",
    "-n",
    "default",
    "--private-dns-zone",
    `${zoneId()}s`,
    "--zone-name",
    "hsm2",
    "-o",
    "json",
  ]);
  assert.notEqual(typo.code, 0);
  assert.match(typo.stderr, /InvalidPrivateDnsZoneIds|invalid private dns zone ids/i);

  await arm("DELETE", `${zoneId(near)}/virtualNetworkLinks/link-near?${DNS_API}`);
  await arm("DELETE", `${zoneId(near)}?${DNS_API}`);
  const dangling = await troubleshoot();
  assert.equal(sc(dangling, "private-dns-zone-group"), "fail:ZONE_GROUP_ZONE_NOT_FOUND");
  assert.ok(
    get(dangling, "private-dns-zone-group").evidence.resources.some(
      (r) => r.toLowerCase() === zoneId(near).toLowerCase(),
    ),
  );

  await arm("DELETE", `${peId("pe-sc")}/privateDnsZoneGroups/default?${NET_API}`);
  await assertBase();
});

test("FC-04: a second private endpoint to the HSM → multiple-private-endpoints warns X_MULTI_PE", async () => {
  await topology.subnet(VNET, "second", "10.0.2.0/24");
  await topology.privateEndpoint("pe-sc2", { vnet: VNET, subnet: "second", hsmId, connection: "conn-sc2" });
  const findings = await troubleshoot();
  assert.equal(sc(findings, "multiple-private-endpoints"), "warn:X_MULTI_PE");
  assert.match(get(findings, "multiple-private-endpoints").message, /points at pe-sc\b/);

  await arm("DELETE", `${peId("pe-sc2")}?${NET_API}`);
  await assertBase();
});

test("FC-06: the client VNet uses a custom DNS server that reaches nothing → custom-dns-bypass fails X_DNS_PATH", async () => {
  await az.ok(["network", "vnet", "update", "-g", RG, "-n", VNET, "--dns-servers", "10.0.1.53"]);
  const findings = await troubleshoot();
  assert.equal(sc(findings, "custom-dns-bypass"), "fail:X_DNS_PATH");

  const vnet = await arm("GET", `${vnetId()}?${NET_API}`);
  await arm("PUT", `${vnetId()}?${NET_API}`, {
    ...vnet,
    properties: { ...vnet.properties, dhcpOptions: { dnsServers: [] } },
  });
  await assertBase();
});

test("FC-07: an HSM with a private endpoint elsewhere resolves NXDOMAIN in the linked zone; resolutionPolicy NxDomainRedirect falls back to the internet", async () => {
  const extId = (await topology.managedHsm("schsm-ext", h.endpoints.principalObjectId)).id;
  await topology.vnet("vnet-ext", "10.9.0.0/16", { name: "default", prefix: "10.9.1.0/24" });
  await topology.privateEndpoint("pe-ext", {
    vnet: "vnet-ext",
    subnet: "default",
    hsmId: extId,
    connection: "conn-ext",
  });
  const before = await troubleshoot({ hsm: "schsm-ext" });
  const f = get(before, "dns-fallback");
  assert.equal(`${f.status}:${f.code}`, "warn:X_FALLBACK");
  assert.equal(f.evidence.values.resolutionPolicy, "Default");
  assert.equal(f.evidence.values.nxdomain, true);
  assert.match(f.fix!, /NxDomainRedirect/);

  // az 2.45 has no --resolution-policy: the ARM API directly.
  await arm("PATCH", linkPath(), { properties: { resolutionPolicy: "NxDomainRedirect" } });
  const after = await troubleshoot({ hsm: "schsm-ext" });
  const g = get(after, "dns-fallback");
  assert.equal(g.status, "pass");
  assert.equal(g.evidence.values.resolutionPolicy, "NxDomainRedirect");
  assert.equal(g.evidence.values.nxdomain, false);
  assert.equal(sc(after, "dns-resolves-private"), "fail:RESOLVES_PUBLIC");

  await arm("PATCH", linkPath(), { properties: { resolutionPolicy: "Default" } });
  await arm("DELETE", `${peId("pe-ext")}?${NET_API}`);
  await assertBase();
});

test("FC-26 / FC-24 / FC-29: a manual request from another VNet is Pending, then Rejected (cannot be re-approved), then Disconnected", async () => {
  await topology.vnet("vnet-man", "10.5.0.0/16", { name: "default", prefix: "10.5.1.0/24" });
  await topology.privateEndpoint("pe-man", {
    vnet: "vnet-man",
    subnet: "default",
    hsmId,
    connection: "conn-man",
    manualRequest: true,
  });
  const pending = await troubleshoot({ vnet: "vnet-man" });
  assert.equal(sc(pending, "connection-approved"), "fail:CONNECTION_PENDING");

  const hsm = await arm("GET", `${hsmId}?${KV_API}`);
  const conn = (
    hsm.properties.privateEndpointConnections as { id: string; properties: { privateEndpoint: { id: string } } }[]
  ).find((c) => c.properties.privateEndpoint.id.toLowerCase().endsWith("/pe-man"))!;
  const connName = conn.id.split("/").pop()!;
  await az.ok(["keyvault", "private-endpoint-connection", "reject", "-g", RG, "--hsm-name", HSM, "-n", connName]);
  const rejected = await troubleshoot({ vnet: "vnet-man" });
  assert.equal(sc(rejected, "connection-approved"), "fail:CONNECTION_REJECTED");
  const approve = await az.run([
    "keyvault",
    "private-endpoint-connection",
    "approve",
    "-g",
    RG,
    "--hsm-name",
    HSM,
    "-n",
    connName,
    "-o",
    "json",
  ]);
  assert.notEqual(approve.code, 0, "a rejected connection cannot be approved");

  await az.ok(["keyvault", "private-endpoint-connection", "delete", "-g", RG, "--hsm-name", HSM, "-n", connName]);
  const disconnected = await troubleshoot({ vnet: "vnet-man" });
  assert.equal(sc(disconnected, "connection-approved"), "fail:CONNECTION_DISCONNECTED");
  assert.equal(sc(disconnected, "connection-disconnected"), "fail:CONNECTION_DISCONNECTED");

  await arm("DELETE", `${peId("pe-man")}?${NET_API}`);
  await assertBase();
});

test("FC-30: the HSM deleted, purged and recreated with the same name → the old private endpoint is orphaned", async () => {
  await az.ok(["keyvault", "delete", "--hsm-name", HSM, "-g", RG]);
  await az.ok(["keyvault", "purge", "--hsm-name", HSM, "-l", "westeurope"]);
  await topology.managedHsm(HSM, h.endpoints.principalObjectId);
  const findings = await troubleshoot();
  assert.equal(sc(findings, "connection-disconnected"), "fail:CONNECTION_DISCONNECTED");
  // The recreated HSM has no Approved connection, so public DNS has no privatelink alias: the client resolves the
  // public address (private-link-diagnostics.md §5), whatever the zone still holds.
  assert.equal(sc(findings, "dns-resolves-private"), "fail:RESOLVES_PUBLIC");
  assert.match(get(findings, "dns-resolves-private").message, /has no Approved private endpoint connection/);
  assert.equal(sc(findings, "a-record-exists"), "pass:");
  // Last test: BASE is not restored.
});
