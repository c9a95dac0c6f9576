// Virtual network peerings: Initiated → Connected when both sides exist, Disconnected when one side goes, the
// RemotePeeringIsDisconnected rule, and address-space overlap (Azure's peering state machine).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { NetClient } from "./net-client.js";

let h: TestHsmlink;
let c: NetClient;
const rg = "rg-peer";

before(async () => {
  h = await startTestHsmlink();
  c = new NetClient(h);
  await c.group(rg);
  await c.vnet(rg, "hub", { prefixes: ["10.0.0.0/16"] });
  await c.vnet(rg, "spoke", { prefixes: ["10.1.0.0/16"] });
  await c.vnet(rg, "clash", { prefixes: ["10.0.128.0/17"] });
});
after(async () => h?.dispose());

const peeringPath = (vnet: string, name: string) => `${c.vnetPath(rg, vnet)}/virtualNetworkPeerings/${name}`;
const peerBody = (remote: string, extra: Record<string, unknown> = {}) => ({
  properties: {
    remoteVirtualNetwork: { id: c.vnetPath(rg, remote) },
    allowVirtualNetworkAccess: true,
    allowForwardedTraffic: false,
    allowGatewayTransit: false,
    useRemoteGateways: false,
    ...extra,
  },
});

test("one side is Initiated; creating the reverse makes both Connected; VNet GETs embed them", async () => {
  const first = await c.call("PUT", peeringPath("hub", "hub-to-spoke"), { body: peerBody("spoke") });
  assert.equal(first.status, 201);
  assert.ok(first.headers["azure-asyncoperation"]);
  let hs = await c.get(peeringPath("hub", "hub-to-spoke"));
  assert.equal(hs.properties.peeringState, "Initiated");
  assert.equal(hs.type, "Microsoft.Network/virtualNetworks/virtualNetworkPeerings");
  assert.deepEqual(hs.properties.remoteAddressSpace, { addressPrefixes: ["10.1.0.0/16"] });

  await c.put(peeringPath("spoke", "spoke-to-hub"), peerBody("hub"));
  hs = await c.get(peeringPath("hub", "hub-to-spoke"));
  const sh = await c.get(peeringPath("spoke", "spoke-to-hub"));
  assert.equal(hs.properties.peeringState, "Connected");
  assert.equal(sh.properties.peeringState, "Connected");
  assert.equal(sh.properties.peeringSyncLevel, "FullyInSync");
  const hub = await c.get(c.vnetPath(rg, "hub"));
  assert.deepEqual(hub.properties.virtualNetworkPeerings, [hs]);
  const list = await c.get(`${c.vnetPath(rg, "hub")}/virtualNetworkPeerings`);
  assert.deepEqual(
    list.value.map((p: any) => p.name),
    ["hub-to-spoke"],
  );
});

test("overlapping address spaces, self-peering, a second peering to the same remote and a missing remote are refused", async () => {
  let e = await c.putError(peeringPath("hub", "hub-to-clash"), peerBody("clash"));
  assert.equal(e.code, "VnetAddressSpacesOverlap");
  assert.match(
    e.message,
    /cannot be peered because their address spaces overlap\. Overlapping address prefixes: 10\.0\.0\.0\/16, 10\.0\.128\.0\/17$/,
  );
  e = await c.putError(peeringPath("hub", "self"), peerBody("hub"));
  assert.equal(e.code, "CannotPeerVirtualNetworkWithItself");
  e = await c.putError(peeringPath("hub", "again"), peerBody("spoke"));
  assert.equal(e.code, "AnotherPeeringAlreadyReferencesRemoteVnet");
  e = await c.putError(peeringPath("hub", "ghost"), peerBody("ghost"));
  assert.equal(e.code, "InvalidResourceReference");
  e = await c.putError(peeringPath("hub", "nobody"), { properties: {} });
  assert.equal(e.code, "MissingJsonReferenceId");
  e = await c.putError(peeringPath("hub", "gw"), peerBody("clash", { useRemoteGateways: true }));
  assert.equal(e.code, "RemoteVnetHasNoGateways");
  const list = await c.get(`${c.vnetPath(rg, "hub")}/virtualNetworkPeerings`);
  assert.deepEqual(
    list.value.map((p: any) => p.name),
    ["hub-to-spoke"],
  );
});

test("deleting one side leaves the other Disconnected; re-creating needs the remote updated first", async () => {
  await c.vnet(rg, "a", { prefixes: ["10.10.0.0/16"] });
  await c.vnet(rg, "b", { prefixes: ["10.11.0.0/16"] });
  await c.put(peeringPath("a", "a-b"), peerBody("b"));
  await c.put(peeringPath("b", "b-a"), peerBody("a"));
  const del = await c.call("DELETE", peeringPath("a", "a-b"));
  assert.equal(del.status, 202);
  assert.equal((await c.get(peeringPath("b", "b-a"))).properties.peeringState, "Disconnected");

  const e = await c.putError(peeringPath("a", "a-b"), peerBody("b"));
  assert.equal(e.code, "RemotePeeringIsDisconnected");
  assert.match(
    e.message,
    /because remote peering .*\/virtualNetworks\/b\/virtualNetworkPeerings\/b-a referencing parent virtual network .*\/virtualNetworks\/a is in Disconnected state/,
  );

  await c.put(peeringPath("b", "b-a"), peerBody("a"));
  assert.equal((await c.get(peeringPath("b", "b-a"))).properties.peeringState, "Initiated");
  await c.put(peeringPath("a", "a-b"), peerBody("b"));
  assert.equal((await c.get(peeringPath("a", "a-b"))).properties.peeringState, "Connected");
  assert.equal((await c.get(peeringPath("b", "b-a"))).properties.peeringState, "Connected");
});

test("deleting a VNet disconnects the peerings that point at it; growing an address space into a peer is refused", async () => {
  await c.vnet(rg, "c", { prefixes: ["10.20.0.0/16"] });
  await c.vnet(rg, "d", { prefixes: ["10.21.0.0/16"] });
  await c.put(peeringPath("c", "c-d"), peerBody("d"));
  await c.put(peeringPath("d", "d-c"), peerBody("c"));

  const e = await c.putError(c.vnetPath(rg, "c"), c.vnetBody({ prefixes: ["10.20.0.0/16", "10.21.128.0/17"] }));
  assert.equal(e.code, "VnetAddressSpacesOverlap");

  await c.vnet(rg, "c", { prefixes: ["10.20.0.0/16", "10.22.0.0/16"] });
  assert.deepEqual((await c.get(peeringPath("d", "d-c"))).properties.remoteAddressSpace.addressPrefixes, [
    "10.20.0.0/16",
    "10.22.0.0/16",
  ]);
  assert.equal((await c.get(peeringPath("c", "c-d"))).properties.peeringState, "Connected");

  assert.equal((await c.call("DELETE", c.vnetPath(rg, "c"))).status, 202);
  assert.equal((await c.get(peeringPath("d", "d-c"))).properties.peeringState, "Disconnected");
  assert.equal((await c.call("GET", peeringPath("c", "c-d"))).status, 404);
});
