// ES256 / ES256K / ES384 / ES512 over a digest. Interop proofs: our signature over digest(message)
// must verify with crypto.verify(hash, message, publicKeyFromWire) (OpenSSL hashes the message
// itself) and with jose as a JWS; OpenSSL's signatures must verify with ours.
import assert from "node:assert/strict";
import { createECDH, randomBytes, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { before, describe, it } from "node:test";

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { compactVerify, importJWK } from "jose";

import { CURVES, type CurveName } from "../../../../src/hsm/crypto/curves.js";
import {
  encrypt,
  generateKeyMaterial,
  publicJwk,
  sign,
  verify,
  type KeyMaterial,
} from "../../../../src/hsm/crypto/index.js";
import { badParameter, publicKeyFromWire, sha } from "./support.js";

const CASES = [
  { alg: "ES256", crv: "P-256", hash: "sha256", digestBytes: 32, sigBytes: 64 },
  { alg: "ES256K", crv: "P-256K", hash: "sha256", digestBytes: 32, sigBytes: 64 },
  { alg: "ES384", crv: "P-384", hash: "sha384", digestBytes: 48, sigBytes: 96 },
  { alg: "ES512", crv: "P-521", hash: "sha512", digestBytes: 64, sigBytes: 132 },
] as const;

const keys = new Map<CurveName, KeyMaterial>();
before(async () => {
  for (const { crv } of CASES) keys.set(crv, await generateKeyMaterial({ kty: "EC", crv }));
});

describe("curve constants", () => {
  for (const curve of Object.values(CURVES)) {
    it(`${curve.name}: the hard-coded order n agrees with OpenSSL ((n-1)·G = -G, n rejected)`, () => {
      const multiply = (t: bigint) => {
        const ecdh = createECDH(curve.opensslName);
        ecdh.setPrivateKey(Buffer.from(t.toString(16).padStart(curve.byteLength * 2, "0"), "hex"));
        return ecdh.getPublicKey();
      };
      const g = multiply(1n);
      const minusG = multiply(curve.order - 1n);
      const half = 1 + curve.byteLength;
      assert.deepEqual(minusG.subarray(1, half), g.subarray(1, half)); // same x
      assert.notDeepEqual(minusG.subarray(half), g.subarray(half)); // opposite y
      assert.throws(() => multiply(curve.order));
      assert.equal(curve.order.toString(2).length, curve.orderBits);
    });
  }
});

for (const { alg, crv, hash, digestBytes, sigBytes } of CASES) {
  describe(`${alg} on ${crv}`, () => {
    const message = Buffer.from(`message signed with ${alg}`);
    const digest = sha(hash, message);

    it("signs a digest so that OpenSSL verifies it over the full message (ieee-p1363 r||s)", () => {
      const key = keys.get(crv)!;
      const signature = sign(key, { alg, value: digest }).value;
      assert.equal(signature.length, sigBytes);
      assert.equal(
        nodeVerify(hash, message, { key: publicKeyFromWire(key), dsaEncoding: "ieee-p1363" }, signature),
        true,
      );
      const other = Buffer.from(`another ${alg} message`);
      assert.equal(
        nodeVerify(hash, other, { key: publicKeyFromWire(key), dsaEncoding: "ieee-p1363" }, signature),
        false,
      );
    });

    it("verifies signatures made by OpenSSL over the message, and rejects tampered ones", () => {
      const key = keys.get(crv)!;
      assert.ok(key.kty === "EC-HSM");
      const signature = nodeSign(hash, message, {
        key: key.pkcs8,
        format: "der",
        type: "pkcs8",
        dsaEncoding: "ieee-p1363",
      });
      assert.equal(verify(key, { alg, digest, value: signature }), true);
      const tampered = Buffer.from(signature);
      tampered[tampered.length - 1]! ^= 0x01;
      assert.equal(verify(key, { alg, digest, value: tampered }), false);
      assert.equal(verify(key, { alg, digest: sha(hash, "other"), value: signature }), false);
      assert.equal(verify(key, { alg, digest, value: signature.subarray(1) }), false);
      assert.equal(verify(key, { alg, digest, value: Buffer.alloc(sigBytes) }), false);
      assert.equal(verify(key, { alg, digest, value: Buffer.alloc(sigBytes, 0xff) }), false);
    });

    it("produces randomized, low-S signatures that verify with our own verify", () => {
      const key = keys.get(crv)!;
      const first = sign(key, { alg, value: digest }).value;
      const second = sign(key, { alg, value: digest }).value;
      assert.notDeepEqual(first, second);
      const s = BigInt("0x" + first.subarray(sigBytes / 2).toString("hex"));
      assert.ok(s <= CURVES[crv].order / 2n);
      assert.equal(verify(key, { alg, digest, value: first }), true);
    });

    it("verify follows SEC 1 §4.1.4: high-S twins verify, r or s of 0 or n do not", () => {
      const key = keys.get(crv)!;
      const n = CURVES[crv].order;
      const half = sigBytes / 2;
      const hex = (x: bigint) => Buffer.from(x.toString(16).padStart(sigBytes, "0"), "hex");
      const signature = sign(key, { alg, value: digest }).value;
      const r = BigInt("0x" + signature.subarray(0, half).toString("hex"));
      const s = BigInt("0x" + signature.subarray(half).toString("hex"));
      const withRS = (rr: bigint, ss: bigint) => Buffer.concat([hex(rr), hex(ss)]);
      assert.equal(
        verify(key, { alg, digest, value: withRS(r, n - s) }),
        true,
        "the high-S twin is a valid ECDSA signature",
      );
      assert.equal(verify(key, { alg, digest, value: withRS(n, s) }), false, "r = n");
      assert.equal(verify(key, { alg, digest, value: withRS(r, n) }), false, "s = n");
      assert.equal(verify(key, { alg, digest, value: withRS(0n, s) }), false, "r = 0");
      assert.equal(verify(key, { alg, digest, value: withRS(r, 0n) }), false, "s = 0");
      assert.equal(verify(key, { alg, digest, value: withRS(s, r) }), false, "swapped");
    });

    it("rejects a digest of the wrong length with BadParameter", () => {
      const key = keys.get(crv)!;
      for (const length of [digestBytes - 1, digestBytes + 1, 20, 0]) {
        assert.throws(
          () => sign(key, { alg, value: Buffer.alloc(length) }),
          badParameter(new RegExp(`must be ${digestBytes} bytes`)),
        );
      }
      assert.throws(
        () => verify(key, { alg, digest: Buffer.alloc(digestBytes + 16), value: Buffer.alloc(sigBytes) }),
        badParameter(/digest/),
      );
      assert.throws(() => verify(key, { alg, value: Buffer.alloc(sigBytes) }), badParameter(/digest/));
    });

    it("refuses keys on other curves and the other ES algorithms on this key", () => {
      for (const other of CASES.filter((c) => c.crv !== crv)) {
        assert.throws(
          () => sign(keys.get(other.crv)!, { alg, value: digest }),
          badParameter(new RegExp(`requires a ${crv} key`)),
        );
      }
    });
  });
}

describe("jose accepts our ECDSA output as JWS signatures", () => {
  for (const { alg, crv, hash } of CASES.filter((c) => c.alg !== "ES256K")) {
    it(alg, async () => {
      const key = keys.get(crv)!;
      const signingInput = `${Buffer.from(JSON.stringify({ alg })).toString("base64url")}.${Buffer.from("payload").toString("base64url")}`;
      const signature = sign(key, { alg, value: sha(hash, signingInput) }).value;
      const jwk = publicJwk(key);
      const verified = await compactVerify(
        `${signingInput}.${signature.toString("base64url")}`,
        await importJWK({ kty: "EC", ...jwk }, alg),
      );
      assert.equal(Buffer.from(verified.payload).toString(), "payload");
    });
  }
});

describe("EC keys and non-ECDSA algorithms", () => {
  it("rejects RSA, PS and AES algorithms and encryption operations with BadParameter", () => {
    const key = keys.get("P-256")!;
    const digest = sha("sha256", "x");
    assert.throws(
      () => sign(key, { alg: "RS256", value: digest }),
      badParameter(/cannot be used with a key of type EC-HSM/),
    );
    assert.throws(() => sign(key, { alg: "PS256", value: digest }), badParameter(/EC-HSM/));
    assert.throws(() => sign(key, { alg: "HS256", value: digest }), badParameter(/not supported/));
    assert.throws(() => encrypt(key, { alg: "ES256", value: digest }), badParameter(/cannot be used for encrypt/));
    assert.throws(() => encrypt(key, { alg: "RSA-OAEP", value: digest }), badParameter(/EC-HSM/));
  });
});

// Independent checks of the native-nonce signer (src/hsm/crypto/ecdsa.ts): @noble/curves verifying over the digest
// from the public point alone, node:crypto verifying over the data, and the openssl CLI verifying the raw digest.
const NOBLE = { "P-256": p256, "P-256K": secp256k1, "P-384": p384, "P-521": p521 } as const;

/** r||s (JWS) to the DER ECDSA-Sig-Value that `openssl pkeyutl -verify` reads (SEC 1 v2 §C.8). */
function derSignature(rs: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(rs.subarray(0, rs.length / 2)), int(rs.subarray(rs.length / 2))]);
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

for (const { alg, crv, hash, digestBytes, sigBytes } of CASES) {
  describe(`${alg}: signatures over exactly the digest sent, checked by independent verifiers`, () => {
    it("many signatures over random digests verify with @noble/curves (prehash off) and node:crypto over the data", () => {
      const key = keys.get(crv)!;
      const jwk = publicJwk(key);
      const point = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x!, "base64url"),
        Buffer.from(jwk.y!, "base64url"),
      ]);
      const n = CURVES[crv].order;
      // @noble verification costs milliseconds on the larger curves: fewer rounds there
      const rounds = crv === "P-256" ? 100 : 20;
      for (let i = 0; i < rounds; i++) {
        const data = randomBytes(1 + i);
        const digest = sha(hash, data);
        const signature = sign(key, { alg, value: digest }).value;
        assert.equal(signature.length, sigBytes);
        const r = BigInt("0x" + signature.subarray(0, sigBytes / 2).toString("hex"));
        const s = BigInt("0x" + signature.subarray(sigBytes / 2).toString("hex"));
        assert.ok(r > 0n && r < n && s > 0n && s <= n / 2n, "r in [1, n-1], s low");
        assert.equal(
          NOBLE[crv].verify(signature, digest, point, { prehash: false, lowS: true, format: "compact" }),
          true,
        );
        assert.equal(
          nodeVerify(hash, data, { key: publicKeyFromWire(key), dsaEncoding: "ieee-p1363" }, signature),
          true,
        );
        // a signature over another digest must not verify
        const other = Buffer.from(digest);
        other[i % digestBytes]! ^= 0x80;
        assert.equal(
          NOBLE[crv].verify(signature, other, point, { prehash: false, lowS: false, format: "compact" }),
          false,
        );
      }
    });

    it("openssl pkeyutl -verify accepts the signature over the raw digest and rejects another digest", (t) => {
      if (spawnSync("openssl", ["version"]).status !== 0) {
        t.skip("SKIPPED LOUDLY: openssl CLI not installed");
        return;
      }
      const key = keys.get(crv)!;
      const dir = mkdtempSync(join(tmpdir(), "hsmlink-ecdsa-"));
      try {
        const pem = publicKeyFromWire(key).export({ format: "pem", type: "spki" });
        writeFileSync(join(dir, "pub.pem"), pem);
        const digest = sha(hash, `openssl ${alg}`);
        writeFileSync(join(dir, "digest.bin"), digest);
        writeFileSync(join(dir, "sig.der"), derSignature(sign(key, { alg, value: digest }).value));
        const run = () =>
          spawnSync(
            "openssl",
            [
              "pkeyutl",
              "-verify",
              "-pubin",
              "-inkey",
              join(dir, "pub.pem"),
              "-in",
              join(dir, "digest.bin"),
              "-sigfile",
              join(dir, "sig.der"),
            ],
            { encoding: "utf8" },
          );
        const ok = run();
        assert.equal(ok.status, 0, ok.stdout + ok.stderr);
        assert.match(ok.stdout, /Signature Verified Successfully/);
        writeFileSync(join(dir, "digest.bin"), sha(hash, "another digest"));
        assert.notEqual(run().status, 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
