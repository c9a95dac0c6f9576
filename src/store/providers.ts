/** The `providers` table: resource provider registration states of the subscription. */
import type Database from "better-sqlite3";

export class ProviderRepository {
  constructor(private readonly db: Database.Database) {}

  /** The stored registration of a namespace (key: lower case), or undefined. */
  get(namespaceKey: string): { namespace: string; registrationState: string } | undefined {
    const row = this.db
      .prepare("SELECT namespace, registration_state FROM providers WHERE namespace_key = ?")
      .get(namespaceKey) as { namespace: string; registration_state: string } | undefined;
    return row && { namespace: row.namespace, registrationState: row.registration_state };
  }

  /** Sets the registration state of a namespace. */
  set(namespaceKey: string, namespace: string, registrationState: string): void {
    this.db
      .prepare(
        "INSERT INTO providers (namespace_key, namespace, registration_state) VALUES (?, ?, ?) ON CONFLICT (namespace_key) DO UPDATE SET registration_state = excluded.registration_state",
      )
      .run(namespaceKey, namespace, registrationState);
  }
}
