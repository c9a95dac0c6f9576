// Shared helpers for the crypto unit tests: standard-library views of our keys and error matchers.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";

import { publicJwk, type KeyMaterial } from "../../../../src/hsm/crypto/index.js";

/** The public key as a third party would build it from the wire JWK (never from our private key). */
export function publicKeyFromWire(material: KeyMaterial): KeyObject {
  const jwk = publicJwk(material);
  if (material.kty === "RSA-HSM") return createPublicKey({ format: "jwk", key: { kty: "RSA", n: jwk.n!, e: jwk.e! } });
  if (material.kty === "EC-HSM") {
    const crv = jwk.crv === "P-256K" ? "secp256k1" : jwk.crv!;
    return createPublicKey({ format: "jwk", key: { kty: "EC", crv, x: jwk.x!, y: jwk.y! } });
  }
  throw new Error("oct keys have no public key");
}

export function sha(hash: "sha256" | "sha384" | "sha512", data: Buffer | string): Buffer {
  return createHash(hash).update(data).digest();
}

/** assert.throws matcher for KeyCryptoError BadParameter whose message matches `message`. */
export function badParameter(message?: RegExp): { name: string; code: string; message?: RegExp } {
  return message
    ? { name: "KeyCryptoError", code: "BadParameter", message }
    : { name: "KeyCryptoError", code: "BadParameter" };
}

export function internalError(message?: RegExp): { name: string; code: string; message?: RegExp } {
  return message
    ? { name: "KeyCryptoError", code: "InternalError", message }
    : { name: "KeyCryptoError", code: "InternalError" };
}
