/**
 * The portal's per-start secret on disk: `<data dir>/portal-secret`, written owner-only (0600) when hsmlink starts,
 * removed when it stops; `hsmlink portal` reads it to print the URL.
 */
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** `<data dir>/portal-secret`. */
export function portalSecretPath(dataDir: string): string {
  return join(dataDir, "portal-secret");
}

/** Writes the secret (mode 0600, atomically). */
export function writePortalSecret(dataDir: string, secret: string): void {
  const p = portalSecretPath(dataDir);
  writeFileSync(p + ".tmp", secret + "\n", { mode: 0o600 });
  renameSync(p + ".tmp", p);
}

/** Removes the secret file; a missing file is fine. */
export function removePortalSecret(dataDir: string): void {
  try {
    unlinkSync(portalSecretPath(dataDir));
  } catch {
    /* already gone */
  }
}
