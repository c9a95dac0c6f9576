/**
 * The ARM requests' path through the decision pipeline: `authentication` (the bearer token's principal) then
 * `rbac` — the action the request performs, derived from its method and resource type as in Azure's resource
 * provider operations list (e.g. `Microsoft.Network/virtualNetworks/write`), checked against the caller's Azure RBAC
 * role assignments over the request's scope — and the linked access checks a resource provider asks for while
 * handling it (joining a subnet, auto-approving a private endpoint connection). Every decision is written into the
 * request's trace (`hsmlink log`, `hsmlink explain`); refusals are ARM's 403 AuthorizationFailed and
 * LinkedAuthorizationFailed.
 *
 * Messages as recorded: AuthorizationFailed in Azure/ARO-RP #66 and #31 (for a service principal the client and
 * the object id are the same value, the object id); LinkedAuthorizationFailed in MicrosoftDocs/azure-docs #96892.
 */
import { AzureError } from "../kernel/errors.js";
import type { TraceStep } from "../kernel/trace.js";
import { roleGrants } from "../kernel/azure-roles.js";
import type { Db } from "../store/db.js";
import { hasAnyRoleIn, rolesOver, type HeldRole } from "../store/role-assignments.js";
import { pass, refuse, runPipelineSync, type StepVerdict, type SyncPipelineStep } from "./runner.js";
import type { Refusal } from "./render.js";
import type { RequestTrace, TraceLog } from "./trace-log.js";

/** Who is asking: the token's principal. */
export interface ArmCaller {
  readonly objectId: string;
  readonly appId: string;
  readonly displayName?: string;
}

/** Requests nobody is checked for (hsmlink's choice): tenant-level reads and polls of an operation whose id only its starter knows. */
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
    if (parts.length === 5 && parts[4].toLowerCase() === "resources")
      return "Microsoft.Resources/subscriptions/resourceGroups/resources/read";
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
  if (p === 2 && rest.length === 1 && m === "POST" && ["register", "unregister"].includes(rest[0].toLowerCase()))
    return `${ns}/${rest[0]}/action`;
  const types = rest.filter((_, i) => i % 2 === 0);
  if (rest.length % 2 === 1 && m === "POST")
    return [ns, ...types.slice(0, -1), types[types.length - 1], "action"].join("/");
  const type = [ns, ...types].join("/");
  if (m === "GET" && OPERATION_STATUS_TYPES.includes(type.toLowerCase())) return UNCHECKED;
  if (m === "POST") return `${type}/action`;
  return `${type}/${verb ?? "read"}`;
}

/** The scope of a request: its path, segments as sent, no trailing slash. */
export function scopeOfPath(path: string): string {
  return "/" + path.split("/").filter(Boolean).join("/");
}

/** The assignments of `caller` over `scope` that grant `action`. */
export function grantsOf(
  db: Db,
  caller: ArmCaller,
  action: string,
  scope: string,
): { held: HeldRole[]; granting: HeldRole[] } {
  const held = rolesOver(db, caller.objectId, scope);
  return { held, granting: held.filter((h) => roleGrants(h.role, action)) };
}

/** ARM's 403 for an action the caller's roles do not grant. */
export function authorizationFailed(caller: ArmCaller, action: string, scope: string): Refusal {
  return {
    status: 403,
    code: "AuthorizationFailed",
    message: `The client '${caller.objectId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  };
}

/** ARM's 403 for a request the caller may make but which needs `linkedAction` on another resource it may not touch. */
export function linkedAuthorizationFailed(
  caller: ArmCaller,
  action: string,
  scope: string,
  linkedAction: string,
  linkedScope: string,
): Refusal {
  return {
    status: 403,
    code: "LinkedAuthorizationFailed",
    message: `The client '${caller.objectId}' with object id '${caller.objectId}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action '${linkedAction}' on the linked scope(s) '${linkedScope}' or the linked scope(s) are invalid.`,
  };
}

const who = (c: ArmCaller) => `${c.displayName ? `${c.displayName} ` : ""}(object id ${c.objectId})`;
const grantText = (h: HeldRole) => `${h.role.roleName} at ${h.assignment.properties.scope}`;

/**
 * The `rbac` step of an ARM request: the action of `method path` over the path, granted by an assignment at the
 * scope or above, or 403 AuthorizationFailed. Reading a subscription needs any role inside it (as listing does).
 */
export function armRbacStep(db: Db, caller: ArmCaller, method: string, path: string): StepVerdict {
  const action = armActionOf(method, path);
  if (action === UNCHECKED)
    return pass(
      "unchecked",
      `${method.toUpperCase()} ${path}: no action is checked (tenant-level read, subscription list, or an operation status poll)`,
    );
  const scope = scopeOfPath(path);
  if (
    action === "Microsoft.Resources/subscriptions/read" &&
    hasAnyRoleIn(db, caller.objectId, path.split("/").filter(Boolean)[1])
  ) {
    return pass(
      "role-in-subscription",
      `${who(caller)} holds a role inside ${scope}, so it may read the subscription`,
      { action, scope },
    );
  }
  const { held, granting } = grantsOf(db, caller, action, scope);
  if (granting.length > 0)
    return pass(
      "granted",
      `${action} over ${scope} granted to ${who(caller)} by ${granting.map(grantText).join(", ")}`,
      { action, scope, assignmentId: granting[0].assignment.id },
    );
  const heldText = held.length
    ? `it holds ${held.map(grantText).join(", ")}, none of which grants it`
    : "it holds no role at this scope or above";
  return refuse(
    authorizationFailed(caller, action, scope),
    "no-role-assignment",
    `${who(caller)} may not ${action} over ${scope}: ${heldText} (AuthorizationFailed)`,
    { action, scope },
  );
}

/** The `rbac` step of a linked access check: `linkedAction` over `linkedScope`, or 403 LinkedAuthorizationFailed. */
export function armLinkedStep(
  db: Db,
  caller: ArmCaller,
  action: string,
  scope: string,
  linkedAction: string,
  linkedScope: string,
): StepVerdict {
  const { held, granting } = grantsOf(db, caller, linkedAction, linkedScope);
  if (granting.length > 0)
    return pass(
      "linked-granted",
      `linked check: ${linkedAction} over ${linkedScope} granted by ${granting.map(grantText).join(", ")}`,
      { action: linkedAction, scope: linkedScope },
    );
  const heldText = held.length
    ? `it holds ${held.map(grantText).join(", ")} there, none of which grants it`
    : "it holds no role there";
  return refuse(
    linkedAuthorizationFailed(caller, action, scope, linkedAction, linkedScope),
    "linked-not-granted",
    `linked check: ${who(caller)} may not ${linkedAction} over ${linkedScope}: ${heldText} (LinkedAuthorizationFailed)`,
    { action: linkedAction, scope: linkedScope },
  );
}

function throwRefusal(r: Refusal): never {
  throw new AzureError(r.status, r.code, r.message, { surface: "arm" });
}

/** The decisions of one ARM request, written into its trace. */
export interface ArmRequestDecisions {
  /** Runs the request's `rbac` step. @throws AzureError 403 AuthorizationFailed */
  authorize(): void;
  /** A linked access check while the request is handled. @throws AzureError 403 LinkedAuthorizationFailed */
  linked(action: string, linkedAction: string, linkedScope: string): void;
  /** Records the status the client got (and the error code of a refusal). */
  finish(status: number, error?: { code: string; message: string }): void;
}

/**
 * Starts the trace of an ARM request (authentication passed: `caller`) and returns its decisions. The trace goes
 * to `traces` (the ring buffer `hsmlink log` reads).
 */
export function beginArmRequest(
  db: Db,
  traces: TraceLog,
  req: { requestId: string; receivedAt: number; method: string; host: string; path: string; vantage?: string },
  caller: ArmCaller,
): ArmRequestDecisions {
  const t: RequestTrace = {
    seq: traces.nextSeq(),
    requestId: req.requestId,
    time: new Date(req.receivedAt).toISOString(),
    method: req.method,
    url: `https://${req.host}${req.path}`,
    host: req.host,
    vantage: req.vantage ?? "internet",
    explained: false,
    steps: [{ step: "authentication", rule: "bearer-token", detail: `Azure Resource Manager token of ${who(caller)}` }],
  };
  traces.push(t);
  const run = (step: SyncPipelineStep<null>): void => {
    const result = runPipelineSync([step], null, t.steps as TraceStep[]);
    if (result.verdict === "refuse") throwRefusal(result.refusal);
  };
  return {
    authorize: () => run({ name: "rbac", run: () => armRbacStep(db, caller, req.method, req.path) }),
    linked: (action, linkedAction, linkedScope) =>
      run({
        name: "rbac",
        run: () => armLinkedStep(db, caller, action, scopeOfPath(req.path), linkedAction, linkedScope),
      }),
    finish: (status, error) => traces.finish(t, status, error),
  };
}
