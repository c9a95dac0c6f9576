/**
 * Child-process client for tests/clients/keyvault-keys*.test.ts: the UNMODIFIED @azure/keyvault-keys 4.10.2
 * KeyClient + CryptographyClient against `https://{hsm}.managedhsm.azure.net` (default client options: challenge
 * resource verification on, TLS through NODE_EXTRA_CA_CERTS, proxy from HTTPS_PROXY). Credential: the default
 * ManagedIdentityCredential, or ClientSecretCredential when tenant/app/secret are given.
 * Usage: keyvault-keys-hsm.ts <scenario> <hsmName> [tenantId appId secret …]; prints one JSON line.
 */
import { KeyClient, CryptographyClient, type JsonWebKey } from "@azure/keyvault-keys";
import { ManagedIdentityCredential, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import {
  createHash,
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  constants,
  createDecipheriv,
  verify as nodeVerify,
} from "node:crypto";

const [scenario, hsm, ...rest] = process.argv.slice(2);
const vaultUrl = `https://${hsm}.managedhsm.azure.net`;
const poll = { intervalInMs: 50 };
const out: Record<string, unknown> = {};

/** Runs `fn`, recording its result or its error (code, statusCode, message) under `label`. */
async function attempt<T>(label: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    const v = await fn();
    return v;
  } catch (e) {
    const err = e as { code?: string; statusCode?: number; message?: string };
    out[label] = { error: { code: err.code, statusCode: err.statusCode, message: String(err.message).slice(0, 400) } };
    return undefined;
  }
}

function errorOf(e: unknown): { code?: string; statusCode?: number; message: string } {
  const err = e as { code?: string; statusCode?: number; message?: string };
  return { code: err.code, statusCode: err.statusCode, message: String(err.message).slice(0, 400) };
}

async function rejects(
  fn: () => Promise<unknown>,
): Promise<{ code?: string; statusCode?: number; message: string } | null> {
  try {
    await fn();
    return null;
  } catch (e) {
    return errorOf(e);
  }
}

const b64 = (u: Uint8Array | undefined) => (u ? Buffer.from(u).toString("base64url") : undefined);
const digestOf = (alg: string, data: Buffer) =>
  createHash(alg.endsWith("256") || alg === "ES256K" ? "sha256" : alg.endsWith("384") ? "sha384" : "sha512")
    .update(data)
    .digest();

function publicKeyOf(jwk: JsonWebKey) {
  if (jwk.kty?.startsWith("RSA"))
    return createPublicKey({ key: { kty: "RSA", n: b64(jwk.n)!, e: b64(jwk.e)! }, format: "jwk" });
  const crv = jwk.crv === "P-256K" ? "secp256k1" : jwk.crv!;
  return createPublicKey({ key: { kty: "EC", crv, x: b64(jwk.x)!, y: b64(jwk.y)! }, format: "jwk" });
}

/** An attestation-style JWT carrying an RSA public key in x-ms-runtime.keys (what the emulator's release accepts). */
function attestation(issuer: string, claims: Record<string, unknown>) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const token = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iss: issuer, exp: Math.floor(Date.now() / 1000) + 600, "x-ms-runtime": { keys: [{ kid: "TpmEphemeralEncryptionKey", kty: "RSA", key_ops: ["encrypt"], n: jwk.n, e: jwk.e }] }, ...claims })}.c2lnbmF0dXJl`;
  return { token, privateKey };
}

function credential(): TokenCredential {
  return rest.length >= 3 ? new ClientSecretCredential(rest[0], rest[1], rest[2]) : new ManagedIdentityCredential();
}

async function hsmSpec(client: KeyClient) {
  // keyClient.hsm.spec.ts: oct-HSM create
  const oct = await client.createOctKey("hsm-oct", { hsm: true });
  out.oct = { name: oct.name, keyType: oct.keyType, kid: oct.id, ops: oct.keyOperations };
  // getRandomBytes
  const bytes = await client.getRandomBytes(10);
  out.random10 = bytes.length;
  out.randomRejected = await Promise.all([-1, 0, 129].map((n) => rejects(() => client.getRandomBytes(n))));
  // releaseKey and the exportable rules
  const issuer = "https://sharedeus.eus.attest.azure.net";
  const policy = { anyOf: [{ allOf: [{ claim: "sdk-test", equals: "true" }], authority: issuer }], version: "1.0.0" };
  const encodedPolicy = new TextEncoder().encode(JSON.stringify(policy));
  out.exportableNoPolicy = await rejects(() => client.createRsaKey("exp-nopolicy", { exportable: true, hsm: true }));
  out.policyNotExportable = await rejects(() =>
    client.createRsaKey("policy-nonexp", { hsm: true, releasePolicy: { encodedPolicy } }),
  );
  const created = await client.createRsaKey("exp-key", {
    exportable: true,
    hsm: true,
    releasePolicy: { encodedPolicy },
    keyOps: ["encrypt", "decrypt"],
  });
  out.exportable = {
    exportable: created.properties.exportable,
    policy: JSON.parse(new TextDecoder().decode(created.properties.releasePolicy!.encodedPolicy!)),
  };
  const att = attestation(issuer, { "sdk-test": true });
  const rel = await client.releaseKey("exp-key", att.token);
  const relByVersion = await client.releaseKey("exp-key", att.token, {
    version: created.properties.version,
    nonce: "nonce",
    algorithm: "RSA_AES_KEY_WRAP_256",
  });
  out.release = {
    value: typeof rel.value === "string" && rel.value.split(".").length === 3,
    byVersion: typeof relByVersion.value === "string",
  };
  out.releaseDenied = await rejects(() =>
    client.releaseKey("exp-key", attestation(issuer, { "sdk-test": false }).token),
  );
  // import an exportable oct key, release it and unwrap it locally: the same bytes come back
  const k = randomBytes(32);
  await client.importKey("imp-exp", { kty: "oct-HSM", k }, { exportable: true, releasePolicy: { encodedPolicy } });
  const rel2 = await client.releaseKey("imp-exp", att.token, { algorithm: "RSA_AES_KEY_WRAP_256" });
  const payload = JSON.parse(Buffer.from(rel2.value.split(".")[1], "base64url").toString());
  const ct = Buffer.from(
    JSON.parse(Buffer.from(payload.response.key.key.key_hsm, "base64url").toString()).ciphertext,
    "base64url",
  );
  const aes = privateDecrypt(
    { key: att.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    ct.subarray(0, 256),
  );
  const d = createDecipheriv("id-aes256-wrap-pad", aes, Buffer.from("a65959a6", "hex"));
  out.releasedMatches = Buffer.concat([d.update(ct.subarray(256)), d.final()]).equals(k);
  // release policy update (mutable) and the immutable rule
  const newPolicy = {
    anyOf: [{ anyOf: [{ claim: "sdk-test", equals: "false" }], authority: issuer }],
    version: "1.0.0",
  };
  const updated = await client.updateKeyProperties("exp-key", {
    releasePolicy: { encodedPolicy: new TextEncoder().encode(JSON.stringify(newPolicy)) },
  });
  out.policyUpdated = JSON.parse(new TextDecoder().decode(updated.properties.releasePolicy!.encodedPolicy!));
  await client.createRsaKey("immutable", {
    exportable: true,
    hsm: true,
    releasePolicy: { encodedPolicy, immutable: true },
    keyOps: ["encrypt", "decrypt"],
  });
  out.immutableUpdate = await rejects(() =>
    client.updateKeyProperties("immutable", {
      releasePolicy: { encodedPolicy: new TextEncoder().encode(JSON.stringify(newPolicy)), immutable: true },
    }),
  );
  // crypto.hsm.spec.ts: AES-GCM and AES-CBCPAD with createKey(name, "AES", {keySize: 256})
  const aesKey = await client.createKey("hsm-aes", "AES", { keySize: 256 });
  out.aesKeyType = aesKey.keyType;
  const crypto = new CryptographyClient(aesKey.id!, credential());
  const text = Buffer.from("plaintext of the crypto.hsm spec");
  const gcm = await crypto.encrypt({
    algorithm: "A256GCM",
    plaintext: text,
    additionalAuthenticatedData: Buffer.from("aad"),
  });
  const gcmBack = await crypto.decrypt({
    algorithm: "A256GCM",
    ciphertext: gcm.result,
    iv: gcm.iv!,
    authenticationTag: gcm.authenticationTag!,
    additionalAuthenticatedData: Buffer.from("aad"),
  });
  const cbc = await crypto.encrypt({ algorithm: "A256CBCPAD", plaintext: text, iv: randomBytes(16) });
  const cbcBack = await crypto.decrypt({ algorithm: "A256CBCPAD", ciphertext: cbc.result, iv: cbc.iv! });
  out.aes = {
    gcm: Buffer.from(gcmBack.result).equals(text),
    gcmIv: gcm.iv?.length,
    gcmTag: gcm.authenticationTag?.length,
    gcmKid: gcm.keyID === aesKey.id,
    cbcpad: Buffer.from(cbcBack.result).equals(text),
  };
  // attestation (7.6+)
  const attested = await attempt("attestationError", () => client.getKeyAttestation("exp-key"));
  out.attestation = attested
    ? {
        hasPrivate: Boolean(attested.properties.attestation?.privateKeyAttestation),
        hasPublic: Boolean(attested.properties.attestation?.publicKeyAttestation),
      }
    : null;
  out.getKeyNoAttestation = (await client.getKey("exp-key")).properties.attestation === undefined;
}

async function crud(client: KeyClient) {
  const created = await client.createKey("crud-1", "RSA", { tags: { team: "a" } });
  out.created = {
    kid: created.id,
    keyType: created.keyType,
    version: created.properties.version,
    vaultUrl: created.properties.vaultUrl,
    recoveryLevel: created.properties.recoveryLevel,
    recoverableDays: created.properties.recoverableDays,
    tags: created.properties.tags,
  };
  const got = await client.getKey("crud-1");
  out.getLatest = got.id === created.id;
  const v2 = await client.createEcKey("crud-1", { curve: "P-384", hsm: true });
  out.v2 = { keyType: v2.keyType, newVersion: v2.properties.version !== created.properties.version };
  const byVersion = await client.getKey("crud-1", { version: created.properties.version });
  out.getByVersion = byVersion.keyType;
  const upd = await client.updateKeyProperties("crud-1", v2.properties.version!, {
    enabled: false,
    tags: { team: "b" },
  });
  out.updated = { enabled: upd.properties.enabled, tags: upd.properties.tags };
  for (let i = 0; i < 5; i++) await client.createKey(`crud-list-${i}`, "oct-HSM");
  const names: string[] = [];
  let pages = 0;
  for await (const page of client.listPropertiesOfKeys().byPage({ maxPageSize: 2 })) {
    pages++;
    for (const p of page) names.push(p.name);
  }
  out.list = { names, pages };
  const versions: string[] = [];
  for await (const p of client.listPropertiesOfKeyVersions("crud-1")) versions.push(p.version!);
  out.versions = versions;
  // A real managed HSM answers 200 {"value":[]} for the versions of a key that never existed, so the pager yields nothing.
  const neverVersions: string[] = [];
  out.neverExistedVersions = await (async () => {
    try {
      for await (const p of client.listPropertiesOfKeyVersions("never-existed")) neverVersions.push(p.version!);
      return { threw: false, versions: neverVersions };
    } catch (e) {
      return { threw: true, message: (e as Error).message };
    }
  })();
  out.missing = await rejects(() => client.getKey("no-such-key"));
  const del = await client.beginDeleteKey("crud-1", poll);
  const deleted = await del.pollUntilDone();
  out.deleted = {
    recoveryId: deleted.properties.recoveryId,
    hasDeletedOn: deleted.properties.deletedOn instanceof Date,
    hasPurgeDate: deleted.properties.scheduledPurgeDate instanceof Date,
    days: Math.round(
      (deleted.properties.scheduledPurgeDate!.getTime() - deleted.properties.deletedOn!.getTime()) / 86400000,
    ),
  };
  out.deletedGet = (await client.getDeletedKey("crud-1")).name;
  const deletedNames: string[] = [];
  for await (const d of client.listDeletedKeys()) deletedNames.push(d.name);
  out.deletedList = deletedNames;
  out.createOverDeleted = await rejects(() => client.createKey("crud-1", "RSA"));
  out.deleteTwice = await rejects(async () => (await client.beginDeleteKey("crud-1", poll)).pollUntilDone());
  const rec = await (await client.beginRecoverDeletedKey("crud-1", poll)).pollUntilDone();
  out.recovered = rec.id === v2.id;
  // backup, delete, purge, restore
  const backup = await client.backupKey("crud-1");
  out.backupBytes = backup!.length;
  await (await client.beginDeleteKey("crud-1", poll)).pollUntilDone();
  await client.purgeDeletedKey("crud-1");
  out.afterPurge = await rejects(() => client.getDeletedKey("crud-1"));
  const restored = await client.restoreKeyBackup(backup!);
  out.restored = { kid: restored.id === v2.id, versions: 0 };
  let n = 0;
  for await (const _ of client.listPropertiesOfKeyVersions("crud-1")) n++;
  (out.restored as { versions: number }).versions = n;
  out.restoreConflict = await rejects(() => client.restoreKeyBackup(backup!));
  // rotation
  const rot = await client.createKey("crud-rot", "RSA");
  const policy = await client.updateKeyRotationPolicy("crud-rot", {
    expiresIn: "P90D",
    lifetimeActions: [{ action: "Rotate", timeBeforeExpiry: "P30D" }],
  });
  const fetched = await client.getKeyRotationPolicy("crud-rot");
  out.rotationPolicy = {
    same: JSON.stringify(fetched) === JSON.stringify(policy),
    expiresIn: fetched.expiresIn,
    actions: fetched.lifetimeActions,
    id: fetched.id,
  };
  out.badPolicy = await rejects(() => client.updateKeyRotationPolicy("crud-rot", { expiresIn: "P1D" }));
  const rotated = await client.rotateKey("crud-rot");
  out.rotated = {
    newVersion: rotated.properties.version !== rot.properties.version,
    newN: b64(rotated.key!.n) !== b64(rot.key!.n),
    expires: rotated.properties.expiresOn instanceof Date,
  };
  out.policyOfMissing = await rejects(() => client.getKeyRotationPolicy("no-such-key"));
}

async function cryptoRsa(client: KeyClient, sizes: number[]) {
  const results: Record<string, unknown> = {};
  for (const size of sizes) {
    const key = await client.createRsaKey(`rsa-${size}`, { keySize: size, hsm: true });
    const cc = new CryptographyClient(key.id!, credential());
    const local = new CryptographyClient(key.key!);
    const pub = publicKeyOf(key.key!);
    const r: Record<string, unknown> = { keyType: key.keyType, modulusBytes: key.key!.n!.length };
    for (const alg of ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"] as const) {
      const pt = randomBytes(32);
      const enc = await cc.encrypt({ algorithm: alg, plaintext: pt });
      const dec = await cc.decrypt({ algorithm: alg, ciphertext: enc.result });
      // cross-check: our own public-key encryption, decrypted by the server
      const own = publicEncrypt(
        {
          key: pub,
          padding: alg === "RSA1_5" ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: alg === "RSA-OAEP-256" ? "sha256" : "sha1",
        },
        pt,
      );
      const decOwn = await cc.decrypt({ algorithm: alg, ciphertext: own });
      const wrapped = await cc.wrapKey(alg, pt);
      const unwrapped = await cc.unwrapKey(alg, wrapped.result);
      r[alg] =
        Buffer.from(dec.result).equals(pt) &&
        Buffer.from(decOwn.result).equals(pt) &&
        Buffer.from(unwrapped.result).equals(pt) &&
        dec.keyID === key.id;
    }
    for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] as const) {
      const data = randomBytes(100);
      const digest = digestOf(alg, data);
      const signed = await cc.sign(alg, digest);
      const verified = await cc.verify(alg, digest, signed.result);
      const verifiedData = await cc.verifyData(alg, data, signed.result);
      const signedData = await cc.signData(alg, data);
      const localVerify = await local.verifyData(alg, data, signedData.result);
      const hash = alg.endsWith("256") ? "sha256" : alg.endsWith("384") ? "sha384" : "sha512";
      const nodeOk = nodeVerify(
        hash,
        data,
        alg.startsWith("PS") ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length } : pub,
        Buffer.from(signed.result),
      );
      const tampered = await cc.verify(alg, digestOf(alg, Buffer.from("other")), signed.result);
      // SDK quirk: its local verifyData checks PS* with PKCS#1 v1.5 padding (createVerify defaults), so it reports
      // false for every genuine PSS signature, the real service's included; recorded, not required.
      r[alg] = {
        server: verified.result,
        node: nodeOk,
        tamperedRejected: !tampered.result,
        sdkVerifyData: verifiedData.result,
        sdkLocal: localVerify.result,
      };
    }
    results[size] = r;
  }
  out.rsa = results;
}

async function cryptoEc(client: KeyClient) {
  const results: Record<string, unknown> = {};
  for (const [crv, alg] of [
    ["P-256", "ES256"],
    ["P-256K", "ES256K"],
    ["P-384", "ES384"],
    ["P-521", "ES512"],
  ] as const) {
    const key = await client.createEcKey(`ec-${crv}`, { curve: crv, hsm: true });
    const cc = new CryptographyClient(key.id!, credential());
    const pub = publicKeyOf(key.key!);
    const data = randomBytes(64);
    const digest = digestOf(alg, data);
    const signed = await cc.sign(alg, digest);
    const verified = await cc.verify(alg, digest, signed.result);
    const signedData = await cc.signData(alg, data);
    const verifiedData = await cc.verifyData(alg, data, signedData.result);
    const hash = alg === "ES384" ? "sha384" : alg === "ES512" ? "sha512" : "sha256";
    const nodeOk = createVerify(hash)
      .update(data)
      .verify({ key: pub, dsaEncoding: "ieee-p1363" }, Buffer.from(signed.result));
    const tampered = await cc.verify(alg, digestOf(alg, Buffer.from("x")), signed.result);
    results[crv] = {
      keyType: key.keyType,
      crv: key.key!.crv,
      ok: verified.result && verifiedData.result && nodeOk && !tampered.result,
      sigBytes: signed.result.length,
    };
  }
  out.ec = results;
}

async function cryptoOct(client: KeyClient) {
  const results: Record<string, unknown> = {};
  for (const size of [128, 192, 256]) {
    const key = await client.createOctKey(`oct-${size}`, { keySize: size, hsm: true });
    const cc = new CryptographyClient(key.id!, credential());
    const r: Record<string, boolean> = {};
    const cek = randomBytes(32);
    for (const alg of [`A${size}KW`, "CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD"]) {
      const w = await cc.wrapKey(alg as "A256KW", cek);
      const u = await cc.unwrapKey(alg as "A256KW", w.result);
      r[alg] = Buffer.from(u.result).equals(cek);
    }
    const odd = randomBytes(20);
    const wp = await cc.wrapKey("CKM_AES_KEY_WRAP_PAD" as "A256KW", odd);
    r["CKM_AES_KEY_WRAP_PAD-20"] = Buffer.from(
      (await cc.unwrapKey("CKM_AES_KEY_WRAP_PAD" as "A256KW", wp.result)).result,
    ).equals(odd);
    const pt = randomBytes(48);
    const gcm = await cc.encrypt({ algorithm: `A${size}GCM` as "A256GCM", plaintext: pt });
    r[`A${size}GCM`] = Buffer.from(
      (
        await cc.decrypt({
          algorithm: `A${size}GCM` as "A256GCM",
          ciphertext: gcm.result,
          iv: gcm.iv!,
          authenticationTag: gcm.authenticationTag!,
        })
      ).result,
    ).equals(pt);
    const cbc = await cc.encrypt({ algorithm: `A${size}CBC` as "A256CBC", plaintext: pt, iv: randomBytes(16) });
    r[`A${size}CBC`] = Buffer.from(
      (await cc.decrypt({ algorithm: `A${size}CBC` as "A256CBC", ciphertext: cbc.result, iv: cbc.iv! })).result,
    ).equals(pt);
    const odd2 = randomBytes(33);
    const cbcpad = await cc.encrypt({ algorithm: `A${size}CBCPAD` as "A256CBCPAD", plaintext: odd2 });
    r[`A${size}CBCPAD`] = Buffer.from(
      (await cc.decrypt({ algorithm: `A${size}CBCPAD` as "A256CBCPAD", ciphertext: cbcpad.result, iv: cbcpad.iv! }))
        .result,
    ).equals(odd2);
    results[size] = r;
    results[`${size}-wrongSize`] = await rejects(() =>
      cc.encrypt({ algorithm: (size === 256 ? "A128GCM" : "A256GCM") as "A256GCM", plaintext: pt }),
    );
  }
  out.oct = results;
  // disabled and expired keys: the server refuses (403), the SDK's local checks too
  const k = await client.createOctKey("oct-gate", { hsm: true });
  await client.updateKeyProperties("oct-gate", { enabled: false });
  out.disabled = await rejects(() =>
    new CryptographyClient(k.id!, credential()).encrypt({ algorithm: "A256GCM", plaintext: Buffer.from("x") }),
  );
}

async function principal(client: KeyClient) {
  out.create = await rejects(() => client.createKey("sp-key", "oct-HSM"));
  if (out.create) return;
  const k = await client.getKey("sp-key");
  const cc = new CryptographyClient(k.id!, credential());
  const enc = await cc.encrypt({ algorithm: "A256GCM", plaintext: Buffer.from("sp") });
  out.encrypt = Buffer.from(
    (
      await cc.decrypt({
        algorithm: "A256GCM",
        ciphertext: enc.result,
        iv: enc.iv!,
        authenticationTag: enc.authenticationTag!,
      })
    ).result,
  ).toString();
  await (await client.beginDeleteKey("sp-key", poll)).pollUntilDone();
  out.getDeleted = await rejects(() => client.getDeletedKey("sp-key"));
  out.purge = await rejects(() => client.purgeDeletedKey("sp-key"));
}

async function main() {
  const client = new KeyClient(vaultUrl, credential());
  const sizes = (process.env.HSMLINK_RSA_SIZES ?? "2048").split(",").map(Number);
  if (scenario === "hsm-spec") await hsmSpec(client);
  else if (scenario === "crud") await crud(client);
  else if (scenario === "crypto") {
    await cryptoOct(client);
    await cryptoEc(client);
    await cryptoRsa(client, sizes);
  } else if (scenario === "principal") await principal(client);
  else throw new Error(`unknown scenario ${scenario}`);
}

main().then(
  () => console.log(JSON.stringify({ ok: true, ...out })),
  (e) =>
    console.log(
      JSON.stringify({ ok: false, error: errorOf(e), stack: String((e as Error).stack).slice(0, 1500), ...out }),
    ),
);
