/**
 * A private instance: the data dir is readable by its owner only, and a per-instance secret (a 0600 file in it)
 * guards what has no credentials of its own — the admin API (`/_hsmlink/*`) and the managed identity endpoints,
 * which hand out the tokens of the identity that administers the HSMs. `hsmlink env` exports the secret in the
 * variables clients already send: App Service's `IDENTITY_HEADER` (header `X-IDENTITY-HEADER`) and `MSI_SECRET`
 * (header `secret`), and as the password of the proxy URL (`Proxy-Authorization`).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { INSTANCE_SECRET_FILE } from "../kernel/instance-secret.js";

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
