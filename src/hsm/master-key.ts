/**
 * The emulator master key: 32 random bytes in `<dataDir>/hsm-master.key` (base64, mode 0600), created on first
 * use. It seals each HSM's key-encryption key (so key material in SQLite is useless without this file) and
 * derives emulator-wide keys: the key-backup key (backups restore only into hsmlink HSMs of this data dir)
 * and the release/attestation signing key's seal.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hkdfSync, randomBytes } from "node:crypto";

export const MASTER_KEY_FILE = "hsm-master.key";

export class MasterKey {
  private constructor(private readonly key: Buffer) {}

  /**
   * Reads `<dataDir>/hsm-master.key`, creating it (0600) when absent.
   * @throws Error when the file exists but does not hold 32 base64 bytes
   */
  static loadOrCreate(dataDir: string): MasterKey {
    const path = join(dataDir, MASTER_KEY_FILE);
    if (existsSync(path)) {
      const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
      if (key.length !== 32)
        throw new Error(`${path} does not hold a 32-byte base64 key; restore it from a backup or remove the data dir`);
      return new MasterKey(key);
    }
    const key = randomBytes(32);
    writeFileSync(path, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
    return new MasterKey(key);
  }

  /** A 32-byte key for `purpose` (HKDF-SHA256, RFC 5869), stable for this master key. */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync("sha256", this.key, Buffer.from("hsmlink"), Buffer.from(purpose, "utf8"), 32));
  }
}
