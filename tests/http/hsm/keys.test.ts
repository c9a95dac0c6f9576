// The keys API over HTTP: create/import/get/list/update/delete/recover/purge/backup/restore/rotate, rotation
// policy, release, rng, and their error answers (codes, statuses, messages of data-plane.md §2–§3).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  createPrivateKey,
  createPublicKey,
  createDecipheriv,
  generateKeyPairSync,
  privateDecrypt,
  constants,
  randomBytes,
  createHash,
  verify as nodeVerify,
} from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { ManualClock } from "../../../src/kernel/clock.js";
import { API, grant, hsmCall, ROLE, seedHsm } from "./support.js";
import { forgetHsmData } from "../../../src/hsm/store.js";

let h: TestHsmlink;
const clock = new ManualClock(Date.parse("2026-03-01T10:00:00Z"));
const nowS = () => Math.floor(clock.now() / 1000);
const HSM = "keys1";
const call = (method: string, path: string, body?: unknown) =>
  hsmCall(
    h,
    HSM,
    method,
    `${path}${path.includes("?") ? "&" : "?"}${API}`,
    body === undefined ? {} : typeof body === "string" ? { rawBody: body } : { body },
  );

before(async () => {
  h = await startTestHsmlink({}, { clock });
  seedHsm(h, HSM, { retentionDays: 7 });
  seedHsm(h, "locked", { purgeProtection: true });
  seedHsm(h, "other");
  seedHsm(h, "cursor");
  for (const hsm of [HSM, "locked", "other", "cursor"]) {
    await grant(h, hsm, h.endpoints.principalObjectId, ROLE.cryptoUser);
    await grant(h, hsm, h.endpoints.principalObjectId, ROLE.cryptoOfficer);
  }
});
after(async () => h?.dispose());

test("create: kty aliases normalised, defaults, 32-hex version, kid from the host, MHSM attributes", async () => {
  const r = await call("POST", "/keys/ec1/create", { kty: "EC", attributes: {} });
  assert.equal(r.status, 200, r.text);
  const b = r.json;
  assert.equal(b.key.kty, "EC-HSM");
  assert.equal(b.key.crv, "P-256");
  assert.deepEqual(b.key.key_ops, ["sign", "verify"]);
  assert.match(b.key.kid, /^https:\/\/keys1\.managedhsm\.azure\.net\/keys\/ec1\/[0-9a-f]{32}$/);
  assert.equal(b.attributes.enabled, true);
  assert.equal(b.attributes.created, nowS());
  assert.equal(b.attributes.updated, nowS());
  assert.equal(b.attributes.recoverableDays, 7);
  assert.equal(b.attributes.recoveryLevel, "CustomizedRecoverable+Purgeable");
  assert.equal(b.attributes.exportable, false);
  assert.equal(b.key.d, undefined);
  const aes = await call("POST", "/keys/aes1/create", { kty: "AES", key_size: 128 });
  assert.equal(aes.json.key.kty, "oct-HSM");
  assert.deepEqual(Object.keys(aes.json.key).sort(), ["key_ops", "kid", "kty"]);
  const rsa = await call("POST", "/keys/rsa1/create", { kty: "RSA" });
  assert.equal(rsa.json.key.kty, "RSA-HSM");
  assert.equal(rsa.json.key.e, "AQAB");
  assert.equal(Buffer.from(rsa.json.key.n, "base64url").length, 256);
  assert.equal(rsa.json.key.d, undefined);
  assert.equal(rsa.json.key.p, undefined);
  const locked = await hsmCall(h, "locked", "POST", `/keys/x/create?${API}`, { body: { kty: "oct-HSM" } });
  assert.equal(locked.json.attributes.recoveryLevel, "Recoverable");
  assert.equal(locked.json.attributes.recoverableDays, 90);
});

test("create validation: kty, sizes, curves, key_ops, tags, names, nbf/exp", async () => {
  const cases: [string, unknown, RegExp][] = [
    ["/keys/bad/create", { kty: "DSA" }, /Invalid key type/],
    ["/keys/bad/create", { key_size: 2048 }, /'kty' is required/],
    ["/keys/bad/create", { kty: "RSA-HSM", key_size: 1024 }, /RSA key size 1024/],
    ["/keys/bad/create", { kty: "oct-HSM", key_size: 512 }, /AES key size 512/],
    ["/keys/bad/create", { kty: "EC-HSM", crv: "P-224" }, /Curve 'P-224'/],
    ["/keys/bad/create", { kty: "EC-HSM", key_ops: ["sign", "launch"] }, /Invalid key operation 'launch'/],
    [
      "/keys/bad/create",
      { kty: "EC-HSM", tags: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, "v"])) },
      /at most 15 tags/,
    ],
    ["/keys/bad/create", { kty: "EC-HSM", tags: { t: "x".repeat(257) } }, /longer than 256/],
    ["/keys/bad/create", { kty: "EC-HSM", tags: { t: 5 } }, /must be a string/],
    ["/keys/bad/create", { kty: "EC-HSM", attributes: { nbf: 200, exp: 100 } }, /'nbf'.*earlier/],
    ["/keys/bad/create", { kty: "EC-HSM", attributes: { enabled: "yes" } }, /'enabled' must be true or false/],
    ["/keys/bad_name/create", { kty: "EC-HSM" }, /key name 'bad_name' is invalid/],
    [`/keys/${"k".repeat(128)}/create`, { kty: "EC-HSM" }, /is invalid/],
    ["/keys/bad/create", [1, 2], /must be a JSON object/],
  ];
  for (const [path, body, re] of cases) {
    const r = await call("POST", path, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
    assert.equal(r.json.error.code, "BadParameter");
    assert.match(r.json.error.message, re);
  }
  const empty = await call("POST", "/keys/bad/create");
  assert.equal(empty.status, 400);
  assert.match(empty.json.error.message, /body is missing/);
  assert.equal((await call("GET", "/keys/bad")).status, 404);
});

test("get latest (also with the SDK's trailing slash) and by version; versions list; 404 KeyNotFound", async () => {
  const v1 = (await call("POST", "/keys/multi/create", { kty: "oct-HSM", tags: { gen: "1" } })).json;
  const v2 = (await call("POST", "/keys/multi/create", { kty: "oct-HSM", tags: { gen: "2" } })).json;
  assert.notEqual(v1.key.kid, v2.key.kid);
  const latest = await call("GET", "/keys/multi/");
  assert.equal(latest.json.key.kid, v2.key.kid);
  assert.equal((await call("GET", "/keys/MULTI")).json.key.kid, v2.key.kid, "names are case-insensitive");
  const ver1 = v1.key.kid.split("/").pop();
  assert.equal((await call("GET", `/keys/multi/${ver1}`)).json.tags.gen, "1");
  const versions = await call("GET", "/keys/multi/versions");
  assert.deepEqual(
    versions.json.value.map((i: { kid: string }) => i.kid),
    [v1.key.kid, v2.key.kid],
  );
  assert.equal(versions.json.nextLink, null);
  const missing = await call("GET", "/keys/nokey");
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, "KeyNotFound");
  assert.match(
    missing.json.error.message,
    /^Key not found: https:\/\/[a-z0-9-]+\.managedhsm\.azure\.net(:\d+)?\/keys\/nokey \(Activity ID: /,
  );
  // ManagedHsmLiveTests/GetPropertiesOfKeyVersionsNonExisting.json: 200 {"value":[]} for a key that never existed.
  const noVersions = await call("GET", "/keys/never-existed/versions");
  assert.equal(noVersions.status, 200);
  assert.deepEqual(noVersions.json, { value: [] });
  const badVersion = await call("GET", "/keys/multi/00000000000000000000000000000000");
  assert.equal(badVersion.status, 404);
  assert.equal(badVersion.json.error.code, "KeyNotFound");
});

test("list pages with maxresults 1..25 and a nextLink carrying the api-version", async () => {
  await hsmCall(h, "other", "POST", `/keys/a1/create?${API}`, { body: { kty: "oct-HSM" } });
  await hsmCall(h, "other", "POST", `/keys/a2/create?${API}`, { body: { kty: "oct-HSM" } });
  await hsmCall(h, "other", "POST", `/keys/a3/create?${API}`, { body: { kty: "oct-HSM" } });
  const p1 = await hsmCall(h, "other", "GET", `/keys?maxresults=2&${API}`);
  assert.equal(p1.status, 200);
  assert.deepEqual(
    p1.json.value.map((i: { kid: string }) => i.kid),
    ["https://other.managedhsm.azure.net/keys/a1", "https://other.managedhsm.azure.net/keys/a2"],
  );
  const next = new URL(p1.json.nextLink);
  assert.equal(next.host, "other.managedhsm.azure.net");
  assert.equal(next.searchParams.get("api-version"), "7.4");
  const p2 = await hsmCall(h, "other", "GET", next.pathname + next.search, {});
  assert.deepEqual(
    p2.json.value.map((i: { kid: string }) => i.kid),
    ["https://other.managedhsm.azure.net/keys/a3"],
  );
  assert.equal(p2.json.nextLink, null);
  for (const bad of ["0", "26", "x"]) {
    const r = await hsmCall(h, "other", "GET", `/keys?maxresults=${bad}&${API}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.json.error.code, "BadParameter");
  }
});

test("list: the $skiptoken is a cursor — keys created or deleted between pages neither repeat nor push others out; foreign tokens are BadParameter", async () => {
  for (const n of ["c1", "c2", "c3", "c4"])
    await hsmCall(h, "cursor", "POST", `/keys/${n}/create?${API}`, { body: { kty: "oct-HSM" } });
  const names = (r: { json: { value: { kid: string }[] } }) => r.json.value.map((i) => i.kid.split("/").pop());
  const p1 = await hsmCall(h, "cursor", "GET", `/keys?maxresults=2&${API}`);
  assert.deepEqual(names(p1), ["c1", "c2"]);
  // between pages: a key before the cursor is created and one is deleted; the next page still starts at c3
  await hsmCall(h, "cursor", "POST", `/keys/c0/create?${API}`, { body: { kty: "oct-HSM" } });
  await hsmCall(h, "cursor", "DELETE", `/keys/c1?${API}`);
  const next = new URL(p1.json.nextLink);
  const p2 = await hsmCall(h, "cursor", "GET", next.pathname + next.search);
  assert.deepEqual(names(p2), ["c3", "c4"]);
  assert.equal(p2.json.nextLink, null);
  for (const bad of [
    "12",
    "x",
    Buffer.from("keys-after:").toString("base64url"),
    Buffer.from("other:c1").toString("base64url"),
    "%%%",
  ]) {
    const r = await hsmCall(h, "cursor", "GET", `/keys?$skiptoken=${encodeURIComponent(bad)}&${API}`);
    assert.equal(r.status, 400, bad);
    assert.equal(r.json.error.code, "BadParameter");
    assert.equal(r.json.error.message.startsWith("The $skiptoken is invalid."), true, r.json.error.message);
  }
});

test("update: enabled/nbf/exp/tags/key_ops; exportable is immutable", async () => {
  const k = (await call("POST", "/keys/upd/create", { kty: "oct-HSM" })).json;
  clock.advance(5000);
  const r = await call("PATCH", "/keys/upd", {
    attributes: { enabled: false, exp: nowS() + 3600 },
    tags: { a: "b" },
    key_ops: ["encrypt", "decrypt"],
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.key.kid, k.key.kid);
  assert.equal(r.json.attributes.enabled, false);
  assert.equal(r.json.attributes.exp, nowS() + 3600);
  assert.equal(r.json.attributes.updated, nowS());
  assert.equal(r.json.attributes.created, k.attributes.created);
  assert.deepEqual(r.json.tags, { a: "b" });
  assert.deepEqual(r.json.key.key_ops, ["encrypt", "decrypt"]);
  const byVersion = await call("PATCH", `/keys/upd/${k.key.kid.split("/").pop()}`, { attributes: { enabled: true } });
  assert.equal(byVersion.json.attributes.enabled, true);
  // No SDK or az sends `exportable` on an update; the recorded request (azure-sdk-assets …/ManagedHsmLiveTests/
  // ReleaseUpdatedKey.json, .NET raw request) is this PATCH, and the message is the one recorded there.
  const exp = await call("PATCH", "/keys/upd", { attributes: { exportable: true } });
  assert.equal(exp.status, 400);
  assert.equal(exp.json.error.code, "BadParameter");
  assert.match(exp.json.error.message, /^Cannot modify the exportable state of a key \(Activity ID: [0-9a-f-]+\)$/);
});

test("key operations are refused on disabled, not-yet-valid and expired keys and outside key_ops (403 Forbidden)", async () => {
  const k = (await call("POST", "/keys/gate/create", { kty: "oct-HSM", key_size: 256 })).json;
  const ver = k.key.kid.split("/").pop();
  const enc = () =>
    call("POST", `/keys/gate/${ver}/encrypt`, { alg: "A256GCM", value: Buffer.from("hello").toString("base64url") });
  assert.equal((await enc()).status, 200);
  await call("PATCH", "/keys/gate", { attributes: { enabled: false } });
  let r = await enc();
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "Forbidden");
  assert.equal(r.json.error.innererror.code, "KeyDisabled");
  assert.match(r.json.error.message, /disabled/);
  await call("PATCH", "/keys/gate", { attributes: { enabled: true, nbf: nowS() + 60 } });
  r = await enc();
  assert.equal(r.status, 403);
  assert.equal(r.json.error.innererror.code, "KeyNotYetValid");
  clock.advance(61_000);
  assert.equal((await enc()).status, 200);
  await call("PATCH", "/keys/gate", { attributes: { exp: nowS() + 10 } });
  clock.advance(10_000);
  r = await enc();
  assert.equal(r.status, 403);
  assert.equal(r.json.error.innererror.code, "KeyExpired");
  await call("PATCH", "/keys/gate", { attributes: { exp: null }, key_ops: ["wrapKey", "unwrapKey"] });
  r = await enc();
  assert.equal(r.status, 403);
  assert.equal(r.json.error.innererror.code, "KeyOperationForbidden");
  const wrap = await call("POST", `/keys/gate/${ver}/wrapkey`, {
    alg: "A256KW",
    value: randomBytes(32).toString("base64url"),
  });
  assert.equal(wrap.status, 200, wrap.text);
});

test("key operation validation: wrong alg for kty, wrong AES size, bad base64url, oversize RSA plaintext, missing fields", async () => {
  const rsa = (await call("POST", "/keys/oprsa/create", { kty: "RSA-HSM" })).json;
  const aes = (await call("POST", "/keys/opaes/create", { kty: "oct-HSM", key_size: 128 })).json;
  const rv = rsa.key.kid.split("/").pop();
  const av = aes.key.kid.split("/").pop();
  const cases: [string, unknown, RegExp][] = [
    [`/keys/oprsa/${rv}/encrypt`, { alg: "A128GCM", value: "AAAA" }, /cannot be used with a key of type RSA-HSM/],
    [`/keys/opaes/${av}/encrypt`, { alg: "A256GCM", value: "AAAA" }, /requires a 256-bit AES key/],
    [`/keys/opaes/${av}/encrypt`, { alg: "RSA-OAEP", value: "AAAA" }, /cannot be used with a key of type oct-HSM/],
    [`/keys/opaes/${av}/encrypt`, { alg: "A128GCM", value: "not base64!" }, /'value' is not a valid base64url/],
    [`/keys/opaes/${av}/encrypt`, { alg: "A128GCM" }, /'value' is required/],
    [`/keys/opaes/${av}/encrypt`, { value: "AAAA" }, /'alg' is required/],
    [`/keys/opaes/${av}/encrypt`, { alg: "ROT13", value: "AAAA" }, /Algorithm 'ROT13' is not supported/],
    [`/keys/opaes/${av}/decrypt`, { alg: "A128CBC", value: "AAAA", iv: "%%%" }, /'iv' is not a valid base64url/],
    [`/keys/oprsa/${rv}/encrypt`, { alg: "RSA-OAEP", value: randomBytes(300).toString("base64url") }, /./],
    [
      `/keys/oprsa/${rv}/sign`,
      { alg: "RS256", value: randomBytes(20).toString("base64url") },
      /digest for RS256 must be 32 bytes/,
    ],
    [`/keys/oprsa/${rv}/verify`, { alg: "RS256", value: "AAAA" }, /'digest' is required/],
    [
      `/keys/oprsa/${rv}/sign`,
      { alg: "ES256", value: randomBytes(32).toString("base64url") },
      /cannot be used with a key of type RSA-HSM/,
    ],
  ];
  for (const [path, body, re] of cases) {
    const r = await call("POST", path, body);
    assert.equal(r.status, 400, `${path} ${JSON.stringify(body).slice(0, 80)} → ${r.text}`);
    assert.equal(r.json.error.code, "BadParameter");
    assert.match(r.json.error.message, re);
  }
});

test("crypto round trips on the server: RSA-OAEP-256 decrypt via the worker pool, sign/verify, GCM with aad, versionless op path", async () => {
  const rsa = (await call("POST", "/keys/rt/create", { kty: "RSA-HSM", key_size: 2048 })).json;
  const ver = rsa.key.kid.split("/").pop();
  const enc = await call("POST", `/keys/rt/${ver}/encrypt`, {
    alg: "RSA-OAEP-256",
    value: Buffer.from("secret").toString("base64url"),
  });
  assert.equal(enc.json.kid, rsa.key.kid);
  assert.equal(enc.json.alg, "RSA-OAEP-256");
  const dec = await call("POST", `/keys/rt/${ver}/decrypt`, { alg: "RSA-OAEP-256", value: enc.json.value });
  assert.equal(Buffer.from(dec.json.value, "base64url").toString(), "secret");
  const digest = createHash("sha256").update("doc").digest();
  const sig = await call("POST", `/keys/rt/sign`, { alg: "PS256", value: digest.toString("base64url") });
  assert.equal(sig.status, 200, sig.text);
  assert.equal(sig.json.kid, rsa.key.kid);
  const pub = createPublicKey({ key: { kty: "RSA", n: rsa.key.n, e: rsa.key.e }, format: "jwk" });
  assert.ok(
    nodeVerify(
      "sha256",
      Buffer.from("doc"),
      { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      Buffer.from(sig.json.value, "base64url"),
    ),
  );
  const ok = await call("POST", `/keys/rt/${ver}/verify`, {
    alg: "PS256",
    digest: digest.toString("base64url"),
    value: sig.json.value,
  });
  assert.deepEqual(ok.json, { value: true });
  const bad = await call("POST", `/keys/rt/${ver}/verify`, {
    alg: "PS256",
    digest: createHash("sha256").update("other").digest("base64url"),
    value: sig.json.value,
  });
  assert.deepEqual(bad.json, { value: false });
  const aes = (await call("POST", "/keys/rtaes/create", { kty: "oct-HSM" })).json;
  const e2 = await call("POST", `/keys/rtaes/encrypt`, {
    alg: "A256GCM",
    value: Buffer.from("p").toString("base64url"),
    aad: Buffer.from("ctx").toString("base64url"),
  });
  assert.equal(Buffer.from(e2.json.iv, "base64url").length, 12);
  assert.equal(Buffer.from(e2.json.tag, "base64url").length, 16);
  assert.equal(e2.json.kid, aes.key.kid);
  const d2 = await call("POST", `/keys/rtaes/decrypt`, {
    alg: "A256GCM",
    value: e2.json.value,
    iv: e2.json.iv,
    tag: e2.json.tag,
    aad: e2.json.aad,
  });
  assert.equal(Buffer.from(d2.json.value, "base64url").toString(), "p");
  const tampered = await call("POST", `/keys/rtaes/decrypt`, {
    alg: "A256GCM",
    value: e2.json.value,
    iv: e2.json.iv,
    tag: e2.json.tag,
    aad: Buffer.from("other").toString("base64url"),
  });
  assert.equal(tampered.status, 400);
});

test("delete is soft: DeletedKeyBundle with the HSM's retention; deleted get/list; 409 on reuse; recover; 404 twice", async () => {
  await call("POST", "/keys/gone/create", { kty: "oct-HSM" });
  const d = await call("DELETE", "/keys/gone");
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.recoveryId, "https://keys1.managedhsm.azure.net/deletedkeys/gone");
  assert.equal(d.json.deletedDate, nowS());
  assert.equal(d.json.scheduledPurgeDate, nowS() + 7 * 86400);
  assert.match(d.json.key.kid, /\/keys\/gone\/[0-9a-f]{32}$/);
  assert.equal((await call("GET", "/keys/gone")).status, 404);
  const again = await call("DELETE", "/keys/gone");
  assert.equal(again.status, 404);
  assert.equal(again.json.error.code, "KeyNotFound");
  const got = await call("GET", "/deletedkeys/gone");
  assert.equal(got.json.recoveryId, d.json.recoveryId);
  const list = await call("GET", "/deletedkeys");
  assert.ok(
    list.json.value.some(
      (i: { recoveryId: string; kid: string }) =>
        i.recoveryId === d.json.recoveryId && i.kid === "https://keys1.managedhsm.azure.net/keys/gone",
    ),
  );
  for (const [m, p, b] of [
    ["POST", "/keys/gone/create", { kty: "oct-HSM" }],
    ["PUT", "/keys/gone", { key: { kty: "oct", k: randomBytes(16).toString("base64url") } }],
  ] as const) {
    const c = await call(m, p, b);
    assert.equal(c.status, 409, c.text);
    assert.equal(c.json.error.code, "Conflict");
    assert.equal(c.json.error.innererror.code, "ObjectIsDeletedButRecoverable");
    assert.match(
      c.json.error.message,
      /^Key gone is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged\. \(Activity ID/,
    );
  }
  const rec = await call("POST", "/deletedkeys/gone/recover");
  assert.equal(rec.status, 200);
  assert.equal(rec.json.key.kid, d.json.key.kid);
  assert.equal(rec.json.recoveryId, undefined);
  assert.equal((await call("GET", "/keys/gone")).status, 200);
  assert.equal((await call("GET", "/deletedkeys/gone")).status, 404);
  assert.equal((await call("POST", "/deletedkeys/gone/recover")).status, 404);
});

test("purge: 204 and the name is free; purge protection → 403; retention expiry purges automatically", async () => {
  await call("POST", "/keys/purgeme/create", { kty: "oct-HSM" });
  await call("DELETE", "/keys/purgeme");
  const p = await call("DELETE", "/deletedkeys/purgeme");
  assert.equal(p.status, 204);
  assert.equal(p.text, "");
  assert.equal((await call("GET", "/deletedkeys/purgeme")).status, 404);
  assert.equal((await call("DELETE", "/deletedkeys/purgeme")).status, 404);
  assert.equal((await call("POST", "/keys/purgeme/create", { kty: "oct-HSM" })).status, 200);

  await hsmCall(h, "locked", "POST", `/keys/keep/create?${API}`, { body: { kty: "oct-HSM" } });
  await hsmCall(h, "locked", "DELETE", `/keys/keep?${API}`);
  const denied = await hsmCall(h, "locked", "DELETE", `/deletedkeys/keep?${API}`);
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error.code, "Forbidden");
  assert.match(denied.json.error.message, /purge protection is enabled/);
  assert.equal((await hsmCall(h, "locked", "GET", `/deletedkeys/keep?${API}`)).status, 200);

  await call("POST", "/keys/expire/create", { kty: "oct-HSM" });
  await call("DELETE", "/keys/expire");
  clock.advance(7 * 86400_000 + 1000);
  assert.equal((await call("GET", "/deletedkeys/expire")).status, 404);
  assert.equal((await call("POST", "/keys/expire/create", { kty: "oct-HSM" })).status, 200);
});

test("backup/restore: opaque blob, all versions, 409 while the name exists, another HSM restores it, garbage refused", async () => {
  const a = (await call("POST", "/keys/bk/create", { kty: "EC-HSM", crv: "P-384", tags: { x: "1" } })).json;
  const b = (await call("POST", "/keys/bk/create", { kty: "EC-HSM", crv: "P-384" })).json;
  const bk = await call("POST", "/keys/bk/backup");
  assert.equal(bk.status, 200);
  const blob = Buffer.from(bk.json.value, "base64url");
  assert.ok(!blob.toString("latin1").includes(a.key.x), "the blob is encrypted");
  const conflict = await call("POST", "/keys/restore", { value: bk.json.value });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.json.error.code, "Conflict");
  const elsewhere = await hsmCall(h, "other", "POST", `/keys/restore?${API}`, { body: { value: bk.json.value } });
  assert.equal(elsewhere.status, 200, elsewhere.text);
  assert.equal(elsewhere.json.key.kid, b.key.kid.replace("keys1.", "other."));
  assert.equal(elsewhere.json.key.x, b.key.x);
  const versions = await hsmCall(h, "other", "GET", `/keys/bk/versions?${API}`);
  assert.equal(versions.json.value.length, 2);
  await call("DELETE", "/keys/bk");
  const whileDeleted = await call("POST", "/keys/restore", { value: bk.json.value });
  assert.equal(whileDeleted.status, 409);
  assert.equal(whileDeleted.json.error.innererror.code, "ObjectIsDeletedButRecoverable");
  await call("DELETE", "/deletedkeys/bk");
  const back = await call("POST", "/keys/restore", { value: bk.json.value });
  assert.equal(back.status, 200);
  assert.equal(back.json.key.kid, b.key.kid);
  const sig = await call("POST", `/keys/bk/${a.key.kid.split("/").pop()}/sign`, {
    alg: "ES384",
    value: randomBytes(48).toString("base64url"),
  });
  assert.equal(sig.status, 200, "restored material works");
  const tampered = Buffer.from(blob);
  tampered[tampered.length - 1] ^= 1;
  for (const value of [tampered.toString("base64url"), randomBytes(64).toString("base64url")]) {
    const r = await call("POST", "/keys/restore", { value });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, "BadParameter");
  }
});

test("rotation policy: validation, get/put, rotate makes a new version with new material and exp from expiryTime", async () => {
  const k = (await call("POST", "/keys/rot/create", { kty: "RSA-HSM", key_ops: ["sign", "verify"], tags: { t: "1" } }))
    .json;
  const none = await call("GET", "/keys/rot/rotationpolicy");
  assert.deepEqual(none.json, {
    id: "keys/rot/rotationpolicy",
    lifetimeActions: [],
    attributes: {},
  });
  const bad: [unknown, RegExp][] = [
    [{ attributes: { expiryTime: "P10D" } }, /at least P28D/],
    [{ lifetimeActions: [{ trigger: { timeAfterCreate: "P7D" }, action: { type: "Rotate" } }] }, /at least P28D/],
    [
      { lifetimeActions: [{ trigger: { timeAfterCreate: "soon" }, action: { type: "Rotate" } }] },
      /not an ISO 8601 duration/,
    ],
    [{ lifetimeActions: [{ trigger: {}, action: { type: "Rotate" } }] }, /exactly one of/],
    [{ lifetimeActions: [{ trigger: { timeAfterCreate: "P30D" }, action: { type: "Explode" } }] }, /Rotate or Notify/],
    [
      {
        lifetimeActions: [{ trigger: { timeBeforeExpiry: "P60D" }, action: { type: "Rotate" } }],
        attributes: { expiryTime: "P30D" },
      },
      /shorter than attributes\.expiryTime/,
    ],
  ];
  for (const [body, re] of bad) {
    const r = await call("PUT", "/keys/rot/rotationpolicy", body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.json.error.message, re);
  }
  const put = await call("PUT", "/keys/rot/rotationpolicy", {
    lifetimeActions: [{ trigger: { timeAfterCreate: "P2M" }, action: { type: "rotate" } }],
    attributes: { expiryTime: "P90D" },
  });
  assert.equal(put.status, 200, put.text);
  // As a real managed HSM answers (azure-sdk-assets python …test_key_rotation_policy[7.5_mhsm].json): relative id,
  // lower-case action type, months accepted.
  assert.equal(put.json.id, "keys/rot/rotationpolicy");
  assert.deepEqual(put.json.lifetimeActions, [{ trigger: { timeAfterCreate: "P2M" }, action: { type: "rotate" } }]);
  assert.equal(put.json.attributes.expiryTime, "P90D");
  assert.deepEqual((await call("GET", "/keys/rot/rotationpolicy")).json, put.json);
  const r = await call("POST", "/keys/rot/rotate");
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.key.kid, k.key.kid);
  assert.notEqual(r.json.key.n, k.key.n);
  assert.equal(Buffer.from(r.json.key.n, "base64url").length, Buffer.from(k.key.n, "base64url").length);
  assert.deepEqual(r.json.key.key_ops, ["sign", "verify"]);
  assert.deepEqual(r.json.tags, { t: "1" });
  assert.equal(r.json.attributes.exp, nowS() + 90 * 86400);
  assert.equal((await call("GET", "/keys/rot")).json.key.kid, r.json.key.kid);
  assert.equal((await call("POST", "/keys/none/rotate")).status, 404);
});

test("rng: 1..128 bytes; anything else 400 with the service's exact message", async () => {
  const r = await call("POST", "/rng", { count: 8 });
  assert.equal(r.status, 200);
  assert.equal(Buffer.from(r.json.value, "base64url").length, 8);
  for (const count of [-1, 0, 129, 1.5, "8"]) {
    const bad = await call("POST", "/rng", { count });
    assert.equal(bad.status, 400, String(count));
    assert.match(
      bad.json.error.message,
      /^GetRandomBytesRequest: count cannot be greater than 128 or less than 1 \(Activity ID: /,
    );
  }
});

/** An attestation-style JWT carrying `keyPair`'s public key in x-ms-runtime.keys. */
function attestationToken(pub: import("node:crypto").KeyObject, claims: Record<string, unknown>): string {
  const jwk = pub.export({ format: "jwk" });
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss: "https://attest.example", "x-ms-runtime": { keys: [{ kid: "TpmEphemeralEncryptionKey", kty: "RSA", key_ops: ["encrypt"], n: jwk.n, e: jwk.e }] }, exp: nowS() + 600, ...claims })}.c2ln`;
}

test("release: exportable rules, policy normalisation, immutability, and a real wrapped key in a signed JWS", async () => {
  const policy = {
    anyOf: [
      { anyOf: [{ claim: "sdk-test", condition: "equals", value: "true" }], authority: "https://attest.example/" },
    ],
    version: "1.0",
  };
  const release_policy = { data: Buffer.from(JSON.stringify(policy)).toString("base64url") };
  const noPolicy = await call("POST", "/keys/rel/create", { kty: "RSA-HSM", attributes: { exportable: true } });
  assert.equal(noPolicy.status, 400);
  assert.match(noPolicy.json.error.message, /exportable/i);
  const notExportable = await call("POST", "/keys/rel/create", { kty: "RSA-HSM", release_policy });
  assert.equal(notExportable.status, 400);
  assert.match(notExportable.json.error.message, /exportable/i);

  const k = new Uint8Array(randomBytes(32));
  const imported = await call("PUT", "/keys/rel", {
    key: { kty: "oct-HSM", k: Buffer.from(k).toString("base64url") },
    attributes: { exportable: true },
    release_policy: { ...release_policy, immutable: true },
  });
  assert.equal(imported.status, 200, imported.text);
  assert.equal(imported.json.attributes.exportable, true);
  assert.equal(imported.json.release_policy.contentType, "application/json; charset=utf-8");
  assert.equal(imported.json.release_policy.immutable, true);
  const stored = JSON.parse(Buffer.from(imported.json.release_policy.data, "base64url").toString());
  assert.deepEqual(stored, {
    anyOf: [{ anyOf: [{ claim: "sdk-test", equals: "true" }], authority: "https://attest.example/" }],
    version: "1.0.0",
  });
  const change = await call("PATCH", "/keys/rel", { release_policy });
  assert.equal(change.status, 400);
  assert.match(change.json.error.message, /Immutable Key Release/);

  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const wrong = await call("POST", "/keys/rel/release", { target: attestationToken(publicKey, { "sdk-test": false }) });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.json.error.code, "Forbidden");
  const otherIssuer = await call("POST", "/keys/rel/release", {
    target: attestationToken(publicKey, { "sdk-test": true, iss: "https://evil.example" }),
  });
  assert.equal(otherIssuer.status, 403);
  const garbage = await call("POST", "/keys/rel/release", { target: "not-a-jwt" });
  assert.equal(garbage.status, 400);
  const badEnc = await call("POST", "/keys/rel/release", {
    target: attestationToken(publicKey, { "sdk-test": true }),
    enc: "XOR",
  });
  assert.equal(badEnc.status, 400);

  const rel = await call("POST", "/keys/rel/release", {
    target: attestationToken(publicKey, { "sdk-test": true }),
    nonce: "n1",
    enc: "RSA_AES_KEY_WRAP_256",
  });
  assert.equal(rel.status, 200, rel.text);
  const [hd, pl, sg] = rel.json.value.split(".");
  const header = JSON.parse(Buffer.from(hd, "base64url").toString());
  assert.equal(header.alg, "RS256");
  const signer = createPublicKey({ key: header.jwk, format: "jwk" });
  assert.ok(
    nodeVerify("sha256", Buffer.from(`${hd}.${pl}`), signer, Buffer.from(sg, "base64url")),
    "the JWS verifies with the key in its header",
  );
  const payload = JSON.parse(Buffer.from(pl, "base64url").toString());
  assert.equal(payload.request.nonce, "n1");
  assert.equal(payload.request.enc, "RSA_AES_KEY_WRAP_256");
  assert.equal(payload.response.key.key.kid, imported.json.key.kid);
  const keyHsm = JSON.parse(Buffer.from(payload.response.key.key.key_hsm, "base64url").toString());
  const ct = Buffer.from(keyHsm.ciphertext, "base64url");
  const aesKey = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    ct.subarray(0, 256),
  );
  const d = createDecipheriv("id-aes256-wrap-pad", aesKey, Buffer.from("a65959a6", "hex"));
  const released = Buffer.concat([d.update(ct.subarray(256)), d.final()]);
  assert.deepEqual(new Uint8Array(released), k, "the released key is the imported key");

  const notExp = (await call("POST", "/keys/plain/create", { kty: "oct-HSM" })).json;
  assert.ok(notExp.key.kid);
  const refused = await call("POST", "/keys/plain/release", {
    target: attestationToken(publicKey, { "sdk-test": true }),
  });
  assert.equal(refused.status, 400);
  assert.match(refused.json.error.message, /not exportable/);
});

test("import: RSA with private parts, public parts only are refused, key_ops from the JWK", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  const r = await call("PUT", "/keys/imp", {
    Hsm: true,
    key: { ...jwk, kty: "RSA", key_ops: ["sign", "verify"] },
    tags: { t: "1" },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.key.kty, "RSA-HSM");
  assert.equal(r.json.key.n, jwk.n);
  assert.deepEqual(r.json.key.key_ops, ["sign", "verify"]);
  assert.equal(r.json.key.d, undefined);
  const pubOnly = await call("PUT", "/keys/imp2", { key: { kty: "RSA", n: jwk.n, e: jwk.e } });
  assert.equal(pubOnly.status, 400);
  assert.equal(pubOnly.json.error.code, "BadParameter");
  const noKey = await call("PUT", "/keys/imp3", { Hsm: true });
  assert.equal(noKey.status, 400);
  const pk = createPrivateKey({ key: jwk, format: "jwk" });
  assert.ok(pk);
});

test("attestation (7.6+): only on /attestation, with private (and public) key attestations", async () => {
  await call("POST", "/keys/att/create", { kty: "EC-HSM" });
  const plain = await call("GET", "/keys/att");
  assert.equal(plain.json.attributes.attestation, undefined);
  const att = await hsmCall(h, HSM, "GET", "/keys/att/attestation?api-version=7.6");
  assert.equal(att.status, 200, att.text);
  assert.ok(att.json.attributes.attestation.privateKeyAttestation);
  assert.ok(att.json.attributes.attestation.publicKeyAttestation);
  assert.ok(att.json.attributes.attestation.certificatePemFile);
  // The .NET SDK's request for a missing key (empty version segment) and the service's answer, as recorded in
  // azure-sdk-assets net/…/ManagedHsmLiveTests/GetKeyAttestationNonExisting.json.
  const missing = await hsmCall(h, HSM, "GET", "/keys/no-such-att//attestation?api-version=2026-03-01-preview");
  assert.equal(missing.status, 404, missing.text);
  assert.equal(missing.json.error.code, "KeyNotFound");
  assert.match(
    missing.json.error.message,
    new RegExp(`^Key not found: https://${HSM}\\.managedhsm\\.azure\\.net/keys/no-such-att \\(Activity ID: `),
  );
});

test("forgetHsmData (for the control plane's purge): the name starts empty, with a fresh key-encryption key", async () => {
  seedHsm(h, "forget");
  await grant(h, "forget", h.endpoints.principalObjectId, ROLE.cryptoUser);
  assert.equal(
    (await hsmCall(h, "forget", "POST", `/keys/f1/create?${API}`, { body: { kty: "oct-HSM" } })).status,
    200,
  );
  const before = h.store.db.prepare("SELECT sealed_kek FROM hsm_instances WHERE hsm = 'forget'").get() as {
    sealed_kek: Buffer;
  };
  forgetHsmData(h.store, "FORGET");
  assert.equal((await hsmCall(h, "forget", "GET", `/keys/f1?${API}`)).status, 403, "role assignments are gone too");
  await grant(h, "forget", h.endpoints.principalObjectId, ROLE.cryptoUser);
  assert.equal((await hsmCall(h, "forget", "GET", `/keys/f1?${API}`)).status, 404);
  const again = await hsmCall(h, "forget", "POST", `/keys/f1/create?${API}`, { body: { kty: "oct-HSM" } });
  assert.equal(again.status, 200);
  const wrap = await hsmCall(h, "forget", "POST", `/keys/f1/wrapkey?${API}`, {
    body: { alg: "A256KW", value: Buffer.alloc(16).toString("base64url") },
  });
  assert.equal(wrap.status, 200);
  const after = h.store.db.prepare("SELECT sealed_kek FROM hsm_instances WHERE hsm = 'forget'").get() as {
    sealed_kek: Buffer;
  };
  assert.ok(!after.sealed_kek.equals(before.sealed_kek));
});

test("an invalid key name is quoted as the caller wrote it, not percent-encoded", async () => {
  const r = await call("POST", `/keys/${encodeURIComponent("clé")}/create`, { kty: "oct-HSM" });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /^The key name 'clé' is invalid/);
});
