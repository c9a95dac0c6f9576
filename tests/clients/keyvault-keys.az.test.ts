// The real Azure CLI (Debian az 2.45 + the packaging shim) against the managed HSM data plane: `az keyvault key
// random` (the one key command Debian's az runs end to end) and `az rest` for the key list (track-1 `key list` is
// broken in that package, data-plane.md §0.8). Signed in with `az login --identity`; environment of `hsmlink env`.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { API, grant, hsmCall, ROLE, seedHsm } from "../http/hsm/support.js";

const { test, before, after } = clientSuite("az");

let h: TestHsmlink;
let az: Az;

before(async () => {
  h = await startTestHsmlink();
  seedHsm(h, "azhsm");
  await grant(h, "azhsm", h.endpoints.principalObjectId, ROLE.cryptoUser);
  az = new Az(h.clientEnv());
  await az.ok(["login", "--identity"]);
});
after(async () => h?.dispose());

test("az keyvault key random --hsm-name: challenge, MSI token, 8 random bytes printed as base64", async () => {
  const r = await az.ok(["keyvault", "key", "random", "--hsm-name", "azhsm", "--count", "8"]);
  const value = typeof r === "string" ? r : r.value;
  assert.equal(typeof value, "string", JSON.stringify(r));
  assert.equal(Buffer.from(value, "base64").length, 8);
  const bad = await az.run(["keyvault", "key", "random", "--hsm-name", "azhsm", "--count", "129"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /count cannot be greater than 128 or less than 1/);
});

test("az rest lists the HSM's keys with a managedhsm.azure.net token", async () => {
  assert.equal(
    (await hsmCall(h, "azhsm", "POST", `/keys/az-key/create?${API}`, { body: { kty: "EC-HSM" } })).status,
    200,
  );
  const r = await az.ok([
    "rest",
    "--method",
    "get",
    "--url",
    "https://azhsm.managedhsm.azure.net/keys?api-version=7.4",
    "--resource",
    "https://managedhsm.azure.net",
  ]);
  assert.deepEqual(
    r.value.map((k: { kid: string }) => k.kid),
    ["https://azhsm.managedhsm.azure.net/keys/az-key"],
  );
  assert.equal(r.nextLink, null);
  const denied = await az.run([
    "rest",
    "--method",
    "get",
    "--url",
    "https://azhsm.managedhsm.azure.net/deletedkeys?api-version=7.4",
    "--resource",
    "https://managedhsm.azure.net",
  ]);
  assert.notEqual(denied.code, 0);
  assert.match(
    denied.stderr,
    /Not authorized to access Microsoft\.KeyVault\/managedHsm\/keys\/deletedKeys\/read\/action on \/keys/,
  );
});
