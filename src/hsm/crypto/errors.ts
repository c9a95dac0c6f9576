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

/** Shorthand for `new KeyCryptoError('BadParameter', message)`. */
export function badParameter(message: string): KeyCryptoError {
  return new KeyCryptoError("BadParameter", message);
}

/** Type guard for {@link KeyCryptoError}; works across module instances by checking `name`. */
export function isKeyCryptoError(error: unknown): error is KeyCryptoError {
  return error instanceof KeyCryptoError || (error instanceof Error && error.name === "KeyCryptoError");
}
