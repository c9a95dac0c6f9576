// Key material: kty aliases, generation sizes/curves, JWK import with consistency checks, the public
// JWK on the wire (data-plane.md §2.1), and the serialization the store seals.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import {
  defaultKeyOps,
  deserializeMaterial,
  generateKeyMaterial,
  importKeyMaterial,
  normalizeKty,
  publicJwk,
  serializeMaterial,
  sign,
  verify,
  type KeyMaterial,
} from "../../../../src/hsm/crypto/index.js";
import { badParameter, internalError, publicKeyFromWire, sha } from "./support.js";

const B64URL_NO_PAD = /^[A-Za-z0-9_-]+$/;

describe("normalizeKty", () => {
  it("maps the software aliases to the -HSM types (data-plane.md §0.7)", () => {
    assert.equal(normalizeKty("RSA"), "RSA-HSM");
    assert.equal(normalizeKty("RSA-HSM"), "RSA-HSM");
    assert.equal(normalizeKty("EC"), "EC-HSM");
    assert.equal(normalizeKty("EC-HSM"), "EC-HSM");
    assert.equal(normalizeKty("oct"), "oct-HSM");
    assert.equal(normalizeKty("AES"), "oct-HSM");
    assert.equal(normalizeKty("oct-HSM"), "oct-HSM");
  });

  it("rejects unknown, differently cased and non-string kty with BadParameter", () => {
    for (const kty of ["rsa", "OCT", "DSA", "", "toString", undefined, 42]) {
      assert.throws(() => normalizeKty(kty), badParameter(/key type/), String(kty));
    }
  });
});

describe("defaultKeyOps", () => {
  it("returns the service defaults per type, as a fresh array", () => {
    assert.deepEqual(defaultKeyOps("RSA-HSM"), ["wrapKey", "decrypt", "encrypt", "unwrapKey", "sign", "verify"]);
    assert.deepEqual(defaultKeyOps("EC-HSM"), ["sign", "verify"]);
    assert.deepEqual(defaultKeyOps("oct-HSM"), ["wrapKey", "unwrapKey", "encrypt", "decrypt"]);
    defaultKeyOps("EC-HSM").push("encrypt");
    assert.deepEqual(defaultKeyOps("EC-HSM"), ["sign", "verify"]);
  });
});

describe("generateKeyMaterial", () => {
  it("RSA defaults to 2048 bits and e = 65537, published as n/e without padding", async () => {
    const material = await generateKeyMaterial({ kty: "RSA" });
    assert.equal(material.kty, "RSA-HSM");
    assert.equal(material.kty === "RSA-HSM" && material.keySize, 2048);
    const jwk = publicJwk(material);
    assert.deepEqual(Object.keys(jwk).sort(), ["e", "n"]);
    assert.equal(jwk.e, "AQAB");
    assert.match(jwk.n!, B64URL_NO_PAD);
    assert.equal(Buffer.from(jwk.n!, "base64url").length, 256);
  });

  it("RSA 3072 and a custom public exponent", async () => {
    const material = await generateKeyMaterial({ kty: "RSA-HSM", keySize: 3072, publicExponent: 3 });
    assert.equal(material.kty === "RSA-HSM" && material.keySize, 3072);
    assert.equal(publicJwk(material).e, "Aw");
    assert.equal(Buffer.from(publicJwk(material).n!, "base64url").length, 384);
  });

  it("RSA 4096 (the one slow generation in this suite)", async () => {
    const material = await generateKeyMaterial({ kty: "RSA-HSM", keySize: 4096 });
    assert.equal(material.kty === "RSA-HSM" && material.keySize, 4096);
    assert.equal(Buffer.from(publicJwk(material).n!, "base64url").length, 512);
    const digest = sha("sha512", "four thousand ninety-six");
    const signature = sign(material, { alg: "PS512", value: digest }).value;
    assert.equal(verify(material, { alg: "PS512", digest, value: signature }), true);
  });

  it("EC defaults to P-256 and supports P-256K, P-384, P-521 with full-length coordinates", async () => {
    const defaulted = await generateKeyMaterial({ kty: "EC" });
    assert.equal(defaulted.kty === "EC-HSM" && defaulted.crv, "P-256");
    for (const [crv, length] of [
      ["P-256", 32],
      ["P-256K", 32],
      ["P-384", 48],
      ["P-521", 66],
    ] as const) {
      const material = await generateKeyMaterial({ kty: "EC-HSM", crv });
      const jwk = publicJwk(material);
      assert.deepEqual(Object.keys(jwk).sort(), ["crv", "x", "y"]);
      assert.equal(jwk.crv, crv);
      assert.match(jwk.x!, B64URL_NO_PAD);
      assert.equal(Buffer.from(jwk.x!, "base64url").length, length, crv);
      assert.equal(Buffer.from(jwk.y!, "base64url").length, length, crv);
    }
  });

  it("oct defaults to 256 bits, supports 128/192, and shows no key material", async () => {
    const defaulted = await generateKeyMaterial({ kty: "AES" });
    assert.equal(defaulted.kty === "oct-HSM" && defaulted.k.length, 32);
    for (const keySize of [128, 192, 256]) {
      const material = await generateKeyMaterial({ kty: "oct-HSM", keySize });
      assert.equal(material.kty === "oct-HSM" && material.k.length, keySize / 8);
      assert.deepEqual(publicJwk(material), {});
    }
  });

  it("rejects unsupported sizes, curves, exponents and types with BadParameter", async () => {
    await assert.rejects(generateKeyMaterial({ kty: "RSA", keySize: 1024 }), badParameter(/RSA key size 1024/));
    await assert.rejects(generateKeyMaterial({ kty: "RSA", keySize: 2047 }), badParameter(/RSA key size/));
    await assert.rejects(generateKeyMaterial({ kty: "RSA", publicExponent: 65536 }), badParameter(/exponent/));
    await assert.rejects(generateKeyMaterial({ kty: "RSA", publicExponent: 1 }), badParameter(/exponent/));
    await assert.rejects(generateKeyMaterial({ kty: "EC", crv: "P-224" }), badParameter(/Curve 'P-224'/));
    await assert.rejects(generateKeyMaterial({ kty: "EC", crv: "secp256k1" }), badParameter(/Curve/));
    await assert.rejects(generateKeyMaterial({ kty: "oct", keySize: 512 }), badParameter(/AES key size 512/));
    await assert.rejects(generateKeyMaterial({ kty: "oct", keySize: 64 }), badParameter(/AES key size/));
    await assert.rejects(generateKeyMaterial({ kty: "DSA" }), badParameter(/key type/));
  });
});

describe("publicJwk is the real public key", () => {
  it("matches the SPKI derived by OpenSSL from the private key, for RSA and every curve", async () => {
    const materials: KeyMaterial[] = [await generateKeyMaterial({ kty: "RSA" })];
    for (const crv of ["P-256", "P-256K", "P-384", "P-521"])
      materials.push(await generateKeyMaterial({ kty: "EC", crv }));
    for (const material of materials) {
      assert.ok(material.kty !== "oct-HSM");
      const fromPrivate = createPublicKey(createPrivateKey({ key: material.pkcs8, format: "der", type: "pkcs8" }));
      const fromWire = publicKeyFromWire(material);
      assert.deepEqual(
        fromWire.export({ format: "der", type: "spki" }),
        fromPrivate.export({ format: "der", type: "spki" }),
        material.kty,
      );
    }
  });
});

describe("importKeyMaterial", () => {
  const rsaJwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const otherRsaJwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });

  it("imports an RSA JWK with CRT parts and publishes the same n/e", () => {
    const material = importKeyMaterial({ ...rsaJwk, kty: "RSA" });
    assert.equal(material.kty, "RSA-HSM");
    assert.equal(material.kty === "RSA-HSM" && material.keySize, 2048);
    assert.deepEqual(publicJwk(material), { n: rsaJwk.n, e: rsaJwk.e });
  });

  it("accepts kty RSA-HSM and tolerates base64 padding on input", () => {
    const padded = Buffer.from(rsaJwk.e!, "base64url").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
    const material = importKeyMaterial({ ...rsaJwk, kty: "RSA-HSM", e: padded });
    assert.equal(publicJwk(material).e, "AQAB");
  });

  it("rejects inconsistent RSA parameters that OpenSSL itself would accept", () => {
    assert.throws(() => importKeyMaterial({ ...rsaJwk, d: otherRsaJwk.d }), badParameter(/inconsistent/));
    assert.throws(() => importKeyMaterial({ ...rsaJwk, p: otherRsaJwk.p }), badParameter(/inconsistent/));
    assert.throws(() => importKeyMaterial({ ...rsaJwk, qi: otherRsaJwk.qi }), badParameter(/inconsistent/));
  });

  it("rejects RSA JWKs that are incomplete, malformed or of an unsupported size", () => {
    assert.throws(
      () => importKeyMaterial({ kty: "RSA", n: rsaJwk.n, e: rsaJwk.e, d: rsaJwk.d }),
      badParameter(/'p' is required/),
    );
    assert.throws(() => importKeyMaterial({ ...rsaJwk, n: "not*base64url" }), badParameter(/'n' must be a base64url/));
    assert.throws(() => importKeyMaterial({ ...rsaJwk, n: 12345 }), badParameter(/'n' must be a base64url/));
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "jwk" });
    assert.throws(() => importKeyMaterial(small), badParameter(/RSA key size 1024/));
  });

  it("imports EC JWKs on every curve, P-256K mapped from secp256k1", () => {
    for (const [crv, nodeCurve] of [
      ["P-256", "P-256"],
      ["P-256K", "secp256k1"],
      ["P-384", "P-384"],
      ["P-521", "P-521"],
    ]) {
      const jwk = generateKeyPairSync("ec", { namedCurve: nodeCurve! }).privateKey.export({ format: "jwk" });
      const material = importKeyMaterial({ ...jwk, kty: "EC-HSM", crv });
      assert.equal(material.kty === "EC-HSM" && material.crv, crv);
      assert.deepEqual(publicJwk(material), { crv, x: jwk.x, y: jwk.y });
    }
  });

  it("rejects an EC d that does not belong to (x, y), off-curve points, short fields and unknown curves", () => {
    const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    assert.throws(() => importKeyMaterial({ ...jwk, d: other.d }), badParameter(/inconsistent/));
    assert.throws(() => importKeyMaterial({ ...jwk, y: other.y }), badParameter(/invalid/));
    const shortX = Buffer.from(jwk.x!, "base64url").subarray(1).toString("base64url");
    assert.throws(() => importKeyMaterial({ ...jwk, x: shortX }), badParameter(/32 bytes/));
    assert.throws(() => importKeyMaterial({ ...jwk, crv: "secp256k1" }), badParameter(/Curve/));
    assert.throws(() => importKeyMaterial({ ...jwk, crv: undefined }), badParameter(/Curve/));
  });

  it("imports oct keys of 128/192/256 bits and rejects other sizes", () => {
    for (const bytes of [16, 24, 32]) {
      const k = randomBytes(bytes);
      const material = importKeyMaterial({ kty: "oct", k: k.toString("base64url") });
      assert.equal(material.kty === "oct-HSM" && material.keySize, bytes * 8);
      assert.ok(material.kty === "oct-HSM" && material.k.equals(k));
    }
    assert.throws(
      () => importKeyMaterial({ kty: "oct", k: randomBytes(20).toString("base64url") }),
      badParameter(/AES key size 160/),
    );
    assert.throws(() => importKeyMaterial({ kty: "oct" }), badParameter(/'k' is required/));
  });

  it("refuses BYOK key_hsm blobs and unknown kty", () => {
    assert.throws(() => importKeyMaterial({ kty: "RSA-HSM", key_hsm: "AAAA" }), badParameter(/key_hsm/));
    assert.throws(() => importKeyMaterial({ kty: "DSA" }), badParameter(/key type/));
  });

  it("never puts key bytes into error messages", () => {
    const d = otherRsaJwk.d!;
    assert.throws(
      () => importKeyMaterial({ ...rsaJwk, d }),
      (error: Error) => !error.message.includes(d) && !error.message.includes(rsaJwk.p!),
    );
  });
});

describe("serializeMaterial / deserializeMaterial", () => {
  it("round-trips every key type and the result still works with the original", async () => {
    const materials = [
      await generateKeyMaterial({ kty: "RSA" }),
      await generateKeyMaterial({ kty: "EC", crv: "P-256K" }),
      await generateKeyMaterial({ kty: "oct", keySize: 192 }),
    ];
    for (const material of materials) {
      const restored = deserializeMaterial(serializeMaterial(material));
      assert.deepEqual(restored, material);
      assert.deepEqual(publicJwk(restored), publicJwk(material));
    }
    const [rsa, ec] = materials as [KeyMaterial, KeyMaterial];
    const digest = sha("sha256", "persisted");
    for (const [material, alg] of [
      [rsa, "RS256"],
      [ec, "ES256K"],
    ] as const) {
      const signature = sign(deserializeMaterial(serializeMaterial(material)), { alg, value: digest }).value;
      assert.equal(verify(material, { alg, digest, value: signature }), true, alg);
    }
  });

  it("throws InternalError for corrupt or mislabelled blobs", async () => {
    const rsa = await generateKeyMaterial({ kty: "RSA" });
    const body = JSON.parse(serializeMaterial(rsa).toString("utf8")) as Record<string, unknown>;
    const blob = (patch: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...body, ...patch }));
    assert.throws(() => deserializeMaterial(Buffer.from("{not json")), internalError(/not JSON/));
    assert.throws(() => deserializeMaterial(blob({ v: 2 })), internalError(/version/));
    assert.throws(() => deserializeMaterial(blob({ keySize: 3072 })), internalError(/size mismatch/));
    assert.throws(() => deserializeMaterial(blob({ kty: "EC-HSM", crv: "P-256" })), internalError(/expected a ec key/));
    assert.throws(() => deserializeMaterial(blob({ key: "AAAA" })), internalError(/PKCS#8/));
    assert.throws(
      () => deserializeMaterial(blob({ kty: "oct-HSM", keySize: 256, key: randomBytes(31).toString("base64url") })),
      internalError(/AES/),
    );
  });
});
