// AES primitives behind Key Vault's symmetric algorithms, all on OpenSSL ciphers:
// key wrap RFC 3394 (A*KW, CKM_AES_KEY_WRAP), key wrap with padding RFC 5649 (CKM_AES_KEY_WRAP_PAD),
// GCM (NIST SP 800-38D, 96-bit IV, 128-bit tag) and CBC (SP 800-38A; PKCS#7 padding for *CBCPAD).
// `alg` parameters are only used in error messages.
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from "node:crypto";

import { cryptoErrors } from "./errors.js";

const KW_IV = Buffer.from("a6a6a6a6a6a6a6a6", "hex"); // RFC 3394 §2.2.3.1 default initial value
const KWP_IV = Buffer.from("a65959a6", "hex"); // RFC 5649 §3 alternative initial value (AIV) constant
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const CBC_IV_BYTES = 16;

function bits(key: Buffer): number {
  return key.length * 8;
}

function gcmCipherName(key: Buffer): CipherGCMTypes {
  return `aes-${bits(key)}-gcm` as CipherGCMTypes;
}

/** Wraps `plaintext` (RFC 3394: a multiple of 8 bytes, at least 16; RFC 5649: at least 1 byte). */
export function aesKeyWrap(alg: string, key: Buffer, plaintext: Buffer, padded: boolean): Buffer {
  if (padded ? plaintext.length < 1 : plaintext.length < 16 || plaintext.length % 8 !== 0) {
    throw cryptoErrors.aesKwValueLength(alg, padded, plaintext.length);
  }
  const cipher = createCipheriv(`id-aes${bits(key)}-wrap${padded ? "-pad" : ""}`, key, padded ? KWP_IV : KW_IV);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/** Unwraps and checks integrity; throws KeyCryptoError BadParameter if the wrapped key is not authentic. */
export function aesKeyUnwrap(alg: string, key: Buffer, wrapped: Buffer, padded: boolean): Buffer {
  if (wrapped.length % 8 !== 0 || wrapped.length < (padded ? 16 : 24)) {
    throw cryptoErrors.aesKwWrappedLength(alg, padded, wrapped.length);
  }
  const decipher = createDecipheriv(`id-aes${bits(key)}-wrap${padded ? "-pad" : ""}`, key, padded ? KWP_IV : KW_IV);
  try {
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    throw cryptoErrors.aesKwUnwrapFailed(alg);
  }
}

/** GCM encryption with a fresh random 96-bit IV (the service, not the caller, picks GCM IVs). */
export function aesGcmEncrypt(
  key: Buffer,
  plaintext: Buffer,
  aad?: Buffer,
): { value: Buffer; iv: Buffer; tag: Buffer } {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv(gcmCipherName(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  if (aad) cipher.setAAD(aad);
  const value = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { value, iv, tag: cipher.getAuthTag() };
}

/** GCM decryption; throws KeyCryptoError BadParameter on bad IV/tag lengths or failed authentication. */
export function aesGcmDecrypt(
  alg: string,
  key: Buffer,
  ciphertext: Buffer,
  iv: Buffer | undefined,
  tag: Buffer | undefined,
  aad?: Buffer,
): Buffer {
  if (!iv || iv.length !== GCM_IV_BYTES) {
    throw cryptoErrors.gcmIvRequired(alg, GCM_IV_BYTES, iv?.length);
  }
  if (!tag || tag.length !== GCM_TAG_BYTES) {
    throw cryptoErrors.gcmTagRequired(alg, GCM_TAG_BYTES, tag?.length);
  }
  const decipher = createDecipheriv(gcmCipherName(key), key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(tag);
  if (aad) decipher.setAAD(aad);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw cryptoErrors.gcmNotAuthentic(alg);
  }
}

function checkCbcIv(alg: string, iv: Buffer | undefined): Buffer {
  if (!iv || iv.length !== CBC_IV_BYTES) {
    throw cryptoErrors.cbcIvRequired(alg, CBC_IV_BYTES, iv?.length);
  }
  return iv;
}

/** CBC encryption; without padding the plaintext must be a whole number of 16-byte blocks. */
export function aesCbcEncrypt(alg: string, key: Buffer, plaintext: Buffer, iv: Buffer, padded: boolean): Buffer {
  checkCbcIv(alg, iv);
  if (!padded && plaintext.length % 16 !== 0) {
    throw cryptoErrors.cbcValueLength(alg, plaintext.length);
  }
  const cipher = createCipheriv(`aes-${bits(key)}-cbc`, key, iv).setAutoPadding(padded);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/** CBC decryption; throws KeyCryptoError BadParameter on a missing iv, bad length or bad padding. */
export function aesCbcDecrypt(
  alg: string,
  key: Buffer,
  ciphertext: Buffer,
  iv: Buffer | undefined,
  padded: boolean,
): Buffer {
  const checkedIv = checkCbcIv(alg, iv);
  if (ciphertext.length % 16 !== 0 || (padded && ciphertext.length === 0)) {
    throw cryptoErrors.cbcCiphertextLength(alg, padded, ciphertext.length);
  }
  const decipher = createDecipheriv(`aes-${bits(key)}-cbc`, key, checkedIv).setAutoPadding(padded);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw cryptoErrors.cbcBadPadding(alg);
  }
}
