import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  connectionsOfPrivateEndpoint,
  findNicByAddress,
  findSubnet,
  linkedZones,
  parentResourceId,
  peeredVnets,
  privateEndpointOfNic,
  privateEndpointsTargeting,
  recordSetType,
  reachableVnetIds,
  resourceIdKey,
  sameResourceId,
  vnetOfSubnet,
} from "../../../src/network/index.js";
import { ZONE, base, ids, link, privateEndpoint, snapshot, vnet, zone } from "./fixtures.js";

describe("resource ids", () => {
  it("compare case-insensitively and ignore a trailing slash", () => {
    assert.equal(sameResourceId(ids.vnet("vnet1"), ids.vnet("vnet1").toUpperCase() + "/"), true);
    assert.equal(sameResourceId(ids.vnet("vnet1"), ids.vnet("vnet2")), false);
    assert.equal(sameResourceId(undefined, ids.vnet("vnet1")), false);
    assert.equal(resourceIdKey(" /A/B/ "), "/a/b");
  });

  it("parentResourceId strips /{type}/{name} pairs", () => {
    assert.equal(parentResourceId(ids.subnet("vnet1", "s1")), ids.vnet("vnet1"));
    assert.equal(parentResourceId(ids.link(ZONE, "l1")), ids.zone(ZONE));
  });
});

describe("VNets and subnets", () => {
  it("vnetOfSubnet and findSubnet match ids case-insensitively", () => {
    const s = base();
    const subnetId = ids
      .subnet("vnet1", "subnet1")
      .replace("resourceGroups", "resourcegroups")
      .replace("subnet1", "SUBNET1");
    assert.equal(vnetOfSubnet(s, subnetId)?.name, "vnet1");
    assert.equal(findSubnet(s, subnetId)?.subnet.name, "subnet1");
    assert.equal(vnetOfSubnet(s, ids.subnet("nope", "subnet1")), undefined);
    assert.equal(findSubnet(s, ids.subnet("vnet1", "nope")), undefined);
  });
});

describe("peeredVnets", () => {
  const hub = (peerState = "Connected", allow?: boolean) =>
    vnet(
      "hub",
      "10.1.0.0/16",
      { default: "10.1.0.0/24" },
      { peerings: [{ remote: "spoke", state: peerState, allowVirtualNetworkAccess: allow }] },
    );
  const spoke = (peerState = "Connected") =>
    vnet("spoke", "10.2.0.0/16", { default: "10.2.0.0/24" }, { peerings: [{ remote: "hub", state: peerState }] });

  it("counts a peering Connected on both sides", () => {
    const s = snapshot({ virtualNetworks: [hub(), spoke()] });
    assert.deepEqual(
      peeredVnets(s, ids.vnet("hub")).map((v) => v.name),
      ["spoke"],
    );
    assert.deepEqual(
      peeredVnets(s, ids.vnet("spoke").toLowerCase()).map((v) => v.name),
      ["hub"],
    );
    assert.deepEqual(reachableVnetIds(s, ids.vnet("spoke")), [ids.vnet("spoke"), ids.vnet("hub")]);
  });

  it("ignores one-sided (Initiated) peerings, missing remotes and peerings with access disabled", () => {
    assert.deepEqual(
      peeredVnets(snapshot({ virtualNetworks: [hub("Initiated"), spoke("Initiated")] }), ids.vnet("hub")),
      [],
    );
    assert.deepEqual(peeredVnets(snapshot({ virtualNetworks: [hub()] }), ids.vnet("hub")), []);
    const oneSide = vnet("spoke", "10.2.0.0/16", {});
    assert.deepEqual(peeredVnets(snapshot({ virtualNetworks: [hub(), oneSide] }), ids.vnet("hub")), []);
    assert.deepEqual(
      peeredVnets(snapshot({ virtualNetworks: [hub("Connected", false), spoke()] }), ids.vnet("spoke")),
      [],
    );
  });

  it("is not transitive", () => {
    const a = vnet("a", "10.1.0.0/16", {}, { peerings: [{ remote: "b" }] });
    const b = vnet("b", "10.2.0.0/16", {}, { peerings: [{ remote: "a" }, { remote: "c" }] });
    const c = vnet("c", "10.3.0.0/16", {}, { peerings: [{ remote: "b" }] });
    const s = snapshot({ virtualNetworks: [a, b, c] });
    assert.deepEqual(
      peeredVnets(s, ids.vnet("a")).map((v) => v.name),
      ["b"],
    );
    assert.deepEqual(
      peeredVnets(s, ids.vnet("b")).map((v) => v.name),
      ["a", "c"],
    );
  });
});

describe("NICs and private endpoints", () => {
  it("findNicByAddress only searches the given VNets", () => {
    const s = base();
    const match = findNicByAddress(s, [ids.vnet("vnet1")], "10.0.1.4");
    assert.equal(match?.nic.name, "pe1.nic.0000");
    assert.equal(match?.vnetId, ids.vnet("vnet1"));
    assert.equal(findNicByAddress(s, [ids.vnet("other")], "10.0.1.4"), undefined);
    assert.equal(findNicByAddress(s, [ids.vnet("vnet1")], "10.0.1.5"), undefined);
    assert.equal(findNicByAddress(s, [ids.vnet("vnet1")], "not-an-ip"), undefined);
  });

  it("privateEndpointOfNic and connections (auto + manual) are found", () => {
    const s = base();
    const pe = privateEndpointOfNic(s, s.networkInterfaces[0]!);
    assert.equal(pe?.name, "pe1");
    const manual = privateEndpoint("pe2", "vnet1", "subnet1", "myhsm", "10.0.1.6", { manual: true, status: "Pending" });
    assert.deepEqual(
      connectionsOfPrivateEndpoint(manual.pe).map((c) => [c.name, c.manualRequest, c.state.status]),
      [["pe2-conn", true, "Pending"]],
    );
    const all = privateEndpointsTargeting(
      { ...s, privateEndpoints: [...s.privateEndpoints, manual.pe] },
      ids.hsm("MYHSM"),
    );
    assert.deepEqual(
      all.map((x) => x.privateEndpoint.name),
      ["pe1", "pe2"],
    );
  });
});

describe("zones", () => {
  it("linkedZones returns only links of that VNet, sorted deterministically", () => {
    const s = snapshot({
      privateDnsZones: [zone("b.example"), zone("a.example")],
      virtualNetworkLinks: [
        link("b.example", "l2", "vnet1"),
        link("a.example", "l1", "vnet1"),
        link("a.example", "l3", "vnet2"),
      ],
    });
    assert.deepEqual(
      linkedZones(s, ids.vnet("vnet1")).map((z) => z.zone.name),
      ["a.example", "b.example"],
    );
  });

  it("recordSetType reads type, or the id when type is absent", () => {
    assert.equal(recordSetType({ id: ids.recordSet(ZONE, "a", "x"), name: "x", properties: {} }), "A");
    assert.equal(
      recordSetType({ id: "x", name: "x", type: "Microsoft.Network/privateDnsZones/CNAME", properties: {} }),
      "CNAME",
    );
    assert.equal(recordSetType({ id: ids.recordSet(ZONE, "NS", "x"), name: "x", properties: {} }), undefined);
  });
});
