// Managed HSM local RBAC over HTTP: built-in role definitions, role assignments at /, /keys, /keys/{name} (with the
// JS and Python scope spellings), custom roles, filters, and the data-action check every operation makes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { API, grant, hsmCall, hsmToken, ROLE, roleId, seedHsm } from "./support.js";
import type { Principal } from "../../../src/entra/identity.js";

let h: TestHsmlink;
const HSM = "rbac1";
let alice: Principal;
let bob: Principal;
const as = async (p: Principal, method: string, path: string, body?: unknown) =>
  hsmCall(h, HSM, method, `${path}${path.includes("?") ? "&" : "?"}${API}`, {
    token: await hsmToken(h, p),
    ...(body !== undefined ? { body } : {}),
  });
const admin = (method: string, path: string, body?: unknown) =>
  hsmCall(h, HSM, method, `${path}${path.includes("?") ? "&" : "?"}${API}`, body !== undefined ? { body } : {});

before(async () => {
  h = await startTestHsmlink();
  seedHsm(h, HSM);
  alice = h.identity.createServicePrincipal("rbac-alice").principal;
  bob = h.identity.createServicePrincipal("rbac-bob").principal;
});
after(async () => h?.dispose());

test("built-in role definitions have the service's exact shape", async () => {
  const r = await admin("GET", "/providers/Microsoft.Authorization/roleDefinitions");
  assert.equal(r.status, 200);
  const user = r.json.value.find((d: { name: string }) => d.name === ROLE.cryptoUser);
  assert.deepEqual(Object.keys(user).sort(), ["id", "name", "properties", "type"]);
  assert.equal(user.id, roleId(ROLE.cryptoUser));
  assert.equal(user.type, "Microsoft.Authorization/roleDefinitions");
  assert.equal(user.properties.roleName, "Managed HSM Crypto User");
  assert.equal(user.properties.type, "AKVBuiltInRole");
  assert.deepEqual(user.properties.assignableScopes, ["/"]);
  assert.ok(user.properties.permissions[0].dataActions.includes("Microsoft.KeyVault/managedHsm/keys/encrypt/action"));
  assert.deepEqual(user.properties.permissions[0].notDataActions, []);
  const names = r.json.value.map((d: { properties: { roleName: string } }) => d.properties.roleName);
  for (const n of [
    "Managed HSM Administrator",
    "Managed HSM Crypto Officer",
    "Managed HSM Policy Administrator",
    "Managed HSM Crypto Auditor",
    "Managed HSM Crypto Service Encryption User",
    "Managed HSM Backup User",
  ])
    assert.ok(names.includes(n), n);
  // The list as a real managed HSM returns it, in order (azure-sdk-assets python
  // …test_access_control.pyTestAccessControltest_role_assignment[2025-07-01].json).
  assert.deepEqual(names, [
    "Managed HSM EKM Administrator",
    "Managed HSM Restore User",
    "Managed HSM Backup User",
    "Managed HSM Crypto Service Encryption User",
    "Managed HSM Crypto Service Release User",
    "Managed HSM Crypto Auditor",
    "Managed HSM Policy Administrator",
    "Managed HSM Crypto User",
    "Managed HSM Crypto Officer",
    "Managed HSM Administrator",
  ]);
  const filtered = await admin(
    "GET",
    "/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName eq 'Managed HSM Crypto Officer'",
  );
  assert.deepEqual(
    filtered.json.value.map((d: { name: string }) => d.name),
    [ROLE.cryptoOfficer],
  );
  const one = await admin("GET", `//providers/Microsoft.Authorization/roleDefinitions/${ROLE.administrator}`);
  assert.equal(one.json.properties.roleName, "Managed HSM Administrator");
  const adminActions: string[] = one.json.properties.permissions[0].dataActions;
  assert.ok(!adminActions.some((a) => a.includes("/keys/")), "the Administrator has no key permissions");
});

test("a principal without a role gets 403 AccessDenied naming the data action and scope", async () => {
  const r = await as(alice, "GET", "/keys/k1");
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "AccessDenied");
  assert.match(
    r.json.error.message,
    /^Not authorized to access Microsoft\.KeyVault\/managedHsm\/keys\/read\/action on \/keys\/k1/,
  );
  const rng = await as(alice, "POST", "/rng", { count: 4 });
  assert.match(rng.json.error.message, /rng\/action on \/ /);
  const list = await as(alice, "GET", "/providers/Microsoft.Authorization/roleAssignments");
  assert.equal(list.status, 403);
  assert.match(list.json.error.message, /roleAssignments\/read\/action on \//);
});

test("the initial administrator manages RBAC but cannot use keys (Administrator has no key permissions)", async () => {
  const r = await admin("POST", "/keys/adm/create", { kty: "oct-HSM" });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "AccessDenied");
  const list = await admin("GET", "/providers/Microsoft.Authorization/roleAssignments");
  assert.equal(list.status, 200);
  const implicit = list.json.value.find(
    (a: { properties: { principalId: string } }) => a.properties.principalId === h.endpoints.principalObjectId,
  );
  assert.equal(implicit.properties.roleDefinitionId, roleId(ROLE.administrator));
  assert.equal(implicit.properties.scope, "/");
  const del = await admin("DELETE", `/providers/Microsoft.Authorization/roleAssignments/${implicit.name}`);
  assert.equal(del.status, 400);
  assert.match(del.json.error.message, /initialAdminObjectIds/);
});

test("role assignment lifecycle: PUT 201 (JS '///' and Python '/' spellings), GET, list with filters, DELETE 200", async () => {
  const name = randomUUID();
  const put = await admin("PUT", `///providers/Microsoft.Authorization/roleAssignments/${name}`, {
    properties: { roleDefinitionId: roleId(ROLE.cryptoUser), principalId: alice.objectId },
  });
  assert.equal(put.status, 201, put.text);
  assert.deepEqual(put.json, {
    id: `/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: { scope: "/", roleDefinitionId: roleId(ROLE.cryptoUser), principalId: alice.objectId },
  });
  const get = await admin("GET", `/providers/Microsoft.Authorization/roleAssignments/${name}`);
  assert.deepEqual(get.json, put.json);
  const dup = await admin("PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
    properties: { roleDefinitionId: ROLE.cryptoUser, principalId: alice.objectId },
  });
  assert.equal(dup.status, 409);
  assert.equal(dup.json.error.code, "RoleAssignmentExists");
  const byPrincipal = await admin(
    "GET",
    `/providers/Microsoft.Authorization/roleAssignments?$filter=principalId eq '${alice.objectId}'`,
  );
  assert.deepEqual(
    byPrincipal.json.value.map((a: { name: string }) => a.name),
    [name],
  );
  const keyName = randomUUID();
  const keyScoped = await admin("PUT", `/keys/k9/providers/Microsoft.Authorization/roleAssignments/${keyName}`, {
    properties: { roleDefinitionId: roleId(ROLE.cryptoAuditor), principalId: bob.objectId },
  });
  assert.equal(keyScoped.status, 201);
  assert.equal(keyScoped.json.id, `/keys/k9/providers/Microsoft.Authorization/roleAssignments/${keyName}`);
  assert.equal(keyScoped.json.properties.scope, "/keys/k9");
  const atRoot = await admin("GET", "/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()");
  assert.ok(
    !atRoot.json.value.some((a: { name: string }) => a.name === keyName),
    "listing at / shows only top-level assignments",
  );
  const atKey = await admin("GET", "/keys/k9/providers/Microsoft.Authorization/roleAssignments");
  assert.ok(atKey.json.value.some((a: { name: string }) => a.name === keyName));
  assert.ok(
    atKey.json.value.some((a: { name: string }) => a.name === name),
    "ancestors' assignments apply at a key scope",
  );
  const badFilter = await admin("GET", "/providers/Microsoft.Authorization/roleAssignments?$filter=roleName eq 'x'");
  assert.equal(badFilter.status, 400);
  const badScope = await admin("PUT", `/secrets/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
    properties: { roleDefinitionId: roleId(ROLE.cryptoUser), principalId: bob.objectId },
  });
  assert.equal(badScope.status, 400);
  const badRole = await admin("PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
    properties: { roleDefinitionId: roleId(randomUUID()), principalId: bob.objectId },
  });
  assert.equal(badRole.status, 400);
  const del = await admin("DELETE", `/providers/Microsoft.Authorization/roleAssignments/${name}`);
  assert.equal(del.status, 200);
  assert.equal(del.json.name, name);
  assert.equal((await admin("GET", `/providers/Microsoft.Authorization/roleAssignments/${name}`)).status, 404);
  assert.equal((await admin("DELETE", `/providers/Microsoft.Authorization/roleAssignments/${name}`)).status, 404);
  await admin("DELETE", `/providers/Microsoft.Authorization/roleAssignments/${keyName}`);
});

test("Crypto User uses keys but cannot purge or recover; Crypto Officer can; key-scoped roles stay on their key", async () => {
  const carol = h.identity.createServicePrincipal("rbac-carol").principal;
  await grant(h, HSM, carol.objectId, ROLE.cryptoUser);
  assert.equal((await as(carol, "POST", "/keys/ck/create", { kty: "oct-HSM" })).status, 200);
  assert.equal((await as(carol, "POST", "/keys/ck/encrypt", { alg: "A256GCM", value: "AAAA" })).status, 200);
  assert.equal((await as(carol, "DELETE", "/keys/ck")).status, 200);
  for (const [m, p] of [
    ["GET", "/deletedkeys/ck"],
    ["POST", "/deletedkeys/ck/recover"],
    ["DELETE", "/deletedkeys/ck"],
  ] as const) {
    const r = await as(carol, m, p);
    assert.equal(r.status, 403, `${m} ${p}`);
    assert.equal(r.json.error.code, "AccessDenied");
  }
  assert.equal(
    (
      await as(carol, "PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
        properties: { roleDefinitionId: roleId(ROLE.cryptoUser), principalId: bob.objectId },
      })
    ).status,
    403,
  );
  await grant(h, HSM, carol.objectId, ROLE.cryptoOfficer);
  assert.equal((await as(carol, "DELETE", "/deletedkeys/ck")).status, 204);

  const dave = h.identity.createServicePrincipal("rbac-dave").principal;
  await grant(h, HSM, dave.objectId, ROLE.cryptoUser, "/keys/dk");
  assert.equal((await as(dave, "POST", "/keys/dk/create", { kty: "oct-HSM" })).status, 200);
  assert.equal((await as(dave, "POST", "/keys/other/create", { kty: "oct-HSM" })).status, 403);
  assert.equal((await as(dave, "GET", "/keys")).status, 403, "listing needs /keys scope");
});

test("custom role definitions: PUT 201, built-in names/GUIDs refused with the service's message, notDataActions subtract", async () => {
  const guid = randomUUID();
  const body = {
    properties: {
      roleName: "Key Reader No Sign",
      description: "reads",
      type: "CustomRole",
      assignableScopes: ["/"],
      permissions: [
        {
          dataActions: ["Microsoft.KeyVault/managedHsm/keys/*"],
          notDataActions: ["Microsoft.KeyVault/managedHsm/keys/sign/action"],
        },
      ],
    },
  };
  const put = await admin("PUT", `/providers/Microsoft.Authorization/roleDefinitions/${guid}`, body);
  assert.equal(put.status, 201, put.text);
  assert.equal(put.json.id, roleId(guid));
  assert.equal(put.json.properties.type, "CustomRole");
  for (const [g, name] of [
    [ROLE.cryptoUser, "Anything"],
    [randomUUID(), "Managed HSM Crypto User"],
  ]) {
    const r = await admin("PUT", `/providers/Microsoft.Authorization/roleDefinitions/${g}`, {
      properties: { ...body.properties, roleName: name },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, "BadParameter");
    assert.match(
      r.json.error.message,
      /^Cannot re-use the name\/GUID matching that of a built-in role\. Please use a unique role ID\. \(Activity ID: /,
    );
  }
  const badAction = await admin("PUT", `/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`, {
    properties: { roleName: "x", permissions: [{ dataActions: ["Microsoft.Storage/*"] }] },
  });
  assert.equal(badAction.status, 400);
  const erin = h.identity.createServicePrincipal("rbac-erin").principal;
  await admin("PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
    properties: { roleDefinitionId: roleId(guid), principalId: erin.objectId },
  });
  await grant(h, HSM, h.endpoints.principalObjectId, ROLE.cryptoUser);
  const k = (await admin("POST", "/keys/cust/create", { kty: "EC-HSM" })).json;
  assert.ok(k.key.kid);
  assert.equal((await as(erin, "GET", "/keys/cust")).status, 200);
  const sign = await as(erin, "POST", "/keys/cust/sign", {
    alg: "ES256",
    value: Buffer.alloc(32).toString("base64url"),
  });
  assert.equal(sign.status, 403);
  assert.match(sign.json.error.message, /keys\/sign\/action/);
  const inUse = await admin("DELETE", `/providers/Microsoft.Authorization/roleDefinitions/${guid}`);
  assert.equal(inUse.status, 409);
  const builtIn = await admin("DELETE", `/providers/Microsoft.Authorization/roleDefinitions/${ROLE.cryptoUser}`);
  assert.equal(builtIn.status, 400);
  // keyvault-admin recording …deleteroledefinition/recording_errors_when_deleting_a_builtin_role_definition.json
  assert.match(
    builtIn.json.error.message,
    /^Cannot re-use the name\/GUID matching that of a built-in role\. Please use a unique role ID\. \(Activity ID: /,
  );
  // Recorded 404s (azure-sdk-assets …/AccessControlClientLiveTests/DeleteNonexistentRoleAssignment.json,
  // DeleteNonexistentRoleDefinition.json, AccessControlSampleSnippets/RoleAssignmentNotFound.json): the same body for
  // GET and DELETE, and for a name that is not a GUID; no network-info header on a 404.
  for (const [method, path, code, what] of [
    ["GET", `roleAssignments/${randomUUID()}`, "RoleAssignmentNotFound", "assignment"],
    ["DELETE", `roleAssignments/${randomUUID()}`, "RoleAssignmentNotFound", "assignment"],
    ["GET", "roleAssignments/example-name", "RoleAssignmentNotFound", "assignment"],
    ["GET", `roleDefinitions/${randomUUID()}`, "RoleDefinitionNotFound", "definition"],
    ["DELETE", `roleDefinitions/${randomUUID()}`, "RoleDefinitionNotFound", "definition"],
  ] as const) {
    const r = await admin(method, `/providers/Microsoft.Authorization/${path}`);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.equal(r.json.error.code, code);
    assert.match(r.json.error.message, new RegExp(`^Requested role ${what} not found \\(Activity ID: [0-9a-f-]+\\)$`));
  }
  const nonGuid = await admin("PUT", "/providers/Microsoft.Authorization/roleDefinitions/foo%20unique%20value", body);
  assert.equal(nonGuid.status, 400);
  assert.equal(nonGuid.json.error.code, "BadParameter");
  // keyvault-admin recording …setroledefinition/recording_errors_when_name_is_not_a_valid_guid.json
  assert.match(nonGuid.json.error.message, /^Role definition name must be a GUID \(Activity ID: /);
});
