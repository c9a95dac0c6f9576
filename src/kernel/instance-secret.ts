/**
 * The names of a private instance's secret: the file that holds it in the data dir, the header the
 * hsmlink CLI sends it in to the admin API, the proxy user name that means the internet, and the comparison.
 * Creating and reading the file is the server's (src/server/instance.ts) and the client's (src/client/) business.
 */
import { timingSafeEqual, createHash, createHmac } from "node:crypto";

export const INSTANCE_SECRET_FILE = "instance-secret";

/** Header the hsmlink CLI and tests send the secret in to the admin API. */
export const ADMIN_SECRET_HEADER = "x-hsmlink-secret";

/**
 * The proxy user name that means "the internet" (the same as no user name). Clients send a proxy password only
 * with a user name (Python requests drops credentials whose user name is empty), and a VM name starts with a
 * letter or digit, so this can never name a VM.
 */
export const INTERNET_PROXY_USER = "_internet";

/** Whether `given` equals `secret` (constant time; undefined or empty never matches). */
export function secretMatches(secret: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(secret).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * The web portal's token: HMAC-SHA256 of the instance secret over a fixed label, first 24 bytes, base64url (32
 * characters). One secret in one place (the instance secret); the portal URL, which lands in browser history,
 * carries a value that opens the portal's API only, never the instance secret that guards the admin API and tokens.
 */
export function portalToken(instanceSecret: string): string {
  return createHmac("sha256", instanceSecret)
    .update("hsmlink portal token")
    .digest()
    .subarray(0, 24)
    .toString("base64url");
}
