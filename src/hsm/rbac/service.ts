/**
 * Managed HSM local RBAC (data-plane.md §6; MicrosoftDocs `managed-hsm/access-control.md`,
 * `role-management.md`): role definitions (built-in + custom), role assignments at `/`, `/keys`, `/keys/{name}`,
 * and the permission check every data-plane operation makes. The HSM's `initialAdminObjectIds` hold Managed HSM
 * Administrator at `/` implicitly: computed from the ARM resource on every request, never stored.
 */
import { guidFrom } from "../../kernel/ids.js";
import { StoreVersionCache } from "../../store/version-cache.js";
import { kvErrors } from "../errors.js";
import type { HsmInfo } from "../hsm.js";
import type { HsmStore, RoleAssignmentRecord } from "../store.js";
import {
  BUILT_IN_ROLES,
  DATA_ACTION_PREFIX,
  ROLE_DEFINITION_ID_PREFIX,
  ROLE_IDS,
  builtInRole,
  normaliseScope,
  permits,
  roleGuidOf,
  scopeChain,
  type Permission,
  type RoleDefinition,
} from "./roles.js";

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ASSIGNMENT_NAME_RE = /^[0-9a-zA-Z-]{1,64}$/;

/** A role assignment plus whether it is the computed initial-admin one. */
export interface RoleAssignmentView extends RoleAssignmentRecord {
  implicit: boolean;
}

/** The wire RoleAssignment (`id` is `{scope}/providers/…`, `/providers/…` at `/`). */
export function renderAssignment(a: RoleAssignmentRecord): Record<string, unknown> {
  const prefix = a.scope === "/" ? "" : a.scope;
  return {
    id: `${prefix}/providers/Microsoft.Authorization/roleAssignments/${a.name}`,
    name: a.name,
    type: "Microsoft.Authorization/roleAssignments",
    properties: { scope: a.scope, roleDefinitionId: a.roleDefinitionId, principalId: a.principalId },
  };
}

const sameScope = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export class Rbac {
  constructor(private readonly store: HsmStore) {
    this.decisions = new StoreVersionCache<boolean>(store.store);
  }

  /** Built-in role definitions followed by the HSM's custom ones. */
  definitions(hsm: HsmInfo): RoleDefinition[] {
    return [...BUILT_IN_ROLES, ...(this.store.customRoleDefinitions(hsm.name) as unknown as RoleDefinition[])];
  }

  definition(hsm: HsmInfo, idOrGuid: string): RoleDefinition | undefined {
    const guid = roleGuidOf(idOrGuid);
    return guid ? this.definitions(hsm).find((d) => d.name === guid) : undefined;
  }

  /** Stored assignments plus the implicit Administrator assignments of `initialAdminObjectIds` at `/`. */
  assignments(hsm: HsmInfo): RoleAssignmentView[] {
    const implicit: RoleAssignmentView[] = hsm.initialAdminObjectIds.map((oid) => ({
      name: guidFrom(`hsmlink/initial-admin/${hsm.name}/${oid}`),
      scope: "/",
      roleDefinitionId: ROLE_DEFINITION_ID_PREFIX + ROLE_IDS.administrator,
      principalId: oid,
      createdAt: 0,
      implicit: true,
    }));
    return [...implicit, ...this.store.roleAssignments(hsm.name).map((a) => ({ ...a, implicit: false }))];
  }

  /**
   * Whether `principalId` may perform `dataAction` at `scope` (`/`, `/keys`, `/keys/{name}`): the union of the
   * permissions of its assignments at the scope or an ancestor, each role minus its notDataActions.
   */
  isAllowed(hsm: HsmInfo, principalId: string, dataAction: string, scope: string): boolean {
    // Memoised per store version: the answer depends only on stored data and the HSM's ARM resource.
    const key = `${hsm.name}\n${hsm.initialAdminObjectIds.join(",")}\n${principalId.toLowerCase()}\n${dataAction}\n${scope}`;
    return this.decisions.get(key, () => this.evaluate(hsm, principalId, dataAction, scope));
  }

  private readonly decisions: StoreVersionCache<boolean>;

  private evaluate(hsm: HsmInfo, principalId: string, dataAction: string, scope: string): boolean {
    const chain = scopeChain(scope);
    const pid = principalId.toLowerCase();
    const defs = this.definitions(hsm);
    return this.assignments(hsm).some((a) => {
      if (a.principalId.toLowerCase() !== pid || !chain.some((s) => sameScope(s, a.scope))) return false;
      const guid = roleGuidOf(a.roleDefinitionId);
      const def = defs.find((d) => d.name === guid);
      return def ? permits(def.properties.permissions, dataAction) : false;
    });
  }

  // ---- role assignments ----

  /**
   * Lists assignments at `scope` and its ancestors (the Managed HSM listing: at `/` only top-level ones),
   * narrowed by `$filter` `atScope()` (same set) and/or `principalId eq '{id}'`.
   * @throws 400 BadParameter for another filter
   */
  listAssignments(hsm: HsmInfo, scope: string, filter: string | undefined): Record<string, unknown>[] {
    let principal: string | undefined;
    if (filter !== undefined && filter.trim() !== "") {
      for (const clause of filter.split(/\s+and\s+/i)) {
        const c = clause.trim();
        if (/^atScope\(\)$/i.test(c)) continue;
        const m = /^principalId\s+eq\s+'([^']*)'$/i.exec(c);
        if (m) {
          principal = m[1].toLowerCase();
          continue;
        }
        throw kvErrors.filterNotSupported(filter, "atScope() and/or principalId eq '{objectId}'");
      }
    }
    const chain = scopeChain(scope);
    return this.assignments(hsm)
      .filter(
        (a) =>
          chain.some((s) => sameScope(s, a.scope)) &&
          (principal === undefined || a.principalId.toLowerCase() === principal),
      )
      .map(renderAssignment);
  }

  getAssignment(hsm: HsmInfo, name: string): Record<string, unknown> {
    const a = this.assignments(hsm).find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!a) throw kvErrors.roleAssignmentNotFound();
    return renderAssignment(a);
  }

  /**
   * PUT …/roleAssignments/{name} `{"properties":{"roleDefinitionId","principalId"}}` → 201 RoleAssignment.
   * @throws 400 for a bad name, role or principal; 409 RoleAssignmentExists when the same principal already has the role at the scope
   */
  createAssignment(hsm: HsmInfo, scope: string, name: string, body: unknown, now: number): Record<string, unknown> {
    if (!ASSIGNMENT_NAME_RE.test(name)) throw kvErrors.roleAssignmentNameNotGuid(name);
    const props = (body as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!props || typeof props !== "object") throw kvErrors.roleAssignmentBody();
    const { roleDefinitionId, principalId } = props as { roleDefinitionId?: unknown; principalId?: unknown };
    if (typeof roleDefinitionId !== "string" || roleDefinitionId === "")
      throw kvErrors.parameterRequired("properties.roleDefinitionId");
    if (typeof principalId !== "string" || !GUID_RE.test(principalId)) throw kvErrors.principalIdNotGuid();
    const def = this.definition(hsm, roleDefinitionId);
    if (!def) throw kvErrors.roleDefinitionUnknown(roleDefinitionId);
    if (!def.properties.assignableScopes.some((s) => scopeChain(scope).some((c) => sameScope(c, s)))) {
      throw kvErrors.scopeNotAssignable(def.properties.roleName, scope, def.properties.assignableScopes);
    }
    const record: RoleAssignmentRecord = {
      name,
      scope,
      roleDefinitionId: def.id,
      principalId: principalId.toLowerCase(),
      createdAt: now,
    };
    const all = this.assignments(hsm);
    const same = all.find((a) => a.name.toLowerCase() === name.toLowerCase());
    if (same) {
      const identical =
        sameScope(same.scope, scope) &&
        same.roleDefinitionId.toLowerCase() === record.roleDefinitionId.toLowerCase() &&
        same.principalId === record.principalId;
      if (!identical || same.implicit) throw kvErrors.roleAssignmentNameTaken(name);
      return renderAssignment(same);
    }
    const dup = all.find(
      (a) =>
        sameScope(a.scope, scope) &&
        a.principalId === record.principalId &&
        a.roleDefinitionId.toLowerCase() === record.roleDefinitionId.toLowerCase(),
    );
    if (dup) throw kvErrors.roleAssignmentExists(dup.name);
    this.store.putRoleAssignment(hsm.name, record);
    return renderAssignment(record);
  }

  /** DELETE …/roleAssignments/{name} → 200 with the deleted RoleAssignment. */
  deleteAssignment(hsm: HsmInfo, name: string): Record<string, unknown> {
    const a = this.assignments(hsm).find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!a) throw kvErrors.roleAssignmentNotFound();
    if (a.implicit) {
      throw kvErrors.roleAssignmentImplicit(a.name, a.principalId);
    }
    this.store.deleteRoleAssignment(hsm.name, a.name);
    return renderAssignment(a);
  }

  // ---- role definitions ----

  /** Lists role definitions, optionally `$filter=roleName eq '{name}'`. @throws 400 for another filter */
  listDefinitions(hsm: HsmInfo, filter: string | undefined): RoleDefinition[] {
    const all = this.definitions(hsm);
    if (filter === undefined || filter.trim() === "") return all;
    const m = /^\s*roleName\s+eq\s+'([^']*)'\s*$/i.exec(filter);
    if (!m) throw kvErrors.filterNotSupported(filter, "roleName eq '{name}'");
    return all.filter((d) => d.properties.roleName.toLowerCase() === m[1].toLowerCase());
  }

  getDefinition(hsm: HsmInfo, name: string): RoleDefinition {
    const def = this.definition(hsm, name);
    if (!def) throw kvErrors.roleDefinitionNotFound();
    return def;
  }

  /**
   * PUT …/roleDefinitions/{guid} → 201 custom RoleDefinition (create or update).
   * @throws 400 BadParameter for a built-in name/GUID (exact service message), a non-GUID name, or bad permissions
   */
  putDefinition(hsm: HsmInfo, name: string, body: unknown): RoleDefinition {
    if (!GUID_RE.test(name)) throw kvErrors.roleDefinitionNameNotGuid();
    const guid = name.toLowerCase();
    const props = (body as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (!props || typeof props !== "object") throw kvErrors.roleDefinitionBody();
    const roleName = props.roleName;
    if (typeof roleName !== "string" || roleName.trim() === "") throw kvErrors.parameterRequired("properties.roleName");
    if (
      builtInRole(guid) ||
      BUILT_IN_ROLES.some((r) => r.properties.roleName.toLowerCase() === roleName.trim().toLowerCase())
    ) {
      throw kvErrors.builtInRoleReused();
    }
    if (props.type !== undefined && props.type !== null && props.type !== "CustomRole")
      throw kvErrors.roleTypeNotCustom();
    const clash = this.store
      .customRoleDefinitions(hsm.name)
      .find(
        (d) =>
          (d as unknown as RoleDefinition).name !== guid &&
          (d as unknown as RoleDefinition).properties.roleName.toLowerCase() === roleName.trim().toLowerCase(),
      );
    if (clash) throw kvErrors.roleNameTaken(roleName, (clash as unknown as RoleDefinition).name);
    const permissions = this.parsePermissions(props.permissions);
    let assignableScopes = ["/"];
    if (props.assignableScopes !== undefined && props.assignableScopes !== null) {
      if (!Array.isArray(props.assignableScopes) || props.assignableScopes.length === 0)
        throw kvErrors.assignableScopesInvalid();
      assignableScopes = props.assignableScopes.map((s) => {
        const n = typeof s === "string" ? normaliseScope(s) : undefined;
        if (!n) throw kvErrors.assignableScopeInvalid(String(s).slice(0, 80));
        return n;
      });
    }
    const description = typeof props.description === "string" ? props.description : "";
    const def: RoleDefinition = {
      id: ROLE_DEFINITION_ID_PREFIX + guid,
      name: guid,
      type: "Microsoft.Authorization/roleDefinitions",
      properties: { roleName: roleName.trim(), type: "CustomRole", description, assignableScopes, permissions },
    };
    this.store.putCustomRoleDefinition(hsm.name, guid, def as unknown as Record<string, unknown>);
    return def;
  }

  private parsePermissions(raw: unknown): Permission[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) throw kvErrors.permissionsNotArray();
    const list = (v: unknown, field: string, data: boolean): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw kvErrors.permissionFieldNotStrings(field);
      if (data) {
        for (const a of v as string[]) {
          if (!a.toLowerCase().startsWith(DATA_ACTION_PREFIX.toLowerCase() + "/"))
            throw kvErrors.dataActionInvalid(a, DATA_ACTION_PREFIX);
        }
      } else if ((v as string[]).length > 0) {
        throw kvErrors.permissionFieldMustBeEmpty(field);
      }
      return v as string[];
    };
    return raw.map((p) => {
      if (!p || typeof p !== "object") throw kvErrors.permissionNotObject();
      const q = p as Record<string, unknown>;
      return {
        actions: list(q.actions, "actions", false),
        notActions: list(q.notActions, "notActions", false),
        dataActions: list(q.dataActions, "dataActions", true),
        notDataActions: list(q.notDataActions, "notDataActions", true),
      };
    });
  }

  /** DELETE …/roleDefinitions/{guid} → 200 with the deleted definition. @throws 400 for a built-in role, 404 unknown, 409 while assigned */
  deleteDefinition(hsm: HsmInfo, name: string): RoleDefinition {
    const guid = roleGuidOf(name);
    if (guid && builtInRole(guid)) throw kvErrors.builtInRoleReused();
    const def = this.getDefinition(hsm, name);
    if (this.assignments(hsm).some((a) => roleGuidOf(a.roleDefinitionId) === def.name)) {
      throw kvErrors.roleDefinitionHasAssignments(def.name);
    }
    this.store.deleteCustomRoleDefinition(hsm.name, def.name);
    return def;
  }
}
