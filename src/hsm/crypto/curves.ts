// The four elliptic curves Managed HSM offers (data-plane.md §2.2), with the names each layer uses
// and the group orders the ECDSA code needs. Internal to src/hsm/crypto.

/** Key Vault curve names (JsonWebKeyCurveName in the REST spec). */
export type CurveName = "P-256" | "P-256K" | "P-384" | "P-521";

export interface CurveInfo {
  readonly name: CurveName;
  /** OpenSSL name, accepted by `generateKeyPair` and `createECDH`. */
  readonly opensslName: string;
  /** `crv` as Node's JWK import/export spells it (RFC 7518 §6.2.1.1; RFC 8812 §3.1 for secp256k1). */
  readonly nodeJwkCrv: string;
  /** Group order n of the base point (SEC 2 v2 §2.4.1, FIPS 186-4 App. D.1.2). */
  readonly order: bigint;
  readonly orderBits: number;
  /** Octets per coordinate, per private scalar, and per half of a JWS signature (RFC 7518 §3.4). */
  readonly byteLength: number;
  /** The only JWS algorithm Key Vault pairs with this curve. */
  readonly signatureAlg: "ES256" | "ES256K" | "ES384" | "ES512";
}

// The orders are public constants; tests/unit/hsm/crypto/ecdsa.test.ts checks each against OpenSSL
// ((n-1)·G = -G and n is rejected as a scalar), so a typo cannot survive.
export const CURVES: Readonly<Record<CurveName, CurveInfo>> = Object.freeze({
  "P-256": {
    name: "P-256",
    opensslName: "prime256v1",
    nodeJwkCrv: "P-256",
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    orderBits: 256,
    byteLength: 32,
    signatureAlg: "ES256",
  },
  "P-256K": {
    name: "P-256K",
    opensslName: "secp256k1",
    nodeJwkCrv: "secp256k1",
    order: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
    orderBits: 256,
    byteLength: 32,
    signatureAlg: "ES256K",
  },
  "P-384": {
    name: "P-384",
    opensslName: "secp384r1",
    nodeJwkCrv: "P-384",
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    orderBits: 384,
    byteLength: 48,
    signatureAlg: "ES384",
  },
  "P-521": {
    name: "P-521",
    opensslName: "secp521r1",
    nodeJwkCrv: "P-521",
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    orderBits: 521,
    byteLength: 66,
    signatureAlg: "ES512",
  },
});

/** Looks up a curve by its Key Vault name (case-sensitive); `SECP256K1` is the pre-2016 name of P-256K. */
export function curveByName(name: string): CurveInfo | undefined {
  if (name === "SECP256K1") return CURVES["P-256K"];
  return Object.hasOwn(CURVES, name) ? CURVES[name as CurveName] : undefined;
}

/** Looks up a curve by its OpenSSL name (what KeyObject.asymmetricKeyDetails.namedCurve reports). */
export function curveByOpensslName(name: string | undefined): CurveInfo | undefined {
  return Object.values(CURVES).find((c) => c.opensslName === name);
}
