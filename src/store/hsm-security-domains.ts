/**
 * The Managed HSM security domains (`hsm_security_domains`): per HSM, its domain (id and sealed key), the wrapping
 * certificates' thumbprints and quorum, the pending exchange key, and the last operation's status. Keys arrive and
 * leave sealed (src/hsm/security-domain/service.ts seals them).
 */
import type { Store } from "./db.js";

/** A security domain row as stored. */
export interface SecurityDomainRow {
  hsm: string;
  domain_id: string | null;
  sealed_domain_key: Buffer | null;
  required: number | null;
  /** JSON array of the wrapping certificates' x5t#S256 thumbprints. */
  certificates: string | null;
  exchange_key: Buffer | null;
  exchange_cert: string | null;
  operation: string | null;
  operation_status: string | null;
  operation_details: string | null;
}

/** The columns a write may set (every one but the HSM). */
export type SecurityDomainFields = Partial<Omit<SecurityDomainRow, "hsm">>;

const COLUMNS: ReadonlySet<string> = new Set<keyof SecurityDomainFields>([
  "domain_id",
  "sealed_domain_key",
  "required",
  "certificates",
  "exchange_key",
  "exchange_cert",
  "operation",
  "operation_status",
  "operation_details",
]);

/** Row-level access to `hsm_security_domains`. Writes run inside the caller's transaction (`Store.tx`). */
export class SecurityDomainRepository {
  constructor(private readonly store: Store) {}

  /** The HSM's row, or undefined. */
  row(hsm: string): SecurityDomainRow | undefined {
    return this.store.db.prepare("SELECT * FROM hsm_security_domains WHERE hsm = ?").get(hsm) as
      SecurityDomainRow | undefined;
  }

  /** Inserts the HSM's row or updates `fields` of it (and `updated_at`, epoch ms). */
  upsert(hsm: string, fields: SecurityDomainFields, now: number): void {
    const cols = Object.keys(fields).filter((c) => COLUMNS.has(c));
    const sets = cols
      .map((c) => `${c} = excluded.${c}`)
      .concat("updated_at = excluded.updated_at")
      .join(", ");
    this.store.db
      .prepare(
        `INSERT INTO hsm_security_domains (hsm, ${cols.join(", ")}, updated_at) VALUES (?, ${cols.map(() => "?").join(", ")}, ?) ON CONFLICT (hsm) DO UPDATE SET ${sets}`,
      )
      .run(hsm, ...cols.map((c) => (fields as Record<string, unknown>)[c]), now);
  }
}
