/**
 * The Managed HSM data plane's local RBAC tables (migration `0100-hsm-data-plane`): role assignments and custom role
 * definitions, per HSM (`hsm` is the lower-cased HSM name). Every write is one transaction.
 */
import type { Store } from "./db.js";

/** A local RBAC role assignment as stored; `createdAt` in epoch ms. */
export interface RoleAssignmentRecord {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  createdAt: number;
}

/** Row-level access to the local RBAC tables. */
export class HsmRbacRepository {
  constructor(private readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  /** The HSM's role assignments, oldest first. */
  roleAssignments(hsm: string): RoleAssignmentRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM hsm_role_assignments WHERE hsm = ? ORDER BY created_at, name")
      .all(hsm) as {
      name: string;
      scope: string;
      role_definition_id: string;
      principal_id: string;
      created_at: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      scope: r.scope,
      roleDefinitionId: r.role_definition_id,
      principalId: r.principal_id,
      createdAt: r.created_at,
    }));
  }

  /** Inserts or replaces (by name) a role assignment; the principal id is stored lower case. */
  putRoleAssignment(hsm: string, a: RoleAssignmentRecord): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "INSERT INTO hsm_role_assignments (hsm, name, scope, role_definition_id, principal_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hsm, name) DO UPDATE SET scope = excluded.scope, role_definition_id = excluded.role_definition_id, principal_id = excluded.principal_id",
        )
        .run(hsm, a.name, a.scope, a.roleDefinitionId, a.principalId.toLowerCase(), a.createdAt),
    );
  }

  /** Deletes the role assignment `name` (any casing). */
  deleteRoleAssignment(hsm: string, name: string): void {
    this.store.tx(() =>
      this.db.prepare("DELETE FROM hsm_role_assignments WHERE hsm = ? AND lower(name) = lower(?)").run(hsm, name),
    );
  }

  /** The HSM's custom role definitions (their stored JSON bodies), by name. */
  customRoleDefinitions(hsm: string): Record<string, unknown>[] {
    return (
      this.db.prepare("SELECT body FROM hsm_role_definitions WHERE hsm = ? ORDER BY name").all(hsm) as {
        body: string;
      }[]
    ).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  /** Inserts or replaces the custom role definition `guid` (stored lower case). */
  putCustomRoleDefinition(hsm: string, guid: string, body: Record<string, unknown>): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "INSERT INTO hsm_role_definitions (hsm, name, body) VALUES (?, ?, ?) ON CONFLICT (hsm, name) DO UPDATE SET body = excluded.body",
        )
        .run(hsm, guid.toLowerCase(), JSON.stringify(body)),
    );
  }

  deleteCustomRoleDefinition(hsm: string, guid: string): void {
    this.store.tx(() =>
      this.db.prepare("DELETE FROM hsm_role_definitions WHERE hsm = ? AND name = ?").run(hsm, guid.toLowerCase()),
    );
  }

  /** Deletes every role assignment and custom role definition of the HSM. */
  deleteAll(hsm: string): void {
    this.store.tx(() => {
      this.db.prepare("DELETE FROM hsm_role_assignments WHERE hsm = ?").run(hsm);
      this.db.prepare("DELETE FROM hsm_role_definitions WHERE hsm = ?").run(hsm);
    });
  }
}
