/**
 * A private instance: the data dir is readable by its owner only, and a per-instance secret (a 0600 file in it)
 * guards what has no credentials of its own — the admin API (`/_hsmlink/*`) and the managed identity endpoints,
 * which hand out the tokens of the identity that administers the HSMs. `hsmlink env` exports the secret in the
 * variables clients already send: App Service's `IDENTITY_HEADER` (header `X-IDENTITY-HEADER`) and `MSI_SECRET`
 * (header `secret`), and as the password of the proxy URL (`Proxy-Authorization`).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";

export const INSTANCE_SECRET_FILE = "instance-secret";

/** Header the hsmlink CLI and tests send the secret in to the admin API. */
export const ADMIN_SECRET_HEADER = "x-hsmlink-secret";

/**
 * The proxy user name that means "the internet" (the same as no user name). Clients send a proxy password only
 * with a user name (Python requests drops credentials whose user name is empty), and a VM name starts with a
 * letter or digit, so this can never name a VM.
 */
export const INTERNET_PROXY_USER = "_internet";

/**
 * Makes `dataDir` private to its owner (mode 0700), creating it when absent.
 * @returns the mode it had before when it had to be tightened (for a log line), else undefined
 */
export function securePrivateDir(dataDir: string): number | undefined {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const before = statSync(dataDir).mode & 0o777;
  if (before === 0o700) return undefined;
  chmodSync(dataDir, 0o700);
  return before;
}

/** Sets `path` to mode 0600 when it exists (database files, keys). */
export function privateFile(path: string): void {
  if (existsSync(path)) chmodSync(path, 0o600);
}

/**
 * The instance secret of `dataDir`, created (32 random bytes, base64url, mode 0600) when absent. It outlives
 * restarts, so an environment `hsmlink env` printed keeps working.
 */
export function loadOrCreateInstanceSecret(dataDir: string): string {
  const path = join(dataDir, INSTANCE_SECRET_FILE);
  if (existsSync(path)) {
    privateFile(path);
    const s = readFileSync(path, "utf8").trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(s)) return s;
  }
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(path + ".tmp", secret + "\n", { mode: 0o600 });
  chmodSync(path + ".tmp", 0o600);
  renameSync(path + ".tmp", path);
  return secret;
}

/**
 * Reads the instance secret of a running hsmlink's data dir (CLI commands, tests).
 * @throws Error saying how to fix it when the file cannot be read (another user's instance, or none started)
 */
export function readInstanceSecret(dataDir: string): string {
  const path = join(dataDir, INSTANCE_SECRET_FILE);
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new Error(`cannot read hsmlink's instance secret ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run this as the user that started hsmlink`);
  }
}

/** Whether `given` equals `secret` (constant time; undefined or empty never matches). */
export function secretMatches(secret: string, given: string | undefined): boolean {
  if (!given) return false;
  const a = createHash("sha256").update(secret).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}
