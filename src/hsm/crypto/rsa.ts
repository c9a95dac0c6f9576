// RSA primitives for Key Vault's RSA1_5, RSA-OAEP(-256), RS* and PS* (JWA RFC 7518 §3.3, §3.5,
// §4.2, §4.3) over RFC 8017. Key Vault signs a caller-supplied digest, which Node's crypto.sign
// cannot do (it always hashes), so the signature encodings are built here and only the raw RSA
// operation is left to OpenSSL:
//  - RS*: DigestInfo (RFC 8017 §9.2) signed with OpenSSL's PKCS#1 v1.5 type-1 padding;
//         verified by re-encoding and comparing, as §8.2.2 recommends.
//  - PS*: EMSA-PSS (§9.1) with MGF1 on the same hash and salt length = hash length (RFC 7518 §3.5).
//  - RSA1_5 decryption: Node 20 refuses PKCS#1 v1.5 in privateDecrypt (CVE-2023-46809), so EME
//    decoding (§7.2.2 step 3) is done here after a raw RSA operation.
import {
  constants,
  createHash,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

import { cryptoErrors } from "./errors.js";
import { privateKeyObject, type RsaKeyMaterial } from "./keys.js";

export type RsaEncryptionScheme = "RSA1_5" | "RSA-OAEP" | "RSA-OAEP-256";
export type RsaSignatureScheme = "pkcs1" | "pss";
export type SignatureHash = "sha256" | "sha384" | "sha512";

const OAEP_HASH = { "RSA-OAEP": "sha1", "RSA-OAEP-256": "sha256" } as const;
const HASH_LENGTH = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 } as const;

// RFC 8017 §9.2 Note 1: DER of DigestInfo up to (not including) the digest bytes.
const DIGEST_INFO_PREFIX: Readonly<Record<SignatureHash, Buffer>> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** Modulus length in bytes (k in RFC 8017). */
function modulusBytes(material: RsaKeyMaterial): number {
  return Math.ceil(material.keySize / 8);
}

/**
 * Encrypts `plaintext` with the public key. Max length: k-11 (RSA1_5), k-2·hLen-2 (OAEP).
 * Throws KeyCryptoError BadParameter if the plaintext is too long.
 */
export function rsaEncrypt(material: RsaKeyMaterial, scheme: RsaEncryptionScheme, plaintext: Buffer): Buffer {
  const k = modulusBytes(material);
  const max = scheme === "RSA1_5" ? k - 11 : k - 2 * HASH_LENGTH[OAEP_HASH[scheme]] - 2;
  if (plaintext.length > max) {
    throw cryptoErrors.rsaValueTooLong(scheme, material.keySize, max);
  }
  const key = privateKeyObject(material);
  return scheme === "RSA1_5"
    ? publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, plaintext)
    : publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[scheme] }, plaintext);
}

/**
 * Decrypts a k-byte `ciphertext`. Throws KeyCryptoError BadParameter for a wrong length or when the
 * padding does not check out (wrong key, wrong algorithm, tampered data).
 */
export function rsaDecrypt(material: RsaKeyMaterial, scheme: RsaEncryptionScheme, ciphertext: Buffer): Buffer {
  const k = modulusBytes(material);
  if (ciphertext.length !== k) {
    throw cryptoErrors.rsaCiphertextLength(scheme, material.keySize, k, ciphertext.length);
  }
  const key = privateKeyObject(material);
  const failed = () => cryptoErrors.rsaDecryptFailed(scheme);
  if (scheme !== "RSA1_5") {
    try {
      return privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[scheme] },
        ciphertext,
      );
    } catch {
      throw failed();
    }
  }
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw failed(); // ciphertext ≥ n
  }
  // EM = 0x00 || 0x02 || PS (≥ 8 non-zero octets) || 0x00 || M
  const separator = em.indexOf(0, 2);
  if (em[0] !== 0x00 || em[1] !== 0x02 || separator < 10) throw failed();
  return em.subarray(separator + 1);
}

/** Signs a pre-computed `digest` (length already checked by the caller) with PKCS#1 v1.5 or PSS. */
export function rsaSignDigest(
  material: RsaKeyMaterial,
  scheme: RsaSignatureScheme,
  hash: SignatureHash,
  digest: Buffer,
): Buffer {
  const key = privateKeyObject(material);
  if (scheme === "pkcs1") {
    return privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]),
    );
  }
  const em = emsaPssEncode(digest, hash, material.keySize - 1);
  const k = modulusBytes(material);
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - em.length), em]));
}

/** Verifies `signature` over a pre-computed `digest`; false for any malformed or wrong signature. */
export function rsaVerifyDigest(
  material: RsaKeyMaterial,
  scheme: RsaSignatureScheme,
  hash: SignatureHash,
  digest: Buffer,
  signature: Buffer,
): boolean {
  const k = modulusBytes(material);
  if (signature.length !== k) return false;
  let m: Buffer; // RSAVP1: s^e mod n as k octets
  try {
    m = publicDecrypt({ key: privateKeyObject(material), padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false; // s ≥ n
  }
  if (scheme === "pkcs1") {
    const t = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
    const expected = Buffer.concat([
      Buffer.from([0x00, 0x01]),
      Buffer.alloc(k - t.length - 3, 0xff),
      Buffer.from([0x00]),
      t,
    ]);
    return m.length === expected.length && timingSafeEqual(m, expected);
  }
  const emBits = material.keySize - 1;
  const emLen = Math.ceil(emBits / 8);
  if (m.subarray(0, k - emLen).some((byte) => byte !== 0)) return false;
  return emsaPssVerify(digest, m.subarray(k - emLen), hash, emBits);
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(seed: Buffer, length: number, hash: SignatureHash): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0, produced = 0; produced < length; i++) {
    counter.writeUInt32BE(i);
    const block = createHash(hash).update(seed).update(counter).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** H = Hash(0x00×8 || mHash || salt), shared by encode step 6 and verify step 13. */
function pssHash(mHash: Buffer, salt: Buffer, hash: SignatureHash): Buffer {
  return createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with sLen = hLen; returns EM of ceil(emBits/8) octets. */
function emsaPssEncode(mHash: Buffer, hash: SignatureHash, emBits: number): Buffer {
  const hLen = mHash.length;
  const sLen = hLen;
  const emLen = Math.ceil(emBits / 8);
  // Step 3 cannot fail: the smallest key (2048 bits) leaves 256 ≥ 64 + 64 + 2 octets.
  const salt = randomBytes(sLen);
  const h = pssHash(mHash, salt, hash);
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([0x01]), salt]);
  const dbMask = mgf1(h, emLen - hLen - 1, hash);
  for (let i = 0; i < db.length; i++) db[i] ^= dbMask[i];
  db[0] &= 0xff >>> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with sLen = hLen. */
function emsaPssVerify(mHash: Buffer, em: Buffer, hash: SignatureHash, emBits: number): boolean {
  const hLen = mHash.length;
  const sLen = hLen;
  const emLen = em.length;
  if (emLen < hLen + sLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBitsMask = 0xff >>> (8 * emLen - emBits);
  if ((maskedDb[0] & ~topBitsMask) !== 0) return false;
  const dbMask = mgf1(h, emLen - hLen - 1, hash);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i] ^ dbMask[i];
  db[0] &= topBitsMask;
  const psLength = emLen - hLen - sLen - 2;
  if (db.subarray(0, psLength).some((byte) => byte !== 0) || db[psLength] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  return timingSafeEqual(pssHash(mHash, salt, hash), h);
}
