// ECDSA over a caller-supplied digest (Key Vault ES256/ES256K/ES384/ES512 sign and verify take the hash, not
// the message). Node's crypto.sign always hashes its input for EC keys (sign(null, digest) signs
// SHA-256(digest)), so signing follows SEC 1 v2 §4.1.3 step by step:
//  - the nonce point R = k·G comes from OpenSSL's native scalar multiplication (ECDH.setPrivateKey(k) computes
//    the public point k·G with the same fixed-base code path crypto.sign uses), which is where nearly all the
//    cost of a signature lies;
//  - e, r = x(R) mod n and s = k⁻¹(e + r·d) mod n are a handful of BigInt operations.
// R and k⁻¹ depend on neither the key nor the digest, so nonces are made in small batches per curve (and thread):
// one BigInt inversion serves a whole batch (Montgomery's simultaneous inversion, "Speeding the Pollard and elliptic
// curve methods of factorization", 1987, §10.3.1), because a single extended-Euclid inversion in BigInt costs about
// twice OpenSSL's k·G. Each nonce is taken from its batch once and dropped: never reused.
// k is drawn uniformly from [1, n-1] with crypto.randomFillSync and rejection sampling (FIPS 186-5 App. A.3.2), so
// signatures differ per call, as an HSM's do.
// RFC 6979 deterministic nonces were not chosen: they need an HMAC-DRBG per signature and buy nothing here,
// since the CSPRNG is trusted. The BigInt arithmetic is not constant-time: hsmlink is an offline emulator
// holding test keys, not an HSM.
// Output is r||s per RFC 7518 §3.4.
// Verification (SEC 1 v2 §4.1.4) needs R' = u1·G + u2·Q. hsmlink holds d (Q = d·G), so R' = (u1 + u2·d)·G: one
// native fixed-base multiplication again, mathematically the same check as with Q, and no JavaScript curve library
// in the server at all.
import { createECDH, randomFillSync, type ECDH } from "node:crypto";

import { os2ip, i2osp, mod, modInverse } from "./bigint.js";
import { CURVES, type CurveInfo } from "./curves.js";
import { privateKeyObject, type EcKeyMaterial } from "./keys.js";

/** Per key: the private scalar d as a BigInt. */
interface EcSecrets {
  readonly d: bigint;
}
const secrets = new WeakMap<EcKeyMaterial, EcSecrets>();

function secretsOf(material: EcKeyMaterial): EcSecrets {
  let s = secrets.get(material);
  if (s === undefined) {
    const jwk = privateKeyObject(material).export({ format: "jwk" });
    s = { d: os2ip(Buffer.from(jwk.d!, "base64url")) };
    secrets.set(material, s);
  }
  return s;
}

/** One ECDH object per curve and thread, reused as a k·G calculator (setPrivateKey recomputes the point). */
const calculators = new Map<string, ECDH>();
function calculator(curve: CurveInfo): ECDH {
  let c = calculators.get(curve.opensslName);
  if (!c) {
    c = createECDH(curve.opensslName);
    calculators.set(curve.opensslName, c);
  }
  return c;
}

/**
 * Uniformly random scalars in [1, n-1] (rejection sampling), as `byteLength` big-endian bytes and as BigInts. The
 * random octets of a whole batch come from one `randomFillSync` call (Node's per-call cost is several times that of
 * filling 32 octets); every draw uses its own octets, once.
 */
class NonceDraws {
  private pool: Buffer;
  private at: number;

  constructor(
    private readonly curve: CurveInfo,
    expected: number,
  ) {
    // Twice the octets a batch needs without rejections: a refill is rare on every curve (P-521 rejects < 1/2).
    this.pool = randomFillSync(Buffer.allocUnsafe(2 * expected * curve.byteLength));
    this.at = 0;
  }

  /** The next scalar k and its octets (a view into the pool, valid until the next call). */
  next(): { bytes: Buffer; k: bigint } {
    const curve = this.curve;
    const len = curve.byteLength;
    // The top octet keeps only the bits below orderBits (P-521: 1 bit of 8), so a draw is accepted with
    // probability > 1/2 on every curve (for P-256, P-384 and secp256k1 nearly always).
    const topMask = 0xff >> (len * 8 - curve.orderBits);
    for (;;) {
      if (this.at + len > this.pool.length) {
        randomFillSync(this.pool);
        this.at = 0;
      }
      const bytes = this.pool.subarray(this.at, this.at + len);
      this.at += len;
      bytes[0]! &= topMask;
      const k = os2ip(bytes);
      if (k !== 0n && k < curve.order) return { bytes, k };
    }
  }
}

/** SEC 1 v2 §4.1.3 step 5: the digest as an integer, keeping only its leftmost orderBits bits. */
function digestToInteger(digest: Buffer, curve: CurveInfo): bigint {
  const e = os2ip(digest);
  const excess = digest.length * 8 - curve.orderBits;
  return excess > 0 ? e >> BigInt(excess) : e;
}

/** A one-time nonce: r = x(k·G) mod n (never 0) and k⁻¹ mod n. */
interface Nonce {
  readonly r: bigint;
  readonly kInverse: bigint;
}

const NONCE_BATCH = 32;
const nonceBatches = new Map<string, Nonce[]>();

/** `count` fresh nonces for `curve`: k·G natively per nonce, all k⁻¹ from one inversion (Montgomery's trick). */
function freshNonces(curve: CurveInfo, count: number): Nonce[] {
  const n = curve.order;
  const ecdh = calculator(curve);
  const ks: bigint[] = [];
  const rs: bigint[] = [];
  const draws = new NonceDraws(curve, count);
  while (ks.length < count) {
    const { bytes, k } = draws.next();
    ecdh.setPrivateKey(bytes);
    // getPublicKey() is 04 || x || y; x(R) is the first coordinate.
    const r = os2ip(ecdh.getPublicKey().subarray(1, 1 + curve.byteLength)) % n;
    if (r === 0n) continue;
    ks.push(k);
    rs.push(r);
  }
  // prefix[i] = k0·…·k(i-1); one inversion of the whole product, then walk back.
  const prefix: bigint[] = new Array<bigint>(count);
  let product = 1n;
  for (let i = 0; i < count; i++) {
    prefix[i] = product;
    product = (product * ks[i]!) % n;
  }
  let inverse = modInverse(product, n);
  const out: Nonce[] = new Array<Nonce>(count);
  for (let i = count - 1; i >= 0; i--) {
    out[i] = { r: rs[i]!, kInverse: (inverse * prefix[i]!) % n };
    inverse = (inverse * ks[i]!) % n;
  }
  return out;
}

function takeNonce(curve: CurveInfo): Nonce {
  let batch = nonceBatches.get(curve.name);
  if (batch === undefined || batch.length === 0) {
    batch = freshNonces(curve, NONCE_BATCH);
    nonceBatches.set(curve.name, batch);
  }
  return batch.pop()!;
}

/**
 * Signs `digest` with the EC key; returns the JWS signature r||s, each coordinate-length octets (RFC 7518 §3.4).
 * s is low-S (≤ n/2), hsmlink's choice: no recording shows whether Managed HSM normalises s; a low s is valid for
 * every verifier, and strict secp256k1 verifiers (BIP 62/146 style) accept only it.
 */
export function ecdsaSignDigest(material: EcKeyMaterial, digest: Buffer): Buffer {
  const curve = CURVES[material.crv];
  const n = curve.order;
  const { d } = secretsOf(material);
  const e = digestToInteger(digest, curve);
  for (;;) {
    const { r, kInverse } = takeNonce(curve);
    let s = mod(kInverse * (e + r * d), n);
    if (s === 0n) continue;
    if (s > n >> 1n) s = n - s;
    return Buffer.concat([i2osp(r, curve.byteLength), i2osp(s, curve.byteLength)]);
  }
}

/** x(k·G) mod n, natively; k in [1, n-1]. */
function xOfMultiple(curve: CurveInfo, k: bigint): bigint {
  const ecdh = calculator(curve);
  ecdh.setPrivateKey(i2osp(k, curve.byteLength));
  return os2ip(ecdh.getPublicKey().subarray(1, 1 + curve.byteLength)) % curve.order;
}

/**
 * Verifies a JWS r||s signature over `digest` (SEC 1 v2 §4.1.4 with R' = (u1 + u2·d)·G, see above); false for any
 * malformed or wrong signature (wrong length, r or s outside [1, n-1], R' at infinity or x(R') ≠ r).
 */
export function ecdsaVerifyDigest(material: EcKeyMaterial, digest: Buffer, signature: Buffer): boolean {
  const curve = CURVES[material.crv];
  const n = curve.order;
  if (signature.length !== 2 * curve.byteLength) return false;
  const r = os2ip(signature.subarray(0, curve.byteLength));
  const s = os2ip(signature.subarray(curve.byteLength));
  if (r === 0n || r >= n || s === 0n || s >= n) return false;
  const w = modInverse(s, n);
  const e = digestToInteger(digest, curve);
  const k = mod(e * w + r * w * secretsOf(material).d, n);
  if (k === 0n) return false; // R' is the point at infinity
  return xOfMultiple(curve, k) === r;
}
