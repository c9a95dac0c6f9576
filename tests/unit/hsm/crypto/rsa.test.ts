// RSA keys: RSA1_5 / RSA-OAEP / RSA-OAEP-256 encryption and wrapping, RS* and PS* over a digest.
// Interop proofs use only the public JWK a client sees plus standard library code (node:crypto,
// jose), so a wrong padding, hash or public key cannot pass.
import assert from "node:assert/strict";
import {
  constants,
  createPrivateKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { before, describe, it } from "node:test";

import { compactVerify, importJWK } from "jose";

import {
  decrypt,
  encrypt,
  generateKeyMaterial,
  publicJwk,
  sign,
  unwrapKey,
  verify,
  wrapKey,
  type RsaKeyMaterial,
} from "../../../../src/hsm/crypto/index.js";
import { badParameter, publicKeyFromWire, sha } from "./support.js";

let key: RsaKeyMaterial;
let key3072: RsaKeyMaterial;
let privateKey: KeyObject; // test-only view of the private key, for standard-library counterparts
before(async () => {
  const generated = await generateKeyMaterial({ kty: "RSA" });
  const generated3072 = await generateKeyMaterial({ kty: "RSA", keySize: 3072 });
  assert.ok(generated.kty === "RSA-HSM" && generated3072.kty === "RSA-HSM");
  key = generated;
  key3072 = generated3072;
  privateKey = createPrivateKey({ key: key.pkcs8, format: "der", type: "pkcs8" });
});

const OAEP = [
  { alg: "RSA-OAEP", oaepHash: "sha1", max: 256 - 42 },
  { alg: "RSA-OAEP-256", oaepHash: "sha256", max: 256 - 66 },
] as const;

describe("RSA encryption algorithms", () => {
  for (const alg of ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"] as const) {
    it(`${alg}: encrypt/decrypt and wrapKey/unwrapKey round trips, randomized ciphertexts of k bytes`, () => {
      const plaintext = randomBytes(32);
      const first = encrypt(key, { alg, value: plaintext });
      const second = encrypt(key, { alg, value: plaintext });
      assert.equal(first.value.length, 256);
      assert.notDeepEqual(first.value, second.value);
      assert.deepEqual(decrypt(key, { alg, value: first.value }), { value: plaintext });
      const wrapped = wrapKey(key, { alg, value: plaintext }).value;
      assert.deepEqual(unwrapKey(key, { alg, value: wrapped }).value, plaintext);
      assert.deepEqual(unwrapKey(key, { alg, value: first.value }).value, plaintext);
    });
  }

  it("RSA1_5: decrypts what OpenSSL encrypts with the public JWK, including an empty message", () => {
    for (const plaintext of [randomBytes(32), Buffer.alloc(0), randomBytes(245)]) {
      const ciphertext = publicEncrypt(
        { key: publicKeyFromWire(key), padding: constants.RSA_PKCS1_PADDING },
        plaintext,
      );
      assert.deepEqual(decrypt(key, { alg: "RSA1_5", value: ciphertext }).value, plaintext);
    }
  });

  for (const { alg, oaepHash, max } of OAEP) {
    it(`${alg}: interoperates with OpenSSL OAEP (${oaepHash}) in both directions`, () => {
      const plaintext = randomBytes(max);
      const ciphertext = publicEncrypt(
        { key: publicKeyFromWire(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
        plaintext,
      );
      assert.deepEqual(decrypt(key, { alg, value: ciphertext }).value, plaintext);
      const ours = encrypt(key, { alg, value: plaintext }).value;
      assert.deepEqual(
        privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, ours),
        plaintext,
      );
    });

    it(`${alg}: refuses plaintext longer than k - 2·hLen - 2 = ${max} bytes`, () => {
      assert.throws(
        () => encrypt(key, { alg, value: randomBytes(max + 1) }),
        badParameter(new RegExp(`at most ${max} bytes`)),
      );
    });
  }

  it("RSA1_5: refuses plaintext longer than k - 11 bytes", () => {
    assert.throws(() => wrapKey(key, { alg: "RSA1_5", value: randomBytes(246) }), badParameter(/at most 245 bytes/));
  });

  it("decrypt rejects wrong-length, out-of-range, tampered and cross-algorithm ciphertexts with BadParameter", () => {
    for (const alg of ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"] as const) {
      const ciphertext = encrypt(key, { alg, value: randomBytes(16) }).value;
      assert.throws(() => decrypt(key, { alg, value: ciphertext.subarray(1) }), badParameter(/must be 256 bytes/));
      assert.throws(() => decrypt(key, { alg, value: Buffer.alloc(256, 0xff) }), badParameter(/decryption failed/));
    }
    // OAEP's integrity check makes a random-looking failure certain (RFC 8017 §7.1.2); PKCS#1 v1.5
    // has no such check, so its decoder is tested with crafted encodings below instead.
    for (const alg of ["RSA-OAEP", "RSA-OAEP-256"] as const) {
      const tampered = encrypt(key, { alg, value: randomBytes(16) }).value;
      tampered[100]! ^= 0x40;
      assert.throws(() => decrypt(key, { alg, value: tampered }), badParameter(/decryption failed/));
    }
    const oaep = encrypt(key, { alg: "RSA-OAEP", value: randomBytes(16) }).value;
    assert.throws(() => decrypt(key, { alg: "RSA-OAEP-256", value: oaep }), badParameter(/decryption failed/));
  });

  it("RSA1_5 decoding follows RFC 8017 §7.2.2 exactly (crafted encodings)", () => {
    const raw = (em: Buffer) => publicEncrypt({ key: publicKeyFromWire(key), padding: constants.RSA_NO_PADDING }, em);
    const message = Buffer.from("secret!");
    const encode = (head: number[], psLength: number, separator = true) => {
      const ps = Buffer.alloc(psLength, 0x5a);
      const body = Buffer.concat([ps, Buffer.from(separator ? [0x00] : []), message]);
      return Buffer.concat([Buffer.from(head), Buffer.alloc(256 - head.length - body.length, 0x5a), body]);
    };
    assert.deepEqual(decrypt(key, { alg: "RSA1_5", value: raw(encode([0x00, 0x02], 8)) }).value, message);
    for (const [why, em] of [
      ["block type 1", encode([0x00, 0x01], 8)],
      ["non-zero first octet", encode([0x01, 0x02], 8)],
      ["no separator", encode([0x00, 0x02], 8, false)],
    ] as const) {
      assert.throws(() => decrypt(key, { alg: "RSA1_5", value: raw(em) }), badParameter(/decryption failed/), why);
    }
    // PS shorter than 8 octets: 0x00 0x02, 7 non-zero octets, 0x00, then the rest
    const shortPs = Buffer.concat([
      Buffer.from([0x00, 0x02]),
      Buffer.alloc(7, 0x5a),
      Buffer.from([0x00]),
      Buffer.alloc(246, 0x5a),
    ]);
    assert.throws(() => decrypt(key, { alg: "RSA1_5", value: raw(shortPs) }), badParameter(/decryption failed/));
  });

  it("works with a 3072-bit key", () => {
    const plaintext = randomBytes(32);
    const ciphertext = encrypt(key3072, { alg: "RSA-OAEP-256", value: plaintext }).value;
    assert.equal(ciphertext.length, 384);
    assert.deepEqual(decrypt(key3072, { alg: "RSA-OAEP-256", value: ciphertext }).value, plaintext);
  });
});

const SIGNATURES = [
  { alg: "RS256", hash: "sha256", pss: false },
  { alg: "RS384", hash: "sha384", pss: false },
  { alg: "RS512", hash: "sha512", pss: false },
  { alg: "PS256", hash: "sha256", pss: true },
  { alg: "PS384", hash: "sha384", pss: true },
  { alg: "PS512", hash: "sha512", pss: true },
] as const;

const DIGEST_BYTES = { sha256: 32, sha384: 48, sha512: 64 } as const;

for (const { alg, hash, pss } of SIGNATURES) {
  describe(`${alg} over a digest`, () => {
    const message = Buffer.from(`message signed with ${alg}`);
    const digest = sha(hash, message);
    const saltLength = DIGEST_BYTES[hash];
    const options = (k: KeyObject) =>
      pss
        ? { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
        : { key: k, padding: constants.RSA_PKCS1_PADDING };

    it("verifies with OpenSSL over the full message, using only the public JWK", () => {
      for (const material of [key, key3072]) {
        const signature = sign(material, { alg, value: digest }).value;
        assert.equal(signature.length, material.keySize / 8);
        assert.equal(nodeVerify(hash, message, options(publicKeyFromWire(material)), signature), true);
        assert.equal(nodeVerify(hash, Buffer.from("other"), options(publicKeyFromWire(material)), signature), false);
      }
    });

    if (pss) {
      it("uses salt length = hash length and randomized salts", () => {
        const signature = sign(key, { alg, value: digest }).value;
        assert.notDeepEqual(sign(key, { alg, value: digest }).value, signature);
        const wrongSalt = {
          key: publicKeyFromWire(key),
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: saltLength - 1,
        };
        assert.equal(nodeVerify(hash, message, wrongSalt, signature), false);
      });
    } else {
      it("is byte-identical to OpenSSL signing the message (PKCS#1 v1.5 is deterministic)", () => {
        assert.deepEqual(sign(key, { alg, value: digest }).value, nodeSign(hash, message, privateKey));
      });
    }

    it("accepts OpenSSL signatures and rejects tampered or foreign ones", () => {
      const signature = nodeSign(hash, message, options(privateKey));
      assert.equal(verify(key, { alg, digest, value: signature }), true);
      const tampered = Buffer.from(signature);
      tampered[10]! ^= 0x01;
      assert.equal(verify(key, { alg, digest, value: tampered }), false);
      assert.equal(verify(key, { alg, digest: sha(hash, "other"), value: signature }), false);
      assert.equal(verify(key, { alg, digest, value: signature.subarray(1) }), false);
      assert.equal(verify(key, { alg, digest, value: Buffer.alloc(256, 0xff) }), false);
      assert.equal(verify(key3072, { alg, digest, value: signature }), false);
    });

    it("rejects a digest of the wrong length with BadParameter", () => {
      const expected = DIGEST_BYTES[hash];
      for (const length of [expected - 1, expected + 1, 20]) {
        assert.throws(
          () => sign(key, { alg, value: Buffer.alloc(length) }),
          badParameter(new RegExp(`must be ${expected} bytes`)),
        );
      }
      assert.throws(
        () => verify(key, { alg, digest: Buffer.alloc(expected + 1), value: Buffer.alloc(256) }),
        badParameter(/digest/),
      );
    });
  });
}

describe("PKCS#1 v1.5 and PSS are not interchangeable", () => {
  it("an RS256 signature does not verify as PS256 and vice versa", () => {
    const digest = sha("sha256", "m");
    const rs = sign(key, { alg: "RS256", value: digest }).value;
    const ps = sign(key, { alg: "PS256", value: digest }).value;
    assert.equal(verify(key, { alg: "PS256", digest, value: rs }), false);
    assert.equal(verify(key, { alg: "RS256", digest, value: ps }), false);
  });
});

describe("jose accepts our RSA output as JWS signatures", () => {
  for (const { alg, hash } of SIGNATURES) {
    it(alg, async () => {
      const signingInput = `${Buffer.from(JSON.stringify({ alg })).toString("base64url")}.${Buffer.from("payload").toString("base64url")}`;
      const signature = sign(key, { alg, value: sha(hash, signingInput) }).value;
      const publicKey = await importJWK({ kty: "RSA", ...publicJwk(key) }, alg);
      const verified = await compactVerify(`${signingInput}.${signature.toString("base64url")}`, publicKey);
      assert.equal(Buffer.from(verified.payload).toString(), "payload");
    });
  }
});

describe("RSA keys and foreign algorithms", () => {
  it("rejects EC and AES algorithms and mismatched operations with BadParameter", () => {
    const digest = sha("sha256", "x");
    assert.throws(
      () => sign(key, { alg: "ES256", value: digest }),
      badParameter(/cannot be used with a key of type RSA-HSM/),
    );
    assert.throws(() => encrypt(key, { alg: "A256GCM", value: digest }), badParameter(/RSA-HSM/));
    assert.throws(() => wrapKey(key, { alg: "A256KW", value: digest }), badParameter(/RSA-HSM/));
    assert.throws(() => sign(key, { alg: "RSA-OAEP", value: digest }), badParameter(/cannot be used for sign/));
    assert.throws(() => encrypt(key, { alg: "RS256", value: digest }), badParameter(/cannot be used for encrypt/));
    assert.throws(() => sign(key, { alg: "RSNULL", value: digest }), badParameter(/not supported/));
  });
});
