// Purging a managed HSM through ARM removes what its data plane held: a new HSM of the same name starts empty.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";
import { hsmCall, grant, ROLE, API } from "./support.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

const hsmBody = (tenantId: string, admin: string) => ({
  location: "westeurope",
  sku: { family: "B", name: "Standard_B1" },
  properties: {
    tenantId,
    initialAdminObjectIds: [admin],
    enableSoftDelete: true,
    softDeleteRetentionInDays: 7,
    networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
  },
});

test("delete + purge + create again: no keys and no role assignments survive", async () => {
  const sub = h.endpoints.subscriptionId;
  const me = h.endpoints.principalObjectId;
  assert.equal(
    (
      await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-purge?api-version=2021-04-01`, {
        body: { location: "westeurope" },
      })
    ).status,
    201,
  );
  const hsmPath = `/subscriptions/${sub}/resourceGroups/rg-purge/providers/Microsoft.KeyVault/managedHSMs/purgehsm?api-version=2022-07-01`;
  assert.equal((await armCall(h, "PUT", hsmPath, { body: hsmBody(h.endpoints.tenantId, me) })).status, 202);
  const assignment = await grant(h, "purgehsm", me, ROLE.cryptoUser);
  assert.equal(
    (await hsmCall(h, "purgehsm", "POST", `/keys/k1/create?${API}`, { body: { kty: "oct-HSM" } })).status,
    200,
  );

  assert.equal((await armCall(h, "DELETE", hsmPath)).status, 202);
  const purge = await armCall(
    h,
    "POST",
    `/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedManagedHSMs/purgehsm/purge?api-version=2022-07-01`,
  );
  assert.equal(purge.status, 202);
  assert.equal((await armCall(h, "PUT", hsmPath, { body: hsmBody(h.endpoints.tenantId, me) })).status, 202);

  const ra = await hsmCall(
    h,
    "purgehsm",
    "GET",
    `/providers/Microsoft.Authorization/roleAssignments/${assignment}?${API}`,
  );
  assert.equal(ra.status, 404, "the old role assignment is gone");
  await grant(h, "purgehsm", me, ROLE.cryptoUser);
  await grant(h, "purgehsm", me, ROLE.cryptoOfficer);
  const keys = await hsmCall(h, "purgehsm", "GET", `/keys?${API}`);
  assert.equal(keys.status, 200);
  assert.deepEqual(keys.json.value, []);
  assert.equal((await hsmCall(h, "purgehsm", "GET", `/deletedkeys?${API}`)).json.value.length, 0);
});
