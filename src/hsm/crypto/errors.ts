// The one error type of the crypto module. It carries a Key Vault error code so the HTTP layer can
// render the Key Vault envelope without parsing messages (data-plane.md §3).

/**
 * `BadParameter`: the caller's request cannot be served (wrong algorithm for the key, bad lengths,
 * failed authentication of a ciphertext, malformed JWK); the HTTP layer answers 400 BadParameter.
 * `InternalError`: the emulator's own data is unusable (sealed material fails its integrity check,
 * a stored blob is malformed, a KEK has the wrong size); the HTTP layer answers 500.
 */
export type KeyCryptoErrorCode = "BadParameter" | "InternalError";

/**
 * Error thrown by every function in `src/hsm/crypto/`. Messages name algorithms and lengths only,
 * never key bytes, plaintext or ciphertext, so they are safe to put on the wire and in logs.
 */
export class KeyCryptoError extends Error {
  readonly code: KeyCryptoErrorCode;

  constructor(code: KeyCryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KeyCryptoError";
    this.code = code;
  }
}

function badParameter(message: string): KeyCryptoError {
  return new KeyCryptoError("BadParameter", message);
}

/**
 * The named refusals of the crypto module: one entry per distinct `BadParameter` the crypto functions throw.
 * The HTTP layer turns them into Key Vault's 400 `BadParameter` (src/hsm/errors.ts `fromCryptoError`); the code is
 * Key Vault's for every request-validation failure (data-plane.md §3, recorded). No recording of a real managed HSM
 * shows these refusals' texts (the SDK recordings only cover successful crypto), so every wording is hsmlink's
 * choice: it names the algorithm and the lengths involved, never key bytes. This module runs in the crypto
 * worker, hence its own catalogue rather than `kvErrors` (which builds `AzureError`s of the HTTP layer).
 */
export const cryptoErrors = {
  /** kty outside RSA-HSM, EC-HSM, oct-HSM and their software aliases. */
  invalidKty: (shown: string) =>
    badParameter(`Invalid key type (kty) ${shown}. Supported: RSA-HSM, EC-HSM, oct-HSM (or RSA, EC, oct, AES).`),
  /** RSA modulus size other than 2048, 3072, 4096. */
  rsaKeySize: (shown: string) => badParameter(`RSA key size ${shown} is not supported; use 2048, 3072 or 4096.`),
  /** RSA public exponent that is not an odd integer ≥ 3. */
  rsaPublicExponent: (shown: string) =>
    badParameter(`RSA public exponent ${shown} is invalid; use an odd integer such as 65537.`),
  /** Curve other than P-256, P-256K, P-384, P-521. */
  curveNotSupported: (shown: string) =>
    badParameter(`Curve ${shown} is not supported; use P-256, P-256K, P-384 or P-521.`),
  /** AES key size other than 128, 192, 256. */
  aesKeySize: (shown: string) => badParameter(`AES key size ${shown} is not supported; use 128, 192 or 256.`),
  /** The `key` of an import is not an object. */
  importNotJwk: () => badParameter("The key to import must be a JSON Web Key object."),
  /** A BYOK `key_hsm` blob (not emulated). */
  byokNotSupported: () =>
    badParameter("Importing a key_hsm (BYOK) blob is not supported by this emulator; import the plain JWK."),
  /** RSA CRT parameters that do not belong together (RFC 8017 §3.2). */
  rsaInconsistent: () => badParameter("The RSA key parameters are inconsistent (n, e, d, p, q, dp, dq, qi)."),
  /** EC coordinates of the wrong length for the curve. */
  ecFieldLength: (byteLength: number, curve: string) =>
    badParameter(`EC key fields x, y and d must each be ${byteLength} bytes for ${curve}.`),
  /** (x, y) is not d·G. */
  ecInconsistent: () => badParameter("The EC key parameters are inconsistent: (x, y) is not the public key of d."),
  /** d outside [1, n-1]. */
  ecPrivateOutOfRange: (curve: string) => badParameter(`The EC private key is out of range for ${curve}.`),
  /** OpenSSL refuses the JWK. */
  jwkInvalid: (label: string) =>
    badParameter(`The ${label} key could not be imported: the JWK parameters are invalid.`),
  /** A JWK field is missing. */
  jwkFieldRequired: (name: string) => badParameter(`JWK field '${name}' is required.`),
  /** A JWK field is not base64url. */
  jwkFieldNotBase64Url: (name: string) => badParameter(`JWK field '${name}' must be a base64url string.`),
  /** An algorithm name Key Vault does not have. */
  algorithmNotSupported: (shown: string) => badParameter(`Algorithm ${shown} is not supported.`),
  /** The algorithm belongs to another key type. */
  algorithmWrongKeyType: (alg: string, kty: string) =>
    badParameter(`Algorithm ${alg} cannot be used with a key of type ${kty}.`),
  /** The algorithm does not do this operation. */
  algorithmWrongOperation: (alg: string, operation: string) =>
    badParameter(`Algorithm ${alg} cannot be used for ${operation}.`),
  /** ES256/ES256K/ES384/ES512 with a key on another curve. */
  algorithmWrongCurve: (alg: string, wanted: string, actual: string) =>
    badParameter(`Algorithm ${alg} requires a ${wanted} key; this key uses ${actual}.`),
  /** AES algorithm with an AES key of another size. */
  algorithmWrongAesKeySize: (alg: string, wanted: number, actual: number) =>
    badParameter(`Algorithm ${alg} requires a ${wanted}-bit AES key; this key is ${actual}-bit (key size incorrect).`),
  /** AES-GCM encrypt given an iv (the service generates it). */
  gcmIvNotAccepted: (alg: string) =>
    badParameter(`${alg} encryption does not take an iv: the service generates a unique 12-byte iv and returns it.`),
  /** Sign/verify without a digest. */
  digestRequired: (alg: string) => badParameter(`${alg} needs a digest.`),
  /** Digest length does not match the algorithm's hash. */
  digestLength: (alg: string, wanted: number | undefined, hash: string | undefined, actual: number) =>
    badParameter(`The digest for ${alg} must be ${wanted} bytes (${hash}), got ${actual}.`),
  /** RSA encrypt/wrap input longer than the scheme allows. */
  rsaValueTooLong: (scheme: string, keySize: number, max: number) =>
    badParameter(`The value is too long for ${scheme} with a ${keySize}-bit key: at most ${max} bytes.`),
  /** RSA ciphertext whose length is not the modulus length. */
  rsaCiphertextLength: (scheme: string, keySize: number, wanted: number, actual: number) =>
    badParameter(`The ciphertext for ${scheme} with a ${keySize}-bit key must be ${wanted} bytes, got ${actual}.`),
  /** RSA decryption/unwrap failed. */
  rsaDecryptFailed: (scheme: string) =>
    badParameter(`${scheme} decryption failed: the ciphertext is not valid for this key.`),
  /** AES-KW(P) wrap input of a bad length. */
  aesKwValueLength: (alg: string, padded: boolean, actual: number) =>
    badParameter(
      padded
        ? `${alg} needs a non-empty value.`
        : `${alg} needs a value whose length is a multiple of 8 bytes and at least 16 bytes, got ${actual}.`,
    ),
  /** AES-KW(P) unwrap input of a bad length. */
  aesKwWrappedLength: (alg: string, padded: boolean, actual: number) =>
    badParameter(
      `${alg} cannot unwrap a value of ${actual} bytes: it must be a multiple of 8 and at least ${padded ? 16 : 24}.`,
    ),
  /** AES-KW(P) integrity check failed. */
  aesKwUnwrapFailed: (alg: string) => badParameter(`${alg} unwrap failed: integrity check of the wrapped key failed.`),
  /** AES-GCM decrypt without the right iv. */
  gcmIvRequired: (alg: string, wanted: number, actual?: number) =>
    badParameter(
      `${alg} decryption needs the ${wanted}-byte iv returned by encrypt${actual !== undefined ? `, got ${actual} bytes` : ""}.`,
    ),
  /** AES-GCM decrypt without the right tag. */
  gcmTagRequired: (alg: string, wanted: number, actual?: number) =>
    badParameter(
      `${alg} decryption needs the ${wanted}-byte authentication tag${actual !== undefined ? `, got ${actual} bytes` : ""}.`,
    ),
  /** AES-GCM authentication failed. */
  gcmNotAuthentic: (alg: string) =>
    badParameter(`${alg} decryption failed: the ciphertext, iv, aad or tag is not authentic.`),
  /** AES-CBC without a 16-byte iv. */
  cbcIvRequired: (alg: string, wanted: number, actual?: number) =>
    badParameter(`${alg} needs a ${wanted}-byte iv${actual !== undefined ? `, got ${actual} bytes` : ""}.`),
  /** AES-CBC (unpadded) plaintext not a multiple of 16. */
  cbcValueLength: (alg: string, actual: number) =>
    badParameter(
      `${alg} needs a value whose length is a multiple of 16 bytes, got ${actual}; use ${alg}PAD for other lengths.`,
    ),
  /** AES-CBC ciphertext length. */
  cbcCiphertextLength: (alg: string, padded: boolean, actual: number) =>
    badParameter(`${alg} ciphertext length must be a ${padded ? "non-zero " : ""}multiple of 16 bytes, got ${actual}.`),
  /** AES-CBC-PAD padding check failed. */
  cbcBadPadding: (alg: string) => badParameter(`${alg} decryption failed: bad padding (wrong key, iv or ciphertext).`),
} as const;

/** Type guard for {@link KeyCryptoError}; works across module instances by checking `name`. */
export function isKeyCryptoError(error: unknown): error is KeyCryptoError {
  return error instanceof KeyCryptoError || (error instanceof Error && error.name === "KeyCryptoError");
}
