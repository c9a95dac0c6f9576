// ARM role assignments and their enforcement at the protocol level: the action each request needs, inheritance down
// the scope, AuthorizationFailed's wording, several subscriptions, and bad input that changes nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";
import { armActionOf, UNCHECKED } from "../../../src/pipeline/arm-authorization.js";
import { CONTRIBUTOR, NETWORK_CONTRIBUTOR, OWNER, READER } from "../../../src/kernel/azure-roles.js";
import { runHsmlinkCli } from "../../support/hsmlink-cli.js";
import { adminRequest, AdminError } from "../../../src/client/admin-client.js";
import { createSubscription } from "../../../src/arm/subscriptions.js";

let h: TestHsmlink;
let sub: string;
const RA = "api-version=2022-04-01";

async function tokenOf(objectId: string): Promise<string> {
  return (await h.identity.issue(h.identity.byObjectId(objectId)!, "https://management.azure.com/")).token;
}

async function assign(scope: string, roleGuid: string, principalId: string, name = randomUUID()) {
  return armCall(h, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${RA}`, {
    body: {
      properties: {
        roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
        principalId,
        principalType: "ServicePrincipal",
      },
    },
  });
}

before(async () => {
  h = await startTestHsmlink();
  sub = h.endpoints.subscriptionId;
  assert.equal(
    (
      await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`, {
        body: { location: "westeurope" },
      })
    ).status,
    201,
  );
  assert.equal(
    (
      await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg2?api-version=2021-04-01`, {
        body: { location: "westeurope" },
      })
    ).status,
    201,
  );
});
after(async () => h?.dispose());

test("actions derive from method and resource type", () => {
  assert.equal(
    armActionOf("PUT", `/subscriptions/${sub}/resourcegroups/rg1`),
    "Microsoft.Resources/subscriptions/resourceGroups/write",
  );
  assert.equal(
    armActionOf("GET", `/subscriptions/${sub}/resourcegroups`),
    "Microsoft.Resources/subscriptions/resourceGroups/read",
  );
  assert.equal(
    armActionOf(
      "PUT",
      `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s`,
    ),
    "Microsoft.Network/virtualNetworks/subnets/write",
  );
  assert.equal(
    armActionOf("DELETE", `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.KeyVault/managedHSMs/h`),
    "Microsoft.KeyVault/managedHSMs/delete",
  );
  assert.equal(
    armActionOf("GET", `/subscriptions/${sub}/providers/Microsoft.KeyVault/managedHSMs`),
    "Microsoft.KeyVault/managedHSMs/read",
  );
  assert.equal(
    armActionOf("POST", `/subscriptions/${sub}/providers/Microsoft.KeyVault/register`),
    "Microsoft.KeyVault/register/action",
  );
  assert.equal(
    armActionOf("POST", `/subscriptions/${sub}/providers/Microsoft.KeyVault/checkMhsmNameAvailability`),
    "Microsoft.KeyVault/checkMhsmNameAvailability/action",
  );
  assert.equal(
    armActionOf(
      "PUT",
      `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.KeyVault/managedHSMs/h/providers/Microsoft.Authorization/roleAssignments/x`,
    ),
    "Microsoft.Authorization/roleAssignments/write",
  );
  assert.equal(
    armActionOf("GET", `/subscriptions/${sub}/providers/Microsoft.Network/locations/westeurope/operations/abc`),
    UNCHECKED,
  );
  assert.equal(armActionOf("GET", "/subscriptions"), UNCHECKED);
});

test("a new service principal has no rights: AuthorizationFailed with Azure's wording; it sees no subscription", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-none");
  const token = await tokenOf(principal.objectId);
  const r = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rgx?api-version=2021-04-01`, {
    token,
    body: { location: "westeurope" },
  });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "AuthorizationFailed");
  assert.equal(
    r.json.error.message,
    `The client '${principal.objectId}' with object id '${principal.objectId}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/write' over scope '/subscriptions/${sub}/resourcegroups/rgx' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
  assert.equal(
    (await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rgx?api-version=2021-04-01`)).status,
    404,
    "nothing was created",
  );
  // The refusal is the decision pipeline's rbac step, in the request's trace (hsmlink log).
  const trace = h.traces.recent(0, 500).find((t) => t.method === "PUT" && t.url.endsWith(`/resourcegroups/rgx`));
  assert.ok(trace, "the ARM request is traced");
  assert.deepEqual(
    trace.steps.map((s) => `${s.step}:${s.rule}`),
    ["authentication:bearer-token", "rbac:no-role-assignment", "outcome:refused"],
  );
  assert.match(trace.steps[1].detail, /holds no role at this scope or above \(AuthorizationFailed\)/);
  assert.equal(trace.outcome?.code, "AuthorizationFailed");
  const list = await armCall(h, "GET", "/subscriptions?api-version=2022-12-01", { token });
  assert.deepEqual(list.json.value, []);
});

test("Contributor on a resource group: writes there, not elsewhere, and cannot assign roles", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-rg-contrib");
  const created = await assign(`/subscriptions/${sub}/resourceGroups/rg1`, CONTRIBUTOR, principal.objectId);
  assert.equal(created.status, 201);
  assert.equal(created.json.properties.scope, `/subscriptions/${sub}/resourceGroups/rg1`);
  assert.equal(created.json.properties.principalType, "ServicePrincipal");
  assert.equal(created.json.type, "Microsoft.Authorization/roleAssignments");
  const token = await tokenOf(principal.objectId);
  const vnet = { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["10.1.0.0/16"] } } };
  const ok = await armCall(
    h,
    "PUT",
    `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1?api-version=2023-09-01`,
    { token, body: vnet },
  );
  assert.equal(ok.status, 201);
  const granted = h.traces
    .recent(0, 500)
    .find((t) => t.method === "PUT" && t.url.endsWith("/virtualNetworks/v1?api-version=2023-09-01".split("?")[0]));
  assert.equal(granted?.steps.find((s) => s.step === "rbac")?.rule, "granted");
  assert.match(
    granted!.steps.find((s) => s.step === "rbac")!.detail,
    /granted to .* by Contributor at \/subscriptions\/.*\/resourceGroups\/rg1/,
  );
  const no = await armCall(
    h,
    "PUT",
    `/subscriptions/${sub}/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v2?api-version=2023-09-01`,
    { token, body: vnet },
  );
  assert.equal(no.status, 403);
  assert.match(
    no.json.error.message,
    /'Microsoft\.Network\/virtualNetworks\/write' over scope '\/subscriptions\/.*\/resourceGroups\/rg2\/providers\/Microsoft\.Network\/virtualNetworks\/v2'/,
  );
  // It sees the subscription (a role inside it) but cannot read the subscription-wide resource group list.
  const subs = await armCall(h, "GET", "/subscriptions?api-version=2022-12-01", { token });
  assert.deepEqual(
    subs.json.value.map((s: { subscriptionId: string }) => s.subscriptionId),
    [sub],
  );
  assert.equal(
    (await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`, { token })).status,
    403,
  );
  // Contributor's notActions exclude Microsoft.Authorization/*/Write.
  const grant = await armCall(
    h,
    "PUT",
    `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?${RA}`,
    {
      token,
      body: {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${OWNER}`,
          principalId: principal.objectId,
        },
      },
    },
  );
  assert.equal(grant.status, 403);
  assert.match(grant.json.error.message, /Microsoft\.Authorization\/roleAssignments\/write/);
});

test("inheritance: Reader on the subscription reads a resource group and its resources, writes nothing", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-reader");
  assert.equal((await assign(`/subscriptions/${sub}`, READER, principal.objectId)).status, 201);
  const token = await tokenOf(principal.objectId);
  assert.equal(
    (await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`, { token })).status,
    200,
  );
  assert.equal(
    (
      await armCall(
        h,
        "GET",
        `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks?api-version=2023-09-01`,
        { token },
      )
    ).status,
    200,
  );
  assert.equal(
    (await armCall(h, "DELETE", `/subscriptions/${sub}/resourcegroups/rg2?api-version=2021-04-01`, { token })).status,
    403,
  );
  // Authorization comes first: a missing group reads as AuthorizationFailed for a caller that may not write there.
  const missing = await armCall(
    h,
    "PUT",
    `/subscriptions/${sub}/resourceGroups/nope/providers/Microsoft.Network/virtualNetworks/v?api-version=2023-09-01`,
    { token, body: {} },
  );
  assert.equal(missing.status, 403);
});

test("Network Contributor on one VNet covers its subnets only", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-netc");
  const vnetId = `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1`;
  assert.equal((await assign(vnetId, NETWORK_CONTRIBUTOR, principal.objectId)).status, 201);
  const token = await tokenOf(principal.objectId);
  const s = await armCall(h, "PUT", `${vnetId}/subnets/s1?api-version=2023-09-01`, {
    token,
    body: { properties: { addressPrefix: "10.1.1.0/24" } },
  });
  assert.ok(s.status === 200 || s.status === 201, `subnet PUT: ${s.status} ${s.text}`);
  assert.equal(
    (await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`, { token })).status,
    403,
  );
});

test("bad input: Azure's errors and nothing written", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-bad");
  const scope = `/subscriptions/${sub}/resourceGroups/rg1`;
  const put = (name: string, properties: unknown, s = scope) =>
    armCall(h, "PUT", `${s}/providers/Microsoft.Authorization/roleAssignments/${name}?${RA}`, { body: { properties } });
  const roleId = (g: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${g}`;
  const count = async () =>
    (await armCall(h, "GET", `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?${RA}`)).json
      .value.length;
  const before = await count();

  let r = await put(randomUUID(), { roleDefinitionId: roleId(randomUUID()), principalId: principal.objectId });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, "RoleDefinitionDoesNotExist");
  r = await put(randomUUID(), { roleDefinitionId: "Contributor", principalId: principal.objectId });
  assert.equal(r.json.error.code, "InvalidRoleDefinitionId");
  r = await put(randomUUID(), { roleDefinitionId: roleId(READER), principalId: "not-a-guid" });
  assert.equal(r.json.error.code, "InvalidPrincipalId");
  r = await put(randomUUID(), { roleDefinitionId: roleId(READER), principalId: randomUUID() });
  assert.equal(r.json.error.code, "PrincipalNotFound");
  assert.match(r.json.error.message, /does not emulate Microsoft Graph/);
  r = await put("not-a-guid", { roleDefinitionId: roleId(READER), principalId: principal.objectId });
  assert.equal(r.json.error.code, "InvalidRoleAssignmentId");
  r = await put(
    randomUUID(),
    { roleDefinitionId: roleId(READER), principalId: principal.objectId },
    `/subscriptions/${sub}/resourceGroups/nope`,
  );
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "ResourceGroupNotFound");
  r = await put(
    randomUUID(),
    { roleDefinitionId: roleId(READER), principalId: principal.objectId },
    `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.KeyVault/managedHSMs/nohsm`,
  );
  assert.equal(r.status, 404);
  r = await put(
    randomUUID(),
    { roleDefinitionId: roleId(READER), principalId: principal.objectId },
    `/subscriptions/${randomUUID()}`,
  );
  assert.equal(r.json.error.code, "SubscriptionNotFound");
  assert.equal(await count(), before, "nothing written");

  const name = randomUUID();
  assert.equal((await put(name, { roleDefinitionId: roleId(READER), principalId: principal.objectId })).status, 201);
  r = await put(randomUUID(), { roleDefinitionId: roleId(READER), principalId: principal.objectId });
  assert.equal(r.status, 409);
  assert.equal(r.json.error.code, "RoleAssignmentExists");
  assert.equal(r.json.error.message, "The role assignment already exists.");
  r = await put(name, { roleDefinitionId: roleId(CONTRIBUTOR), principalId: principal.objectId });
  assert.equal(r.json.error.code, "RoleAssignmentUpdateNotPermitted");
  assert.equal(await count(), before + 1);

  const del = await armCall(h, "DELETE", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${RA}`);
  assert.equal(del.status, 200);
  assert.equal(del.json.name, name);
  assert.equal(
    (await armCall(h, "DELETE", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${RA}`)).status,
    204,
  );
  assert.equal(
    (await armCall(h, "GET", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${RA}`)).status,
    404,
  );
});

test("list filters: atScope() and principalId; role definitions by roleName", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-list");
  await assign(`/subscriptions/${sub}/resourceGroups/rg2`, READER, principal.objectId);
  const atRg = await armCall(
    h,
    "GET",
    `/subscriptions/${sub}/resourceGroups/rg2/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&${RA}`,
  );
  const scopes = atRg.json.value.map((a: { properties: { scope: string } }) => a.properties.scope);
  assert.ok(scopes.includes(`/subscriptions/${sub}`), "inherited from the subscription");
  assert.ok(scopes.includes(`/subscriptions/${sub}/resourceGroups/rg2`));
  assert.ok(!scopes.some((s: string) => s.toLowerCase().includes("/resourcegroups/rg1")));
  const mine = await armCall(
    h,
    "GET",
    `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${principal.objectId}'`)}&${RA}`,
  );
  assert.equal(mine.json.value.length, 1);
  const defs = await armCall(
    h,
    "GET",
    `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions?$filter=${encodeURIComponent("roleName eq 'Network Contributor'")}&${RA}`,
  );
  assert.equal(defs.json.value.length, 1);
  assert.equal(defs.json.value[0].name, NETWORK_CONTRIBUTOR);
  assert.deepEqual(defs.json.value[0].properties.permissions[0].actions.includes("Microsoft.Network/*"), true);
});

test("several subscriptions: resources and names are per subscription; the default identity owns each new one", async () => {
  const b = createSubscription(h.store, {
    displayName: "app team",
    ownerObjectId: h.endpoints.principalObjectId,
    now: Date.now(),
  });
  const rgB = `/subscriptions/${b.subscriptionId}/resourcegroups/rg1`;
  assert.equal(
    (await armCall(h, "PUT", `${rgB}?api-version=2021-04-01`, { body: { location: "northeurope" } })).status,
    201,
    "same name, other subscription",
  );
  const listB = await armCall(h, "GET", `/subscriptions/${b.subscriptionId}/resourcegroups?api-version=2021-04-01`);
  assert.deepEqual(
    listB.json.value.map((g: { id: string }) => g.id),
    [`/subscriptions/${b.subscriptionId}/resourceGroups/rg1`],
  );
  const listA = await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups?api-version=2021-04-01`);
  assert.equal(listA.json.value.find((g: { name: string }) => g.name === "rg1").location, "westeurope");
  const subs = await armCall(h, "GET", "/subscriptions?api-version=2022-12-01");
  assert.deepEqual(subs.json.value.map((s: { displayName: string }) => s.displayName).sort(), [
    "app team",
    "hsmlink emulated subscription",
  ]);
  assert.equal(
    (await armCall(h, "GET", `/subscriptions/${randomUUID()}/resourcegroups?api-version=2021-04-01`)).json.error.code,
    "SubscriptionNotFound",
  );
});

test("hsmlink explain covers ARM: the rbac step for a principal, without sending the request", async () => {
  const { principal } = h.identity.createServicePrincipal("ra-explain");
  await assign(`/subscriptions/${sub}/resourceGroups/rg1`, CONTRIBUTOR, principal.objectId);
  const env = { ...process.env, HSMLINK_HOME: h.config.dataDir };
  const url = (rg: string) =>
    `https://management.azure.com/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/vx?api-version=2023-09-01`;
  const refused = await runHsmlinkCli(
    ["explain", "--principal", principal.objectId, "-o", "json", "PUT", url("rg2")],
    env,
  );
  assert.equal(refused.code, 1, refused.stderr);
  const r = JSON.parse(refused.stdout);
  assert.equal(r.outcome.code, "AuthorizationFailed");
  assert.deepEqual(
    r.steps.filter((s: { step: string }) => s.step === "rbac").map((s: { rule: string }) => s.rule),
    ["no-role-assignment"],
  );
  const allowed = await runHsmlinkCli(["explain", "--principal", principal.objectId, "PUT", url("rg1")], env);
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stdout, /Azure RBAC allows/);
  assert.match(
    allowed.stdout,
    /rbac\s+granted\s+Microsoft\.Network\/virtualNetworks\/write over .* by Contributor at \/subscriptions\/.*\/resourceGroups\/rg1/,
  );
  assert.equal(
    (
      await armCall(
        h,
        "GET",
        `/subscriptions/${sub}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vx?api-version=2023-09-01`,
      )
    ).status,
    404,
    "explain sent nothing",
  );
  const asDefault = await runHsmlinkCli(
    [
      "explain",
      "-o",
      "json",
      "DELETE",
      `https://management.azure.com/subscriptions/${sub}/resourcegroups/rg2?api-version=2021-04-01`,
    ],
    env,
  );
  assert.equal(asDefault.code, 0, "the default identity is Owner");
});

test("admin API: subscriptions create and list; bad names and ids 400, taken ones 409, nothing half-written", async () => {
  const made = await adminRequest<{ subscriptionId: string; displayName: string; owner: string }>(
    h.endpoints,
    "POST",
    "/_hsmlink/subscriptions",
    { name: "admin made", subscriptionId: "11111111-2222-4333-8444-555555555555" },
  );
  assert.equal(made.subscriptionId, "11111111-2222-4333-8444-555555555555");
  assert.equal(made.owner, h.endpoints.principalObjectId);
  const status = async (body: unknown) => {
    try {
      await adminRequest(h.endpoints, "POST", "/_hsmlink/subscriptions", body);
      return 201;
    } catch (e) {
      return e instanceof AdminError ? e.status : String(e);
    }
  };
  assert.equal(await status({ name: "x", subscriptionId: "not-a-guid" }), 400);
  assert.equal(await status({ name: "" }), 400);
  assert.equal(await status({ name: "admin made" }), 409);
  assert.equal(await status({ name: "other name", subscriptionId: made.subscriptionId }), 409);
  const list = await adminRequest<{ value: { subscriptionId: string; isDefault: boolean }[] }>(
    h.endpoints,
    "GET",
    "/_hsmlink/subscriptions",
  );
  assert.equal(list.value.filter((s) => s.isDefault).length, 1);
  assert.equal(list.value.filter((s) => s.subscriptionId === made.subscriptionId).length, 1);
  const owners = await armCall(
    h,
    "GET",
    `/subscriptions/${made.subscriptionId}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version=2022-04-01`,
  );
  assert.deepEqual(
    owners.json.value.map((a: { properties: { principalId: string; roleDefinitionId: string } }) => [
      a.properties.principalId,
      a.properties.roleDefinitionId.split("/").pop(),
    ]),
    [[h.endpoints.principalObjectId, OWNER]],
  );
});
