/**
 * Managed HSM account settings (spec stable/7.4+ settings.json; Microsoft Learn "Azure Managed HSM TLS Offload" /
 * "Allow key management operations through ARM"): `GET /settings`, `GET /settings/{name}`, `PATCH /settings/{name}`
 * `{"value": "true"}`. The one setting is `AllowKeyManagementOperationsThroughARM` (boolean, default "false"); its
 * effect (ARM key management of a managed HSM) is not emulated, so it is stored and reported only.
 */
import type { Store } from "../../store/db.js";
import { kvErrors } from "../errors.js";
import type { HsmInfo } from "../hsm.js";

/** `Setting`: values are strings on the wire, typed by `type`. */
export interface Setting {
  name: string;
  value: string;
  type: "boolean";
}

const KNOWN: readonly { name: string; type: "boolean"; default: string }[] = [
  { name: "AllowKeyManagementOperationsThroughARM", type: "boolean", default: "false" },
];

export class SettingsService {
  constructor(private readonly store: Store) {}

  private known(name: string) {
    const k = KNOWN.find((s) => s.name.toLowerCase() === name.toLowerCase());
    // hsmlink's choice of status and code for a name the service does not have.
    if (!k)
      throw kvErrors.settingNotFound(
        name,
        KNOWN.map((s) => s.name),
      );
    return k;
  }

  private value(hsm: HsmInfo, name: string, fallback: string): string {
    const r = this.store.db.prepare("SELECT value FROM hsm_settings WHERE hsm = ? AND name = ?").get(hsm.name, name) as
      { value: string } | undefined;
    return r?.value ?? fallback;
  }

  /** `SettingsListResult`: `{settings: Setting[]}`. */
  list(hsm: HsmInfo): { settings: Setting[] } {
    return { settings: KNOWN.map((k) => ({ name: k.name, value: this.value(hsm, k.name, k.default), type: k.type })) };
  }

  /** One setting. @throws 404 NotFound for an unknown name */
  get(hsm: HsmInfo, name: string): Setting {
    const k = this.known(name);
    return { name: k.name, value: this.value(hsm, k.name, k.default), type: k.type };
  }

  /**
   * `UpdateSettingRequest` `{value}`: a boolean setting takes "true" or "false" (a JSON boolean is accepted too).
   * @throws 404 NotFound for an unknown name, 400 BadParameter for a bad value
   */
  update(hsm: HsmInfo, name: string, body: unknown): Setting {
    const k = this.known(name);
    const raw = (body as { value?: unknown } | undefined)?.value;
    const value =
      typeof raw === "boolean" ? String(raw) : typeof raw === "string" ? raw.trim().toLowerCase() : undefined;
    if (value !== "true" && value !== "false") throw kvErrors.settingValueNotBoolean(k.name);
    this.store.tx(() =>
      this.store.db
        .prepare(
          "INSERT INTO hsm_settings (hsm, name, value) VALUES (?, ?, ?) ON CONFLICT (hsm, name) DO UPDATE SET value = excluded.value",
        )
        .run(hsm.name, k.name, value),
    );
    return { name: k.name, value, type: k.type };
  }
}
