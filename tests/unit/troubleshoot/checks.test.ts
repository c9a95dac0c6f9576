// One test per check/field case on snapshots built by snapshotFromResources from the BASE fixture of field-cases.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { snapshotFromResources } from "../../../src/network/from-resources.js";
import {
  exitCodeOf,
  renderJson,
  renderTable,
  troubleshoot,
  TroubleshootUsageError,
} from "../../../src/troubleshoot/run.js";
import { CHECKS } from "../../../src/troubleshoot/checks/index.js";
import {
  addVnet2,
  base,
  byType,
  get,
  loadFixture,
  one,
  relink,
  run,
  S,
  VNET1,
  VNET2,
  vmResource,
  ZONE_ID,
} from "./helpers.js";

const PE = "Microsoft.Network/privateEndpoints";
const HSM = "Microsoft.KeyVault/managedHSMs";
const A = "Microsoft.Network/privateDnsZones/A";

for (const fixture of ["base.json", "base.az-flattened.json"]) {
  test(`BASE (${fixture}): every check passes, exit code 0`, () => {
    const findings = run(loadFixture(fixture));
    assert.deepEqual(
      findings.filter((f) => f.status !== "pass").map((f) => `${f.id}:${f.status}:${f.message}`),
      [],
    );
    for (const c of CHECKS)
      assert.ok(
        findings.some((f) => f.id === c.id),
        c.id,
      );
    assert.equal(exitCodeOf({ findings }), 0);
    assert.equal(get(findings, "dns-resolves-private").evidence.values.address, "10.0.1.4");
  });
}

test("CHK-1 / FC-26: a Pending manual request fails connection-approved with the approve command", () => {
  const rs = base();
  const pe = one(rs, PE);
  pe.properties.manualPrivateLinkServiceConnections = pe.properties.privateLinkServiceConnections;
  pe.properties.manualPrivateLinkServiceConnections[0].properties.privateLinkServiceConnectionState = {
    status: "Pending",
  };
  pe.properties.privateLinkServiceConnections = [];
  const f = get(run(rs), "connection-approved");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "CONNECTION_PENDING");
  assert.match(f.fix!, /az keyvault private-endpoint-connection approve -g rg --hsm-name hsm1/);
});

test("CHK-1 / FC-24: a Rejected connection fails and asks to recreate the PE", () => {
  const rs = base();
  one(rs, PE).properties.privateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status =
    "Rejected";
  const findings = run(rs);
  assert.equal(get(findings, "connection-approved").code, "CONNECTION_REJECTED");
  assert.match(get(findings, "connection-approved").fix!, /az network private-endpoint delete -g rg -n pe1/);
  assert.equal(exitCodeOf({ findings }), 1);
});

test("CHK-1 without any PE: NO_PRIVATE_ENDPOINT; the PE-based checks skip", () => {
  const rs = base().filter((r) => r.type !== PE);
  const findings = run(rs);
  assert.equal(get(findings, "connection-approved").code, "NO_PRIVATE_ENDPOINT");
  assert.equal(get(findings, "connection-vnet").status, "skip");
  assert.equal(get(findings, "region-mismatch").status, "skip");
});

test("connection-vnet: the only PE is in an unpeered VNet", () => {
  const rs = base();
  addVnet2(rs, false);
  const findings = run(rs, { vnet: "vnet2" });
  const f = get(findings, "connection-vnet");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "PRIVATE_ENDPOINT_OTHER_VNET");
});

test("connection-vnet: a PE in a Connected peer counts", () => {
  const rs = base();
  addVnet2(rs, true);
  assert.equal(get(run(rs, { vnet: "vnet2" }), "connection-vnet").status, "pass");
});

test("FC-29: Disconnected PE fails connection-approved and connection-disconnected; DNS checks still pass", () => {
  const rs = base();
  one(rs, PE).properties.privateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status =
    "Disconnected";
  const findings = run(rs);
  assert.equal(get(findings, "connection-approved").code, "CONNECTION_DISCONNECTED");
  assert.equal(get(findings, "connection-disconnected").status, "fail");
  assert.equal(get(findings, "a-record-exists").status, "pass");
  assert.equal(get(findings, "dns-resolves-private").code, "PRIVATE_PATH_REFUSED");
  // The HSM side still lists the connection as Approved (the alias stays); the PE side is Disconnected: dropped.
  assert.match(
    get(findings, "dns-resolves-private").message,
    /but dropped: connection Disconnected \(private endpoint /,
  );
});

test("FC-30: HSM recreated (no connection on the HSM side) while the PE still says Approved → orphaned", () => {
  const rs = base();
  one(rs, HSM).properties.privateEndpointConnections = [];
  const findings = run(rs);
  const f = get(findings, "connection-disconnected");
  assert.equal(f.status, "fail");
  assert.match(f.message, /HSM hsm1 has no connection for it/);
  assert.equal(get(findings, "dns-resolves-private").status, "fail");
});

test("CHK-2 / FC-01: near-miss zone name fails dns-zone-exists and zone-name-near-miss; record checks skip", () => {
  const rs = JSON.parse(
    JSON.stringify(base()).replaceAll("privatelink.managedhsm.azure.net", "privatelink.managedhsm.azure.com"),
  );
  const findings = run(rs);
  assert.equal(get(findings, "dns-zone-exists").code, "DNS_ZONE_NAME_MISMATCH");
  assert.match(get(findings, "dns-zone-exists").message, /privatelink\.managedhsm\.azure\.com/);
  const near = get(findings, "zone-name-near-miss");
  assert.equal(near.status, "fail");
  assert.equal(near.evidence.values.linkedToClientVnet, true);
  assert.equal(get(findings, "a-record-exists").status, "skip");
  assert.equal(get(findings, "dns-zone-linked").status, "skip");
  assert.equal(get(findings, "dns-resolves-private").code, "RESOLVES_PUBLIC");
});

test("X-SHADOW-ZONE: a private zone named after the public zone shadows it", () => {
  const rs = base();
  rs.push({
    id: `${S}/providers/Microsoft.Network/privateDnsZones/managedhsm.azure.net`,
    name: "managedhsm.azure.net",
    type: "Microsoft.Network/privateDnsZones",
    properties: {},
  });
  const f = get(run(rs), "zone-name-near-miss");
  assert.equal(f.status, "warn");
  assert.match(f.message, /shadows the public name/);
});

test("CHK-2: no zone at all → DNS_ZONE_MISSING with the create command", () => {
  const rs = base().filter((r) => !String(r.type).startsWith("Microsoft.Network/privateDnsZones"));
  const f = get(run(rs), "dns-zone-exists");
  assert.equal(f.code, "DNS_ZONE_MISSING");
  assert.equal(f.fix, "az network private-dns zone create -g rg -n privatelink.managedhsm.azure.net");
});

test("CHK-3 / FC-02: zone not linked → dns-zone-linked fails, record checks pass, public path gets ForbiddenByFirewall", () => {
  const rs = base().filter((r) => !/virtualNetworkLinks$/.test(r.type));
  const findings = run(rs);
  const f = get(findings, "dns-zone-linked");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "DNS_ZONE_NOT_LINKED");
  assert.match(
    f.fix!,
    new RegExp(
      `az network private-dns link vnet create -g rg -z privatelink.managedhsm.azure.net -n vnet1-link -v ${VNET1} -e false`,
    ),
  );
  assert.equal(get(findings, "a-record-exists").status, "pass");
  assert.equal(get(findings, "a-record-ip-matches").status, "pass");
  assert.equal(get(findings, "dns-resolves-private").code, "RESOLVES_PUBLIC");
  assert.equal(get(findings, "public-path-firewall").code, "ForbiddenByFirewall");
  assert.equal(get(findings, "zone-linked-to-peer-only").status, "pass");
});

test("FC-18: unlinked zone + publicNetworkAccess Disabled → public-path-firewall ForbiddenByConnection", () => {
  const rs = base().filter((r) => !/virtualNetworkLinks$/.test(r.type));
  one(rs, HSM).properties.publicNetworkAccess = "Disabled";
  assert.equal(get(run(rs), "public-path-firewall").code, "ForbiddenByConnection");
});

test("zone-linked-to-peer-only: zone linked to the peered hub only", () => {
  const rs = base();
  addVnet2(rs, true);
  relink(rs, VNET2);
  const findings = run(rs);
  const f = get(findings, "zone-linked-to-peer-only");
  assert.equal(f.status, "fail");
  assert.ok(f.evidence.resources.includes(VNET2));
  assert.equal(get(findings, "dns-zone-linked").status, "fail");
});

test("CHK-4: A record deleted → a-record-exists fails with the add-record command naming the PE IP", () => {
  const rs = base().filter((r) => r.type !== A);
  const findings = run(rs);
  const f = get(findings, "a-record-exists");
  assert.equal(f.code, "A_RECORD_MISSING");
  assert.equal(
    f.fix,
    "az network private-dns record-set a add-record -g rg -z privatelink.managedhsm.azure.net -n hsm1 -a 10.0.1.4",
  );
  assert.equal(get(findings, "a-record-ip-matches").status, "skip");
  assert.equal(get(findings, "dns-resolves-private").status, "fail");
});

test("CHK-5: A record with a wrong IP fails a-record-ip-matches", () => {
  const rs = base();
  one(rs, A).properties.aRecords = [{ ipv4Address: "10.0.1.99" }];
  const f = get(run(rs), "a-record-ip-matches");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "A_RECORD_IP_MISMATCH");
  assert.match(f.message, /expected 10\.0\.1\.4 \(pe1\)/);
});

function addPe2(rs: any[]): void {
  const pe = one(rs, PE);
  const nic = one(rs, "Microsoft.Network/networkInterfaces");
  const subnet2 = `${VNET1}/subnets/second`;
  one(rs, "Microsoft.Network/virtualNetworks").properties.subnets.push({
    id: subnet2,
    name: "second",
    properties: { addressPrefix: "10.0.2.0/24" },
  });
  const pe2 = JSON.parse(JSON.stringify(pe).replaceAll("pe1", "pe2").replaceAll("/subnets/default", "/subnets/second"));
  const nic2 = JSON.parse(
    JSON.stringify(nic)
      .replaceAll("pe1", "pe2")
      .replaceAll("/subnets/default", "/subnets/second")
      .replace("10.0.1.4", "10.0.2.4"),
  );
  rs.push(pe2, nic2);
  one(rs, HSM).properties.privateEndpointConnections.push({
    id: `${S}/providers/Microsoft.KeyVault/managedHSMs/hsm1/privateEndpointConnections/pe2-conn`,
    properties: { privateEndpoint: { id: pe2.id }, privateLinkServiceConnectionState: { status: "Approved" } },
  });
}

test("FC-04: two PEs share one record → warn naming who is in it; record deleted → A_RECORD_MISSING lists approved PEs", () => {
  const rs = base();
  addPe2(rs);
  one(rs, A).properties.aRecords = [{ ipv4Address: "10.0.2.4" }];
  const findings = run(rs);
  const f = get(findings, "multiple-private-endpoints");
  assert.equal(f.status, "warn");
  assert.match(f.message, /points at pe2/);
  assert.equal(get(findings, "a-record-ip-matches").status, "pass");
  const gone = run(rs.filter((r) => r.type !== A));
  assert.match(get(gone, "a-record-exists").message, /2 approved connection\(s\) left \(pe1, pe2\)/);
  assert.match(get(gone, "multiple-private-endpoints").message, /no A record/);
});

test("X-REGION: PE in another region than its VNet", () => {
  const rs = base();
  one(rs, PE).location = "East US";
  const f = get(run(rs), "region-mismatch");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "REGION_MISMATCH");
});

test("X-PNA: HSM open to the internet (defaultAction Allow) → public-network-access warns", () => {
  const rs = base();
  one(rs, HSM).properties.networkAcls.defaultAction = "Allow";
  const findings = run(rs);
  assert.equal(get(findings, "public-network-access").status, "warn");
  assert.equal(exitCodeOf({ findings }), 0);
});

test("FC-21: PNA Disabled, bypass None: PE traffic still passes, ACLs not evaluated", () => {
  const rs = base();
  const hsm = one(rs, HSM);
  hsm.properties.publicNetworkAccess = "Disabled";
  hsm.properties.networkAcls.bypass = "None";
  const findings = run(rs);
  assert.equal(get(findings, "public-path-firewall").status, "pass");
  assert.match(get(findings, "public-path-firewall").message, /not evaluated/);
  assert.equal(get(findings, "public-network-access").status, "pass");
});

test("FC-06: custom DNS that reaches nothing → custom-dns-bypass fails", () => {
  const rs = base();
  one(rs, "Microsoft.Network/virtualNetworks").properties.dhcpOptions = { dnsServers: ["10.0.1.53"] };
  const f = get(run(rs), "custom-dns-bypass");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "X_DNS_PATH");
});

test("FC-06: a forwarder VM in the client VNet forwarding to Azure DNS → pass", () => {
  const rs = base();
  one(rs, "Microsoft.Network/virtualNetworks").properties.dhcpOptions = { dnsServers: ["10.0.1.53"] };
  rs.push(vmResource("dns1", VNET1, "10.0.1.53", { dnsForwarder: true }));
  assert.equal(get(run(rs), "custom-dns-bypass").status, "pass");
});

test("FC-06: forwarder in a peered VNet whose Azure DNS lacks the zone link → answer leaves the private path", () => {
  const rs = base();
  addVnet2(rs, true);
  rs.find((r) => r.id === VNET1)!.properties.dhcpOptions = { dnsServers: ["10.1.1.53"] };
  rs.push(vmResource("dns2", VNET2, "10.1.1.53", { dnsForwarder: true }));
  const f = get(run(rs), "custom-dns-bypass");
  assert.equal(f.status, "fail");
  assert.match(f.message, /Azure DNS in vnet1 would answer the private endpoint 10\.0\.1\.4/);
});

test("FC-11: custom DNS resolves privately through a hub forwarder, zone not linked to the client VNet → warn for platform callers", () => {
  const rs = base();
  addVnet2(rs, true);
  relink(rs, VNET2);
  rs.find((r) => r.id === VNET1)!.properties.dhcpOptions = { dnsServers: ["10.1.1.53"] };
  rs.push(vmResource("dns2", VNET2, "10.1.1.53", { dnsForwarder: true }));
  const findings = run(rs);
  assert.equal(get(findings, "custom-dns-bypass").code, "PLATFORM_IGNORES_CUSTOM_DNS");
  assert.equal(get(findings, "dns-zone-linked").status, "fail");
  assert.equal(get(findings, "dns-resolves-private").status, "pass");
});

test("--vm: the VM resource gives the vantage (its VNet and address)", () => {
  const rs = base();
  addVnet2(rs, false);
  rs.push(vmResource("vm2", VNET2, "10.1.1.4"));
  const findings = run(rs, { vm: "vm2" });
  assert.equal(get(findings, "connection-vnet").status, "fail");
  assert.equal(get(findings, "dns-resolves-private").evidence.values.vantage, "VM vm2");
  assert.equal(
    get(run(base().concat([vmResource("vm1", VNET1, "10.0.1.5")]), { vm: "vm1" }), "dns-resolves-private").status,
    "pass",
  );
});

test("usage errors: neither/both of --vm/--vnet, unknown VNet or VM", () => {
  const { snapshot } = snapshotFromResources(base());
  assert.throws(() => troubleshoot(snapshot, [], { hsm: "hsm1", resourceGroup: "rg" }), TroubleshootUsageError);
  assert.throws(
    () => troubleshoot(snapshot, [], { hsm: "hsm1", resourceGroup: "rg", vnet: "vnet1", vm: "x" }),
    TroubleshootUsageError,
  );
  assert.throws(
    () => troubleshoot(snapshot, [], { hsm: "hsm1", resourceGroup: "rg", vnet: "nope" }),
    /virtual network nope not found/,
  );
  assert.throws(
    () => troubleshoot(snapshot, [], { hsm: "hsm1", resourceGroup: "rg", vm: "nope" }),
    /VM nope not found/,
  );
  assert.equal(
    troubleshoot(snapshot, [], { hsm: "hsm1", resourceGroup: "rg", vnet: VNET1.toUpperCase() }).findings.length > 0,
    true,
  );
});

test("unknown HSM → hsm-exists fails; incomplete data → data-complete warns", () => {
  const findings = run(base().filter((r) => r.type !== HSM && r.type !== "Microsoft.Network/networkInterfaces"));
  assert.equal(get(findings, "hsm-exists").status, "fail");
  assert.equal(get(findings, "data-complete").status, "warn");
});

test('renderers: JSON is {"findings":[…]}; table has one line per finding', () => {
  const rs = base().filter((r) => r.type !== A);
  const report = { findings: run(rs) };
  const json = JSON.parse(renderJson(report));
  assert.deepEqual(Object.keys(json), ["findings"]);
  assert.equal(json.findings.length, report.findings.length);
  const lines = renderTable(report).trimEnd().split("\n");
  assert.equal(lines.length, report.findings.length);
  assert.match(
    lines.find((l) => l.includes("a-record-exists"))!,
    /^FAIL\s+a-record-exists\s+\[A_RECORD_MISSING\].*→ fix: az network private-dns record-set a add-record/,
  );
  void byType;
  void ZONE_ID;
});

test("a Key Vault zone (privatelink.vaultcore.azure.net) is another service's zone: ignored unless it holds the HSM's record, and the fix never deletes it", () => {
  const vault = `${S}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`;
  const zone = {
    id: vault,
    name: "privatelink.vaultcore.azure.net",
    type: "Microsoft.Network/privateDnsZones",
    properties: {},
  };
  assert.equal(get(run([...base(), zone]), "zone-name-near-miss").status, "pass");
  const hsmRecord = {
    id: `${vault}/A/hsm1`,
    name: "hsm1",
    type: "Microsoft.Network/privateDnsZones/A",
    properties: { ttl: 3600, aRecords: [{ ipv4Address: "10.0.1.4" }] },
  };
  const f = get(run([...base(), zone, hsmRecord]), "zone-name-near-miss");
  assert.notEqual(f.status, "pass");
  assert.match(
    f.fix!,
    /az network private-dns record-set a delete -g rg -z privatelink\.vaultcore\.azure\.net -n hsm1 --yes/,
  );
  assert.doesNotMatch(f.fix!, /zone delete|link vnet delete/);
});

test("subnet-network-policies: a private endpoint subnet with policies Enabled is a warning naming NSGs and route tables; Disabled passes", () => {
  assert.equal(get(run(base()), "subnet-network-policies").status, "pass");
  const rs = base();
  const vnet = rs.find((r: any) => r.type === "Microsoft.Network/virtualNetworks" && r.id === VNET1)!;
  for (const sn of vnet.properties.subnets) sn.properties.privateEndpointNetworkPolicies = "Enabled";
  const f = get(run(rs), "subnet-network-policies");
  assert.equal(f.status, "warn");
  assert.equal(f.code, "PRIVATE_ENDPOINT_NETWORK_POLICIES_ON");
  assert.match(f.message, /privateEndpointNetworkPolicies Enabled: its network security groups and route tables apply/);
  assert.match(f.fix ?? "", /--disable-private-endpoint-network-policies true/);
  for (const sn of vnet.properties.subnets) sn.properties.privateEndpointNetworkPolicies = "RouteTableEnabled";
  assert.match(get(run(rs), "subnet-network-policies").message, /RouteTableEnabled: its route tables apply/);
});
