/**
 * Microsoft.Authorization/roleAssignments and roleDefinitions of Azure Resource Manager (control plane; the managed
 * HSM's own local RBAC is src/hsm/rbac/): the REST operations az and the SDKs call, with Azure's validation and
 * errors. Storage is src/store/role-assignments.ts; the decision pipeline's ARM rbac step
 * (src/pipeline/arm-authorization.ts) reads the same rows.
 *
 * Wire shapes: azure-rest-api-specs specification/authorization/resource-manager/Microsoft.Authorization/stable/
 * 2022-04-01 (authorization-RoleAssignmentsCalls.json, authorization-RoleDefinitionsCalls.json) and the azure-cli
 * recording test_role_assignment_no_graph.yaml (PUT 201 body, `$filter=principalId eq '…'`, `$filter=atScope()`).
 * Assignments inherit down the scope: one at `/subscriptions/{s}` covers every resource group and resource in it.
 */
import type { ArmRouter, ArmRequest, ArmContext } from "../engine.js";
import { requireObjectBody } from "../engine.js";
import { AzureError } from "../../kernel/errors.js";
import { armErrors } from "../errors.js";
import { parseResourceId } from "../../kernel/resource-ids.js";
import {
  BUILT_IN_ROLES,
  builtInRole,
  roleDefinitionBody,
  scopeCovers,
  type BuiltInRole,
} from "../../kernel/azure-roles.js";
import {
  allAssignments,
  assignmentById,
  assignmentByName,
  canonicalScope,
  deleteAssignment as deleteAssignmentRow,
  insertRoleAssignment,
  rolesOver,
  type RoleAssignmentBody,
} from "../../store/role-assignments.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Azure's errors of the authorization resource provider (codes recorded in the field; messages as cited). */
export const authorizationErrors = {
  /** Recorded: terraform-provider-azurerm #12583, ansible azure #1137 ("The role assignment already exists."). */
  RoleAssignmentExists: () =>
    new AzureError(409, "RoleAssignmentExists", "The role assignment already exists.", { surface: "arm" }),
  /** Documented (learn.microsoft.com "Troubleshoot Azure RBAC"): a PUT that changes an existing assignment's principal, role or scope. */
  RoleAssignmentUpdateNotPermitted: () =>
    new AzureError(
      409,
      "RoleAssignmentUpdateNotPermitted",
      "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
      { surface: "arm" },
    ),
  /** Recorded: terraform-provider-azurerm #8547 ("The role definition ID '…' is not valid."). */
  InvalidRoleDefinitionId: (value: string) =>
    new AzureError(400, "InvalidRoleDefinitionId", `The role definition ID '${value}' is not valid.`, {
      surface: "arm",
    }),
  /** Code recorded (JulianHayward/AzAPICall #23); wording hsmlink's choice. */
  RoleDefinitionDoesNotExist: (guid: string) =>
    new AzureError(
      400,
      "RoleDefinitionDoesNotExist",
      `The specified role definition with ID '${guid}' does not exist.`,
      { surface: "arm" },
    ),
  /** (memory) A role assignment name that is not a GUID. */
  InvalidRoleAssignmentId: (name: string) =>
    new AzureError(
      400,
      "InvalidRoleAssignmentId",
      `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
      { surface: "arm" },
    ),
  /** (memory) A principal id that is not a GUID. */
  InvalidPrincipalId: () =>
    new AzureError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.", {
      surface: "arm",
    }),
  /** Documented (learn.microsoft.com "Troubleshoot Azure RBAC", PrincipalNotFound). hsmlink knows only its own principals: Microsoft Graph is not emulated. */
  PrincipalNotFound: (principalId: string, tenantId: string) =>
    new AzureError(
      400,
      "PrincipalNotFound",
      `Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. hsmlink does not emulate Microsoft Graph: use the objectId that 'hsmlink identity create' printed, or principalObjectId of endpoints.json.`,
      { surface: "arm" },
    ),
};

/** The scope a `{scope}/providers/Microsoft.Authorization/...` path names (everything before the last `/providers/Microsoft.Authorization`). */
function scopeOfPath(path: string): string {
  const parts = path.split("/").filter(Boolean);
  let i = parts.length - 1;
  while (
    i >= 0 &&
    !(parts[i].toLowerCase() === "providers" && parts[i + 1]?.toLowerCase() === "microsoft.authorization")
  )
    i--;
  return canonicalScope("/" + parts.slice(0, Math.max(i, 0)).join("/"));
}

/**
 * Checks that a scope exists: the subscription, the resource group, the resource. ARM answers for a missing parent
 * scope as it does for the resource itself (ResourceGroupNotFound, ResourceNotFound); hsmlink's choice for the latter.
 */
function requireScope(ctx: ArmContext, scope: string): void {
  const p = parseResourceId(scope);
  if (!p) throw armErrors.BadRequest(`The scope '${scope}' is not a valid scope for role assignments.`);
  if (!p.resourceGroup) {
    if (p.namespace) throw armErrors.BadRequest(`The scope '${scope}' is not a valid scope for role assignments.`);
    return;
  }
  if (!ctx.store.resources.get(`/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}`))
    throw armErrors.ResourceGroupNotFound(p.resourceGroup);
  if (p.namespace && !ctx.store.resources.get(scope)) {
    const last = p.segments[p.segments.length - 1];
    throw armErrors.ResourceNotFound(
      `${[p.namespace, ...p.segments.map((s) => s.type)].join("/")}/${last?.name ?? ""}`,
      p.resourceGroup,
    );
  }
}

/** Parses `roleDefinitionId` (a full id or a bare GUID) to a known role. */
function resolveRoleDefinition(value: unknown): BuiltInRole {
  if (typeof value !== "string" || !value) throw authorizationErrors.InvalidRoleDefinitionId(String(value ?? ""));
  const m =
    /^(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(value) ??
    (GUID.test(value) ? [value, value] : null);
  if (!m || !GUID.test(m[1])) throw authorizationErrors.InvalidRoleDefinitionId(value);
  const role = builtInRole(m[1]);
  if (!role) throw authorizationErrors.RoleDefinitionDoesNotExist(m[1]);
  return role;
}

function readFilter(req: ArmRequest): { atScope: boolean; principalId?: string; roleName?: string } {
  const f = (req.query["$filter"] ?? "").trim();
  const out: { atScope: boolean; principalId?: string; roleName?: string } = { atScope: /atScope\(\)/i.test(f) };
  const p = /principalId\s+eq\s+'([^']*)'/i.exec(f) ?? /assignedTo\('([^']*)'\)/i.exec(f);
  if (p) out.principalId = p[1];
  const r = /roleName\s+eq\s+'([^']*)'/i.exec(f);
  if (r) out.roleName = r[1];
  return out;
}

/** Registers the role assignment and role definition operations at every scope (subscription, resource group, resource). */
export function registerAuthorization(router: ArmRouter): void {
  // Scopes: {scope} is 2 segments (subscription), 4 (resource group), or 4 + 2 + 2k (resource, child resource).
  const scopes = [
    "/subscriptions/{subscriptionId}",
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
  ];
  let resourceScope = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{ns}/{t1}/{n1}";
  for (let depth = 1; depth <= 3; depth++) {
    scopes.push(resourceScope);
    resourceScope += `/{t${depth + 1}}/{n${depth + 1}}`;
  }
  for (const s of scopes) {
    const ra = `${s}/providers/Microsoft.Authorization/roleAssignments`;
    router.add("PUT", `${ra}/{roleAssignmentName}`, putAssignment);
    router.add("GET", `${ra}/{roleAssignmentName}`, getAssignment);
    router.add("DELETE", `${ra}/{roleAssignmentName}`, deleteAssignment);
    router.add("GET", ra, listAssignments);
    const rd = `${s}/providers/Microsoft.Authorization/roleDefinitions`;
    router.add("GET", rd, listDefinitions);
    router.add("GET", `${rd}/{roleDefinitionId}`, getDefinition);
  }
  // Tenant-level forms az uses for `--ids` and role definitions by id.
  router.add("GET", "/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}", getDefinition);
}

function putAssignment(req: ArmRequest, ctx: ArmContext) {
  const name = req.params.roleAssignmentName;
  if (!GUID.test(name)) throw authorizationErrors.InvalidRoleAssignmentId(name);
  const body = requireObjectBody(req);
  const props = body.properties;
  if (!props || typeof props !== "object" || Array.isArray(props))
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'.",
    );
  const p = props as Record<string, unknown>;
  const scope = scopeOfPath(req.path);
  const role = resolveRoleDefinition(p.roleDefinitionId);
  const principalId = p.principalId;
  if (typeof principalId !== "string" || !GUID.test(principalId)) throw authorizationErrors.InvalidPrincipalId();
  const principalType =
    p.principalType === undefined || p.principalType === null ? "ServicePrincipal" : p.principalType;
  if (
    typeof principalType !== "string" ||
    !["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"].includes(principalType)
  ) {
    throw armErrors.InvalidRequestContent(
      `The request content was invalid and could not be deserialized: 'Error converting value "${String(principalType)}" to type 'PrincipalType'.'.`,
    );
  }
  if (p.description !== undefined && p.description !== null && typeof p.description !== "string")
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'description must be a string.'.",
    );
  requireScope(ctx, scope);
  if (!ctx.store.principals.exists(principalId))
    throw authorizationErrors.PrincipalNotFound(principalId, ctx.config.tenantId);

  return ctx.store.tx(() => {
    const existing = assignmentByName(ctx.store.db, name);
    if (existing) {
      const same =
        existing.properties.scope.toLowerCase() === scope.toLowerCase() &&
        existing.properties.principalId === principalId.toLowerCase() &&
        existing.properties.roleDefinitionId.toLowerCase().endsWith(role.name);
      if (!same) throw authorizationErrors.RoleAssignmentUpdateNotPermitted();
      return { status: 200, body: existing };
    }
    const dup = rolesOver(ctx.store.db, principalId, scope).find(
      (h) => h.role.name === role.name && h.assignment.properties.scope.toLowerCase() === scope.toLowerCase(),
    );
    if (dup) throw authorizationErrors.RoleAssignmentExists();
    const subscriptionId = parseResourceId(scope)?.subscriptionId ?? ctx.subscriptionId;
    const created = insertRoleAssignment(ctx.store.db, {
      scope,
      name,
      roleDefinitionGuid: role.name,
      principalId,
      principalType,
      subscriptionId,
      createdBy: req.principal.objectId,
      description: typeof p.description === "string" ? p.description : null,
      now: ctx.clock.now(),
    });
    return { status: 201, body: created };
  });
}

function findAssignment(ctx: ArmContext, req: ArmRequest): RoleAssignmentBody | undefined {
  return assignmentById(
    ctx.store.db,
    `${scopeOfPath(req.path)}/providers/Microsoft.Authorization/roleAssignments/${req.params.roleAssignmentName}`,
  );
}

function getAssignment(req: ArmRequest, ctx: ArmContext) {
  const a = findAssignment(ctx, req);
  // Spec: RoleAssignments_Get 200 only; ARM answers 404 RoleAssignmentNotFound for a missing one.
  if (!a)
    throw new AzureError(
      404,
      "RoleAssignmentNotFound",
      "The role assignment '" + req.params.roleAssignmentName + "' is not found.",
      { surface: "arm" },
    );
  return { status: 200, body: a };
}

function deleteAssignment(req: ArmRequest, ctx: ArmContext) {
  const a = findAssignment(ctx, req);
  // Spec: RoleAssignments_Delete answers 200 with the deleted assignment, 204 when there was none.
  if (!a) return { status: 204 };
  ctx.store.tx(() => deleteAssignmentRow(ctx.store.db, a.id));
  return { status: 200, body: a };
}

function listAssignments(req: ArmRequest, ctx: ArmContext) {
  const scope = scopeOfPath(req.path);
  requireScope(ctx, scope);
  const f = readFilter(req);
  // Without atScope(): assignments at, above and below the scope; with it: at and above (REST doc "List role assignments").
  let items = allAssignments(ctx.store.db).filter(
    (a) => scopeCovers(a.properties.scope, scope) || (!f.atScope && scopeCovers(scope, a.properties.scope)),
  );
  if (f.principalId !== undefined)
    items = items.filter((a) => a.properties.principalId === f.principalId!.toLowerCase());
  return { status: 200, body: { value: items } };
}

function listDefinitions(req: ArmRequest, ctx: ArmContext) {
  const scope = scopeOfPath(req.path);
  const subscriptionId = parseResourceId(scope)?.subscriptionId ?? ctx.subscriptionId;
  const f = readFilter(req);
  const roles = BUILT_IN_ROLES.filter(
    (r) => f.roleName === undefined || r.roleName.toLowerCase() === f.roleName.toLowerCase(),
  );
  return { status: 200, body: { value: roles.map((r) => roleDefinitionBody(r, subscriptionId)) } };
}

function getDefinition(req: ArmRequest, ctx: ArmContext) {
  const role = builtInRole(req.params.roleDefinitionId);
  if (!role) throw authorizationErrors.RoleDefinitionDoesNotExist(req.params.roleDefinitionId);
  const sub = req.params.subscriptionId ?? ctx.subscriptionId;
  return { status: 200, body: roleDefinitionBody(role, sub) };
}
