import { randomBytes, randomUUID, createHash } from "node:crypto";

/** A random lower-case GUID (RFC 4122 v4), as ARM uses for resourceGuid, etags and operation ids. */
export function newGuid(): string {
  return randomUUID();
}

/** `count` random bytes as lower-case hex; Key Vault versions are 32 hex characters (16 bytes). */
export function randomHex(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}

/** A deterministic GUID-shaped value derived from `seed`, for stable well-known ids. */
export function guidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** base64url without padding (RFC 4648 §5), the Key Vault wire encoding for binary fields. */
export function b64url(buf: Buffer | Uint8Array): string {
  return Buffer.from(buf).toString("base64url");
}
