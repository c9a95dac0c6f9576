/**
 * The private endpoint connection state machine: the ONE place where the two sides of a private link stay in step —
 * the HSM side (`…/managedHSMs/{h}/privateEndpointConnections/{c}`, control-plane.md §3.4) and the private endpoint
 * side (`properties.privateLinkServiceConnections[]` / `manualPrivateLinkServiceConnections[]` of a
 * `Microsoft.Network/privateEndpoints` body, §4.3).
 *
 * HSM-side states: Pending → Approved | Rejected; Approved → Rejected; Rejected is final (FC-24). Deleting the
 * HSM-side connection, or soft-deleting the HSM, leaves the PE side `Disconnected` (FC-29, FC-30); recovering the HSM
 * does not reconnect (the how-to: "you must re-create a new private endpoint"). Deleting the PE removes the HSM side.
 *
 * Every function here writes and must run inside the caller's `ctx.store.tx(...)`.
 */
import type { ArmContext } from "../../engine.js";
import type { StoredResource } from "../../../store/resources.js";
import { armErrors } from "../../errors.js";
import { parseResourceId, sameId } from "../../../kernel/resource-ids.js";
import { newGuid, randomHex } from "../../../kernel/ids.js";
import { refreshZoneGroupRecords } from "../private-dns-zones/zone-groups.js";
import {
  MHSM_GROUP_ID,
  MHSM_PEC_TYPE,
  MHSM_PEC_WIRE_TYPE,
  MHSM_TYPE,
  getManagedHsm,
  hsmFqdnOf,
  isManagedHsmId,
  listConnectionRows,
  syncHsmConnections,
  type ConnectionState,
  type ManagedHsmBody,
  type PrivateEndpointConnectionBody,
} from "./model.js";
import { RESOURCE_TYPES } from "../../../kernel/azure-names.js";

export const PRIVATE_ENDPOINT_TYPE = RESOURCE_TYPES.privateEndpoint;

export type ConnectionStatus = "Pending" | "Approved" | "Rejected" | "Disconnected";

/**
 * An automatically approved connection (a PE created by someone allowed to approve on the HSM), as recorded
 * (azure-cli src/azure-cli/azure/cli/command_modules/keyvault/tests/latest/recordings/test_hsm_private_endpoint_connection.yaml,
 * test_mhsm_private_link_resource.yaml): the HSM side carries no `description`; the PE side shows "Auto Approved" in the
 * 201 of its create and `""` once the operation finished — hsmlink finishes at once, so the PE side is `""`.
 */
export const AUTO_APPROVED_HSM_SIDE: ConnectionState = { status: "Approved", actionsRequired: "None" };

export interface PrivateLinkRequest {
  hsmId: string;
  privateEndpointId: string;
  privateEndpointLocation: string;
  connectionName: string;
  manual: boolean;
  requestMessage?: string;
  groupIds: string[];
}

/** A PE-side connection entry (`PrivateLinkServiceConnection`, control-plane.md §4.3). */
interface PeConnectionEntry {
  name?: string;
  id?: string;
  type?: string;
  etag?: string;
  properties?: {
    privateLinkServiceId?: string;
    groupIds?: string[];
    requestMessage?: string;
    provisioningState?: string;
    privateLinkServiceConnectionState?: ConnectionState;
  };
}

interface PeBody {
  etag?: string;
  properties?: {
    privateLinkServiceConnections?: PeConnectionEntry[];
    manualPrivateLinkServiceConnections?: PeConnectionEntry[];
  };
}

function lastName(id: string): string {
  const parts = id.split("/").filter(Boolean);
  return parts[parts.length - 1] ?? id;
}

/** The HSM-side connection row that belongs to this PE on this HSM, if any. */
export function connectionForPrivateEndpoint(
  ctx: Pick<ArmContext, "store">,
  hsmId: string,
  privateEndpointId: string,
): StoredResource<PrivateEndpointConnectionBody> | undefined {
  return listConnectionRows(ctx.store, hsmId).find((r) =>
    sameId(r.body.properties.privateEndpoint.id, privateEndpointId),
  );
}

/**
 * Validates target (exists, not deleted, groupIds == ['managedhsm'] case-insensitive, ≤ ctx.config.maxPrivateEndpointsPerHsm
 * PEs on this HSM, ≤ ctx.config.maxHsmsWithPrivateEndpointsPerSubscription HSMs with PEs) and creates the HSM-side
 * connection (Approved without description for automatic, Pending with the request message for manual). Returns the state
 * the PE side must show and the HSM-side connection name. Throws AzureError (ARM surface) with Azure-style codes
 * otherwise. Must run inside the caller's transaction.
 *
 * Connection name = the PE's connection name (control-plane.md §0.5). When another PE already uses that name on this
 * HSM, the name becomes `{connectionName}-{peName}` (then `-2`, `-3`, …): deterministic and still recognisable.
 * Calling it again for a PE already connected to this HSM returns the existing connection unchanged.
 *
 * Errors (codes chosen where Azure's are not recorded, control-plane.md §10):
 * - 400 `MissingParameterOnPrivateLinkServiceConnection` — no group id (real network RP wording);
 * - 400 `InvalidResourceReference` — the target is not a live managed HSM (missing, soft-deleted, other type);
 * - 400 `OnlyOneGroupIdPermitted` — more than one group id (network RP wording, field report);
 * - 400 `BadRequest` — a group id other than `managedhsm`, or an empty connection name;
 * - 400 `QuotaExceeded` — over either private endpoint limit (doc "Limitations and Design Considerations").
 */
export function connectPrivateEndpoint(
  ctx: ArmContext,
  req: PrivateLinkRequest,
): {
  connectionId: string;
  state: { status: string; description: string; actionsRequired: string };
  hsmName: string;
  hsmFqdn: string;
} {
  const connectionName = typeof req.connectionName === "string" ? req.connectionName.trim() : "";
  if (!connectionName)
    throw armErrors.BadRequest(`Private link service connection of ${req.privateEndpointId} must have a name.`);
  const groupIds = Array.isArray(req.groupIds) ? req.groupIds : [];
  if (groupIds.length === 0)
    throw armErrors.MissingParameterOnPrivateLinkServiceConnection(
      `${req.privateEndpointId}/privateLinkServiceConnections/${connectionName}`,
    );
  const hsm = isManagedHsmId(req.hsmId) ? getManagedHsm(ctx.store, req.hsmId) : undefined;
  if (!hsm) throw armErrors.PrivateLinkTargetNotFound(req.hsmId, req.privateEndpointId);
  if (groupIds.length > 1) {
    throw armErrors.OnlyOneGroupIdPermitted(
      `${req.privateEndpointId}/privateLinkServiceConnections/${connectionName}`,
      groupIds.map(String),
      hsm.id,
    );
  }
  if (typeof groupIds[0] !== "string" || groupIds[0].toLowerCase() !== MHSM_GROUP_ID) {
    throw armErrors.BadRequest(
      `Call to ${MHSM_TYPE} failed. Error message: Invalid group id(s) '${groupIds.join(",")}'. A managed HSM has one private link resource, group id '${MHSM_GROUP_ID}'.`,
    );
  }

  const existing = connectionForPrivateEndpoint(ctx, hsm.id, req.privateEndpointId);
  if (existing) {
    return {
      connectionId: existing.id,
      state: peSideState(existing.body.properties.privateLinkServiceConnectionState),
      hsmName: hsm.name,
      hsmFqdn: hsmFqdnOf(hsm.name),
    };
  }

  const rows = listConnectionRows(ctx.store, hsm.id);
  const endpoints = new Set(rows.map((r) => r.body.properties.privateEndpoint.id.toLowerCase()));
  if (endpoints.size >= ctx.config.maxPrivateEndpointsPerHsm) {
    throw armErrors.QuotaExceeded(
      `Managed HSM '${hsm.name}' already has ${endpoints.size} private endpoints; the limit is ${ctx.config.maxPrivateEndpointsPerHsm} private endpoints per managed HSM.`,
    );
  }
  if (rows.length === 0) {
    const withEndpoints = ctx.store.resources
      .list<ManagedHsmBody>(MHSM_TYPE, { subscriptionId: hsm.subscriptionId })
      .filter((h) => listConnectionRows(ctx.store, h.id).length > 0).length;
    if (withEndpoints >= ctx.config.maxHsmsWithPrivateEndpointsPerSubscription) {
      throw armErrors.QuotaExceeded(
        `Subscription '${hsm.subscriptionId}' already has ${withEndpoints} managed HSMs with private endpoints; the limit is ${ctx.config.maxHsmsWithPrivateEndpointsPerSubscription} per subscription (adjustable).`,
      );
    }
  }

  const taken = new Set(rows.map((r) => r.name.toLowerCase()));
  const peName = lastName(req.privateEndpointId);
  let name = connectionName;
  if (taken.has(name.toLowerCase())) {
    name = `${connectionName}-${peName}`;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${connectionName}-${peName}-${n}`;
  }

  const state: ConnectionState = req.manual
    ? { status: "Pending", description: req.requestMessage ?? "", actionsRequired: "None" }
    : { ...AUTO_APPROVED_HSM_SIDE };
  const id = `${hsm.id}/privateEndpointConnections/${name}`;
  const body: PrivateEndpointConnectionBody = {
    id,
    name,
    type: MHSM_PEC_WIRE_TYPE,
    location: hsm.body.location,
    properties: {
      provisioningState: "Succeeded",
      privateEndpoint: { id: req.privateEndpointId },
      privateLinkServiceConnectionState: state,
    },
  };
  ctx.store.resources.put(
    {
      id,
      type: MHSM_PEC_TYPE,
      name,
      parentId: hsm.id,
      subscriptionId: hsm.subscriptionId,
      resourceGroup: hsm.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
  syncHsmConnections(ctx, hsm.id);
  return { connectionId: id, state: peSideState(state), hsmName: hsm.name, hsmFqdn: hsmFqdnOf(hsm.name) };
}

/** The PE-side view of an HSM-side state (the PE side always carries a description, `""` when the HSM side has none). */
function peSideState(state: ConnectionState): { status: string; description: string; actionsRequired: string } {
  return { status: state.status, description: state.description ?? "", actionsRequired: state.actionsRequired };
}

/** The PE was deleted: remove its HSM-side connection(s). */
export function disconnectPrivateEndpoint(ctx: ArmContext, privateEndpointId: string): void {
  const rows = ctx.store.resources
    .list<PrivateEndpointConnectionBody>(MHSM_PEC_TYPE)
    .filter((r) => sameId(r.body.properties?.privateEndpoint?.id, privateEndpointId));
  const hsms = new Set<string>();
  for (const r of rows) {
    ctx.store.resources.delete(r.id);
    if (r.parentId) hsms.add(r.parentId);
  }
  for (const h of hsms) syncHsmConnections(ctx, h);
}

const STATUSES: ConnectionStatus[] = ["Pending", "Approved", "Rejected", "Disconnected"];

/**
 * Approves, rejects (or re-describes) an HSM-side connection, as `PUT …/privateEndpointConnections/{c}` does, and mirrors
 * the new state onto the PE side. The connection gets a new bare-hex etag and `provisioningState: Succeeded` at once.
 * @param requested the client's `privateLinkServiceConnectionState` (its `status` is required)
 * @returns the updated connection body
 * @throws AzureError 400 `BadRequest` for an unknown status or a forbidden transition (Rejected → anything else:
 *   "Approving rejected private endpoint connections is not supported.", FC-24; back to Pending; to Disconnected)
 */
export function setConnectionState(
  ctx: ArmContext,
  connection: StoredResource<PrivateEndpointConnectionBody>,
  requested: { status?: unknown; description?: unknown; actionsRequired?: unknown },
): PrivateEndpointConnectionBody {
  const raw = requested.status;
  const status = typeof raw === "string" ? STATUSES.find((s) => s.toLowerCase() === raw.toLowerCase()) : undefined;
  if (!status) {
    throw armErrors.BadRequest(
      raw === undefined || raw === null
        ? "Property properties.privateLinkServiceConnectionState.status is required."
        : `Invalid private endpoint connection status '${String(raw)}'. Allowed values are 'Pending', 'Approved' and 'Rejected'.`,
    );
  }
  if (
    requested.description !== undefined &&
    requested.description !== null &&
    typeof requested.description !== "string"
  ) {
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'privateLinkServiceConnectionState.description must be a string.'.",
    );
  }
  const current = connection.body.properties.privateLinkServiceConnectionState.status as ConnectionStatus;
  if (status === "Disconnected") {
    throw armErrors.BadRequest(
      "A private endpoint connection cannot be set to 'Disconnected'. Delete the private endpoint connection instead.",
    );
  }
  if (current === "Rejected" && status === "Approved")
    throw armErrors.BadRequest("Approving rejected private endpoint connections is not supported.");
  if (current === "Rejected" && status === "Pending") {
    throw armErrors.BadRequest(
      "A rejected private endpoint connection cannot be moved back to 'Pending'. Delete it and re-create the private endpoint.",
    );
  }
  if (current === "Approved" && status === "Pending")
    throw armErrors.BadRequest("An approved private endpoint connection cannot be moved back to 'Pending'.");

  const state: ConnectionState = {
    status,
    description: typeof requested.description === "string" ? requested.description : "",
    actionsRequired:
      typeof requested.actionsRequired === "string" && requested.actionsRequired ? requested.actionsRequired : "None",
  };
  const b = connection.body;
  const body: PrivateEndpointConnectionBody = {
    id: b.id,
    name: b.name,
    type: b.type,
    location: b.location,
    etag: randomHex(16),
    properties: {
      provisioningState: "Succeeded",
      privateEndpoint: { id: b.properties.privateEndpoint.id },
      privateLinkServiceConnectionState: state,
    },
  };
  putConnection(ctx, connection, body);
  const hsmId = hsmIdOfConnection(connection);
  syncHsmConnections(ctx, hsmId);
  mirrorToPrivateEndpoint(ctx, b.properties.privateEndpoint.id, hsmId, state);
  return body;
}

/**
 * Deletes an HSM-side connection (`DELETE …/privateEndpointConnections/{c}`); the PE stays, its side `Disconnected` (FC-29).
 */
export function deleteConnection(ctx: ArmContext, connection: StoredResource<PrivateEndpointConnectionBody>): void {
  const hsmId = hsmIdOfConnection(connection);
  const hsm = getManagedHsm(ctx.store, hsmId);
  ctx.store.resources.delete(connection.id);
  syncHsmConnections(ctx, hsmId);
  mirrorToPrivateEndpoint(ctx, connection.body.properties.privateEndpoint.id, hsmId, {
    status: "Disconnected",
    description: `The private endpoint connection was deleted by the owner of managed HSM '${hsm?.name ?? lastName(hsmId)}'.`,
    actionsRequired: "None",
  });
}

/**
 * The HSM is being (soft-)deleted: every HSM-side connection goes and every PE side becomes `Disconnected` for good —
 * a recovered or re-created HSM is a new instance the old PEs do not reattach to (FC-30).
 */
export function dropAllConnections(ctx: ArmContext, hsmId: string): void {
  const hsm = getManagedHsm(ctx.store, hsmId);
  const name = hsm?.name ?? lastName(hsmId);
  for (const r of listConnectionRows(ctx.store, hsmId)) {
    ctx.store.resources.delete(r.id);
    mirrorToPrivateEndpoint(ctx, r.body.properties.privateEndpoint.id, hsmId, {
      status: "Disconnected",
      description: `The managed HSM '${name}' was deleted. Re-create the private endpoint after recovering or re-creating the HSM.`,
      actionsRequired: "None",
    });
  }
  syncHsmConnections(ctx, hsmId);
}

/** The HSM id of a connection row, in the HSM's stored casing. */
function hsmIdOfConnection(c: StoredResource<PrivateEndpointConnectionBody>): string {
  return c.id.replace(/\/privateEndpointConnections\/[^/]+$/i, "");
}

function putConnection(
  ctx: ArmContext,
  row: StoredResource<PrivateEndpointConnectionBody>,
  body: PrivateEndpointConnectionBody,
): void {
  ctx.store.resources.put(
    {
      id: row.id,
      type: MHSM_PEC_TYPE,
      name: row.name,
      parentId: row.parentId,
      subscriptionId: row.subscriptionId,
      resourceGroup: row.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/**
 * Writes `state` onto the PE's connection entries that target `hsmId` (both arrays; a manual connection stays in the
 * manual array), with a new `W/"guid"` etag on the entry and on the PE. A PE that no longer exists is left alone.
 */
function mirrorToPrivateEndpoint(
  ctx: ArmContext,
  privateEndpointId: string,
  hsmId: string,
  state: ConnectionState,
): void {
  const pe = ctx.store.resources.get<PeBody>(privateEndpointId);
  if (!pe || pe.type.toLowerCase() !== PRIVATE_ENDPOINT_TYPE.toLowerCase()) return;
  const body = structuredClone(pe.body);
  let changed = false;
  for (const list of [
    body.properties?.privateLinkServiceConnections,
    body.properties?.manualPrivateLinkServiceConnections,
  ]) {
    for (const entry of list ?? []) {
      if (!entry.properties || !sameId(entry.properties.privateLinkServiceId, hsmId)) continue;
      entry.properties.privateLinkServiceConnectionState = peSideState(state);
      if (entry.etag !== undefined) entry.etag = `W/"${newGuid()}"`;
      changed = true;
    }
  }
  if (!changed) return;
  if (typeof body.etag === "string") body.etag = `W/"${newGuid()}"`;
  const p = parseResourceId(pe.id);
  ctx.store.resources.put(
    {
      id: pe.id,
      type: PRIVATE_ENDPOINT_TYPE,
      name: pe.name,
      parentId: pe.parentId,
      subscriptionId: p?.subscriptionId ?? pe.subscriptionId,
      resourceGroup: p?.resourceGroup ?? pe.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
  // Zone groups write records only for usable connections, so a state change moves the A records with it.
  refreshZoneGroupRecords(ctx, pe.id);
}
