/**
 * The two cryptographic building blocks of the security-domain file and the restore blob, as az's security-domain
 * code reads and writes them (Azure/azure-cli `command_modules/keyvault/security_domain/jwe.py`, `sp800_108.py`):
 *
 * - compact JWE with `enc` A256CBC-HS512 (RFC 7518 §5.2.5), either `alg` RSA-OAEP-256 (a fresh 64-byte CEK wrapped
 *   to an RSA public key; RFC 7518 §4.3) or `alg` dir (the 64-byte key given; §4.5) — built and opened with `jose`;
 * - the NIST SP 800-108 counter-mode KDF with HMAC-SHA512 (a single 64-byte block:
 *   HMAC-SHA512(key, BE32(1) || label || 0x00 || context || BE32(512))) that turns the master key into the
 *   per-datum `dir` key.
 */
import { createHmac, type KeyObject } from "node:crypto";
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from "jose";

export const CONTENT_ENCRYPTION = "A256CBC-HS512";

/**
 * SP 800-108 KDF in counter mode with HMAC-SHA512, for `bits` ≤ 512 (one block), as az's `KDF.sp800_108`.
 * @param key the key-derivation key (the security domain's master key)
 * @param label UTF-8 label (the datum's `tag`)
 * @param context UTF-8 context (az passes "")
 * @param bits output length in bits, a multiple of 8, at most 512
 */
export function sp800108(key: Uint8Array, label: string, context = "", bits = 512): Buffer {
  if (bits <= 0 || bits % 8 !== 0 || bits > 512) throw new RangeError("bits must be a multiple of 8 in 8..512");
  const be32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const data = Buffer.concat([
    be32(1),
    Buffer.from(label, "utf8"),
    Buffer.from([0]),
    Buffer.from(context, "utf8"),
    be32(bits),
  ]);
  return createHmac("sha512", key)
    .update(data)
    .digest()
    .subarray(0, bits / 8);
}

/** Compact JWE, RSA-OAEP-256 + A256CBC-HS512, to `publicKey`. `kid` is an optional header value. */
export async function encryptToRsa(plaintext: Uint8Array, publicKey: KeyObject, kid?: string): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: "RSA-OAEP-256", enc: CONTENT_ENCRYPTION, ...(kid ? { kid } : {}) })
    .encrypt(publicKey);
}

/** Compact JWE, dir + A256CBC-HS512, under the 64-byte `key`, with `kid` (az puts the datum's tag there). */
export async function encryptDirect(plaintext: Uint8Array, key: Uint8Array, kid: string): Promise<string> {
  return new CompactEncrypt(plaintext).setProtectedHeader({ alg: "dir", enc: CONTENT_ENCRYPTION, kid }).encrypt(key);
}

/** Thrown when a JWE is malformed, uses another algorithm, or does not authenticate. */
export class JweError extends Error {}

function checkHeader(jwe: string, alg: string): void {
  let header: { alg?: unknown; enc?: unknown };
  try {
    header = decodeProtectedHeader(jwe);
  } catch {
    throw new JweError("not a compact JWE");
  }
  if (jwe.split(".").length !== 5) throw new JweError("not a compact JWE");
  if (header.alg !== alg) throw new JweError(`alg is '${String(header.alg)}', expected '${alg}'`);
  if (header.enc !== CONTENT_ENCRYPTION)
    throw new JweError(`enc is '${String(header.enc)}', expected '${CONTENT_ENCRYPTION}'`);
}

/** Opens a RSA-OAEP-256 / A256CBC-HS512 compact JWE with `privateKey`. @throws JweError */
export async function decryptWithRsa(jwe: string, privateKey: KeyObject): Promise<Buffer> {
  checkHeader(jwe, "RSA-OAEP-256");
  try {
    return Buffer.from(
      (
        await compactDecrypt(jwe, privateKey, {
          keyManagementAlgorithms: ["RSA-OAEP-256"],
          contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
        })
      ).plaintext,
    );
  } catch (e) {
    throw new JweError(`does not decrypt: ${(e as Error).message}`);
  }
}

/** Opens a dir / A256CBC-HS512 compact JWE with the 64-byte `key`. @throws JweError */
export async function decryptDirect(jwe: string, key: Uint8Array): Promise<Buffer> {
  checkHeader(jwe, "dir");
  try {
    return Buffer.from(
      (
        await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: ["dir"],
          contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
        })
      ).plaintext,
    );
  } catch (e) {
    throw new JweError(`does not decrypt: ${(e as Error).message}`);
  }
}
