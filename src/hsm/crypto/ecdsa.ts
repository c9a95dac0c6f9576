// ECDSA over a caller-supplied digest (Key Vault ES256/ES256K/ES384/ES512 sign and verify take the
// hash, not the message). Node's crypto.sign always hashes its input for EC keys (checked:
// sign(null, digest) signs SHA-256(digest)), so the signature equation is evaluated here with bigint
// arithmetic while every elliptic-curve scalar multiplication is done by OpenSSL through ECDH.
// Algorithm: SEC 1 v2 §4.1.3 (sign) / §4.1.4 (verify), FIPS 186-4 §6.4; output r||s per RFC 7518 §3.4.
// Not constant-time (bigint); acceptable for an emulator holding test keys.
import { createECDH, randomBytes } from 'node:crypto';

import { i2osp, mod, modInverse, os2ip } from './bigint.js';
import { CURVES, type CurveInfo } from './curves.js';
import { privateKeyObject, type EcKeyMaterial } from './keys.js';

const scalars = new WeakMap<EcKeyMaterial, bigint>();

function privateScalar(material: EcKeyMaterial): bigint {
  let d = scalars.get(material);
  if (d === undefined) {
    d = os2ip(Buffer.from(privateKeyObject(material).export({ format: 'jwk' }).d!, 'base64url'));
    scalars.set(material, d);
  }
  return d;
}

/** x-coordinate of t·G as an integer, t ∈ [1, n-1]; OpenSSL does the point multiplication. */
function baseMultiplyX(curve: CurveInfo, t: bigint): bigint {
  const ecdh = createECDH(curve.opensslName);
  ecdh.setPrivateKey(i2osp(t, curve.byteLength));
  const point = ecdh.getPublicKey(); // 0x04 || X || Y
  return os2ip(point.subarray(1, 1 + curve.byteLength));
}

/** SEC 1 §4.1.3 step 5: the digest as an integer, keeping its leftmost orderBits bits. */
function digestToInteger(curve: CurveInfo, digest: Buffer): bigint {
  const e = os2ip(digest);
  const excess = digest.length * 8 - curve.orderBits;
  return excess > 0 ? e >> BigInt(excess) : e;
}

/**
 * Signs `digest` with the EC key; returns the JWS signature r||s, each `byteLength` octets.
 * The nonce k is random (FIPS 186-4 App. B.5.1: 64 extra bits, reduced into [1, n-1]). s is
 * normalized to the lower half of the group (s ≤ n/2): still a valid ECDSA signature for every
 * verifier, and secp256k1 verifiers that enforce low-S (e.g. @noble/curves by default) accept it.
 */
export function ecdsaSignDigest(material: EcKeyMaterial, digest: Buffer): Buffer {
  const curve = CURVES[material.crv];
  const n = curve.order;
  const d = privateScalar(material);
  const e = digestToInteger(curve, digest);
  for (;;) {
    const k = mod(os2ip(randomBytes(curve.byteLength + 8)), n - 1n) + 1n;
    const r = mod(baseMultiplyX(curve, k), n);
    if (r === 0n) continue;
    let s = mod(modInverse(k, n) * (e + r * d), n);
    if (s === 0n) continue;
    if (s > n / 2n) s = n - s;
    return Buffer.concat([i2osp(r, curve.byteLength), i2osp(s, curve.byteLength)]);
  }
}

/**
 * Verifies a JWS r||s signature over `digest`; false for any malformed or wrong signature.
 * The service holds d, so instead of u1·G + u2·Q it computes (u1 + u2·d)·G, the same point since
 * Q = d·G (import checks that), and needs only OpenSSL's base-point multiplication.
 */
export function ecdsaVerifyDigest(material: EcKeyMaterial, digest: Buffer, signature: Buffer): boolean {
  const curve = CURVES[material.crv];
  const n = curve.order;
  if (signature.length !== 2 * curve.byteLength) return false;
  const r = os2ip(signature.subarray(0, curve.byteLength));
  const s = os2ip(signature.subarray(curve.byteLength));
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const w = modInverse(s, n);
  const u1 = mod(digestToInteger(curve, digest) * w, n);
  const u2 = mod(r * w, n);
  const t = mod(u1 + u2 * privateScalar(material), n);
  if (t === 0n) return false; // the point at infinity
  return mod(baseMultiplyX(curve, t), n) === r;
}
