// Key material for Managed HSM keys: generation, JWK import, the public JWK the wire shows, and a
// byte serialization for the store to seal at rest. Key types, sizes and curves follow
// data-plane.md §2.2; JWK fields follow RFC 7517/7518 §6 and the Key Vault JsonWebKey schema.
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  type JsonWebKey as NodeJsonWebKey,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";

import { bitLength, mod, os2ip } from "./bigint.js";
import { CURVES, curveByName, curveByOpensslName, type CurveInfo, type CurveName } from "./curves.js";
import { cryptoErrors, KeyCryptoError } from "./errors.js";

export type { CurveName } from "./curves.js";

/** Key types Managed HSM stores; every key lives in the HSM, hence only the `-HSM` forms. */
export type KeyType = "RSA-HSM" | "EC-HSM" | "oct-HSM";

/** The key operations this module performs (Key Vault JsonWebKeyOperation, minus import/export). */
export type CryptoOperation = "encrypt" | "decrypt" | "wrapKey" | "unwrapKey" | "sign" | "verify";

export const RSA_KEY_SIZES: readonly number[] = Object.freeze([2048, 3072, 4096]);
export const AES_KEY_SIZES: readonly number[] = Object.freeze([128, 192, 256]);
export const EC_CURVE_NAMES: readonly CurveName[] = Object.freeze(["P-256", "P-256K", "P-384", "P-521"] as const);

/** An RSA private key; `pkcs8` is the PKCS#8 DER encoding, `keySize` the modulus length in bits. */
export interface RsaKeyMaterial {
  readonly kty: "RSA-HSM";
  readonly keySize: number;
  readonly pkcs8: Buffer;
}

/** An EC private key; `pkcs8` is the PKCS#8 DER encoding (named curve). */
export interface EcKeyMaterial {
  readonly kty: "EC-HSM";
  readonly crv: CurveName;
  readonly pkcs8: Buffer;
}

/** An AES key; `k` holds the raw key bytes, `keySize` is `k.length * 8`. */
export interface OctKeyMaterial {
  readonly kty: "oct-HSM";
  readonly keySize: number;
  readonly k: Buffer;
}

/** Private key material of one key version. Treat as secret: never log or serialize it unsealed. */
export type KeyMaterial = RsaKeyMaterial | EcKeyMaterial | OctKeyMaterial;

export interface GenerateKeyOptions {
  /** `kty` from KeyCreateParameters; aliases are accepted (see {@link normalizeKty}). */
  readonly kty: string;
  /** Bits. RSA: 2048 (default), 3072, 4096. oct: 128, 192, 256 (default). Ignored for EC. */
  readonly keySize?: number;
  /** EC only: P-256 (default), P-256K, P-384, P-521. */
  readonly crv?: string;
  /** RSA only: odd integer in [3, 2^32 - 1]; default 65537. */
  readonly publicExponent?: number;
}

/**
 * A JSON Web Key as it arrives in KeyImportParameters.key. Fields are `unknown` because they come off
 * the wire; binary fields must be base64url strings (trailing `=` padding is tolerated).
 */
export interface JsonWebKeyInput {
  readonly kty?: unknown;
  readonly crv?: unknown;
  readonly n?: unknown;
  readonly e?: unknown;
  readonly d?: unknown;
  readonly p?: unknown;
  readonly q?: unknown;
  readonly dp?: unknown;
  readonly dq?: unknown;
  readonly qi?: unknown;
  readonly x?: unknown;
  readonly y?: unknown;
  readonly k?: unknown;
  readonly key_hsm?: unknown;
}

/** Public JWK fields for the wire; binary values are base64url without padding. Empty for oct keys. */
export interface PublicJwkFields {
  n?: string;
  e?: string;
  crv?: CurveName;
  x?: string;
  y?: string;
}

const KTY_ALIASES: Readonly<Record<string, KeyType>> = Object.freeze({
  RSA: "RSA-HSM",
  "RSA-HSM": "RSA-HSM",
  EC: "EC-HSM",
  "EC-HSM": "EC-HSM",
  oct: "oct-HSM",
  "oct-HSM": "oct-HSM",
  AES: "oct-HSM",
});

/**
 * Maps a requested `kty` to the type Managed HSM stores: RSA→RSA-HSM, EC→EC-HSM, oct/AES→oct-HSM
 * (data-plane.md §0.7: MHSM accepts the software aliases and normalizes them). Case-sensitive, as the
 * REST enum is. Throws KeyCryptoError BadParameter for anything else.
 */
export function normalizeKty(kty: unknown): KeyType {
  if (typeof kty === "string" && Object.hasOwn(KTY_ALIASES, kty)) return KTY_ALIASES[kty]!;
  throw cryptoErrors.invalidKty(describe(kty));
}

/**
 * Default `key_ops` for a new key of type `kty`, in the order the real service returns them
 * (data-plane.md §2.1). Returns a fresh array.
 */
export function defaultKeyOps(kty: KeyType): CryptoOperation[] {
  switch (kty) {
    case "RSA-HSM":
      return ["wrapKey", "decrypt", "encrypt", "unwrapKey", "sign", "verify"];
    case "EC-HSM":
      return ["sign", "verify"];
    case "oct-HSM":
      return ["wrapKey", "unwrapKey", "encrypt", "decrypt"];
  }
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Generates fresh key material (POST /keys/{name}/create, rotate). RSA uses `publicExponent`
 * (default 65537); EC uses the named curve; oct draws `keySize/8` random bytes. Asynchronous so
 * RSA-4096 generation (seconds) does not block the event loop.
 * Throws KeyCryptoError BadParameter for an unknown kty, unsupported size/curve or bad exponent.
 */
export async function generateKeyMaterial(options: GenerateKeyOptions): Promise<KeyMaterial> {
  const kty = normalizeKty(options.kty);
  switch (kty) {
    case "RSA-HSM": {
      const keySize = options.keySize ?? 2048;
      if (!RSA_KEY_SIZES.includes(keySize)) {
        throw cryptoErrors.rsaKeySize(describe(keySize));
      }
      const publicExponent = options.publicExponent ?? 65537;
      if (
        !Number.isInteger(publicExponent) ||
        publicExponent < 3 ||
        publicExponent > 0xffffffff ||
        publicExponent % 2 === 0
      ) {
        throw cryptoErrors.rsaPublicExponent(describe(publicExponent));
      }
      const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: keySize, publicExponent });
      return remember({ kty, keySize, pkcs8: exportPkcs8(privateKey) }, privateKey);
    }
    case "EC-HSM": {
      const curve = options.crv === undefined ? CURVES["P-256"] : curveByName(options.crv);
      if (!curve) {
        throw cryptoErrors.curveNotSupported(describe(options.crv));
      }
      const { privateKey } = await generateKeyPairAsync("ec", { namedCurve: curve.opensslName });
      return remember({ kty, crv: curve.name, pkcs8: exportPkcs8(privateKey) }, privateKey);
    }
    case "oct-HSM": {
      const keySize = options.keySize ?? 256;
      if (!AES_KEY_SIZES.includes(keySize)) {
        throw cryptoErrors.aesKeySize(describe(keySize));
      }
      return { kty, keySize, k: randomBytes(keySize / 8) };
    }
  }
}

/**
 * Builds key material from an imported JSON Web Key with its private parts (PUT /keys/{name}):
 * RSA needs n, e, d, p, q, dp, dq, qi; EC needs crv, x, y, d; oct needs k. Sizes and curves are those
 * of {@link generateKeyMaterial}. The parts are checked for consistency (p·q = n and the CRT values;
 * d·G = (x, y)) so the public key the wire shows always matches the private key.
 * Throws KeyCryptoError BadParameter for a missing/malformed field, unsupported size or curve,
 * inconsistent parameters, or `key_hsm` (BYOK transfer blobs are not emulated).
 */
export function importKeyMaterial(jwk: JsonWebKeyInput): KeyMaterial {
  if (jwk === null || typeof jwk !== "object") throw cryptoErrors.importNotJwk();
  if (jwk.key_hsm !== undefined) {
    throw cryptoErrors.byokNotSupported();
  }
  const kty = normalizeKty(jwk.kty);
  switch (kty) {
    case "RSA-HSM":
      return importRsa(jwk);
    case "EC-HSM":
      return importEc(jwk);
    case "oct-HSM": {
      const k = b64urlField(jwk, "k");
      if (!AES_KEY_SIZES.includes(k.length * 8)) {
        throw cryptoErrors.aesKeySize(String(k.length * 8));
      }
      return { kty, keySize: k.length * 8, k };
    }
  }
}

function importRsa(jwk: JsonWebKeyInput): RsaKeyMaterial {
  const names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;
  const parts = Object.fromEntries(names.map((name) => [name, b64urlField(jwk, name)])) as Record<
    (typeof names)[number],
    Buffer
  >;
  const [n, e, d, p, q, dp, dq, qi] = names.map((name) => os2ip(parts[name])) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const keySize = bitLength(n);
  if (!RSA_KEY_SIZES.includes(keySize)) {
    throw cryptoErrors.rsaKeySize(String(keySize));
  }
  // OpenSSL accepts mismatched CRT parts and silently falls back to d, so a wrong-but-working key
  // would be stored; check the RFC 8017 §3.2 relations ourselves.
  const consistent =
    p > 1n &&
    q > 1n &&
    e > 1n &&
    p * q === n &&
    mod(d, p - 1n) === dp &&
    mod(d, q - 1n) === dq &&
    mod(e * dp, p - 1n) === 1n &&
    mod(e * dq, q - 1n) === 1n &&
    mod(qi * q, p) === 1n;
  if (!consistent) throw cryptoErrors.rsaInconsistent();
  const nodeJwk: NodeJsonWebKey = { kty: "RSA" };
  for (const name of names) nodeJwk[name] = parts[name].toString("base64url");
  const privateKey = parsePrivateJwk(nodeJwk, "RSA");
  return remember({ kty: "RSA-HSM", keySize, pkcs8: exportPkcs8(privateKey) }, privateKey);
}

function importEc(jwk: JsonWebKeyInput): EcKeyMaterial {
  const curve = typeof jwk.crv === "string" ? curveByName(jwk.crv) : undefined;
  if (!curve) throw cryptoErrors.curveNotSupported(describe(jwk.crv));
  const x = b64urlField(jwk, "x");
  const y = b64urlField(jwk, "y");
  const d = b64urlField(jwk, "d");
  // RFC 7518 §6.2.1.2/§6.2.2.1: coordinates and d are full-length octet strings.
  if (x.length !== curve.byteLength || y.length !== curve.byteLength || d.length !== curve.byteLength) {
    throw cryptoErrors.ecFieldLength(curve.byteLength, curve.name);
  }
  const privateKey = parsePrivateJwk(
    {
      kty: "EC",
      crv: curve.nodeJwkCrv,
      x: x.toString("base64url"),
      y: y.toString("base64url"),
      d: d.toString("base64url"),
    },
    "EC",
  );
  // Node checks that (x, y) is on the curve but not that it equals d·G.
  if (!publicPointOf(curve, d).equals(Buffer.concat([Buffer.from([0x04]), x, y]))) {
    throw cryptoErrors.ecInconsistent();
  }
  return remember({ kty: "EC-HSM", crv: curve.name, pkcs8: exportPkcs8(privateKey) }, privateKey);
}

/** Uncompressed public point 0x04||X||Y of scalar `d`, computed by OpenSSL; throws BadParameter if d ∉ [1, n-1]. */
function publicPointOf(curve: CurveInfo, d: Buffer): Buffer {
  try {
    const ecdh = createECDH(curve.opensslName);
    ecdh.setPrivateKey(d);
    return ecdh.getPublicKey();
  } catch {
    throw cryptoErrors.ecPrivateOutOfRange(curve.name);
  }
}

/**
 * Public JWK fields of a key for the KeyBundle (data-plane.md §2.1): RSA `{n, e}`, EC `{crv, x, y}`
 * with full-length coordinates (RFC 7518 §6.2.1.2), oct `{}` (MHSM never shows symmetric material).
 * Values are base64url without padding. The JS SDK encrypts and verifies locally with these, so they
 * are derived from the private key itself.
 */
export function publicJwk(material: KeyMaterial): PublicJwkFields {
  if (material.kty === "oct-HSM") return {};
  let fields = publicFields.get(material);
  if (!fields) {
    // Export from the derived public key so the private parts are never materialized as strings.
    const jwk = createPublicKey(privateKeyObject(material)).export({ format: "jwk" });
    fields = material.kty === "RSA-HSM" ? { n: jwk.n!, e: jwk.e! } : { crv: material.crv, x: jwk.x!, y: jwk.y! };
    publicFields.set(material, fields);
  }
  return { ...fields };
}

const publicFields = new WeakMap<KeyMaterial, PublicJwkFields>();

interface SerializedMaterialV1 {
  v: 1;
  kty: KeyType;
  keySize?: number;
  crv?: CurveName;
  key: string;
}

/**
 * Serializes key material to bytes for the store, which seals them with {@link sealWithKey}
 * before writing. Format: UTF-8 JSON `{v:1, kty, keySize?|crv?, key:<base64url PKCS#8 DER or AES key>}`.
 */
export function serializeMaterial(material: KeyMaterial): Buffer {
  const body: SerializedMaterialV1 =
    material.kty === "oct-HSM"
      ? { v: 1, kty: material.kty, keySize: material.keySize, key: material.k.toString("base64url") }
      : material.kty === "RSA-HSM"
        ? { v: 1, kty: material.kty, keySize: material.keySize, key: material.pkcs8.toString("base64url") }
        : { v: 1, kty: material.kty, crv: material.crv, key: material.pkcs8.toString("base64url") };
  return Buffer.from(JSON.stringify(body), "utf8");
}

/**
 * Inverse of {@link serializeMaterial}. Re-parses the key and checks it against the recorded
 * type/size/curve. Throws KeyCryptoError InternalError if the bytes are not a valid serialization
 * (the store's data is corrupt; not the caller's fault).
 */
export function deserializeMaterial(bytes: Buffer): KeyMaterial {
  const corrupt = (why: string) => new KeyCryptoError("InternalError", `Stored key material is unreadable: ${why}.`);
  let body: Partial<SerializedMaterialV1>;
  try {
    body = JSON.parse(bytes.toString("utf8")) as Partial<SerializedMaterialV1>;
  } catch {
    throw corrupt("not JSON");
  }
  if (body === null || typeof body !== "object" || body.v !== 1) throw corrupt("unknown format version");
  if (typeof body.key !== "string") throw corrupt("missing key");
  const key = Buffer.from(body.key, "base64url");
  switch (body.kty) {
    case "oct-HSM":
      if (!AES_KEY_SIZES.includes(key.length * 8) || body.keySize !== key.length * 8)
        throw corrupt("AES key size mismatch");
      return { kty: "oct-HSM", keySize: key.length * 8, k: key };
    case "RSA-HSM": {
      const privateKey = parsePkcs8(key, "rsa", corrupt);
      const keySize = privateKey.asymmetricKeyDetails?.modulusLength;
      if (keySize === undefined || keySize !== body.keySize) throw corrupt("RSA key size mismatch");
      return remember({ kty: "RSA-HSM", keySize, pkcs8: key }, privateKey);
    }
    case "EC-HSM": {
      const privateKey = parsePkcs8(key, "ec", corrupt);
      const curve = curveByOpensslName(privateKey.asymmetricKeyDetails?.namedCurve);
      if (!curve || curve.name !== body.crv) throw corrupt("EC curve mismatch");
      return remember({ kty: "EC-HSM", crv: curve.name, pkcs8: key }, privateKey);
    }
    default:
      throw corrupt("unknown key type");
  }
}

// Parsing PKCS#8 costs more than an RSA public operation, so each material object keeps its parsed
// KeyObject. A WeakMap keeps KeyMaterial plain data (serializable, comparable) and frees with it.
const keyObjects = new WeakMap<KeyMaterial, KeyObject>();

function remember<M extends RsaKeyMaterial | EcKeyMaterial>(material: M, privateKey: KeyObject): M {
  keyObjects.set(material, privateKey);
  return material;
}

/**
 * The parsed private KeyObject of an RSA or EC key (cached per material object). Internal to
 * src/hsm/crypto; not re-exported from index.ts.
 */
export function privateKeyObject(material: RsaKeyMaterial | EcKeyMaterial): KeyObject {
  let key = keyObjects.get(material);
  if (!key) {
    key = createPrivateKey({ key: material.pkcs8, format: "der", type: "pkcs8" });
    keyObjects.set(material, key);
  }
  return key;
}

function exportPkcs8(privateKey: KeyObject): Buffer {
  return privateKey.export({ format: "der", type: "pkcs8" });
}

function parsePkcs8(der: Buffer, type: "rsa" | "ec", corrupt: (why: string) => KeyCryptoError): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch {
    throw corrupt("not a PKCS#8 private key");
  }
  if (key.asymmetricKeyType !== type) throw corrupt(`expected a ${type} key`);
  return key;
}

function parsePrivateJwk(jwk: NodeJsonWebKey, label: "RSA" | "EC"): KeyObject {
  try {
    return createPrivateKey({ key: jwk, format: "jwk" });
  } catch {
    throw cryptoErrors.jwkInvalid(label);
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes a required base64url JWK field; Buffer.from would silently skip invalid characters. */
function b64urlField(jwk: JsonWebKeyInput, name: keyof JsonWebKeyInput): Buffer {
  const value = jwk[name];
  if (value === undefined || value === null || value === "") throw cryptoErrors.jwkFieldRequired(name);
  if (typeof value !== "string" || !BASE64URL.test(value) || value.replace(/=+$/, "").length % 4 === 1) {
    throw cryptoErrors.jwkFieldNotBase64Url(name);
  }
  return Buffer.from(value, "base64url");
}

/** Renders a caller-supplied scalar for an error message, bounded so a huge value cannot flood logs. */
function describe(value: unknown): string {
  const text = typeof value === "string" ? `'${value}'` : String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
