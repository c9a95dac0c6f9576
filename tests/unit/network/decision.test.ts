// Every branch of the network-rules step (src/network/decision.ts) and the connect evaluation.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  evaluateConnect,
  evaluateNetworkRules,
  evaluateRequestNetwork,
  FIREWALL_MESSAGES,
  networkInfoHeader,
  type CallerInfo,
} from "../../../src/network/decision.js";
import type { ManagedHsm, RouteDecision } from "../../../src/network/index.js";
import { publicAddressOfHsm } from "../../../src/network/index.js";
import { aRecord, hsm, ids, link, privateEndpoint, snapshot, vm, vnet, zone, ZONE } from "./fixtures.js";

const caller: CallerInfo = { appId: "app-1", objectId: "oid-1", issuer: "https://sts.windows.net/t/" };
const trusted: CallerInfo = { ...caller, trustedService: "Microsoft.Storage" };

function withSettings(
  h: ManagedHsm,
  p: {
    pna?: string;
    bypass?: string;
    defaultAction?: string;
    ipRules?: string[];
    connections?: { pe: string; status: string }[];
  },
): ManagedHsm {
  return {
    ...h,
    properties: {
      ...h.properties,
      publicNetworkAccess: p.pna ?? "Enabled",
      networkAcls: {
        bypass: p.bypass ?? "AzureServices",
        defaultAction: p.defaultAction ?? "Allow",
        ipRules: (p.ipRules ?? []).map((value) => ({ value })),
      },
      privateEndpointConnections: (p.connections ?? []).map((c) => ({
        id: `${h.id}/privateEndpointConnections/${c.pe}`,
        properties: { privateEndpoint: { id: ids.pe(c.pe) }, privateLinkServiceConnectionState: { status: c.status } },
      })),
    },
  };
}

const publicRoute = (source = "198.51.100.7"): Extract<RouteDecision, { path: "public" }> => ({
  path: "public",
  destinationAddress: publicAddressOfHsm("hsm1"),
  sourceAddress: source,
  hsmId: ids.hsm("hsm1"),
  trace: [],
});

const privateRoute = (
  o: { hsm?: string; status?: string; pe?: string } = {},
): Extract<RouteDecision, { path: "private" }> => ({
  path: "private",
  destinationAddress: "10.0.1.4",
  sourceAddress: "10.0.1.5",
  privateEndpointId: ids.pe(o.pe ?? "pe1"),
  nicId: ids.nic("pe1.nic.0000"),
  hsmId: ids.hsm(o.hsm ?? "hsm1"),
  connectionName: "pe1-conn",
  manualRequest: false,
  connectionState: { status: o.status ?? "Approved" },
  trace: [],
});

function denied(o: ReturnType<typeof evaluateNetworkRules>) {
  assert.equal(o.allowed, false);
  if (o.allowed) throw new Error("unreachable");
  return o;
}

/** The refusal of a denied outcome, which must be a 403 `forbid`. */
function forbidden(o: ReturnType<typeof denied>) {
  assert.equal(o.refusal.action, "forbid");
  if (o.refusal.action !== "forbid") throw new Error("unreachable");
  return o.refusal;
}

/** The refusal of a denied outcome, which must be a `drop`. */
function dropped(o: ReturnType<typeof denied>) {
  assert.equal(o.refusal.action, "drop");
  if (o.refusal.action !== "drop") throw new Error("unreachable");
  return o.refusal;
}

test("public path, defaultAction Allow: allowed, source is the internet address", () => {
  const o = evaluateNetworkRules({ hsm: withSettings(hsm("hsm1"), {}), route: publicRoute(), caller });
  assert.equal(o.allowed, true);
  assert.equal(o.sourceAddress, "198.51.100.7");
  assert.equal(o.steps.at(-1)?.rule, "default-action-allow");
});

test("FC-18 variant 1: Deny + bypass AzureServices, PNA Enabled → ForbiddenByFirewall with client, caller and vault lines", () => {
  const h = withSettings(hsm("hsm1"), { defaultAction: "Deny" });
  const o = denied(evaluateNetworkRules({ hsm: h, route: publicRoute("198.51.100.70"), caller }));
  assert.equal(o.innerCode, "ForbiddenByFirewall");
  assert.equal(o.refusal.action, "forbid");
  assert.equal(o.refusal.innerCode, "ForbiddenByFirewall");
  assert.equal(
    forbidden(o).message,
    `${FIREWALL_MESSAGES.denyBypassAzureServices}\r\nClient address: 198.51.100.70\r\nCaller: appid=app-1;oid=oid-1;iss=https://sts.windows.net/t/\r\nVault: hsm1;location=eastus`,
  );
  assert.equal(networkInfoHeader(o.refusal.sourceAddress), "conn_type=Ipv4;addr=198.51.100.70;act_addr_fam=Ipv4;");
  assert.equal(o.steps.at(-1)?.rule, "firewall-deny");
});

test('FC-18 variant 2: Deny + bypass None → ForbiddenByFirewall "caller was ignored", even for a trusted service', () => {
  const h = withSettings(hsm("hsm1"), { defaultAction: "Deny", bypass: "None" });
  const o = denied(evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: trusted }));
  assert.equal(o.innerCode, "ForbiddenByFirewall");
  assert.match(
    forbidden(o).message,
    /^Client address is not authorized and caller was ignored because bypass is set to None\r\nClient address: 198\.51\.100\.7\r\n/,
  );
});

test("FC-18 variant 3: PNA Disabled + bypass AzureServices → ForbiddenByConnection", () => {
  const h = withSettings(hsm("hsm1"), { pna: "Disabled" });
  const o = denied(evaluateNetworkRules({ hsm: h, route: publicRoute(), caller }));
  assert.equal(o.innerCode, "ForbiddenByConnection");
  assert.ok(
    forbidden(o).message.startsWith(
      FIREWALL_MESSAGES.pnaDisabledBypassAzureServices +
        "\r\nClient address: 198.51.100.7\r\nCaller: appid=app-1;oid=oid-1",
    ),
  );
  assert.equal(o.steps.at(-1)?.rule, "public-access-disabled");
});

test("FC-18 variant 4: PNA Disabled + bypass None → ForbiddenByConnection, even for a trusted service", () => {
  const h = withSettings(hsm("hsm1"), { pna: "Disabled", bypass: "None", defaultAction: "Deny" });
  const o = denied(evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: trusted }));
  assert.equal(o.innerCode, "ForbiddenByConnection");
  assert.ok(forbidden(o).message.startsWith(FIREWALL_MESSAGES.pnaDisabledBypassNone + "\r\n"));
});

test("PNA Disabled + bypass AzureServices + trusted service → allowed", () => {
  const h = withSettings(hsm("hsm1"), { pna: "Disabled", defaultAction: "Deny" });
  const o = evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: trusted });
  assert.equal(o.allowed, true);
  assert.equal(o.steps.at(-1)?.rule, "trusted-service-bypass");
});

test("Deny + bypass AzureServices + trusted service → allowed; same caller without trust → denied", () => {
  const h = withSettings(hsm("hsm1"), { defaultAction: "Deny" });
  assert.equal(evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: trusted }).allowed, true);
  assert.equal(evaluateNetworkRules({ hsm: h, route: publicRoute(), caller }).allowed, false);
});

test("trusted services are the Key Vault table: Synapse and Container Registry pass, Cosmos DB and Data Explorer (not in the table) do not", () => {
  const h = withSettings(hsm("hsm1"), { defaultAction: "Deny" });
  for (const ns of [
    "Microsoft.Synapse",
    "Microsoft.ContainerRegistry",
    "Microsoft.NetApp",
    "Microsoft.OperationalInsights",
  ]) {
    assert.equal(
      evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: { ...caller, trustedService: ns } }).allowed,
      true,
      ns,
    );
  }
  for (const ns of ["Microsoft.DocumentDB", "Microsoft.Kusto"]) {
    const o = evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: { ...caller, trustedService: ns } });
    assert.equal(o.allowed, false, ns);
    assert.equal(o.steps.at(-1)?.rule, "firewall-deny");
  }
});

test("Deny with an ipRule matching the source (CIDR or bare address) → allowed; other address → denied", () => {
  const h = withSettings(hsm("hsm1"), {
    defaultAction: "Deny",
    bypass: "None",
    ipRules: ["198.51.100.0/28", "203.0.113.99"],
  });
  const a = evaluateNetworkRules({ hsm: h, route: publicRoute("198.51.100.7"), caller });
  assert.equal(a.allowed, true);
  assert.equal(a.steps.at(-1)?.rule, "ip-rule-allow");
  assert.equal(evaluateNetworkRules({ hsm: h, route: publicRoute("203.0.113.99"), caller }).allowed, true);
  assert.equal(evaluateNetworkRules({ hsm: h, route: publicRoute("198.51.100.70"), caller }).allowed, false);
});

test("absent settings default to PNA Enabled, Allow", () => {
  const h: ManagedHsm = { ...hsm("hsm1"), properties: {} };
  assert.equal(evaluateNetworkRules({ hsm: h, route: publicRoute(), caller }).allowed, true);
});

test("private path, Approved on both sides: allowed even with PNA Disabled + Deny + bypass None (FC-21)", () => {
  const h = withSettings(hsm("hsm1"), {
    pna: "Disabled",
    defaultAction: "Deny",
    bypass: "None",
    connections: [{ pe: "pe1", status: "Approved" }],
  });
  const o = evaluateNetworkRules({ hsm: h, route: privateRoute(), caller });
  assert.equal(o.allowed, true);
  assert.equal(o.sourceAddress, "10.0.1.5");
  assert.deepEqual(
    o.steps.map((s) => s.rule),
    ["private-endpoint-approved", "acls-not-evaluated"],
  );
});

for (const status of ["Pending", "Rejected", "Disconnected"]) {
  test(`private path, connection ${status} on the HSM side → dropped (private-endpoint-overview.md: only Approved endpoints carry traffic)`, () => {
    const h = withSettings(hsm("hsm1"), { connections: [{ pe: "pe1", status }] });
    const o = denied(evaluateNetworkRules({ hsm: h, route: privateRoute({ status }), caller }));
    assert.equal(o.innerCode, undefined);
    const r = dropped(o);
    assert.equal(r.state, status);
    assert.match(
      r.reason,
      new RegExp(`^dropped: connection ${status} \\(private endpoint pe1, connection pe1-conn to hsm1\\)`),
    );
    assert.equal(o.steps.at(-1)?.rule, "private-endpoint-not-approved");
  });
}

test("private path, PE side not Approved while HSM side says Approved → dropped with the PE-side state", () => {
  const h = withSettings(hsm("hsm1"), { connections: [{ pe: "pe1", status: "Approved" }] });
  const r = dropped(denied(evaluateNetworkRules({ hsm: h, route: privateRoute({ status: "Disconnected" }), caller })));
  assert.equal(r.state, "Disconnected");
});

test("private path, the HSM does not list the PE (deleted and recovered) → dropped, Disconnected", () => {
  const h = withSettings(hsm("hsm1"), { connections: [] });
  const o = denied(evaluateNetworkRules({ hsm: h, route: privateRoute(), caller }));
  assert.equal(o.steps.at(-1)?.rule, "private-endpoint-unknown-to-hsm");
  const r = dropped(o);
  assert.equal(r.state, "Disconnected");
  assert.match(r.reason, /^dropped: connection Disconnected \(private endpoint pe1 is Disconnected from hsm1\)/);
});

test("connect through a Rejected private endpoint: the CONNECT itself is refused as a drop (504), with the network lines in the trace", () => {
  const s = howTo({ status: "Rejected" });
  // A second, approved endpoint keeps the privatelink alias (private-link-diagnostics.md §5).
  const approvedElsewhere = {
    ...s,
    managedHsms: [
      withSettings(hsm("hsm1"), {
        defaultAction: "Deny",
        connections: [
          { pe: "pe1", status: "Rejected" },
          { pe: "pe9", status: "Approved" },
        ],
      }),
    ],
  };
  const c = evaluateConnect(approvedElsewhere, { kind: "vm", vm: s.vms[0] }, "hsm1.managedhsm.azure.net");
  assert.equal(c.route?.path, "private");
  assert.equal(c.refusal?.kind, "dropped");
  assert.match(c.refusal?.reason ?? "", /^dropped: connection Rejected /);
  assert.ok(c.steps.some((t) => t.step === "network" && t.rule === "private-endpoint-not-approved"));
});

test("private path through another HSM's private endpoint → ForbiddenByConnection", () => {
  const h = withSettings(hsm("hsm1"), { connections: [{ pe: "pe1", status: "Approved" }] });
  const o = denied(evaluateNetworkRules({ hsm: h, route: privateRoute({ hsm: "hsm2" }), caller }));
  assert.equal(o.innerCode, "ForbiddenByConnection");
  assert.equal(o.steps.at(-1)?.rule, "private-endpoint-other-hsm");
  assert.match(forbidden(o).message, /connected to hsm2, not to hsm1/);
});

test("caller not evaluated prints a placeholder caller", () => {
  const h = withSettings(hsm("hsm1"), { defaultAction: "Deny" });
  const o = denied(evaluateNetworkRules({ hsm: h, route: publicRoute() }));
  assert.match(forbidden(o).message, /Caller: appid=\(not evaluated\);oid=\(not evaluated\)/);
});

test("networkInfoHeader shape", () => {
  assert.equal(networkInfoHeader("10.0.0.4"), "conn_type=Ipv4;addr=10.0.0.4;act_addr_fam=Ipv4;");
});

// ---- connect evaluation (DNS → route) over a how-to topology ----

function howTo(opts: { status?: string } = {}) {
  const { pe, nic } = privateEndpoint("pe1", "vnet1", "sn1", "hsm1", "10.0.1.4", { status: opts.status });
  const h = withSettings(hsm("hsm1"), {
    defaultAction: "Deny",
    connections: [{ pe: "pe1", status: opts.status ?? "Approved" }],
  });
  return snapshot({
    virtualNetworks: [
      vnet("vnet1", "10.0.0.0/16", { sn1: "10.0.1.0/24" }),
      vnet("vnet2", "10.1.0.0/16", { sn1: "10.1.1.0/24" }),
    ],
    privateEndpoints: [pe],
    networkInterfaces: [nic],
    privateDnsZones: [zone(ZONE)],
    virtualNetworkLinks: [link(ZONE, "l1", "vnet1")],
    recordSets: [aRecord(ZONE, "hsm1", ["10.0.1.4"])],
    managedHsms: [h],
    vms: [
      vm("vm1", "vnet1", "sn1", "10.0.1.5", { publicIpAddress: "198.51.100.80" }),
      vm("vm2", "vnet2", "sn1", "10.1.1.4", { publicIpAddress: "198.51.100.81" }),
    ],
  });
}

test("connect from a VM in the linked VNet: private path to the PE address", () => {
  const s = howTo();
  const c = evaluateConnect(s, { kind: "vm", vm: s.vms[0] }, "hsm1.managedhsm.azure.net");
  assert.equal(c.refusal, undefined);
  assert.equal(c.address, "10.0.1.4");
  assert.equal(c.route?.path, "private");
  assert.deepEqual(
    c.steps.slice(0, 1).map((x) => x.step),
    ["vantage"],
  );
  assert.ok(c.steps.some((x) => x.step === "route"));
});

test("connect from the internet and from an unlinked VNet: public path; the full request is refused by the firewall", () => {
  const s = howTo();
  const internet = evaluateRequestNetwork(s, { kind: "internet" }, "hsm1.managedhsm.azure.net", caller, {
    internetClientAddress: "198.51.100.7",
  });
  assert.equal(internet.connect.route?.path, "public");
  assert.equal(internet.rules?.allowed, false);
  const fromVm2 = evaluateRequestNetwork(s, { kind: "vm", vm: s.vms[1] }, "hsm1.managedhsm.azure.net", caller);
  assert.equal(fromVm2.connect.address, publicAddressOfHsm("hsm1"));
  assert.equal(fromVm2.rules?.allowed, false);
  assert.equal(fromVm2.rules?.sourceAddress, "198.51.100.81");
  const fromVm1 = evaluateRequestNetwork(s, { kind: "vm", vm: s.vms[0] }, "hsm1.managedhsm.azure.net", caller);
  assert.equal(fromVm1.rules?.allowed, true);
});

test('connect to an unknown HSM: NXDOMAIN → refusal "could not resolve"', () => {
  const c = evaluateConnect(howTo(), { kind: "internet" }, "nope.managedhsm.azure.net");
  assert.equal(c.refusal?.kind, "no-resolution");
  assert.match(c.refusal?.reason ?? "", /could not resolve nope\.managedhsm\.azure\.net .*NXDOMAIN/);
});

test("connect from a VM whose DNS points at an unreachable private endpoint → refusal from the route", () => {
  const s = howTo();
  // A zone that is wrongly published publicly is not modelled; instead ask for the privatelink name from a VM of an unreachable VNet
  // whose VNet has a peering-less link to the zone: vm2's VNet gets the link too, so it resolves the PE address it cannot reach.
  const s2 = { ...s, virtualNetworkLinks: [...s.virtualNetworkLinks, link(ZONE, "l2", "vnet2")] };
  const c = evaluateConnect(s2, { kind: "vm", vm: s2.vms[1] }, "hsm1.managedhsm.azure.net");
  assert.equal(c.address, "10.0.1.4");
  assert.equal(c.route?.path, "none");
  assert.equal(c.refusal?.kind, "no-route");
  assert.match(c.refusal?.reason ?? "", /connection to 10\.0\.1\.4:443/);
});

test("an identity claiming a service that is not on the Managed HSM trusted list gets no bypass (FC-20)", () => {
  const h = withSettings(hsm("hsm1"), { defaultAction: "Deny" });
  const o = denied(
    evaluateNetworkRules({
      hsm: h,
      route: publicRoute(),
      caller: { ...caller, trustedService: "Microsoft.DocumentDB" },
    }),
  );
  assert.equal(o.innerCode, "ForbiddenByFirewall");
  assert.equal(
    evaluateNetworkRules({ hsm: h, route: publicRoute(), caller: { ...caller, trustedService: "microsoft.storage" } })
      .allowed,
    true,
  );
});
