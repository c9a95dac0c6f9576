// The topology picture's graph (src/portal/graph.ts) from a hand-made snapshot: what is drawn, how it nests, every
// connection state as an edge (the private endpoint's side, so Disconnected shows), one edge per peered pair, the
// resource-group filter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { topologyGraph } from "../../../src/portal/graph.js";
import { publicAddressOfHsm } from "../../../src/network/dns-view.js";
import type { NetworkSnapshot } from "../../../src/network/topology.js";

const SUB = "11111111-2222-3333-4444-555555555555";
const rg = (g: string) => `/subscriptions/${SUB}/resourceGroups/${g}`;
const vnetId = (g: string, n: string) => `${rg(g)}/providers/Microsoft.Network/virtualNetworks/${n}`;
const hsmId = `${rg("rg-a")}/providers/Microsoft.KeyVault/managedHSMs/hsm1`;
const zoneId = `${rg("rg-a")}/providers/Microsoft.Network/privateDnsZones/privatelink.managedhsm.azure.net`;
const peId = (n: string) => `${rg("rg-a")}/providers/Microsoft.Network/privateEndpoints/${n}`;
const nicId = (n: string) => `${rg("rg-a")}/providers/Microsoft.Network/networkInterfaces/${n}.nic`;

const vnet = (g: string, n: string, prefix: string, peers: string[] = []) => ({
  id: vnetId(g, n),
  name: n,
  properties: {
    addressSpace: { addressPrefixes: [prefix] },
    subnets: [
      {
        id: `${vnetId(g, n)}/subnets/snet1`,
        name: "snet1",
        properties: {
          addressPrefix: prefix.replace(/\.0\.0\/16$/, ".1.0/24"),
          privateEndpointNetworkPolicies: "Disabled",
        },
      },
    ],
    virtualNetworkPeerings: peers.map((p) => ({
      id: `${vnetId(g, n)}/virtualNetworkPeerings/to-${p}`,
      name: `to-${p}`,
      properties: { remoteVirtualNetwork: { id: vnetId(g, p) }, peeringState: "Connected" },
    })),
  },
});
const conn = (name: string, status: string) => ({
  name,
  properties: { privateLinkServiceId: hsmId, groupIds: ["managedhsm"], privateLinkServiceConnectionState: { status } },
});
const pe = (n: string, ip: string, c: { auto?: ReturnType<typeof conn>[]; manual?: ReturnType<typeof conn>[] }) => ({
  id: peId(n),
  name: n,
  properties: {
    subnet: { id: `${vnetId("rg-a", "vnet1")}/subnets/snet1` },
    networkInterfaces: [{ id: nicId(n) }],
    privateLinkServiceConnections: c.auto ?? [],
    manualPrivateLinkServiceConnections: c.manual ?? [],
  },
});
const nic = (n: string, ip: string) => ({
  id: nicId(n),
  name: `${n}.nic`,
  properties: {
    ipConfigurations: [
      {
        name: "ipconfig",
        properties: { privateIPAddress: ip, subnet: { id: `${vnetId("rg-a", "vnet1")}/subnets/snet1` } },
      },
    ],
  },
});

const snapshot: NetworkSnapshot = {
  virtualNetworks: [
    vnet("rg-a", "vnet1", "10.0.0.0/16", ["vnet2"]),
    vnet("rg-a", "vnet2", "10.1.0.0/16", ["vnet1"]),
    vnet("rg-b", "vnet3", "10.2.0.0/16"),
  ],
  privateEndpoints: [
    pe("pe1", "10.0.1.4", { auto: [conn("c1", "Approved")] }),
    pe("pe2", "10.0.1.5", { manual: [conn("c2", "Pending")] }),
    pe("pe3", "10.0.1.6", { manual: [conn("c3", "Rejected")] }),
    pe("pe4", "10.0.1.7", { auto: [conn("c4", "Disconnected")] }),
  ],
  networkInterfaces: [nic("pe1", "10.0.1.4"), nic("pe2", "10.0.1.5"), nic("pe3", "10.0.1.6"), nic("pe4", "10.0.1.7")],
  privateDnsZones: [{ id: zoneId, name: "privatelink.managedhsm.azure.net", properties: {} }],
  virtualNetworkLinks: [
    {
      id: `${zoneId}/virtualNetworkLinks/link1`,
      name: "link1",
      properties: { virtualNetwork: { id: vnetId("rg-a", "vnet1") }, registrationEnabled: false },
    },
    {
      id: `${zoneId}/virtualNetworkLinks/link3`,
      name: "link3",
      properties: { virtualNetwork: { id: vnetId("rg-b", "vnet3") }, registrationEnabled: true },
    },
  ],
  recordSets: [
    { id: `${zoneId}/A/hsm1`, name: "hsm1", properties: { ttl: 10, aRecords: [{ ipv4Address: "10.0.1.4" }] } },
    { id: `${zoneId}/SOA/@`, name: "@", properties: { soaRecord: { host: "azureprivatedns.net" } } },
  ],
  managedHsms: [
    {
      id: hsmId,
      name: "hsm1",
      properties: { publicNetworkAccess: "Disabled", networkAcls: { defaultAction: "Deny", bypass: "None" } },
    },
  ],
  vms: [
    {
      name: "vm1",
      vnetId: vnetId("rg-a", "vnet1"),
      subnetId: `${vnetId("rg-a", "vnet1")}/subnets/snet1`,
      privateIpAddress: "10.0.1.8",
      publicIpAddress: "198.51.100.70",
    },
  ],
};

test("every resource is a node, nested VNet → subnet → VM / private endpoint and zone → record set (no SOA)", () => {
  const g = topologyGraph(snapshot, { subscriptionId: SUB }, 7);
  const byName = (kind: string, name: string) => g.nodes.find((n) => n.kind === kind && n.label === name);
  assert.equal(g.version, 7);
  assert.deepEqual(g.resourceGroups, ["rg-a", "rg-b"]);
  assert.equal(g.nodes.filter((n) => n.kind === "vnet").length, 3);
  assert.equal(byName("subnet", "snet1")?.parent, vnetId("rg-a", "vnet1"));
  assert.equal(byName("vm", "vm1")?.parent, `${vnetId("rg-a", "vnet1")}/subnets/snet1`);
  assert.deepEqual(byName("vm", "vm1")?.lines, ["VM private 10.0.1.8", "public 198.51.100.70"]);
  assert.deepEqual(byName("private-endpoint", "pe1")?.lines, ["private endpoint NIC 10.0.1.4"]);
  assert.deepEqual(byName("managed-hsm", "hsm1")?.lines, [
    `managed HSM public ${publicAddressOfHsm("hsm1")}`,
    "publicNetworkAccess Disabled",
    "defaultAction Deny",
    "bypass None",
  ]);
  assert.equal(byName("record-set", "hsm1 A")?.parent, zoneId);
  assert.deepEqual(byName("record-set", "hsm1 A")?.lines, ["10.0.1.4"]);
  assert.equal(
    g.nodes.some((n) => n.label.includes("SOA")),
    false,
  );
});

test("connections are edges coloured by the private endpoint's state, including Rejected and Disconnected", () => {
  const g = topologyGraph(snapshot, { subscriptionId: SUB }, 1);
  const states = g.edges.filter((e) => e.kind === "connection").map((e) => `${e.source.split("/").pop()}:${e.state}`);
  assert.deepEqual(states.sort(), ["pe1:Approved", "pe2:Pending", "pe3:Rejected", "pe4:Disconnected"]);
  assert.ok(g.edges.every((e) => e.kind !== "connection" || e.target === hsmId));
});

test("links name their registration; a peered pair is one edge; the A record points at the endpoint holding its address", () => {
  const g = topologyGraph(snapshot, { subscriptionId: SUB }, 1);
  assert.deepEqual(
    g.edges
      .filter((e) => e.kind === "zone-link")
      .map((e) => e.label)
      .sort(),
    ["link link1 · registration off", "link link3 · registration on"],
  );
  assert.equal(g.edges.filter((e) => e.kind === "peering").length, 1);
  const target = g.edges.filter((e) => e.kind === "record-target");
  assert.deepEqual(
    target.map((e) => [e.source, e.target]),
    [[`${zoneId}/A/hsm1`, peId("pe1")]],
  );
});

test("the resource-group filter draws that group only, and edges only between drawn nodes", () => {
  const g = topologyGraph(snapshot, { subscriptionId: SUB, resourceGroup: "RG-B" }, 1);
  assert.deepEqual(g.nodes.map((n) => n.label).sort(), ["snet1", "vnet3"]);
  assert.deepEqual(g.edges, []);
  assert.deepEqual(topologyGraph(snapshot, { subscriptionId: "99999999-0000-0000-0000-000000000000" }, 1).nodes, []);
});
