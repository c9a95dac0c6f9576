// Subnets over ARM (control-plane.md §2 rows 9–10, §2.1, §4.2, §4.5): prefix rules, the per-api-version default of
// privateEndpointNetworkPolicies, GET + full PUT, lists, delete.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { NetClient } from "./net-client.js";
import { defaultPrivateEndpointNetworkPolicies } from "../../../src/arm/resource-types/virtual-networks/policies.js";

let h: TestHsmlink;
let c: NetClient;

before(async () => {
  h = await startTestHsmlink();
  c = new NetClient(h);
  await c.group("rg-sn");
  await c.vnet("rg-sn", "vnet1", { prefixes: ["10.0.0.0/16"] });
});
after(async () => h?.dispose());

test("subnet create is 201 with the network LRO, update 200; the VNet embeds the subnet", async () => {
  const path = c.subnetPath("rg-sn", "vnet1", "subnet1");
  const r = await c.call("PUT", path, { body: { name: "subnet1", properties: { addressPrefix: "10.0.0.0/24" } } });
  assert.equal(r.status, 201);
  assert.equal(r.body.properties.provisioningState, "Updating");
  assert.ok(r.headers["azure-asyncoperation"]);
  const s = await c.get(path);
  assert.equal(
    s.id,
    `/subscriptions/${c.sub}/resourceGroups/rg-sn/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/subnet1`,
  );
  assert.equal(s.properties.provisioningState, "Succeeded");
  assert.deepEqual(s.properties.delegations, []);
  assert.equal(s.properties.ipConfigurations, undefined);
  assert.equal(s.properties.privateEndpoints, undefined);
  const v = await c.get(c.vnetPath("rg-sn", "vnet1"));
  assert.deepEqual(v.properties.subnets, [s]);

  const up = await c.call("PUT", path, {
    body: { ...s, properties: { ...s.properties, privateEndpointNetworkPolicies: "Disabled" } },
  });
  assert.equal(up.status, 200);
});

test("addressPrefixes (several) is stored as a list", async () => {
  await c.put(c.subnetPath("rg-sn", "vnet1", "multi"), {
    properties: { addressPrefixes: ["10.0.10.0/24", "10.0.11.0/24"] },
  });
  const s = await c.get(c.subnetPath("rg-sn", "vnet1", "multi"));
  assert.deepEqual(s.properties.addressPrefixes, ["10.0.10.0/24", "10.0.11.0/24"]);
  assert.equal(s.properties.addressPrefix, undefined);
});

test("prefix errors: outside the VNet, overlapping a sibling, malformed, host bits, size, missing", async () => {
  const p = (n: string) => c.subnetPath("rg-sn", "vnet1", n);
  let e = await c.putError(p("out"), { properties: { addressPrefix: "10.1.0.0/24" } });
  assert.equal(e.code, "NetcfgSubnetRangeOutsideVnet");
  assert.equal(
    e.message,
    "Subnet 'out' is not valid because its IP address range is outside the IP address range of virtual network 'vnet1'.",
  );
  await c.subnet("rg-sn", "vnet1", "base", "10.0.20.0/24");
  e = await c.putError(p("over"), { properties: { addressPrefix: "10.0.20.128/25" } });
  assert.equal(e.code, "NetcfgSubnetRangesOverlap");
  assert.equal(
    e.message,
    "Subnet 'over' is not valid because its IP address range overlaps with that of an existing subnet in virtual network 'vnet1'.",
  );
  e = await c.putError(p("bad"), { properties: { addressPrefix: "10.0.30.0" } });
  assert.equal(e.code, "InvalidAddressPrefixFormat");
  e = await c.putError(p("bad"), { properties: { addressPrefix: "10.0.30.7/24" } });
  assert.equal(e.code, "InvalidCIDRNotation");
  assert.equal(
    e.message,
    "The address prefix 10.0.30.7/24 has an invalid CIDR notation. For the given prefix length, the address prefix should be 10.0.30.0/24.",
  );
  e = await c.putError(p("bad"), { properties: { addressPrefix: "10.0.30.0/30" } });
  assert.equal(e.code, "NetcfgInvalidSubnet");
  e = await c.putError(p("bad"), { properties: {} });
  assert.equal(e.code, "NetcfgInvalidSubnet");
  e = await c.putError(p("bad"), {
    properties: { addressPrefix: "10.0.30.0/24", privateEndpointNetworkPolicies: "Sometimes" },
  });
  assert.equal(e.code, "InvalidRequestFormat");
  assert.equal(e.details![0].code, "InvalidJson");
  assert.equal((await c.call("GET", p("bad"))).status, 404);
  const missingVnet = await c.call("PUT", c.subnetPath("rg-sn", "nope", "s"), {
    body: { properties: { addressPrefix: "10.0.0.0/24" } },
  });
  assert.equal(missingVnet.status, 404);
  assert.equal(missingVnet.body.error.code, "ResourceNotFound");
});

test("privateEndpointNetworkPolicies defaults per api-version: Enabled before 2022-01-01, Disabled from it on", async () => {
  assert.equal(defaultPrivateEndpointNetworkPolicies("2021-08-01"), "Enabled");
  assert.equal(defaultPrivateEndpointNetworkPolicies("2021-04-01-preview"), "Enabled");
  assert.equal(defaultPrivateEndpointNetworkPolicies("2022-01-01"), "Disabled");
  assert.equal(defaultPrivateEndpointNetworkPolicies("2025-05-01"), "Disabled");
  const old = await c.subnet("rg-sn", "vnet1", "old-api", "10.0.40.0/24", undefined, "2021-08-01");
  assert.equal(old.properties.privateEndpointNetworkPolicies, "Enabled");
  const cur = await c.subnet("rg-sn", "vnet1", "new-api", "10.0.41.0/24");
  assert.equal(cur.properties.privateEndpointNetworkPolicies, "Disabled");
  const nsg = await c.subnet("rg-sn", "vnet1", "nsg", "10.0.42.0/24", "networksecuritygroupenabled");
  assert.equal(nsg.properties.privateEndpointNetworkPolicies, "NetworkSecurityGroupEnabled");
});

test("GET + full PUT (az subnet update) keeps server-side back-references and ignores the client's", async () => {
  await c.subnet("rg-sn", "vnet1", "upd", "10.0.50.0/24", "Enabled");
  const s = await c.get(c.subnetPath("rg-sn", "vnet1", "upd"));
  const forged = {
    ...s,
    properties: {
      ...s.properties,
      privateEndpointNetworkPolicies: "Disabled",
      privateEndpoints: [{ id: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/privateEndpoints/fake" }],
    },
  };
  await c.put(c.subnetPath("rg-sn", "vnet1", "upd"), forged);
  const after1 = await c.get(c.subnetPath("rg-sn", "vnet1", "upd"));
  assert.equal(after1.properties.privateEndpointNetworkPolicies, "Disabled");
  assert.equal(after1.properties.privateEndpoints, undefined);
});

test("list subnets; DELETE 202, then 204; GET of a missing subnet is NotFound with the RP's message", async () => {
  await c.subnet("rg-sn", "vnet1", "gone", "10.0.60.0/24");
  const list = await c.get(`${c.vnetPath("rg-sn", "vnet1")}/subnets`);
  assert.ok(list.value.some((s: any) => s.name === "gone"));
  const del = await c.call("DELETE", c.subnetPath("rg-sn", "vnet1", "gone"));
  assert.equal(del.status, 202);
  assert.ok(del.headers.location);
  const miss = await c.call("GET", c.subnetPath("rg-sn", "vnet1", "gone"));
  assert.equal(miss.status, 404);
  assert.equal(miss.body.error.code, "NotFound");
  assert.equal(miss.body.error.message, `Resource ${c.subnetPath("rg-sn", "vnet1", "gone")} not found.`);
  assert.equal((await c.call("DELETE", c.subnetPath("rg-sn", "vnet1", "gone"))).status, 204);
  assert.ok(!(await c.get(c.vnetPath("rg-sn", "vnet1"))).properties.subnets.some((s: any) => s.name === "gone"));
});

test("shrinking the VNet address space under a subnet is refused and leaves the VNet as it was", async () => {
  await c.vnet("rg-sn", "vnet-shrink", {
    prefixes: ["10.5.0.0/16", "10.6.0.0/16"],
    subnets: [{ name: "a", prefix: "10.6.1.0/24" }],
  });
  const before = await c.get(c.vnetPath("rg-sn", "vnet-shrink"));
  const body = c.vnetBody({ prefixes: ["10.5.0.0/16"] });
  (body.properties as any).subnets = before.properties.subnets;
  const e = await c.putError(c.vnetPath("rg-sn", "vnet-shrink"), body);
  assert.equal(e.code, "NetcfgSubnetRangeOutsideVnet");
  assert.deepEqual(await c.get(c.vnetPath("rg-sn", "vnet-shrink")), before);
});
