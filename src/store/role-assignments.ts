/**
 * Repository of Azure RBAC role assignments of the ARM control plane (table `arm_role_assignments`, migration
 * 0300): one row per assignment holding its wire JSON (Microsoft.Authorization 2022-04-01), indexed by id, name,
 * principal and scope. Scopes compare case-insensitively on whole segments; assignments inherit down the scope.
 */
import type { Db } from "./db.js";
import { builtInRole, scopeCovers, type BuiltInRole } from "../kernel/azure-roles.js";

export const ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments";

/** The wire body of a role assignment (`GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`). */
export interface RoleAssignmentBody {
  properties: {
    roleDefinitionId: string;
    principalId: string;
    principalType: string;
    scope: string;
    condition: null;
    conditionVersion: null;
    createdOn: string;
    updatedOn: string;
    createdBy: string | null;
    updatedBy: string | null;
    delegatedManagedIdentityResourceId: null;
    description: string | null;
  };
  id: string;
  type: string;
  name: string;
}

/** A role assignment with its (built-in) role resolved. */
export interface HeldRole {
  assignment: RoleAssignmentBody;
  role: BuiltInRole;
}

interface Row {
  body: string;
}

/** Normalises a scope: no trailing slash, `subscriptions` and `resourceGroups` in ARM's canonical casing. */
export function canonicalScope(scope: string): string {
  const parts = scope.split("/").filter(Boolean);
  if (parts[2]?.toLowerCase() === "resourcegroups") parts[2] = "resourceGroups";
  if (parts[0]?.toLowerCase() === "subscriptions") parts[0] = "subscriptions";
  return "/" + parts.join("/");
}

const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "0000Z");
const likePrefix = (key: string) => key.replace(/[\\%_]/g, "\\$&") + "/%";

/**
 * Inserts a role assignment (callers validate it first). Runs inside the caller's transaction when there is one.
 * @param now milliseconds since the epoch
 */
export function insertRoleAssignment(
  db: Db,
  a: {
    scope: string;
    name: string;
    roleDefinitionGuid: string;
    principalId: string;
    principalType: string;
    subscriptionId: string;
    createdBy: string | null;
    description?: string | null;
    now: number;
  },
): RoleAssignmentBody {
  const scope = canonicalScope(a.scope);
  const id = `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
  const body: RoleAssignmentBody = {
    properties: {
      roleDefinitionId: `/subscriptions/${a.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionGuid.toLowerCase()}`,
      principalId: a.principalId.toLowerCase(),
      principalType: a.principalType,
      scope,
      condition: null,
      conditionVersion: null,
      createdOn: iso(a.now),
      updatedOn: iso(a.now),
      createdBy: a.createdBy,
      updatedBy: a.createdBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description ?? null,
    },
    id,
    type: ROLE_ASSIGNMENT_TYPE,
    name: a.name.toLowerCase(),
  };
  db.prepare(
    "INSERT INTO arm_role_assignments (id_key, name_key, scope_key, principal_key, role_definition_key, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(
    id.toLowerCase(),
    a.name.toLowerCase(),
    scope.toLowerCase(),
    a.principalId.toLowerCase(),
    a.roleDefinitionGuid.toLowerCase(),
    JSON.stringify(body),
    a.now,
  );
  return body;
}

const parse = (rows: Row[]) => rows.map((r) => JSON.parse(r.body) as RoleAssignmentBody);

/** Every role assignment of a principal (any scope), oldest first. */
export function assignmentsOfPrincipal(db: Db, principalId: string): RoleAssignmentBody[] {
  return parse(
    db
      .prepare("SELECT body FROM arm_role_assignments WHERE principal_key = ? ORDER BY created_at, rowid")
      .all(principalId.toLowerCase()) as Row[],
  );
}

/** Every role assignment, oldest first. */
export function allAssignments(db: Db): RoleAssignmentBody[] {
  return parse(db.prepare("SELECT body FROM arm_role_assignments ORDER BY created_at, rowid").all() as Row[]);
}

/** The assignment with this full id (any casing), or undefined. */
export function assignmentById(db: Db, id: string): RoleAssignmentBody | undefined {
  const row = db.prepare("SELECT body FROM arm_role_assignments WHERE id_key = ?").get(id.toLowerCase()) as
    Row | undefined;
  return row ? (JSON.parse(row.body) as RoleAssignmentBody) : undefined;
}

/** The assignment with this name (GUID; names are unique in the tenant), or undefined. */
export function assignmentByName(db: Db, name: string): RoleAssignmentBody | undefined {
  const row = db.prepare("SELECT body FROM arm_role_assignments WHERE name_key = ?").get(name.toLowerCase()) as
    Row | undefined;
  return row ? (JSON.parse(row.body) as RoleAssignmentBody) : undefined;
}

/** Deletes one assignment by id; returns whether it existed. */
export function deleteAssignment(db: Db, id: string): boolean {
  return db.prepare("DELETE FROM arm_role_assignments WHERE id_key = ?").run(id.toLowerCase()).changes > 0;
}

/** Deletes the assignments at or below `scope` (a deleted resource group takes its assignments with it). */
export function deleteAssignmentsUnder(db: Db, scope: string): void {
  const key = canonicalScope(scope).toLowerCase();
  db.prepare("DELETE FROM arm_role_assignments WHERE scope_key = ? OR scope_key LIKE ? ESCAPE '\\'").run(
    key,
    likePrefix(key),
  );
}

/** The built-in roles `principalId` holds over `scope`: its assignments at that scope or any ancestor. */
export function rolesOver(db: Db, principalId: string, scope: string): HeldRole[] {
  const out: HeldRole[] = [];
  for (const a of assignmentsOfPrincipal(db, principalId)) {
    if (!scopeCovers(a.properties.scope, scope)) continue;
    const role = builtInRole(a.properties.roleDefinitionId.split("/").pop() ?? "");
    if (role) out.push({ assignment: a, role });
  }
  return out;
}

/** Whether the principal holds any role at or below the subscription (what decides whether `GET /subscriptions` lists it). */
export function hasAnyRoleIn(db: Db, objectId: string, subscriptionId: string): boolean {
  const key = `/subscriptions/${subscriptionId}`.toLowerCase();
  return !!db
    .prepare(
      "SELECT 1 FROM arm_role_assignments WHERE principal_key = ? AND (scope_key = ? OR scope_key LIKE ? ESCAPE '\\') LIMIT 1",
    )
    .get(objectId.toLowerCase(), key, likePrefix(key));
}
