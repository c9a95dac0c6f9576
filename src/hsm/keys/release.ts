/**
 * Secure key release (POST /keys/{name}[/{version}]/release; data-plane.md §2.3, MicrosoftDocs
 * `managed-hsm/key-release` concepts): the target attestation token, the key release policy evaluation and the
 * signed release result.
 *
 * What the emulator accepts as `target`: any compact JWT whose payload carries an RSA public key in
 * `x-ms-runtime.keys` (or `x-ms-isolation-tee.x-ms-runtime.keys`), as Microsoft Azure Attestation tokens do.
 * Its signature is NOT verified (there is no attestation service offline); instead the policy's `authority`
 * must equal the token's `iss`, the token must not be expired, and every claim condition of the policy must
 * hold. The released key is wrapped to that RSA key: `enc` CKM_RSA_AES_KEY_WRAP (RSA-OAEP-SHA1, the default),
 * RSA_AES_KEY_WRAP_256 (OAEP-SHA256) or RSA_AES_KEY_WRAP_384 (OAEP-SHA384) of a fresh AES-256 key, followed
 * by AES key wrap with padding (RFC 5649) of the key (PKCS#8 DER for RSA/EC, raw bytes for oct). The result
 * is a JWS (RS256) by the emulator's release signing key, whose public JWK is in the JWS header.
 */
import {
  constants,
  createCipheriv,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  type KeyObject,
} from "node:crypto";
import { kvErrors } from "../errors.js";

export const RELEASE_ENCRYPTIONS = ["CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384"] as const;
export type ReleaseEncryption = (typeof RELEASE_ENCRYPTIONS)[number];

const OAEP_HASH: Record<ReleaseEncryption, string> = {
  CKM_RSA_AES_KEY_WRAP: "sha1",
  RSA_AES_KEY_WRAP_256: "sha256",
  RSA_AES_KEY_WRAP_384: "sha384",
};

export interface AttestationToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Decodes a compact JWT without verifying its signature. @throws 400 BadParameter when it is not one */
export function parseAttestationToken(target: unknown, nowS: number): AttestationToken {
  if (typeof target !== "string" || target.length === 0)
    throw kvErrors.parameterRequired("target", "the attestation token of the release target");
  const parts = target.split(".");
  if (parts.length !== 3) throw kvErrors.releaseTargetNotJwt("expected header.payload.signature");
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw kvErrors.releaseTargetNotJwt("its header or payload is not base64url JSON");
  }
  if (!header || typeof header !== "object" || !claims || typeof claims !== "object")
    throw kvErrors.releaseTargetNotJwt();
  const c = claims as Record<string, unknown>;
  if (typeof c.exp === "number" && c.exp <= nowS) throw kvErrors.releaseTargetExpired();
  return { header: header as Record<string, unknown>, claims: c };
}

/** Looks up a claim by name, allowing dotted paths into nested objects (`x-ms-isolation-tee.x-ms-attestation-type`). */
export function claimValue(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  const segs = path.split(".");
  for (let i = 1; i < segs.length; i++) {
    const head = segs.slice(0, i).join(".");
    const next = claims[head];
    if (next && typeof next === "object" && !Array.isArray(next)) {
      const v = claimValue(next as Record<string, unknown>, segs.slice(i).join("."));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

const normAuthority = (s: string) => s.trim().replace(/\/+$/, "").toLowerCase();

function evalNode(node: unknown, token: AttestationToken): boolean {
  if (!node || typeof node !== "object") return false;
  const n = node as Record<string, unknown>;
  if (typeof n.authority === "string") {
    const iss = typeof token.claims.iss === "string" ? token.claims.iss : "";
    if (normAuthority(n.authority) !== normAuthority(iss)) return false;
  }
  if (typeof n.claim === "string") {
    const actual = claimValue(token.claims, n.claim);
    if ("equals" in n) return actual !== undefined && String(actual).toLowerCase() === String(n.equals).toLowerCase();
    return false;
  }
  if (Array.isArray(n.anyOf)) return n.anyOf.some((c) => evalNode(c, token));
  if (Array.isArray(n.allOf)) return n.allOf.every((c) => evalNode(c, token));
  return typeof n.authority === "string";
}

/**
 * Whether the (normalised) release policy allows releasing to the token's environment.
 * Top level: `anyOf`/`allOf` of authority groups; groups: `authority` + `anyOf`/`allOf` of `{claim, equals}`.
 */
export function policyAllows(policy: Record<string, unknown>, token: AttestationToken): boolean {
  if (Array.isArray(policy.anyOf)) return policy.anyOf.some((g) => evalNode(g, token));
  if (Array.isArray(policy.allOf)) return policy.allOf.every((g) => evalNode(g, token));
  return false;
}

/** The RSA public key the released key is wrapped to. @throws 400 BadParameter when the token has none */
export function targetKey(token: AttestationToken): { key: KeyObject; kid?: string } {
  const runtime = (claimValue(token.claims, "x-ms-runtime") ??
    claimValue(token.claims, "x-ms-isolation-tee.x-ms-runtime")) as { keys?: unknown } | undefined;
  const keys = Array.isArray(runtime?.keys) ? (runtime!.keys as Record<string, unknown>[]) : [];
  for (const k of keys) {
    if (k && k.kty === "RSA" && typeof k.n === "string" && typeof k.e === "string") {
      try {
        return {
          key: createPublicKey({ key: { kty: "RSA", n: k.n, e: k.e }, format: "jwk" }),
          ...(typeof k.kid === "string" ? { kid: k.kid } : {}),
        };
      } catch {
        throw kvErrors.releaseTargetKeyInvalid();
      }
    }
  }
  throw kvErrors.releaseTargetNoKey();
}

/** Parses `enc`. @throws 400 BadParameter for an unknown value */
export function releaseEncryption(enc: unknown): ReleaseEncryption {
  if (enc === undefined || enc === null) return "CKM_RSA_AES_KEY_WRAP";
  if (typeof enc === "string" && (RELEASE_ENCRYPTIONS as readonly string[]).includes(enc))
    return enc as ReleaseEncryption;
  throw kvErrors.releaseEncryptionNotSupported(
    typeof enc === "string" ? `'${enc.slice(0, 40)}'` : String(enc),
    RELEASE_ENCRYPTIONS,
  );
}

/** RSA-OAEP(target, aes256) || AES-KWP(aes256, keyBytes). */
export function wrapForRelease(target: KeyObject, enc: ReleaseEncryption, keyBytes: Buffer): Buffer {
  const aes = randomBytes(32);
  const wrappedAes = publicEncrypt(
    { key: target, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[enc] },
    aes,
  );
  const c = createCipheriv("id-aes256-wrap-pad", aes, Buffer.from("a65959a6", "hex"));
  const wrappedKey = Buffer.concat([c.update(keyBytes), c.final()]);
  aes.fill(0);
  return Buffer.concat([wrappedAes, wrappedKey]);
}

/** 403 when the token does not satisfy the policy. */
export function policyNotSatisfied(): never {
  throw kvErrors.releasePolicyNotSatisfied();
}

/** A compact JWS (RS256) of `payload` with the signer's public JWK in the header. */
export function signJws(signer: KeyObject, payload: unknown): string {
  const jwk = createPublicKey(signer).export({ format: "jwk" }) as { n: string; e: string };
  const header = { alg: "RS256", typ: "JWT", jwk: { kty: "RSA", n: jwk.n, e: jwk.e } };
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const sig = nodeSign("sha256", Buffer.from(input), signer);
  return `${input}.${sig.toString("base64url")}`;
}
