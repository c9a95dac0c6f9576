import { test } from "node:test";
import assert from "node:assert/strict";
import { snapshotFromResources } from "../../../src/network/from-resources.js";
import { linkedZones, findNicByAddress } from "../../../src/network/topology.js";
import { resolveInVnet } from "../../../src/network/dns-view.js";
import { base, loadFixture, one, S, VNET1, ZONE_ID, type Res } from "./helpers.js";

for (const fixture of ["base.json", "base.az-flattened.json"]) {
  test(`${fixture}: groups resources by type into a snapshot the DNS view answers from`, () => {
    const { snapshot, missing } = snapshotFromResources(loadFixture(fixture));
    assert.equal(snapshot.managedHsms.length, 1);
    assert.equal(snapshot.virtualNetworks[0].properties.subnets?.[0].properties.addressPrefix, "10.0.1.0/24");
    assert.equal(linkedZones(snapshot, VNET1).length, 1);
    assert.equal(findNicByAddress(snapshot, [VNET1], "10.0.1.4")?.nic.name, "pe1.nic.0001");
    const a = resolveInVnet(snapshot, snapshot.virtualNetworks[0], "hsm1.managedhsm.azure.net", "A");
    assert.equal(a.answers.at(-1)?.data, "10.0.1.4");
    if (fixture === "base.json") assert.deepEqual(missing, []);
  });
}

test("type matching is case-insensitive and child subnets / HSM connections merge into their parents", () => {
  const rs: Res[] = base().map((r) => ({ ...r, type: String(r.type).toUpperCase() }));
  const hsm = rs.find((r) => /managedhsms$/i.test(r.type))!;
  const conns = hsm.properties.privateEndpointConnections;
  delete hsm.properties.privateEndpointConnections;
  rs.push(...conns.map((c: any) => ({ ...c, type: "Microsoft.KeyVault/managedHSMs/privateEndpointConnections" })));
  rs.push({
    id: `${VNET1}/subnets/second`,
    name: "second",
    type: "microsoft.network/virtualnetworks/subnets",
    properties: { addressPrefix: "10.0.2.0/24" },
  });
  const { snapshot } = snapshotFromResources(rs);
  assert.equal(snapshot.managedHsms[0].properties.privateEndpointConnections?.length, 1);
  assert.deepEqual(
    snapshot.virtualNetworks[0].properties.subnets?.map((s) => s.name),
    ["default", "second"],
  );
  assert.equal(snapshot.recordSets.length, 2);
});

test("reports what the export lacks: a PE NIC, a zone without record sets, bodies without properties", () => {
  const rs = base().filter((r) => !/networkInterfaces|privateDnsZones\/(A|SOA)$/i.test(r.type));
  rs.push({
    id: `${S}/providers/Microsoft.Network/virtualNetworks/bare`,
    name: "bare",
    type: "Microsoft.Network/virtualNetworks",
    properties: null,
  });
  const { snapshot, missing } = snapshotFromResources(rs);
  assert.equal(snapshot.virtualNetworks.length, 1);
  assert.ok(
    missing.some((m) => m.includes("network interface") && m.includes("pe1.nic.0001")),
    missing.join("\n"),
  );
  assert.ok(
    missing.some((m) => m.startsWith("record sets of private DNS zone") && m.includes(ZONE_ID)),
    missing.join("\n"),
  );
  assert.ok(
    missing.some((m) => m.includes("/virtualNetworks/bare") && m.includes("without properties")),
    missing.join("\n"),
  );
});

test("a zone declaring more links than exported is reported; {value:[…]} pages are unwrapped", () => {
  const rs = base().filter((r) => !/virtualNetworkLinks$/i.test(r.type));
  one(rs, "Microsoft.Network/privateDnsZones").properties.numberOfVirtualNetworkLinks = 1;
  const { snapshot, missing } = snapshotFromResources([{ value: rs }]);
  assert.equal(snapshot.privateDnsZones.length, 1);
  assert.ok(
    missing.some((m) => m.includes("virtual network links") && m.includes("0 of 1")),
    missing.join("\n"),
  );
});
