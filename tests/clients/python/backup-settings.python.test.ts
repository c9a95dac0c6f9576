// Debian's Python azure-keyvault-administration 4.3.0b2 against hsmlink: KeyVaultSettingsClient (list, get, update,
// a bad value refused) and KeyVaultBackupClient (begin_backup into Azurite through {account}.blob.core.windows.net,
// begin_restore of the whole folder into a second HSM recovered with the same security domain, and of one key).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runClientProcess, runNodeClient } from "../../support/node-client.js";
import { clientSuite } from "../../support/clients.js";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { grant, hsmCall, ROLE, seedHsm, API } from "../../http/hsm/support.js";
import { activate, recover, wrappingKeys } from "../../http/hsm/security-domain-support.js";

const SCRIPT = fileURLToPath(new URL("./backup_settings.py", import.meta.url));
const STORAGE = fileURLToPath(new URL("../sdk/storage-blob.ts", import.meta.url));
const CONTAINER = "https://devstoreaccount1.blob.core.windows.net/pybackups";
const { test, before, after } = clientSuite("python3-azure");

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink({ activateNewHsms: false });
});
after(async () => h?.dispose());

const python = (args: string[]) => runClientProcess("/usr/bin/python3", [SCRIPT, ...args], h.clientEnv(), 180_000);

test("KeyVaultSettingsClient: list, get, update AllowKeyManagementOperationsThroughARM; a bad value is refused", async () => {
  seedHsm(h, "pyset");
  const r = await python(["settings", "pyset"]);
  assert.equal(r.json?.ok, true, r.stdout + r.stderr);
  assert.deepEqual(r.json.list, [{ name: "AllowKeyManagementOperationsThroughARM", value: "false", type: "boolean" }]);
  assert.equal(r.json.get, "false");
  assert.equal(r.json.updated, "true");
  assert.equal(r.json.after, "true");
  assert.equal(r.json.bad.status, 400);
  // settings/read/action and settings/write/action are in the Administrator role only (the role list of a real
  // managed HSM, cited in src/hsm/rbac/roles.ts): a Crypto User can neither read nor change settings.
  const sp = h.identity.createServicePrincipal("settings-reader");
  await grant(h, "pyset", sp.principal.objectId, ROLE.cryptoUser);
  const { hsmToken } = await import("../../http/hsm/support.js");
  const token = await hsmToken(h, sp.principal);
  const readDenied = await hsmCall(h, "pyset", "GET", `/settings?${API}`, { token });
  assert.equal(readDenied.status, 403);
  assert.match(
    readDenied.json.error.message,
    /^Not authorized to access Microsoft\.KeyVault\/managedHsm\/settings\/read\/action on \//,
  );
  const denied = await hsmCall(h, "pyset", "PATCH", `/settings/AllowKeyManagementOperationsThroughARM?${API}`, {
    token,
    body: { value: "false" },
  });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.code, "AccessDenied");
  assert.match(denied.json.error.message, /settings\/write\/action/);
  await grant(h, "pyset", sp.principal.objectId, ROLE.administrator);
  assert.equal((await hsmCall(h, "pyset", "GET", `/settings?${API}`, { token })).status, 200);
  assert.equal((await hsmCall(h, "pyset", "GET", `/settings/NoSuchSetting?${API}`)).status, 404);
});

test("KeyVaultBackupClient: backup into Azurite, full restore into a recovered HSM, restore of one key", async () => {
  const wrapping = await wrappingKeys(3);
  seedHsm(h, "pyb1", { activationStatus: "NotActivated" });
  await grant(h, "pyb1", h.endpoints.principalObjectId, ROLE.cryptoUser);
  const sd = await activate(h, "pyb1", wrapping);
  const created = await hsmCall(h, "pyb1", "POST", `/keys/pykey/create?${API}`, {
    body: { kty: "EC-HSM", crv: "P-384" },
  });
  assert.equal(created.status, 200);
  const setup = await runNodeClient(STORAGE, h.clientEnv(), ["setup", "pybackups"]);
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  const backup = await python(["backup", "pyb1", CONTAINER, setup.json.sasWrite]);
  assert.equal(backup.json?.ok, true, backup.stdout + backup.stderr);
  assert.match(
    backup.json.folderUrl,
    /^https:\/\/devstoreaccount1\.blob\.core\.windows\.net\/pybackups\/mhsm-pyb1-\d{16}$/,
  );

  seedHsm(h, "pyb2", { activationStatus: "NotActivated" });
  await recover(h, "pyb2", sd, wrapping, [0, 2]);
  const restored = await python(["restore", "pyb2", CONTAINER, setup.json.sasWrite, backup.json.folderUrl]);
  assert.equal(restored.json?.ok, true, restored.stdout + restored.stderr);
  const got = await hsmCall(h, "pyb2", "GET", `/keys/pykey?${API}`);
  assert.equal(got.status, 200, got.text);
  assert.equal(got.json.key.kid.replace("pyb2", "pyb1"), created.json.key.kid);
  assert.equal(got.json.key.x, created.json.key.x);

  assert.equal((await hsmCall(h, "pyb2", "DELETE", `/keys/pykey?${API}`)).status, 200);
  await grant(h, "pyb2", h.endpoints.principalObjectId, ROLE.cryptoOfficer);
  assert.equal((await hsmCall(h, "pyb2", "DELETE", `/deletedkeys/pykey?${API}`)).status, 204);
  const one = await python(["restore-key", "pyb2", CONTAINER, setup.json.sasWrite, backup.json.folderUrl, "pykey"]);
  assert.equal(one.json?.ok, true, one.stdout + one.stderr);
  assert.equal((await hsmCall(h, "pyb2", "GET", `/keys/pykey?${API}`)).json.key.y, created.json.key.y);
});
