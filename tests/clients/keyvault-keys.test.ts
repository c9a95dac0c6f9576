// The unmodified @azure/keyvault-keys 4.10.2 KeyClient + CryptographyClient against hsmlink's managed HSM data plane,
// as a user runs them: `https://{name}.managedhsm.azure.net`, default client options, the environment of `hsmlink env`
// (proxy + CA), ManagedIdentityCredential / ClientSecretCredential. Covers the behaviours of the SDK's own
// keyClient.hsm.spec.ts and crypto.hsm.spec.ts, CRUD/list/delete/recover/purge/backup/restore/rotate, and local RBAC.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { grant, ROLE, seedHsm } from "../http/hsm/support.js";

const SCRIPT = fileURLToPath(new URL("./sdk/keyvault-keys-hsm.ts", import.meta.url));
let h: TestHsmlink;

before(async () => {
  h = await startTestHsmlink();
  for (const name of ["sdkspec", "sdkcrud", "sdksp"]) {
    seedHsm(h, name, { retentionDays: 7 });
    if (name !== "sdksp") {
      await grant(h, name, h.endpoints.principalObjectId, ROLE.cryptoUser);
      await grant(h, name, h.endpoints.principalObjectId, ROLE.cryptoOfficer);
    }
  }
});
after(async () => h?.dispose());

async function run(scenario: string, hsm: string, args: string[] = []) {
  const r = await runNodeClient(SCRIPT, h.clientEnv(), [scenario, hsm, ...args]);
  assert.ok(r.json, `no JSON from the client (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  assert.equal(r.json.ok, true, JSON.stringify(r.json).slice(0, 3000));
  return r.json;
}

test("keyClient.hsm.spec behaviours: oct-HSM, getRandomBytes range, releaseKey with the exportable rules, policy update, immutability, AES-GCM/CBCPAD", async () => {
  const j = await run("hsm-spec", "sdkspec");
  assert.equal(j.oct.keyType, "oct-HSM");
  assert.equal(j.oct.name, "hsm-oct");
  assert.match(j.oct.kid, /^https:\/\/sdkspec\.managedhsm\.azure\.net\/keys\/hsm-oct\/[0-9a-f]{32}$/);
  assert.equal(j.random10, 10);
  for (const e of j.randomRejected) {
    assert.equal(e.statusCode, 400);
    assert.equal(e.code, "BadParameter");
    assert.match(e.message, /^GetRandomBytesRequest: count cannot be greater than 128 or less than 1/);
  }
  assert.match(j.exportableNoPolicy.message, /exportable/i);
  assert.equal(j.exportableNoPolicy.statusCode, 400);
  assert.match(j.policyNotExportable.message, /exportable/i);
  assert.equal(j.exportable.exportable, true);
  assert.equal(j.exportable.policy.version, "1.0.0");
  assert.deepEqual(j.release, { value: true, byVersion: true });
  assert.equal(j.releaseDenied.statusCode, 403);
  assert.equal(j.releasedMatches, true);
  assert.equal(j.policyUpdated.anyOf[0].anyOf[0].equals, "false");
  assert.match(j.immutableUpdate.message, /Immutable Key Release/);
  assert.equal(j.aesKeyType, "oct-HSM");
  assert.deepEqual(j.aes, { gcm: true, gcmIv: 12, gcmTag: 16, gcmKid: true, cbcpad: true });
  assert.deepEqual(j.attestation, { hasPrivate: true, hasPublic: true });
  assert.equal(j.getKeyNoAttestation, true);
});

test("CRUD, paging, versions, soft delete/recover, purge, backup/restore, rotation policy and rotate", async () => {
  const j = await run("crud", "sdkcrud");
  assert.equal(j.created.keyType, "RSA-HSM");
  assert.equal(j.created.vaultUrl, "https://sdkcrud.managedhsm.azure.net");
  assert.match(j.created.version, /^[0-9a-f]{32}$/);
  assert.equal(j.created.recoveryLevel, "CustomizedRecoverable+Purgeable");
  assert.equal(j.created.recoverableDays, 7);
  assert.deepEqual(j.created.tags, { team: "a" });
  assert.equal(j.getLatest, true);
  assert.deepEqual(j.v2, { keyType: "EC-HSM", newVersion: true });
  assert.equal(j.getByVersion, "RSA-HSM");
  assert.deepEqual(j.updated, { enabled: false, tags: { team: "b" } });
  assert.deepEqual(j.list.names, ["crud-1", "crud-list-0", "crud-list-1", "crud-list-2", "crud-list-3", "crud-list-4"]);
  assert.equal(j.list.pages, 3);
  assert.equal(j.versions.length, 2);
  assert.deepEqual(j.neverExistedVersions, { threw: false, versions: [] });
  assert.deepEqual(j.missing, { code: "KeyNotFound", statusCode: 404, message: j.missing.message });
  // ManagedHsmLiveTests/GetKeyNonExisting.json: "Key not found: https://{hsm}.managedhsm.azure.net/keys/{name} (Activity ID: …)".
  assert.match(
    j.missing.message,
    /^Key not found: https:\/\/sdkcrud\.managedhsm\.azure\.net\/keys\/no-such-key \(Activity ID: [0-9a-f-]+\)$/,
  );
  assert.match(j.afterPurge.message, /^Key not found: https:\/\/sdkcrud\.managedhsm\.azure\.net\/deletedkeys\/crud-1 /);
  assert.equal(j.deleted.recoveryId, "https://sdkcrud.managedhsm.azure.net/deletedkeys/crud-1");
  assert.equal(j.deleted.hasDeletedOn, true);
  assert.equal(j.deleted.days, 7);
  assert.equal(j.deletedGet, "crud-1");
  assert.deepEqual(j.deletedList, ["crud-1"]);
  assert.equal(j.createOverDeleted.statusCode, 409);
  assert.equal(j.createOverDeleted.code, "Conflict");
  assert.match(j.createOverDeleted.message, /^Key crud-1 is currently in a deleted but recoverable state/);
  assert.equal(j.deleteTwice.code, "KeyNotFound");
  assert.equal(j.deleteTwice.statusCode, 404);
  assert.equal(j.recovered, true);
  assert.ok(j.backupBytes > 100);
  assert.equal(j.afterPurge.statusCode, 404);
  assert.deepEqual(j.restored, { kid: true, versions: 2 });
  assert.equal(j.restoreConflict.statusCode, 409);
  assert.equal(j.rotationPolicy.same, true);
  assert.equal(j.rotationPolicy.expiresIn, "P90D");
  // hsmlink answers the lower-case action type a real managed HSM sends (azure-sdk-assets python
  // …test_key_rotation_policy[7.5_mhsm].json); the SDK normalizes it (transformations getNormalizedActionType)
  // and passes the relative policy id through.
  assert.deepEqual(j.rotationPolicy.actions, [{ action: "Rotate", timeBeforeExpiry: "P30D" }]);
  assert.equal(j.rotationPolicy.id, "keys/crud-rot/rotationpolicy");
  assert.equal(j.badPolicy.statusCode, 400);
  assert.deepEqual(j.rotated, { newVersion: true, newN: true, expires: true });
  assert.equal(j.policyOfMissing.statusCode, 404);
});

test("local RBAC through the SDK: no role → 403 AccessDenied; Crypto User uses keys but cannot read deleted keys or purge", async () => {
  const none = h.identity.createServicePrincipal("sdk-norole");
  const user = h.identity.createServicePrincipal("sdk-user");
  await grant(h, "sdksp", user.principal.objectId, ROLE.cryptoUser);
  const denied = await run("principal", "sdksp", [h.endpoints.tenantId, none.principal.appId, none.password]);
  assert.equal(denied.create.statusCode, 403);
  assert.equal(denied.create.code, "AccessDenied");
  assert.match(
    denied.create.message,
    /^Not authorized to access Microsoft\.KeyVault\/managedHsm\/keys\/create on \/keys\/sp-key/,
  );
  const j = await run("principal", "sdksp", [h.endpoints.tenantId, user.principal.appId, user.password]);
  assert.equal(j.create, null);
  assert.equal(j.encrypt, "sp");
  assert.equal(j.getDeleted.statusCode, 403);
  assert.equal(j.purge.statusCode, 403);
  assert.equal(j.purge.code, "AccessDenied");
  assert.match(j.purge.message, /keys\/deletedKeys\/delete on \/keys\/sp-key/);
});
