// The security domain over HTTPS through the gateway: a new HSM refuses key operations until activated; role
// management and the security-domain routes work before; download with 3 certificates / quorum 2 activates it
// (ARM shows Active) and the file opens with 2 of the 3 private keys; bad inputs change nothing; recovery onto a
// second HSM with a restore blob (built here from the file and 2 private keys, as az does) gives it the same domain.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { seedHsm, hsmCall, grant, ROLE, API } from "./support.js";
import { DOMAIN_TAG } from "../../../src/hsm/security-domain/service.js";
import { certificateThumbprint, type SecurityDomainFile } from "../../../src/hsm/security-domain/format.js";
import {
  jwkOf,
  openFile as openWith,
  restoreBlob as blobWith,
  wrappingKeys,
  type WrappingKey,
} from "./security-domain-support.js";

let h: TestHsmlink;
let wrapping: WrappingKey[];

before(async () => {
  h = await startTestHsmlink({ activateNewHsms: false });
  wrapping = await wrappingKeys(4);
});
after(async () => h?.dispose());

const armHsm = (name: string) =>
  h.store.resources.list<any>("Microsoft.KeyVault/managedHSMs").find((r) => r.name === name)!.body.properties
    .securityDomainProperties;
const openFile = (file: SecurityDomainFile, which: number[]) => openWith(file, wrapping, which);
const restoreBlob = (file: SecurityDomainFile, which: number[], exchangeCertDer: Buffer) =>
  blobWith(file, wrapping, which, exchangeCertDer);

test("a new HSM refuses key operations until activated; role management works before", async () => {
  seedHsm(h, "sd1", { activationStatus: "NotActivated" });
  const create = await hsmCall(h, "sd1", "POST", `/keys/k1/create?${API}`, { body: { kty: "RSA-HSM" } });
  assert.equal(create.status, 403);
  assert.equal(create.json.error.code, "Forbidden");
  assert.equal(create.json.error.innererror.code, "HsmNotActivated");
  assert.match(create.json.error.message, /not activated.*security domain/);
  // The decision pipeline's activation step decided it, and the trace (hsmlink log) says so.
  const trace = h.traces
    .recent(0, 500)
    .filter((t) => t.url.includes("/keys/k1/create"))
    .pop()!;
  assert.deepEqual(
    trace.steps.filter((s) => s.step === "activation").map((s) => s.rule),
    ["not-activated"],
  );
  // Role assignment before activation (the quickstart assigns roles, then downloads the security domain).
  await grant(h, "sd1", h.endpoints.principalObjectId, ROLE.cryptoUser);
  const list = await hsmCall(h, "sd1", "GET", `/providers/Microsoft.Authorization/roleAssignments?${API}`);
  assert.equal(list.status, 200);
  // No operation yet: pending is 404.
  assert.equal((await hsmCall(h, "sd1", "GET", `/securitydomain/download/pending?${API}`)).status, 404);
});

test("download input is checked and a refused download changes nothing", async () => {
  const certs = wrapping.map((w) => jwkOf(w.certDer));
  const bad = async (body: unknown, pattern: RegExp) => {
    const r = await hsmCall(h, "sd1", "POST", `/securitydomain/download?api-version=7.2`, { body });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, "BadParameter");
    assert.match(r.json.error.message, pattern);
  };
  await bad({ certificates: certs.slice(0, 2), required: 2 }, /between 3 and 10; got 2/);
  await bad({ certificates: [...certs, ...certs, ...certs].slice(0, 11), required: 2 }, /between 3 and 10; got 11/);
  await bad({ certificates: certs.slice(0, 3), required: 1 }, /between 2 and 10; got 1/);
  await bad({ certificates: certs.slice(0, 3), required: 4 }, /cannot exceed the number of certificates/);
  await bad({ certificates: [certs[0], certs[0], certs[1]], required: 2 }, /distinct/);
  const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
  await bad(
    { certificates: [...certs.slice(0, 2), { kty: "RSA", n: small.n, e: small.e, "x5t#S256": "abc" }], required: 2 },
    /2048 bits or more.*RSA 1024/,
  );
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  await bad(
    { certificates: [...certs.slice(0, 2), { ...ec, "x5t#S256": "abc" }], required: 2 },
    /no x5c certificate and no RSA/,
  );
  await bad(
    { certificates: [...certs.slice(0, 2), { kty: "RSA", x5c: ["bm90IGEgY2VydA=="] }], required: 2 },
    /not an X\.509 certificate/,
  );
  assert.equal(armHsm("sd1").activationStatus, "NotActivated");
  assert.equal((await hsmCall(h, "sd1", "POST", `/keys/k1/create?${API}`, { body: { kty: "RSA-HSM" } })).status, 403);
});

let sdFile: SecurityDomainFile;

test("download with 3 certificates and quorum 2: 202 + the file, pending Success, the HSM is Active; 2 of 3 keys open the file", async () => {
  const r = await hsmCall(h, "sd1", "POST", `/securitydomain/download?api-version=7.2`, {
    body: { certificates: wrapping.slice(0, 3).map((w) => jwkOf(w.certDer)), required: 2 },
  });
  assert.equal(r.status, 202, r.text);
  assert.match(
    String(r.headers["azure-asyncoperation"]),
    /^https:\/\/sd1\.managedhsm\.azure\.net\/securitydomain\/download\/pending\?api-version=7\.2$/,
  );
  sdFile = JSON.parse(r.json.value);
  assert.equal(sdFile.EncData.kdf, "sp108_kdf");
  assert.equal(sdFile.SharedKeys.key_algorithm, "shamir_share");
  assert.equal(sdFile.SharedKeys.required, 2);
  assert.deepEqual(
    sdFile.SharedKeys.enc_shares.map((s) => s.x5t_256),
    wrapping.slice(0, 3).map((w) => certificateThumbprint(w.certDer)),
  );
  for (const p of ["download", "upload"]) {
    const pending = await hsmCall(h, "sd1", "GET", `/securitydomain/${p}/pending?api-version=7.2`);
    assert.equal(pending.status, 200);
    assert.equal(pending.json.status, "Success");
  }
  assert.equal(armHsm("sd1").activationStatus, "Active");
  // Any two of the three private keys recover the same domain; the datum is hsmlink's domain record.
  const a = await openFile(sdFile, [0, 1]);
  const b = await openFile(sdFile, [2, 0]);
  assert.deepEqual(a, b);
  assert.equal(sdFile.EncData.data[0].tag, DOMAIN_TAG);
  assert.match(JSON.parse(a.toString()).domainId, /^[0-9a-f-]{36}$/);
  // A key not among the wrapping certificates has no share.
  assert.equal(
    sdFile.SharedKeys.enc_shares.some((s) => s.x5t_256 === certificateThumbprint(wrapping[3].certDer)),
    false,
  );
  // Keys work now.
  const key = await hsmCall(h, "sd1", "POST", `/keys/k1/create?${API}`, { body: { kty: "EC-HSM", crv: "P-256" } });
  assert.equal(key.status, 200, key.text);
  // A second download is refused (hsmlink's choice) and the domain stays.
  const again = await hsmCall(h, "sd1", "POST", `/securitydomain/download?api-version=7.2`, {
    body: { certificates: wrapping.slice(0, 3).map((w) => jwkOf(w.certDer)), required: 2 },
  });
  assert.equal(again.status, 409);
  assert.deepEqual(await openFile(sdFile, [1, 2]), a);
});

test("recovery: exchange key, restore blob from 2 of 3 keys, upload; the second HSM holds the same domain", async () => {
  seedHsm(h, "sd2", { activationStatus: "NotActivated" });
  seedHsm(h, "sd3", { activationStatus: "NotActivated" });
  // az 2.45 (api-version 7.2) reads transfer_key as a JSON string; 7.5+ gets the object.
  const tk = await hsmCall(h, "sd2", "GET", `/securitydomain/upload?api-version=7.2`);
  assert.equal(tk.status, 200, tk.text);
  assert.equal(tk.json.key_format, "jwk");
  const jwk = JSON.parse(tk.json.transfer_key);
  assert.equal(jwk.kty, "RSA");
  const exchangeDer = Buffer.from(jwk.x5c[0], "base64");
  assert.equal(jwk["x5t#S256"], certificateThumbprint(exchangeDer));
  assert.equal(
    createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" }).equals(
      new X509Certificate(exchangeDer).publicKey,
    ),
    true,
  );
  const tk75 = await hsmCall(h, "sd2", "GET", `/securitydomain/upload?api-version=7.5`);
  assert.deepEqual(tk75.json.transfer_key, jwk);

  const blob = await restoreBlob(sdFile, [0, 2], exchangeDer);
  // Refused, and nothing changes: a blob for another HSM's exchange key, a tampered blob, junk.
  const tk3 = JSON.parse((await hsmCall(h, "sd3", "GET", `/securitydomain/upload?api-version=7.2`)).json.transfer_key);
  const foreign = await hsmCall(h, "sd3", "POST", `/securitydomain/upload?api-version=7.2`, { body: { value: blob } });
  assert.equal(foreign.status, 400);
  assert.match(foreign.json.error.message, /another exchange key/);
  const parsed = JSON.parse(blob);
  const parts = parsed.EncData.data[0].compact_jwe.split(".");
  parts[3] = Buffer.from(
    Buffer.from(parts[3], "base64url").map((x: number, i: number) => (i === 0 ? x ^ 1 : x)),
  ).toString("base64url");
  parsed.EncData.data[0].compact_jwe = parts.join(".");
  const tampered = await hsmCall(h, "sd2", "POST", `/securitydomain/upload?api-version=7.2`, {
    body: { value: JSON.stringify(parsed) },
  });
  assert.equal(tampered.status, 400);
  assert.match(tampered.json.error.message, /corrupt or was tampered with/);
  for (const value of ["{", "{}", 42]) {
    const r = await hsmCall(h, "sd2", "POST", `/securitydomain/upload?api-version=7.2`, { body: { value } });
    assert.equal(r.status, 400, String(value));
  }
  assert.equal(armHsm("sd2").activationStatus, "NotActivated");
  assert.equal(armHsm("sd3").activationStatus, "NotActivated");
  assert.ok(tk3.x5c);

  const up = await hsmCall(h, "sd2", "POST", `/securitydomain/upload?api-version=7.2`, { body: { value: blob } });
  assert.equal(up.status, 202, up.text);
  assert.match(String(up.headers["azure-asyncoperation"]), /\/securitydomain\/upload\/pending/);
  const pending = await hsmCall(h, "sd2", "GET", `/securitydomain/upload/pending?api-version=7.2`);
  assert.equal(pending.json.status, "Success");
  assert.equal(armHsm("sd2").activationStatus, "Active");
  const domainId = (hsm: string) =>
    (h.store.db.prepare("SELECT domain_id FROM hsm_security_domains WHERE hsm = ?").get(hsm) as { domain_id: string })
      .domain_id;
  assert.equal(domainId("sd2"), domainId("sd1"));
  // The used exchange key is gone: the blob cannot be replayed, and the HSM now holds a domain.
  const replay = await hsmCall(h, "sd2", "POST", `/securitydomain/upload?api-version=7.2`, { body: { value: blob } });
  assert.equal(replay.status, 409);
});

test("security-domain routes need the Administrator's data actions", async () => {
  seedHsm(h, "sd4", { activationStatus: "NotActivated", admins: ["00000000-0000-0000-0000-000000000001"] });
  const r = await hsmCall(h, "sd4", "POST", `/securitydomain/download?api-version=7.2`, {
    body: { certificates: wrapping.slice(0, 3).map((w) => jwkOf(w.certDer)), required: 2 },
  });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "AccessDenied");
  assert.match(r.json.error.message, /securitydomain\/download\/action/);
});
