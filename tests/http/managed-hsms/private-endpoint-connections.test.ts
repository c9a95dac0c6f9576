// Private endpoint connections on a managed HSM and the shared state machine that keeps both sides of a private link
// in step (control-plane.md §3.4, §4.3; FC-24, FC-29, FC-30). Private endpoints are seeded the way the network side
// creates them: `connectPrivateEndpoint` and a stored `Microsoft.Network/privateEndpoints` body, in one transaction.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { ArmClient } from "./arm-client.js";
import {
  connectPrivateEndpoint,
  disconnectPrivateEndpoint,
  type PrivateLinkRequest,
} from "../../../src/arm/resource-types/managed-hsms/private-link.js";

let h: TestHsmlink;
let arm: ArmClient;

before(async () => {
  h = await startTestHsmlink();
  arm = new ArmClient(h);
  await arm.group("rg-pl");
  await arm.group("rg-net");
});
after(async () => h?.dispose());

const peId = (name: string, rg = "rg-net") =>
  `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/privateEndpoints/${name}`;

/** Creates a PE body with one connection to `hsmId` and the HSM side, as the private endpoint service does. */
function seedPe(
  t: TestHsmlink,
  o: {
    pe: string;
    rg?: string;
    hsmId: string;
    conn: string;
    manual?: boolean;
    requestMessage?: string;
    groupIds?: string[];
  },
) {
  const id = `/subscriptions/${t.endpoints.subscriptionId}/resourceGroups/${o.rg ?? "rg-net"}/providers/Microsoft.Network/privateEndpoints/${o.pe}`;
  const req: PrivateLinkRequest = {
    hsmId: o.hsmId,
    privateEndpointId: id,
    privateEndpointLocation: "westeurope",
    connectionName: o.conn,
    manual: o.manual ?? false,
    requestMessage: o.requestMessage,
    groupIds: o.groupIds ?? ["managedhsm"],
  };
  return t.store.tx(() => {
    const result = connectPrivateEndpoint(t.arm, req);
    const entry = {
      name: o.conn,
      id: `${id}/${o.manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections"}/${o.conn}`,
      etag: `W/"${randomUUID()}"`,
      type: "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
      properties: {
        provisioningState: "Succeeded",
        privateLinkServiceId: o.hsmId,
        groupIds: ["managedhsm"],
        ...(o.requestMessage ? { requestMessage: o.requestMessage } : {}),
        privateLinkServiceConnectionState: result.state,
      },
    };
    const body = {
      name: o.pe,
      id,
      etag: `W/"${randomUUID()}"`,
      type: "Microsoft.Network/privateEndpoints",
      location: "westeurope",
      properties: {
        provisioningState: "Succeeded",
        privateLinkServiceConnections: o.manual ? [] : [entry],
        manualPrivateLinkServiceConnections: o.manual ? [entry] : [],
        subnet: {
          id: `/subscriptions/${t.endpoints.subscriptionId}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/s`,
        },
      },
    };
    t.store.resources.put(
      {
        id,
        type: "Microsoft.Network/privateEndpoints",
        name: o.pe,
        subscriptionId: t.endpoints.subscriptionId,
        resourceGroup: o.rg ?? "rg-net",
        body,
      },
      t.arm.clock.now(),
    );
    return { ...result, peId: id };
  });
}

function peState(
  t: TestHsmlink,
  id: string,
): { status: string; description: string; actionsRequired: string; manual: boolean; etag: string } {
  const pe = t.store.resources.get<any>(id)!;
  const manual = pe.body.properties.manualPrivateLinkServiceConnections.length > 0;
  const entry = manual
    ? pe.body.properties.manualPrivateLinkServiceConnections[0]
    : pe.body.properties.privateLinkServiceConnections[0];
  return { ...entry.properties.privateLinkServiceConnectionState, manual, etag: pe.body.etag };
}

const pecPath = (hsm: string, c: string) => `${arm.hsmPath("rg-pl", hsm)}/privateEndpointConnections/${c}`;

/** What az private-endpoint-connection approve/reject PUTs after its GET (control-plane.md §2.1). */
function azPut(got: any, status: string, description?: string) {
  return {
    location: got.location,
    ...(got.etag ? { etag: got.etag } : {}),
    properties: {
      privateEndpoint: {},
      privateLinkServiceConnectionState: {
        status,
        ...(description !== undefined ? { description } : {}),
        actionsRequired: "None",
      },
      provisioningState: "Updating",
    },
  };
}

test('an automatic private endpoint is Approved (HSM side without description, PE side "", as recorded); the HSM, the list and GET show the connection', async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-auto");
  const r = seedPe(h, { pe: "pe-auto", hsmId: hsm.id, conn: "conn-auto" });
  // The PE side (test_hsm_private_endpoint_connection.yaml: "" once the create finished).
  assert.deepEqual(r.state, { status: "Approved", description: "", actionsRequired: "None" });
  assert.deepEqual(peState(h, r.peId).description, "");
  assert.equal(r.connectionId, `${hsm.id}/privateEndpointConnections/conn-auto`);
  assert.equal(r.hsmName, "hsm-auto");
  assert.equal(r.hsmFqdn, "hsm-auto.managedhsm.azure.net");

  // The HSM side carries no description for an automatically approved connection.
  const item = {
    id: r.connectionId,
    properties: {
      provisioningState: "Succeeded",
      privateEndpoint: { id: r.peId },
      privateLinkServiceConnectionState: { status: "Approved", actionsRequired: "None" },
    },
  };
  const got = (await arm.call("GET", arm.hsmPath("rg-pl", "hsm-auto"))).body;
  assert.deepEqual(got.properties.privateEndpointConnections, [item]);
  assert.deepEqual(Object.keys(got.properties).slice(8, 11), [
    "networkAcls",
    "privateEndpointConnections",
    "publicNetworkAccess",
  ]);
  const one = await arm.call("GET", pecPath("hsm-auto", "CONN-AUTO"));
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, {
    id: r.connectionId,
    name: "conn-auto",
    type: "Microsoft.KeyVault/vaults/privateEndpointConnections",
    location: "westeurope",
    properties: item.properties,
  });
  // The list carries items (id, etag, properties) as recorded, not whole connections.
  const list = await arm.call("GET", `${arm.hsmPath("rg-pl", "hsm-auto")}/privateEndpointConnections`);
  assert.deepEqual(list.body, { value: [item] });
  // Connecting the same PE again changes nothing.
  const again = h.store.tx(() =>
    connectPrivateEndpoint(h.arm, {
      hsmId: hsm.id,
      privateEndpointId: r.peId,
      privateEndpointLocation: "westeurope",
      connectionName: "other",
      manual: true,
      groupIds: ["MANAGEDHSM"],
    }),
  );
  assert.equal(again.connectionId, r.connectionId);
  assert.equal(again.state.status, "Approved");
});

test("manual request: Pending with the request message; approve mirrors Approved onto the PE's manual connection", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-manual");
  const r = seedPe(h, {
    pe: "pe-manual",
    hsmId: hsm.id,
    conn: "conn-manual",
    manual: true,
    requestMessage: "please let me in",
  });
  assert.deepEqual(r.state, { status: "Pending", description: "please let me in", actionsRequired: "None" });
  const before = peState(h, r.peId);
  const got = (await arm.call("GET", pecPath("hsm-manual", "conn-manual"))).body;
  assert.equal("etag" in got, false);
  const put = await arm.call("PUT", pecPath("hsm-manual", "conn-manual"), {
    body: azPut(got, "Approved", "Approved by admin"),
  });
  assert.equal(put.status, 200, put.text);
  // Recorded: 200 Updating + Azure-AsyncOperation (the connection URL with kv-operation); the GETs then show Succeeded.
  const asyncOp = String(put.headers["azure-asyncoperation"] ?? "");
  assert.match(
    asyncOp,
    /\/managedHSMs\/hsm-manual\/privateEndpointConnections\/conn-manual\?api-version=[^&]+&kv-operation=/,
  );
  assert.equal(put.body.properties.provisioningState, "Updating");
  const poll = await arm.call("GET", new URL(asyncOp).pathname + new URL(asyncOp).search);
  assert.equal(poll.status, 200);
  assert.equal(poll.body.status, "Succeeded");
  assert.equal(poll.body.properties.provisioningState, "Succeeded");
  assert.deepEqual(put.body.properties.privateEndpoint, { id: r.peId });
  assert.deepEqual(put.body.properties.privateLinkServiceConnectionState, {
    status: "Approved",
    description: "Approved by admin",
    actionsRequired: "None",
  });
  assert.match(put.body.etag, /^[0-9a-f]{32}$/);
  assert.deepEqual((await arm.call("GET", pecPath("hsm-manual", "conn-manual"))).body, {
    ...put.body,
    properties: { ...put.body.properties, provisioningState: "Succeeded" },
  });
  const item = (await arm.call("GET", arm.hsmPath("rg-pl", "hsm-manual"))).body.properties
    .privateEndpointConnections[0];
  assert.equal(item.etag, put.body.etag);
  assert.equal(item.properties.privateLinkServiceConnectionState.status, "Approved");
  const after = peState(h, r.peId);
  assert.deepEqual(
    { status: after.status, description: after.description, manual: after.manual },
    { status: "Approved", description: "Approved by admin", manual: true },
  );
  assert.notEqual(after.etag, before.etag);
  // A second PUT gets a new etag.
  const redescribe = await arm.call("PUT", pecPath("hsm-manual", "conn-manual"), {
    body: azPut(put.body, "Approved", "still fine"),
  });
  assert.equal(redescribe.status, 200);
  assert.notEqual(redescribe.body.etag, put.body.etag);
});

test("state machine: Pending → Rejected is final (FC-24); Approved → Rejected; no way back to Pending; failures change nothing", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-states");
  const a = seedPe(h, { pe: "pe-states-a", hsmId: hsm.id, conn: "conn-a", manual: true });
  const b = seedPe(h, { pe: "pe-states-b", hsmId: hsm.id, conn: "conn-b" });

  const rejected = await arm.call("PUT", pecPath("hsm-states", "conn-a"), {
    body: azPut({ location: "westeurope" }, "Rejected", "no"),
  });
  assert.equal(rejected.status, 200);
  assert.equal(peState(h, a.peId).status, "Rejected");

  const cases: [string, string, Record<string, unknown>, RegExp][] = [
    [
      "conn-a",
      "Rejected → Approved",
      azPut({}, "Approved"),
      /^Approving rejected private endpoint connections is not supported\.$/,
    ],
    ["conn-a", "Rejected → Pending", azPut({}, "Pending"), /cannot be moved back to 'Pending'/],
    ["conn-b", "Approved → Pending", azPut({}, "Pending"), /cannot be moved back to 'Pending'/],
    ["conn-b", "→ Disconnected", azPut({}, "Disconnected"), /cannot be set to 'Disconnected'/],
    ["conn-b", "unknown status", azPut({}, "Maybe"), /Invalid private endpoint connection status 'Maybe'/],
    ["conn-b", "no state", { properties: { privateEndpoint: {} } }, /privateLinkServiceConnectionState is required/],
    [
      "conn-b",
      "no status",
      { properties: { privateLinkServiceConnectionState: { description: "x" } } },
      /status is required/,
    ],
  ];
  for (const [conn, label, body, message] of cases) {
    const before = (await arm.call("GET", pecPath("hsm-states", conn))).body;
    const r = await arm.call("PUT", pecPath("hsm-states", conn), { body });
    assert.equal(r.status, 400, `${label}: ${r.text}`);
    assert.equal(r.body.error.code, "BadRequest");
    assert.match(r.body.error.message, message, label);
    assert.deepEqual((await arm.call("GET", pecPath("hsm-states", conn))).body, before, label);
  }
  assert.equal(peState(h, a.peId).status, "Rejected");
  assert.equal(peState(h, b.peId).status, "Approved");

  const approvedToRejected = await arm.call("PUT", pecPath("hsm-states", "conn-b"), { body: azPut({}, "rejected") });
  assert.equal(approvedToRejected.status, 200);
  assert.deepEqual(approvedToRejected.body.properties.privateLinkServiceConnectionState, {
    status: "Rejected",
    description: "",
    actionsRequired: "None",
  });
  assert.equal(peState(h, b.peId).status, "Rejected");
  const rejectAgain = await arm.call("PUT", pecPath("hsm-states", "conn-b"), { body: azPut({}, "Rejected", "really") });
  assert.equal(rejectAgain.status, 200);
});

test("If-Match with a stale etag → 412; unknown connection → 404 ResourceNotFound", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-etag");
  seedPe(h, { pe: "pe-etag", hsmId: hsm.id, conn: "conn-etag", manual: true });
  const first = await arm.call("PUT", pecPath("hsm-etag", "conn-etag"), { body: azPut({}, "Approved") });
  const stale = await arm.call("PUT", pecPath("hsm-etag", "conn-etag"), {
    body: azPut({}, "Rejected"),
    headers: { "If-Match": '"0000"' },
  });
  assert.equal(stale.status, 412);
  assert.equal(stale.body.error.code, "PreconditionFailed");
  const fresh = await arm.call("PUT", pecPath("hsm-etag", "conn-etag"), {
    body: azPut({}, "Rejected"),
    headers: { "If-Match": `"${first.body.etag}"` },
  });
  assert.equal(fresh.status, 200);
  for (const method of ["GET", "PUT"]) {
    const r = await arm.call(
      method,
      pecPath("hsm-etag", "nope"),
      method === "PUT" ? { body: azPut({}, "Approved") } : {},
    );
    assert.equal(r.status, 404, method);
    assert.equal(r.body.error.code, "ResourceNotFound");
    assert.match(r.body.error.message, /managedHSMs\/hsm-etag\/privateEndpointConnections\/nope/);
  }
});

test("HSM-side delete: 202 + Location (kv-operation) → 204; the PE stays, Disconnected (FC-29)", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-pecdel");
  const r = seedPe(h, { pe: "pe-pecdel", hsmId: hsm.id, conn: "conn-del" });
  const del = await arm.call("DELETE", pecPath("hsm-pecdel", "conn-del"));
  assert.equal(del.status, 202);
  assert.match(
    String(del.headers.location),
    /\/privateEndpointConnections\/conn-del\?api-version=2022-07-01&kv-operation=/,
  );
  const polled = await arm.call("GET", String(del.headers.location), { apiVersion: null });
  assert.equal(polled.status, 204);
  assert.equal((await arm.call("GET", pecPath("hsm-pecdel", "conn-del"))).status, 404);
  const got = (await arm.call("GET", arm.hsmPath("rg-pl", "hsm-pecdel"))).body;
  assert.equal("privateEndpointConnections" in got.properties, false);
  assert.deepEqual((await arm.call("GET", `${arm.hsmPath("rg-pl", "hsm-pecdel")}/privateEndpointConnections`)).body, {
    value: [],
  });
  const pe = peState(h, r.peId);
  assert.equal(pe.status, "Disconnected");
  assert.ok(h.store.resources.get(r.peId), "the private endpoint itself stays");
  assert.equal((await arm.call("DELETE", pecPath("hsm-pecdel", "conn-del"))).status, 204);
});

test("deleting the PE removes its HSM-side connection", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-pedel");
  const a = seedPe(h, { pe: "pe-del-a", hsmId: hsm.id, conn: "c1" });
  seedPe(h, { pe: "pe-del-b", hsmId: hsm.id, conn: "c2" });
  h.store.tx(() => {
    h.store.resources.delete(a.peId);
    disconnectPrivateEndpoint(h.arm, a.peId.toUpperCase());
  });
  const items = (await arm.call("GET", arm.hsmPath("rg-pl", "hsm-pedel"))).body.properties.privateEndpointConnections;
  assert.deepEqual(
    items.map((i: any) => i.id.split("/").pop()),
    ["c2"],
  );
});

test("a connection name already used by another PE gets a deterministic unique name", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-names");
  const first = seedPe(h, { pe: "pe-n1", hsmId: hsm.id, conn: "conn" });
  const second = seedPe(h, { pe: "pe-n2", hsmId: hsm.id, conn: "CONN" });
  await arm.group("rg-net2");
  const third = seedPe(h, { pe: "pe-n2", rg: "rg-net2", hsmId: hsm.id, conn: "conn" });
  assert.equal(first.connectionId.split("/").pop(), "conn");
  assert.equal(second.connectionId.split("/").pop(), "CONN-pe-n2");
  assert.equal(third.connectionId.split("/").pop(), "conn-pe-n2-2");
  const list = (await arm.call("GET", `${arm.hsmPath("rg-pl", "hsm-names")}/privateEndpointConnections`)).body.value;
  assert.deepEqual(
    list.map((i: any) => i.properties.privateEndpoint.id),
    [first.peId, second.peId, third.peId],
  );
  // Approving the renamed connection updates the right PE only.
  await arm.call("PUT", pecPath("hsm-names", "conn-pe-n2-2"), { body: azPut({}, "Rejected") });
  assert.equal(peState(h, third.peId).status, "Rejected");
  assert.equal(peState(h, second.peId).status, "Approved");
  assert.equal(peState(h, first.peId).status, "Approved");
});

test("HSM soft delete disconnects every PE; recover brings no connection back (FC-30)", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-gone");
  const a = seedPe(h, { pe: "pe-gone-a", hsmId: hsm.id, conn: "ca" });
  const b = seedPe(h, { pe: "pe-gone-b", hsmId: hsm.id, conn: "cb", manual: true });
  await arm.poll(await arm.call("DELETE", arm.hsmPath("rg-pl", "hsm-gone")));
  for (const id of [a.peId, b.peId]) {
    const s = peState(h, id);
    assert.equal(s.status, "Disconnected");
    assert.match(s.description, /hsm-gone/);
  }
  const recovered = await arm.createHsm("rg-pl", "hsm-gone", {
    location: "westeurope",
    properties: { tenantId: h.endpoints.tenantId, createMode: "recover" },
  });
  assert.equal("privateEndpointConnections" in recovered.properties, false);
  assert.deepEqual((await arm.call("GET", `${arm.hsmPath("rg-pl", "hsm-gone")}/privateEndpointConnections`)).body, {
    value: [],
  });
  assert.equal(peState(h, a.peId).status, "Disconnected");
  // A new private endpoint is the way back.
  const c = seedPe(h, { pe: "pe-gone-c", hsmId: hsm.id, conn: "ca" });
  assert.equal(c.state.status, "Approved");
  assert.equal(c.connectionId.split("/").pop(), "ca");
});

test("connect refuses: no group id, wrong group id, missing / soft-deleted / non-HSM target — and writes nothing", async () => {
  const hsm = await arm.createHsm("rg-pl", "hsm-refuse");
  const cases: [Partial<Parameters<typeof seedPe>[1]>, string, RegExp][] = [
    [{ groupIds: [] }, "MissingParameterOnPrivateLinkServiceConnection", /is missing required parameter 'group Id'/],
    [{ groupIds: ["vault"] }, "BadRequest", /Invalid group id\(s\) 'vault'/],
    // Network RP wording for more than one group id (field report DFE-Digital/terraform-azurerm-container-apps-hosting#352).
    [
      { groupIds: ["managedhsm", "vault"] },
      "OnlyOneGroupIdPermitted",
      /^Private link service connection .*\/privateEndpoints\/pe-refuse\/privateLinkServiceConnections\/c has the following group Ids: managedhsm, vault\. Only one group Id is permitted when connecting to a first-party resource \(.*\/managedHSMs\/hsm-refuse\)\.$/,
    ],
    [
      { hsmId: arm.hsmPath("rg-pl", "hsm-nonexistent") },
      "InvalidResourceReference",
      /hsm-nonexistent referenced by resource .*pe-refuse was not found/,
    ],
    [
      {
        hsmId: `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/rg-pl/providers/Microsoft.KeyVault/vaults/hsm-refuse`,
      },
      "InvalidResourceReference",
      /was not found/,
    ],
    [{ hsmId: "not-an-id" }, "InvalidResourceReference", /was not found/],
  ];
  for (const [over, code, message] of cases) {
    assert.throws(
      () => seedPe(h, { pe: "pe-refuse", hsmId: hsm.id, conn: "c", ...over }),
      (e: any) => e.name === "AzureError" && e.status === 400 && e.code === code && message.test(e.message),
      JSON.stringify(over),
    );
  }
  assert.equal(h.store.resources.get(peId("pe-refuse")), undefined);
  await arm.poll(await arm.call("DELETE", arm.hsmPath("rg-pl", "hsm-refuse")));
  assert.throws(
    () => seedPe(h, { pe: "pe-refuse", hsmId: hsm.id, conn: "c" }),
    (e: any) => e.code === "InvalidResourceReference",
  );
});

test("limits: private endpoints per HSM and HSMs with private endpoints per subscription → 400 QuotaExceeded", async () => {
  const small = await startTestHsmlink({ maxPrivateEndpointsPerHsm: 2, maxHsmsWithPrivateEndpointsPerSubscription: 1 });
  try {
    const a = new ArmClient(small);
    await a.group("rg-lim");
    const one = await a.createHsm("rg-lim", "hsm-lim-1");
    const two = await a.createHsm("rg-lim", "hsm-lim-2");
    seedPe(small, { pe: "p1", hsmId: one.id, conn: "c1" });
    seedPe(small, { pe: "p2", hsmId: one.id, conn: "c2" });
    assert.throws(
      () => seedPe(small, { pe: "p3", hsmId: one.id, conn: "c3" }),
      (e: any) =>
        e.status === 400 &&
        e.code === "QuotaExceeded" &&
        /limit is 2 private endpoints per managed HSM/.test(e.message),
    );
    assert.throws(
      () => seedPe(small, { pe: "p4", hsmId: two.id, conn: "c4" }),
      (e: any) => e.code === "QuotaExceeded" && /limit is 1 per subscription/.test(e.message),
    );
    const items = (await a.call("GET", `${a.hsmPath("rg-lim", "hsm-lim-1")}/privateEndpointConnections`)).body.value;
    assert.equal(items.length, 2);
    assert.deepEqual((await a.call("GET", `${a.hsmPath("rg-lim", "hsm-lim-2")}/privateEndpointConnections`)).body, {
      value: [],
    });
  } finally {
    await small.dispose();
  }
});

test("resource group delete of the HSM's group leaves a PE elsewhere Disconnected", async () => {
  await arm.group("rg-hsm-only");
  const hsm = await arm.createHsm("rg-hsm-only", "hsm-rgdel");
  const r = seedPe(h, { pe: "pe-rgdel", hsmId: hsm.id, conn: "c" });
  const del = await arm.call("DELETE", `/subscriptions/${h.endpoints.subscriptionId}/resourcegroups/rg-hsm-only`, {
    apiVersion: "2021-04-01",
  });
  assert.equal(del.status, 202);
  assert.equal(peState(h, r.peId).status, "Disconnected");
  assert.equal(
    h.store.resources.list("Microsoft.KeyVault/managedHSMs/privateEndpointConnections", { parentId: hsm.id }).length,
    0,
  );
});
