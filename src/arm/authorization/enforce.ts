/**
 * The ARM authorization step: which action a request performs (derived from its method and resource type, as in
 * Azure's resource provider operations list, e.g. `Microsoft.Network/virtualNetworks/write`) and whether the caller's
 * role assignments over the request's scope grant it. Refusals are ARM's 403 AuthorizationFailed and, for an action
 * a request needs on another resource (the approval of a private endpoint connection), LinkedAuthorizationFailed.
 *
 * Messages as recorded: AuthorizationFailed in Azure/ARO-RP #66 and #31 (for a service principal the client and the
 * object id are the same value, the object id); LinkedAuthorizationFailed in MicrosoftDocs/azure-docs #96892.
 */
import type { Store } from "../../store/db.js";
import { AzureError } from "../../kernel/errors.js";
import { rolesOver, type HeldRole } from "./assignments.js";
import { roleGrants } from "../../kernel/azure-roles.js";

/** Who is asking: the token's principal. */
export interface ArmCaller {
  objectId: string;
  appId: string;
}

/** The outcome of the authorization step for one action over one scope. */
export interface ArmAuthorization {
  allowed: boolean;
  action: string;
  scope: string;
  /** The assignments that grant the action (empty when refused). */
  grantedBy: HeldRole[];
  /** The assignments the caller holds over the scope, granting or not (what the trace shows). */
  held: HeldRole[];
}

/** Actions nobody is checked for (hsmlink's choice): tenant-level metadata and polls of an operation whose id only its starter knows. */
export const UNCHECKED = "unchecked" as const;

const VERBS: Record<string, string> = { GET: "read", HEAD: "read", PUT: "write", PATCH: "write", DELETE: "delete" };

const OPERATION_STATUS_TYPES = [
  "microsoft.keyvault/locations/managedhsmoperationresults",
  "microsoft.network/locations/operations",
  "microsoft.network/locations/operationresults",
  "microsoft.network/privatednsoperationstatuses",
  "microsoft.network/privatednsoperationresults",
];

/**
 * The action an ARM request performs, or UNCHECKED.
 * Examples: `PUT /subscriptions/s/resourcegroups/rg` → `Microsoft.Resources/subscriptions/resourceGroups/write`;
 * `PUT …/providers/Microsoft.Network/virtualNetworks/v/subnets/s` → `Microsoft.Network/virtualNetworks/subnets/write`;
 * `POST …/providers/Microsoft.KeyVault/register` → `Microsoft.KeyVault/register/action`.
 */
export function armActionOf(method: string, path: string): string | typeof UNCHECKED {
  const m = method.toUpperCase();
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0 || parts[0].toLowerCase() !== "subscriptions" || parts.length === 1) return UNCHECKED;
  const verb = VERBS[m];
  if (parts.length === 2) return `Microsoft.Resources/subscriptions/${verb ?? "read"}`;
  const third = parts[2].toLowerCase();
  if (third === "operationresults") return UNCHECKED;
  if (third === "resourcegroups") {
    if (parts.length === 3) return "Microsoft.Resources/subscriptions/resourceGroups/read";
    if (parts.length === 4) return `Microsoft.Resources/subscriptions/resourceGroups/${verb ?? "read"}`;
    if (parts.length === 5 && parts[4].toLowerCase() === "resources") return "Microsoft.Resources/subscriptions/resourceGroups/resources/read";
  }
  if (third === "resources" && parts.length === 3) return "Microsoft.Resources/subscriptions/resources/read";
  if (third === "locations" && parts.length === 3) return "Microsoft.Resources/subscriptions/locations/read";
  let p = -1;
  for (let i = parts.length - 2; i >= 2; i--) {
    if (parts[i].toLowerCase() === "providers") {
      p = i;
      break;
    }
  }
  if (third === "providers" && p === 2 && parts.length <= 4) return "Microsoft.Resources/subscriptions/providers/read";
  if (p < 0) return `Microsoft.Resources/${verb ?? "read"}`;
  const ns = parts[p + 1];
  const rest = parts.slice(p + 2);
  if (p === 2 && rest.length === 1 && m === "POST" && ["register", "unregister"].includes(rest[0].toLowerCase())) return `${ns}/${rest[0]}/action`;
  const types = rest.filter((_, i) => i % 2 === 0);
  if (rest.length % 2 === 1 && m === "POST") return [ns, ...types.slice(0, -1), types[types.length - 1], "action"].join("/");
  const type = [ns, ...types].join("/");
  if (m === "GET" && OPERATION_STATUS_TYPES.includes(type.toLowerCase())) return UNCHECKED;
  if (m === "POST") return `${type}/action`;
  return `${type}/${verb ?? "read"}`;
}

/** Whether `caller` may perform `action` over `scope`: some assignment at or above the scope grants it. */
export function authorizeAction(store: Store, caller: ArmCaller, action: string, scope: string): ArmAuthorization {
  const held = rolesOver(store, caller.objectId, scope);
  const grantedBy = held.filter((h) => roleGrants(h.role, action));
  return { allowed: grantedBy.length > 0, action, scope, grantedBy, held };
}

/** ARM's 403 for an action the caller's roles do not grant. */
export function authorizationFailed(caller: ArmCaller, action: string, scope: string): AzureError {
  return new AzureError(
    403,
    "AuthorizationFailed",
    `The client '${caller.objectId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    { surface: "arm" },
  );
}

/** ARM's 403 for a request the caller may make but which needs `linkedAction` on another resource it may not touch. */
export function linkedAuthorizationFailed(caller: ArmCaller, action: string, scope: string, linkedAction: string, linkedScope: string): AzureError {
  return new AzureError(
    403,
    "LinkedAuthorizationFailed",
    `The client '${caller.objectId}' with object id '${caller.objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action '${linkedAction}' on the linked scope(s) '${linkedScope}' or the linked scope(s) are invalid.`,
    { surface: "arm" },
  );
}

/** Whether the caller holds any role at or below the subscription (what decides whether `GET /subscriptions` lists it). */
export function hasAnyRoleIn(store: Store, objectId: string, subscriptionId: string): boolean {
  const key = `/subscriptions/${subscriptionId}`.toLowerCase();
  return !!store.db
    .prepare("SELECT 1 FROM arm_role_assignments WHERE principal_key = ? AND (scope_key = ? OR scope_key LIKE ? ESCAPE '\\') LIMIT 1")
    .get(objectId.toLowerCase(), key, key.replace(/[\\%_]/g, "\\$&") + "/%");
}

/**
 * The linked access check a resource provider asks ARM for when a write needs an action on another resource
 * (joining a subnet, auto-approving a private endpoint connection, joining a private DNS zone).
 * @param action the action of the request itself (already authorized), e.g. `Microsoft.Network/privateEndpoints/write`
 * @param scope the request's scope (its path)
 * @throws AzureError 403 LinkedAuthorizationFailed when no assignment over `linkedScope` grants `linkedAction`
 */
export function requireLinkedAction(store: Store, caller: ArmCaller, action: string, scope: string, linkedAction: string, linkedScope: string): ArmAuthorization {
  const decision = authorizeAction(store, caller, linkedAction, linkedScope);
  if (!decision.allowed) throw linkedAuthorizationFailed(caller, action, scope, linkedAction, linkedScope);
  return decision;
}

export { MHSM_APPROVAL_ACTION, SUBNET_JOIN_ACTION, ZONE_JOIN_ACTION } from "../../kernel/azure-roles.js";
