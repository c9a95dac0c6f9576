/**
 * The principal's Azure RBAC rights as the troubleshooter sees them: normalises role assignments and role definitions
 * read from ARM (or an `az role assignment list` export) and answers "which assignments grant this action over this
 * scope" with the same matching rule ARM enforcement uses (src/kernel/azure-roles.ts).
 */
import { BUILT_IN_ROLES, roleGrants, rolesGranting, scopeCovers } from "../kernel/azure-roles.js";
import type { PrincipalRights } from "./types.js";

const GUID_TAIL = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * Builds {@link PrincipalRights} from raw items: role assignments (ARM wire `{id, properties: {scope, principalId,
 * roleDefinitionId}}` or az's flattened form) and role definitions (`{name, properties: {roleName, permissions}}`).
 * The built-in roles are always known, so an export of assignments alone is enough.
 */
export function principalRights(
  principalId: string,
  rawAssignments: readonly unknown[],
  rawDefinitions: readonly unknown[],
): PrincipalRights {
  const definitions = new Map<string, { roleName: string; actions: string[]; notActions: string[] }>();
  for (const r of BUILT_IN_ROLES)
    definitions.set(r.name, { roleName: r.roleName, actions: [...r.actions], notActions: [...r.notActions] });
  for (const raw of rawDefinitions) {
    const d = raw as {
      name?: string;
      properties?: { roleName?: string; permissions?: { actions?: string[]; notActions?: string[] }[] };
      roleName?: string;
      permissions?: { actions?: string[]; notActions?: string[] }[];
    };
    const p = d.properties ?? d;
    const guid = typeof d.name === "string" ? d.name.toLowerCase() : undefined;
    if (!guid || !Array.isArray(p.permissions)) continue;
    definitions.set(guid, {
      roleName: p.roleName ?? guid,
      actions: p.permissions.flatMap((x) => x.actions ?? []),
      notActions: p.permissions.flatMap((x) => x.notActions ?? []),
    });
  }
  const assignments = rawAssignments.flatMap((raw) => {
    const a = raw as {
      id?: string;
      properties?: { scope?: string; principalId?: string; roleDefinitionId?: string };
      scope?: string;
      principalId?: string;
      roleDefinitionId?: string;
    };
    const p = a.properties ?? a;
    const guid = GUID_TAIL.exec(p.roleDefinitionId ?? "")?.[1];
    if (typeof p.scope !== "string" || !guid || (p.principalId ?? "").toLowerCase() !== principalId.toLowerCase())
      return [];
    return [{ id: a.id ?? "", scope: p.scope, roleDefinitionGuid: guid.toLowerCase() }];
  });
  return { principalId, assignments, definitions };
}

/** The assignments that grant `action` over `scope` (at the scope or an ancestor), with their role names. */
export function grantingAssignments(
  rights: PrincipalRights,
  action: string,
  scope: string,
): { scope: string; roleName: string }[] {
  return rights.assignments.flatMap((a) => {
    const def = rights.definitions.get(a.roleDefinitionGuid);
    return def && scopeCovers(a.scope, scope) && roleGrants(def, action)
      ? [{ scope: a.scope, roleName: def.roleName }]
      : [];
  });
}

/** The az command that grants `actions` over `scope` with the narrowest built-in role that has them all. */
export function grantCommand(
  principalId: string,
  actions: readonly string[],
  scope: string,
): { role: string; command: string } {
  const role = rolesGranting(actions)[0]?.roleName ?? "Owner";
  return {
    role,
    command: `az role assignment create --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role "${role}" --scope ${scope}`,
  };
}
