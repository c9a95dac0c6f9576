/**
 * The security-domain file (what `POST /securitydomain/download` returns and `az keyvault security-domain download`
 * writes) and the restore blob (what `POST /securitydomain/upload` takes), in the format az's security-domain code
 * reads and writes (Azure/azure-cli `command_modules/keyvault/custom.py` `security_domain_*`,
 * `security_domain/*.py`; shared reference data-plane.md §7.3):
 *
 *   file  {"EncData": {"kdf": "sp108_kdf", "data": [{"tag", "compact_jwe"}]},
 *          "SharedKeys": {"key_algorithm": "shamir_share", "required": M,
 *                         "enc_shares": [{"x5t_256", "enc_key"}]}}
 *   blob  {"EncData": {…same, re-encrypted under a new master key…},
 *          "WrappedKey": {"enc_key": JWE of that master key to the exchange key, "x5t_256": exchange cert thumbprint}}
 *
 * A fresh 32-byte master key encrypts each datum (`dir` JWE under SP 800-108(master key, tag)); the master key is
 * Shamir-shared over GF(257) (N = number of certificates, M = required) and each share array is sealed to one
 * wrapping certificate (RSA-OAEP-256 JWE). Only M of the certificates' private keys open the datum again.
 */
import { X509Certificate, createPublicKey, createHash, randomBytes, type KeyObject } from "node:crypto";
import { splitSecret } from "./shamir.js";
import { decryptDirect, decryptWithRsa, encryptDirect, encryptToRsa, sp800108, JweError } from "./jwe.js";

export const KDF_NAME = "sp108_kdf";
export const SHARE_ALGORITHM = "shamir_share";
export const MASTER_KEY_BYTES = 32;

/** Thrown for certificates, files and blobs that are not acceptable; `message` is safe to show to the client. */
export class SecurityDomainFormatError extends Error {}

/** One wrapping certificate of a download request. */
export interface WrappingCertificate {
  publicKey: KeyObject;
  /** base64url (no padding) SHA-256 of the certificate DER: az matches shares to certificates by it. */
  x5tS256: string;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** base64url(SHA-256(DER)), as az's `Utils.security_domain_b64_url_encode(sha256(public_bytes))`. */
export function certificateThumbprint(der: Uint8Array): string {
  return b64url(createHash("sha256").update(der).digest());
}

/**
 * Reads one `SecurityDomainJsonWebKey` of a download request (a JWK with `x5c`, as az sends it; the
 * `{"value": JWK}` item shape of the 7.2 models is accepted too). The key must be RSA of at least 2048 bits
 * (az and the service's documented limit).
 * @param index position in the request, for messages
 * @throws SecurityDomainFormatError
 */
export function parseWrappingCertificate(item: unknown, index: number): WrappingCertificate {
  const where = `certificates[${index}]`;
  let jwk = item as Record<string, unknown> | null;
  if (jwk && typeof jwk === "object" && !Array.isArray(jwk) && jwk.value && typeof jwk.value === "object")
    jwk = jwk.value as Record<string, unknown>;
  if (!jwk || typeof jwk !== "object" || Array.isArray(jwk))
    throw new SecurityDomainFormatError(`${where} is not a JSON web key.`);
  let publicKey: KeyObject;
  let thumbprint: string | undefined = typeof jwk["x5t#S256"] === "string" ? (jwk["x5t#S256"] as string) : undefined;
  const x5c = jwk.x5c;
  if (Array.isArray(x5c) && x5c.length > 0) {
    if (typeof x5c[0] !== "string") throw new SecurityDomainFormatError(`${where}.x5c[0] is not a base64 certificate.`);
    let cert: X509Certificate;
    const der = Buffer.from(x5c[0], "base64");
    try {
      cert = new X509Certificate(der);
    } catch {
      throw new SecurityDomainFormatError(`${where}.x5c[0] is not an X.509 certificate.`);
    }
    publicKey = cert.publicKey;
    const computed = certificateThumbprint(der);
    if (thumbprint !== undefined && thumbprint.replace(/=+$/, "") !== computed)
      throw new SecurityDomainFormatError(`${where}: x5t#S256 does not match the certificate in x5c.`);
    thumbprint = computed;
  } else {
    if (jwk.kty !== "RSA" || typeof jwk.n !== "string" || typeof jwk.e !== "string")
      throw new SecurityDomainFormatError(`${where} has no x5c certificate and no RSA n/e.`);
    if (!thumbprint) throw new SecurityDomainFormatError(`${where} has no x5c certificate and no x5t#S256 thumbprint.`);
    try {
      publicKey = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
    } catch {
      throw new SecurityDomainFormatError(`${where} is not a valid RSA public key.`);
    }
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== "rsa" || bits < 2048) {
    throw new SecurityDomainFormatError(
      `${where}: only RSA keys of 2048 bits or more can wrap a security domain (got ${publicKey.asymmetricKeyType === "rsa" ? `RSA ${bits}` : (publicKey.asymmetricKeyType ?? "unknown")}).`,
    );
  }
  return { publicKey, x5tS256: thumbprint.replace(/=+$/, "") };
}

/** The security-domain file as JSON. */
export interface SecurityDomainFile {
  EncData: { kdf: string; data: { tag: string; compact_jwe: string }[] };
  SharedKeys: { key_algorithm: string; required: number; enc_shares: { x5t_256: string; enc_key: string }[] };
}

/**
 * Builds a security-domain file that holds `data` (tag → plaintext) for `certificates` with quorum `required`.
 * @returns the file as a JSON string (the download's `value`)
 */
export async function buildSecurityDomainFile(
  data: Map<string, Uint8Array>,
  certificates: WrappingCertificate[],
  required: number,
): Promise<string> {
  const masterKey = randomBytes(MASTER_KEY_BYTES);
  const shares = splitSecret(masterKey, certificates.length, required);
  const file: SecurityDomainFile = {
    EncData: { kdf: KDF_NAME, data: [] },
    SharedKeys: { key_algorithm: SHARE_ALGORITHM, required, enc_shares: [] },
  };
  for (const [tag, plaintext] of data)
    file.EncData.data.push({ tag, compact_jwe: await encryptDirect(plaintext, sp800108(masterKey, tag), tag) });
  for (let i = 0; i < certificates.length; i++) {
    file.SharedKeys.enc_shares.push({
      x5t_256: certificates[i].x5tS256,
      enc_key: await encryptToRsa(shares[i], certificates[i].publicKey, certificates[i].x5tS256),
    });
  }
  masterKey.fill(0);
  return JSON.stringify(file);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/**
 * Opens a restore blob made for the exchange key whose certificate thumbprint is `exchangeThumbprint`.
 * @returns tag → plaintext of every datum
 * @throws SecurityDomainFormatError when the blob is malformed, made for another exchange key, or any part
 *   does not authenticate
 */
export async function openRestoreBlob(
  blob: string,
  exchangeKey: KeyObject,
  exchangeThumbprint: string,
): Promise<Map<string, Buffer>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw new SecurityDomainFormatError("The security domain restore blob is not valid JSON.");
  }
  if (!isObject(parsed) || !isObject(parsed.EncData) || !isObject(parsed.WrappedKey)) {
    throw new SecurityDomainFormatError(
      "The security domain restore blob must have EncData and WrappedKey (make it with 'az keyvault security-domain restore-blob' or upload with --sd-wrapping-keys).",
    );
  }
  const { EncData: enc, WrappedKey: wrapped } = parsed;
  if (enc.kdf !== KDF_NAME)
    throw new SecurityDomainFormatError(`Unsupported EncData.kdf '${String(enc.kdf)}'; expected '${KDF_NAME}'.`);
  if (!Array.isArray(enc.data) || enc.data.length === 0) throw new SecurityDomainFormatError("EncData.data is empty.");
  if (typeof wrapped.enc_key !== "string" || typeof wrapped.x5t_256 !== "string")
    throw new SecurityDomainFormatError("WrappedKey must have enc_key and x5t_256.");
  if (wrapped.x5t_256.replace(/=+$/, "") !== exchangeThumbprint) {
    throw new SecurityDomainFormatError(
      "The restore blob was made for another exchange key; download this managed HSM's exchange key ('az keyvault security-domain init-recovery') and make the blob again.",
    );
  }
  let masterKey: Buffer;
  try {
    masterKey = await decryptWithRsa(wrapped.enc_key, exchangeKey);
  } catch (e) {
    throw new SecurityDomainFormatError(
      `WrappedKey.enc_key ${e instanceof JweError ? e.message : "does not decrypt"}.`,
    );
  }
  const out = new Map<string, Buffer>();
  try {
    for (const [i, d] of enc.data.entries()) {
      if (!isObject(d) || typeof d.tag !== "string" || typeof d.compact_jwe !== "string")
        throw new SecurityDomainFormatError(`EncData.data[${i}] must have tag and compact_jwe.`);
      try {
        out.set(d.tag, await decryptDirect(d.compact_jwe, sp800108(masterKey, d.tag)));
      } catch (e) {
        throw new SecurityDomainFormatError(
          `EncData.data[${i}] (${d.tag}) ${e instanceof JweError ? e.message : "does not decrypt"}; the restore blob is corrupt or was tampered with.`,
        );
      }
    }
  } finally {
    masterKey.fill(0);
  }
  return out;
}
