/** The `principals` table: Entra ID identities (managed identities and service principals) hsmlink issues tokens for. */
import type Database from "better-sqlite3";

/** A stored principal; ids are lower case. */
export interface PrincipalRow {
  object_id: string;
  app_id: string;
  display_name: string;
  kind: "ManagedIdentity" | "ServicePrincipal" | string;
  /** `{salt hex}:{scrypt hex}` of a service principal's client secret. */
  secret_hash: string | null;
  trusted_service: string | null;
}

export class PrincipalRepository {
  constructor(private readonly db: Database.Database) {}

  /** Adds a managed identity unless `objectId` exists. */
  ensureManagedIdentity(objectId: string, appId: string, displayName: string, now: number): void {
    this.db
      .prepare(
        "INSERT OR IGNORE INTO principals (object_id, app_id, display_name, kind, secret_hash, trusted_service, created_at) VALUES (?, ?, ?, 'ManagedIdentity', NULL, NULL, ?)",
      )
      .run(objectId, appId, displayName, now);
  }

  /** Adds a service principal. @throws SqliteError on a duplicate object or app id */
  insertServicePrincipal(
    objectId: string,
    appId: string,
    displayName: string,
    secretHash: string,
    trustedService: string | null,
    now: number,
  ): void {
    this.db
      .prepare(
        "INSERT INTO principals (object_id, app_id, display_name, kind, secret_hash, trusted_service, created_at) VALUES (?, ?, ?, 'ServicePrincipal', ?, ?, ?)",
      )
      .run(objectId, appId, displayName, secretHash, trustedService, now);
  }

  byObjectId(objectId: string): PrincipalRow | undefined {
    return this.db.prepare("SELECT * FROM principals WHERE object_id = ?").get(objectId.toLowerCase()) as
      PrincipalRow | undefined;
  }

  byAppId(appId: string): PrincipalRow | undefined {
    return this.db.prepare("SELECT * FROM principals WHERE app_id = ?").get(appId.toLowerCase()) as
      PrincipalRow | undefined;
  }

  /** Whether a principal with this object id (any casing) exists. */
  exists(objectId: string): boolean {
    return !!this.db.prepare("SELECT 1 FROM principals WHERE lower(object_id) = ?").get(objectId.toLowerCase());
  }

  /** The service principal with client id `appId`. */
  servicePrincipalByAppId(appId: string): PrincipalRow | undefined {
    return this.db
      .prepare("SELECT * FROM principals WHERE app_id = ? AND kind = 'ServicePrincipal'")
      .get(appId.toLowerCase()) as PrincipalRow | undefined;
  }

  displayNameTaken(displayName: string): boolean {
    return this.db.prepare("SELECT 1 FROM principals WHERE display_name = ?").get(displayName) !== undefined;
  }

  /** Every principal, oldest first. */
  list(): PrincipalRow[] {
    return this.db.prepare("SELECT * FROM principals ORDER BY created_at").all() as PrincipalRow[];
  }
}
