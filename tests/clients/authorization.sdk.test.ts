// ARM authorization with the SDKs: @azure/arm-resources with a service principal (ClientSecretCredential) gets ARM's
// 403 AuthorizationFailed until a role is assigned, and only where it is assigned; Debian's Python
// azure-mgmt-authorization assigns, lists and deletes role assignments (subscription ids of a second subscription too).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { needs } from "../support/clients.js";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient, runClientProcess } from "../support/node-client.js";
import { armCall } from "../support/arm-client.js";
import { createSubscription } from "../../src/arm/subscriptions.js";
import { CONTRIBUTOR } from "../../src/kernel/azure-roles.js";

const NODE_SCRIPT = fileURLToPath(new URL("./sdk/arm-authorization.ts", import.meta.url));
const PY_SCRIPT = fileURLToPath(new URL("./python/arm_authorization.py", import.meta.url));

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

test("ResourceManagementClient with a service principal: AuthorizationFailed without a role; Contributor on the subscription lets it write there only", async () => {
  const { principal, password } = h.identity.createServicePrincipal("sdk-rbac");
  const sub = h.endpoints.subscriptionId;
  const run = (s: string, ...groups: string[]) =>
    runNodeClient(NODE_SCRIPT, h.clientEnv(), [s, h.endpoints.tenantId, principal.appId, password, ...groups]);
  let r = await run(sub, "rg-sdk-denied");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json["rg-sdk-denied"].ok, false);
  assert.equal(r.json["rg-sdk-denied"].status, 403);
  assert.equal(r.json["rg-sdk-denied"].code, "AuthorizationFailed");
  assert.match(
    r.json["rg-sdk-denied"].message,
    new RegExp(
      `^The client '${principal.objectId}' with object id '${principal.objectId}' does not have authorization to perform action 'Microsoft\\.Resources/subscriptions/resourceGroups/write'`,
    ),
  );

  const other = createSubscription(h.store, {
    displayName: "other",
    ownerObjectId: h.endpoints.principalObjectId,
    now: Date.now(),
  });
  const put = await armCall(
    h,
    "PUT",
    `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`,
    {
      body: {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
          principalId: principal.objectId,
          principalType: "ServicePrincipal",
        },
      },
    },
  );
  assert.equal(put.status, 201, put.text);
  r = await run(sub, "rg-sdk-allowed");
  assert.deepEqual(r.json["rg-sdk-allowed"], { ok: true, id: `/subscriptions/${sub}/resourceGroups/rg-sdk-allowed` });
  r = await run(other.subscriptionId, "rg-sdk-other");
  assert.equal(
    r.json["rg-sdk-other"].code,
    "AuthorizationFailed",
    "Contributor on one subscription gives nothing in another",
  );
});

test(
  "Python azure-mgmt-authorization: role definition by name, create, duplicate refused, list atScope(), delete — in a second subscription",
  needs("python3-azure"),
  async () => {
    const { principal } = h.identity.createServicePrincipal("py-rbac");
    const b = createSubscription(h.store, {
      displayName: "python team",
      ownerObjectId: h.endpoints.principalObjectId,
      now: Date.now(),
    });
    assert.equal(
      (
        await armCall(h, "PUT", `/subscriptions/${b.subscriptionId}/resourcegroups/rg-py?api-version=2021-04-01`, {
          body: { location: "westeurope" },
        })
      ).status,
      201,
    );
    const scope = `/subscriptions/${b.subscriptionId}/resourceGroups/rg-py`;
    const r = await runClientProcess(
      "/usr/bin/python3",
      [PY_SCRIPT, b.subscriptionId, scope, principal.objectId, "Network Contributor"],
      h.clientEnv(),
      120_000,
    );
    assert.ok(r.json, `exit ${r.code}: ${r.stderr.slice(-2000)}`);
    assert.equal(r.json.definition.name, "Network Contributor");
    assert.ok(r.json.definition.actions.includes("Microsoft.Network/*"));
    assert.equal(r.json.created.scope, scope);
    assert.equal(r.json.created.principal, principal.objectId);
    assert.deepEqual(r.json.duplicate, {
      status: 409,
      code: "RoleAssignmentExists",
      message: "The role assignment already exists.",
    });
    assert.equal(r.json.listed.length, 1);
    assert.deepEqual(r.json.afterDelete, []);
  },
);
