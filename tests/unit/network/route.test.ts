import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  DEFAULT_INTERNET_CLIENT_ADDRESS,
  publicAddressOfHsm,
  resolve,
  route,
  type NetworkSnapshot,
  type RouteDecision,
  type Vantage,
} from "../../../src/network/index.js";
import { ZONE, aRecord, hsm, ids, link, privateEndpoint, snapshot, vm, vnet, zone } from "./fixtures.js";

const HOST = "myhsm.managedhsm.azure.net";
const PUBLIC_IP = publicAddressOfHsm("myhsm");

/**
 * vnet1 (vm1, pe1 → myhsm at 10.0.1.4), hub peered with vnet1 (pe-hub → myhsm at 10.1.1.4),
 * island not peered (pe-island → myhsm at 10.3.1.4), pe-pending in vnet1 (manual, Pending).
 */
function topology(options: { peeringState?: string } = {}): NetworkSnapshot {
  const state = options.peeringState ?? "Connected";
  const own = privateEndpoint("pe1", "vnet1", "subnet1", "myhsm", "10.0.1.4");
  const hub = privateEndpoint("pe-hub", "hub", "pe", "myhsm", "10.1.1.4");
  const island = privateEndpoint("pe-island", "island", "pe", "myhsm", "10.3.1.4");
  const pending = privateEndpoint("pe-pending", "vnet1", "subnet1", "otherhsm", "10.0.1.6", {
    manual: true,
    status: "Pending",
  });
  return snapshot({
    virtualNetworks: [
      vnet("vnet1", "10.0.0.0/16", { subnet1: "10.0.1.0/24" }, { peerings: [{ remote: "hub", state }] }),
      vnet("hub", "10.1.0.0/16", { pe: "10.1.1.0/24" }, { peerings: [{ remote: "vnet1", state }] }),
      vnet("island", "10.3.0.0/16", { pe: "10.3.1.0/24" }),
    ],
    privateEndpoints: [own.pe, hub.pe, island.pe, pending.pe],
    networkInterfaces: [own.nic, hub.nic, island.nic, pending.nic],
    privateDnsZones: [zone(ZONE)],
    virtualNetworkLinks: [link(ZONE, "link1", "vnet1")],
    recordSets: [aRecord(ZONE, "myhsm", ["10.0.1.4"])],
    managedHsms: [
      hsm("myhsm", [{ pe: "pe1" }, { pe: "pe-hub" }, { pe: "pe-island" }]),
      hsm("otherhsm", [{ pe: "pe-pending", status: "Pending" }]),
    ],
    vms: [
      vm("vm1", "vnet1", "subnet1", "10.0.1.5", { publicIpAddress: "192.0.2.10" }),
      vm("nopip", "vnet1", "subnet1", "10.0.1.7"),
    ],
  });
}

function fromVm(s: NetworkSnapshot, name = "vm1"): Vantage {
  const found = s.vms.find((v) => v.name === name);
  assert.ok(found);
  return { kind: "vm", vm: found };
}

function expectPath<P extends RouteDecision["path"]>(
  decision: RouteDecision,
  path: P,
): Extract<RouteDecision, { path: P }> {
  assert.equal(decision.path, path, JSON.stringify(decision.trace, null, 1));
  return decision as Extract<RouteDecision, { path: P }>;
}

describe("route from a VM", () => {
  it("PE NIC in its own VNet → private, with PE, NIC, target HSM and connection state", () => {
    const s = topology();
    const d = expectPath(route(s, fromVm(s), "10.0.1.4", HOST), "private");
    assert.equal(d.privateEndpointId, ids.pe("pe1"));
    assert.equal(d.nicId, ids.nic("pe1.nic.0000"));
    assert.equal(d.hsmId, ids.hsm("myhsm"));
    assert.equal(d.connectionName, "pe1-conn");
    assert.equal(d.manualRequest, false);
    assert.equal(d.connectionState.status, "Approved");
    assert.equal(d.sourceAddress, "10.0.1.5");
    assert.equal(d.trace.at(-1)!.rule, "private-endpoint-nic");
    assert.ok(d.trace.every((t) => t.step === "route"));
  });

  it("PE NIC in a Connected peered VNet → private", () => {
    const s = topology();
    const d = expectPath(route(s, fromVm(s), "10.1.1.4", HOST), "private");
    assert.equal(d.privateEndpointId, ids.pe("pe-hub"));
    assert.match(d.trace.at(-1)!.detail, /peered VNet hub/);
  });

  it("PE NIC in an unpeered VNet → none (private-endpoint-not-reachable)", () => {
    const s = topology();
    const d = expectPath(route(s, fromVm(s), "10.3.1.4", HOST), "none");
    assert.equal(d.reason, "private-endpoint-not-reachable");
    assert.match(d.trace.at(-1)!.detail, /pe-island in island/);
  });

  it("a peering that is only Initiated carries no traffic", () => {
    const s = topology({ peeringState: "Initiated" });
    assert.equal(expectPath(route(s, fromVm(s), "10.1.1.4", HOST), "none").reason, "private-endpoint-not-reachable");
  });

  it("the connection state is reported as is (Pending manual request still routes privately)", () => {
    const s = topology();
    const d = expectPath(route(s, fromVm(s), "10.0.1.6", "otherhsm.managedhsm.azure.net"), "private");
    assert.equal(d.manualRequest, true);
    assert.equal(d.connectionState.status, "Pending");
    assert.equal(d.hsmId, ids.hsm("otherhsm"));
  });

  it("a host naming another HSM than the PE target is traced, the path stays private", () => {
    const s = topology();
    const d = expectPath(route(s, fromVm(s), "10.0.1.6", HOST), "private");
    assert.equal(d.trace.at(-1)!.rule, "host-differs-from-target");
  });

  it("the HSM public address → public, source = the VM public IP", () => {
    const s = topology();
    const d = expectPath(route(s, fromVm(s), PUBLIC_IP, HOST), "public");
    assert.equal(d.sourceAddress, "192.0.2.10");
    assert.equal(d.hsmId, ids.hsm("myhsm"));
    assert.equal(d.trace.at(-1)!.rule, "public-endpoint");
  });

  it("a VM without a public IP has no public path", () => {
    const s = topology();
    assert.equal(
      expectPath(route(s, fromVm(s, "nopip"), PUBLIC_IP, HOST), "none").reason,
      "no-outbound-public-address",
    );
  });

  it("a VM address or an unused address → none", () => {
    const s = topology();
    assert.equal(expectPath(route(s, fromVm(s), "10.0.1.7", HOST), "none").reason, "not-a-private-endpoint");
    assert.equal(expectPath(route(s, fromVm(s), "10.0.1.200", HOST), "none").reason, "no-listener");
    assert.equal(expectPath(route(s, fromVm(s), "8.8.8.8", HOST), "none").reason, "no-listener");
    assert.equal(expectPath(route(s, fromVm(s), "myhsm", HOST), "none").reason, "invalid-address");
  });

  it("a VM whose VNet is missing → none", () => {
    const s = topology();
    const ghost: Vantage = {
      kind: "vm",
      vm: vm("ghost", "nowhere", "default", "10.9.0.4", { publicIpAddress: "192.0.2.99" }),
    };
    assert.equal(expectPath(route(s, ghost, PUBLIC_IP, HOST), "none").reason, "vnet-missing");
  });
});

describe("route from the internet", () => {
  it("the public address → public, source = the default internet client address", () => {
    const s = topology();
    const d = expectPath(route(s, { kind: "internet" }, PUBLIC_IP, HOST), "public");
    assert.equal(d.sourceAddress, DEFAULT_INTERNET_CLIENT_ADDRESS);
    assert.equal(d.sourceAddress, "198.51.100.7");
    assert.equal(d.hsmId, ids.hsm("myhsm"));
  });

  it("the internet client address is configurable", () => {
    const s = topology();
    const d = expectPath(
      route(s, { kind: "internet" }, PUBLIC_IP, HOST, { internetClientAddress: "198.51.100.42" }),
      "public",
    );
    assert.equal(d.sourceAddress, "198.51.100.42");
  });

  it("a host naming no HSM served at that address gives a public path without hsmId", () => {
    const s = topology();
    const d = expectPath(route(s, { kind: "internet" }, PUBLIC_IP, "nohsm.managedhsm.azure.net"), "public");
    assert.equal(d.hsmId, undefined);
  });

  it("a private endpoint address → none (private-address-from-internet)", () => {
    const s = topology();
    assert.equal(
      expectPath(route(s, { kind: "internet" }, "10.0.1.4", HOST), "none").reason,
      "private-address-from-internet",
    );
  });
});

describe("DNS then route (the pipeline order)", () => {
  it("what the VM resolves is where it connects: private inside vnet1, public from the internet", () => {
    const s = topology();
    const inside = resolve(s, fromVm(s), HOST, "A").answers.at(-1)!.data;
    assert.equal(expectPath(route(s, fromVm(s), inside, HOST), "private").privateEndpointId, ids.pe("pe1"));
    const outside = resolve(s, { kind: "internet" }, HOST, "A").answers.at(-1)!.data;
    assert.equal(expectPath(route(s, { kind: "internet" }, outside, HOST), "public").sourceAddress, "198.51.100.7");
  });
});
