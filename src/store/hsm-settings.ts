/** Managed HSM account settings (`hsm_settings`): one string value per HSM and setting name. */
import type { Store } from "./db.js";

/** Row-level access to `hsm_settings`. */
export class HsmSettingsRepository {
  constructor(private readonly store: Store) {}

  /** The stored value of setting `name` of the HSM, or undefined when never set. */
  value(hsm: string, name: string): string | undefined {
    const r = this.store.db.prepare("SELECT value FROM hsm_settings WHERE hsm = ? AND name = ?").get(hsm, name) as
      { value: string } | undefined;
    return r?.value;
  }

  /** Sets (inserts or replaces) setting `name` of the HSM, in one transaction. */
  put(hsm: string, name: string, value: string): void {
    this.store.tx(() =>
      this.store.db
        .prepare(
          "INSERT INTO hsm_settings (hsm, name, value) VALUES (?, ?, ?) ON CONFLICT (hsm, name) DO UPDATE SET value = excluded.value",
        )
        .run(hsm, name, value),
    );
  }
}
