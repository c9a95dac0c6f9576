/**
 * Long-running operations in the three ARM dialects the how-to meets (control-plane.md §0.2, §1.4):
 *  - Key Vault (managed HSM PUT/DELETE, purge): 202 + `Location: …/managedHsmOperationResults/{id}`; the final
 *    poll returns 200 with the resource (PUT) or empty (DELETE, purge).
 *  - Network (VNet, subnet, private endpoint): 201/200 with the body + `Azure-AsyncOperation: …/operations/{id}`;
 *    status `{"status":"Succeeded"}`; DELETE 202 with both `Azure-AsyncOperation` and `Location`.
 *  - Private DNS (zone, link): 202 `{}` + `Azure-AsyncOperation: …/privateDnsOperationStatuses/{id}` and
 *    `Location: …/privateDnsOperationResults/{id}`.
 * Plus resource-group delete: 202 + `Location: {sub}/operationresults/{id}`.
 * Writes are applied and committed before the first response, so every operation is already terminal when the
 * client polls; `Retry-After: 1` keeps az away from its 30-second default (clients.md A4).
 */
import type { Store } from "../store/db.js";
import type { Clock } from "../kernel/clock.js";
import { newGuid } from "../kernel/ids.js";
import { armErrors } from "./errors.js";
import type { ExchangeResult } from "../kernel/exchange.js";

/** What an ARM handler answers (the engine's `ArmResult`). */
type ArmResult = Pick<ExchangeResult, "status" | "body" | "headers">;

export type OperationKind = "keyvault" | "network" | "privatedns" | "resourcegroup";

export interface OperationRecord {
  id: string;
  kind: OperationKind;
  status: "InProgress" | "Succeeded" | "Failed";
  resourceId?: string;
  result?: unknown;
  error?: { code: string; message: string };
}

export class Operations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Records a terminal operation and returns its id. `result` fixes the final poll body (else the resource is read at poll time). */
  record(
    kind: OperationKind,
    op: { resourceId?: string; result?: unknown; error?: { code: string; message: string } } = {},
  ): string {
    const id = newGuid();
    this.store.operations.insert(
      {
        id,
        kind,
        status: op.error ? "Failed" : "Succeeded",
        resource_id: op.resourceId ?? null,
        result: op.result === undefined ? null : JSON.stringify(op.result),
        error: op.error ? JSON.stringify(op.error) : null,
      },
      this.clock.now(),
    );
    return id;
  }

  get(id: string): OperationRecord | undefined {
    const row = this.store.operations.get(id);
    if (!row) return undefined;
    return {
      id: row.id,
      kind: row.kind as OperationKind,
      status: row.status as OperationRecord["status"],
      resourceId: row.resource_id ?? undefined,
      result: row.result === null ? undefined : JSON.parse(row.result),
      error: row.error === null ? undefined : JSON.parse(row.error),
    };
  }

  /** Looks an operation up for a poll, or throws ARM's 404. */
  require(id: string, kind: OperationKind): OperationRecord {
    const op = this.get(id);
    if (!op || op.kind !== kind) throw armErrors.NotFound(`The operation '${id}' could not be found.`);
    return op;
  }
}

const RETRY = { "Retry-After": "1" };

function q(apiVersion: string): string {
  return `?api-version=${encodeURIComponent(apiVersion)}`;
}

/**
 * One ARM path segment (a resource group, resource or location name) as it appears in a URL: UTF-8
 * percent-encoded (RFC 3986 §2.1), so names with any legal letters (`rg-жж`, `rg-日本`, `ü`) give a URL that is
 * valid in an HTTP header and that clients decode back to the name. ARM's own Location/Azure-AsyncOperation URLs
 * encode names the same way (azure-rest-api-specs: "URLs ... must be percent-encoded").
 */
export function urlSegment(name: string): string {
  // Bytes outside RFC 3986's unreserved set are escaped; a lone surrogate (not UTF-8) becomes U+FFFD, never a throw.
  return [...Buffer.from(name, "utf8")]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");
}

/**
 * A request path (as sent, possibly percent-encoded, possibly with raw UTF-8 letters) in canonical percent-encoded
 * form for a URL hsmlink returns (Location, nextLink): each segment decoded once where it is valid
 * percent-encoding and encoded again with {@link urlSegment}.
 */
export function canonicalPath(path: string): string {
  return path
    .split("/")
    .map((seg) => {
      let name = seg;
      try {
        name = decodeURIComponent(seg);
      } catch {
        /* not valid percent-encoding: encode the text as it is */
      }
      return urlSegment(name);
    })
    .join("/");
}

/** Key Vault dialect: 202, empty body, `Location` to the provider-level operation result. */
export function keyVaultAccepted(
  ops: Operations,
  o: {
    baseUrl: string;
    subscriptionId: string;
    location: string;
    apiVersion: string;
    resourceId?: string;
    result?: unknown;
    error?: { code: string; message: string };
  },
): ArmResult {
  const id = ops.record("keyvault", { resourceId: o.resourceId, result: o.result, error: o.error });
  const url = `${o.baseUrl}/subscriptions/${urlSegment(o.subscriptionId)}/providers/Microsoft.KeyVault/locations/${urlSegment(o.location)}/managedHsmOperationResults/${id}${q(o.apiVersion)}`;
  return { status: 202, headers: { Location: url, ...RETRY } };
}

/** Network dialect for PUT: `status` (201 new / 200 update) with the body and `Azure-AsyncOperation`. */
export function networkPutAccepted(
  ops: Operations,
  o: {
    baseUrl: string;
    subscriptionId: string;
    location: string;
    apiVersion: string;
    status: 200 | 201;
    body: unknown;
    resourceId: string;
  },
): ArmResult {
  const id = ops.record("network", { resourceId: o.resourceId });
  const url = `${o.baseUrl}/subscriptions/${urlSegment(o.subscriptionId)}/providers/Microsoft.Network/locations/${urlSegment(o.location)}/operations/${id}${q(o.apiVersion)}`;
  return {
    status: o.status,
    body: o.body,
    headers: { "Azure-AsyncOperation": url, "Azure-AsyncNotification": "Enabled", ...RETRY },
  };
}

/** Network dialect for DELETE: 202 with `Azure-AsyncOperation` and `Location`. */
export function networkDeleteAccepted(
  ops: Operations,
  o: { baseUrl: string; subscriptionId: string; location: string; apiVersion: string },
): ArmResult {
  const id = ops.record("network", {});
  const base = `${o.baseUrl}/subscriptions/${urlSegment(o.subscriptionId)}/providers/Microsoft.Network/locations/${urlSegment(o.location)}`;
  return {
    status: 202,
    headers: {
      "Azure-AsyncOperation": `${base}/operations/${id}${q(o.apiVersion)}`,
      Location: `${base}/operationResults/${id}${q(o.apiVersion)}`,
      ...RETRY,
    },
  };
}

/** Private DNS dialect: 202 `{}` with `Azure-AsyncOperation` (status) and `Location` (result). */
export function privateDnsAccepted(
  ops: Operations,
  o: {
    baseUrl: string;
    subscriptionId: string;
    resourceGroup: string;
    apiVersion: string;
    resourceId?: string;
    error?: { code: string; message: string };
  },
): ArmResult {
  const id = ops.record("privatedns", { resourceId: o.resourceId, error: o.error });
  const base = `${o.baseUrl}/subscriptions/${urlSegment(o.subscriptionId)}/resourceGroups/${urlSegment(o.resourceGroup)}/providers/Microsoft.Network`;
  return {
    status: 202,
    body: {},
    headers: {
      "Azure-AsyncOperation": `${base}/privateDnsOperationStatuses/${id}${q(o.apiVersion)}`,
      Location: `${base}/privateDnsOperationResults/${id}${q(o.apiVersion)}`,
      ...RETRY,
    },
  };
}

/** Resource-group delete: 202 with `Location` to the subscription-level operation result. */
export function resourceGroupDeleteAccepted(
  ops: Operations,
  o: { baseUrl: string; subscriptionId: string; apiVersion: string },
): ArmResult {
  const id = ops.record("resourcegroup", {});
  return {
    status: 202,
    headers: {
      Location: `${o.baseUrl}/subscriptions/${urlSegment(o.subscriptionId)}/operationresults/${id}${q(o.apiVersion)}`,
      ...RETRY,
    },
  };
}

/** The `{status, error?}` document of an `Azure-AsyncOperation` poll. */
export function asyncStatusBody(op: OperationRecord): Record<string, unknown> {
  const body: Record<string, unknown> = { name: op.id, status: op.status };
  if (op.error) body.error = op.error;
  return body;
}
