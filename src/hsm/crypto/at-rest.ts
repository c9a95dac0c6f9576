// Sealing of key material at rest under a per-HSM key-encryption key (architecture.md: "Private key
// material is encrypted at rest"). AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce.
// Layout: version (1 byte, 0x01) || nonce (12) || tag (16) || ciphertext. The version byte and the
// caller's context string are both authenticated, so a blob cannot be moved to another key/version
// row or reinterpreted under a future format without failing to open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { KeyCryptoError } from "./errors.js";

const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES + TAG_BYTES;

function checkKek(kek: Buffer): void {
  if (kek.length !== 32) {
    throw new KeyCryptoError("InternalError", `The at-rest key-encryption key must be 32 bytes, got ${kek.length}.`);
  }
}

function associatedData(aad: string | undefined): Buffer {
  return Buffer.concat([Buffer.from([VERSION]), Buffer.from(aad ?? "", "utf8")]);
}

/**
 * Encrypts `plaintext` under the 32-byte `kek` with AES-256-GCM; `aad` (e.g. "<hsm>/keys/<name>/<version>")
 * binds the blob to its context and must be given again to {@link openWithKey}. Returns
 * version(1) || nonce(12) || tag(16) || ciphertext. Throws KeyCryptoError InternalError for a bad KEK size.
 */
export function sealWithKey(kek: Buffer, plaintext: Buffer, aad?: string): Buffer {
  checkKek(kek);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", kek, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), ciphertext]);
}

/**
 * Inverse of {@link sealWithKey}. Throws KeyCryptoError InternalError if the KEK has the wrong size,
 * the blob is truncated or of an unknown version, or authentication fails (wrong KEK, wrong `aad`,
 * tampered bytes).
 */
export function openWithKey(kek: Buffer, sealed: Buffer, aad?: string): Buffer {
  checkKek(kek);
  if (sealed.length < HEADER_BYTES || sealed[0] !== VERSION) {
    throw new KeyCryptoError("InternalError", "Sealed key material is truncated or has an unknown format version.");
  }
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(1 + NONCE_BYTES, HEADER_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", kek, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  decipher.setAAD(associatedData(aad));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
  } catch {
    throw new KeyCryptoError(
      "InternalError",
      "Sealed key material failed its integrity check (wrong key or context, or tampered data).",
    );
  }
}
