// ECDSA over a caller-supplied digest (Key Vault ES256/ES256K/ES384/ES512 sign and verify take the hash, not
// the message). Node's crypto.sign always hashes its input for EC keys (sign(null, digest) signs
// SHA-256(digest)), so the signature itself comes from @noble/curves (audited, `prehash: false`), which
// implements SEC 1 v2 §4.1.3/§4.1.4 with RFC 6979 nonces hedged by fresh randomness (signatures differ per call, as an HSM's do); output r||s per RFC 7518 §3.4.
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

import { privateKeyObject, type EcKeyMaterial } from './keys.js';

const CURVE_IMPL = { 'P-256': p256, 'P-256K': secp256k1, 'P-384': p384, 'P-521': p521 } as const;
const BYTES = { 'P-256': 32, 'P-256K': 32, 'P-384': 48, 'P-521': 66 } as const;

const secrets = new WeakMap<EcKeyMaterial, Uint8Array>();

function secretKey(material: EcKeyMaterial): Uint8Array {
  let d = secrets.get(material);
  if (d === undefined) {
    d = Buffer.from(privateKeyObject(material).export({ format: 'jwk' }).d!, 'base64url');
    secrets.set(material, d);
  }
  return d;
}

function publicKey(material: EcKeyMaterial): Uint8Array {
  const jwk = privateKeyObject(material).export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

/**
 * Signs `digest` with the EC key; returns the JWS signature r||s, each coordinate-length octets.
 * s is low-S (≤ n/2): valid for every verifier, and strict secp256k1 verifiers accept it.
 */
export function ecdsaSignDigest(material: EcKeyMaterial, digest: Buffer): Buffer {
  const sig = CURVE_IMPL[material.crv].sign(digest, secretKey(material), { prehash: false, lowS: true, format: 'compact', extraEntropy: true });
  return Buffer.from(sig);
}

/** Verifies a JWS r||s signature over `digest`; false for any malformed or wrong signature. */
export function ecdsaVerifyDigest(material: EcKeyMaterial, digest: Buffer, signature: Buffer): boolean {
  if (signature.length !== 2 * BYTES[material.crv]) return false;
  try {
    return CURVE_IMPL[material.crv].verify(signature, digest, publicKey(material), { prehash: false, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}
