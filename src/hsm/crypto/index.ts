// Public API of the HSM crypto module: key material (keys.ts), key operations (operations.ts),
// at-rest sealing (at-rest.ts) and the error type (errors.ts). Pure functions on node:crypto; no
// HTTP, no storage. rsa.ts, ecdsa.ts, aes.ts, curves.ts and bigint.ts are internal.
export { KeyCryptoError, cryptoErrors, isKeyCryptoError, type KeyCryptoErrorCode } from "./errors.js";
export {
  AES_KEY_SIZES,
  EC_CURVE_NAMES,
  RSA_KEY_SIZES,
  defaultKeyOps,
  deserializeMaterial,
  generateKeyMaterial,
  importKeyMaterial,
  normalizeKty,
  publicJwk,
  serializeMaterial,
  type CryptoOperation,
  type CurveName,
  type EcKeyMaterial,
  type GenerateKeyOptions,
  type JsonWebKeyInput,
  type KeyMaterial,
  type KeyType,
  type OctKeyMaterial,
  type PublicJwkFields,
  type RsaKeyMaterial,
} from "./keys.js";
export {
  ALGORITHMS,
  checkAlgorithm,
  decrypt,
  encrypt,
  isAlgorithm,
  sign,
  unwrapKey,
  verify,
  wrapKey,
  type Algorithm,
  type AlgorithmFamily,
  type AlgorithmInfo,
  type KeyOperationRequest,
  type KeyOperationResult,
} from "./operations.js";
export { openWithKey, sealWithKey } from "./at-rest.js";
