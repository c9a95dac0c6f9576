/**
 * The HSM side of private endpoint connections (control-plane.md §3.4; §2 rows 16–18b), shaped as recorded in azure-cli
 * src/azure-cli/azure/cli/command_modules/keyvault/tests/latest/recordings/test_hsm_private_endpoint_connection.yaml:
 * - list: `MHSMPrivateEndpointConnectionItem`s (`id`, `etag`, `properties`; no name, type or location);
 * - approve/reject (PUT): 200 with `provisioningState: Updating`, a new etag and `Azure-AsyncOperation: <connection
 *   URL>&kv-operation=…`; the change is committed at once, so the GETs az 2.45 then polls answer `Succeeded` (the real
 *   service stays Updating for seconds);
 * - delete: 202 + `Location: <connection URL>&kv-operation=…`, the poll answers 204.
 * The state rules and the PE-side mirroring live in ../private-link/connections.ts.
 */
import type { ArmContext, ArmRequest, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { canonicalPath } from "../../lro.js";
import type { StoredResource } from "../../../store/resources.js";
import { deleteConnection, setConnectionState } from "./private-link.js";
import {
  connectionItem,
  listConnectionRows,
  MHSM_PEC_WIRE_TYPE,
  MHSM_TYPE,
  requireManagedHsm,
  type PrivateEndpointConnectionBody,
} from "./model.js";

const DELETE_OPERATION = Buffer.from(JSON.stringify({ code: "DeletePrivateEndpointConnection" })).toString("base64");
/** The `kv-operation` of an approve/reject's Azure-AsyncOperation URL (hsmlink's encoding; the real value is opaque). */
const UPDATE_OPERATION = Buffer.from(JSON.stringify({ code: "UpdatePrivateEndpointConnection" })).toString("base64");

function requireConnection(req: ArmRequest, ctx: ArmContext): StoredResource<PrivateEndpointConnectionBody> {
  const hsm = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
  const c = ctx.store.resources.get<PrivateEndpointConnectionBody>(
    `${hsm.id}/privateEndpointConnections/${req.params.privateEndpointConnectionName}`,
  );
  if (!c || c.type.toLowerCase() !== MHSM_PEC_WIRE_TYPE.toLowerCase()) {
    throw armErrors.ResourceNotFound(
      `${MHSM_TYPE}/${hsm.name}/privateEndpointConnections/${req.params.privateEndpointConnectionName}`,
      req.params.resourceGroupName,
    );
  }
  return c;
}

/** Registers the connection routes below `hsmPath` (`…/managedHSMs/{name}`). */
export function registerPrivateEndpointConnectionRoutes(router: ArmRouter, hsmPath: string): void {
  const pecPath = `${hsmPath}/privateEndpointConnections/{privateEndpointConnectionName}`;

  router.add("GET", `${hsmPath}/privateEndpointConnections`, (req, ctx) => {
    const hsm = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
    return { status: 200, body: { value: listConnectionRows(ctx.store, hsm.id).map((r) => connectionItem(r.body)) } };
  });

  router.add("GET", pecPath, (req, ctx) => {
    // The poll of a connection delete or update (real shape: the connection URL plus `kv-operation`); both committed
    // already: a delete answers 204 (recorded), an update the connection, Succeeded, with the operation status.
    const op = req.query["kv-operation"];
    if (op !== undefined) {
      requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
      if (op !== UPDATE_OPERATION) return { status: 204 };
      return { status: 200, body: { ...requireConnection(req, ctx).body, status: "Succeeded" } };
    }
    return { status: 200, body: requireConnection(req, ctx).body };
  });

  router.add("PUT", pecPath, (req, ctx) => {
    const body = requireObjectBody(req);
    const props = body.properties;
    if (props === undefined || props === null || typeof props !== "object" || Array.isArray(props))
      throw armErrors.BadRequest("Property properties is required.");
    const state = (props as Record<string, unknown>).privateLinkServiceConnectionState;
    if (state === undefined || state === null || typeof state !== "object" || Array.isArray(state)) {
      throw armErrors.BadRequest("Property properties.privateLinkServiceConnectionState is required.");
    }
    let updated: PrivateEndpointConnectionBody | undefined;
    ctx.store.tx(() => {
      const c = requireConnection(req, ctx);
      const ifMatch = req.headers["if-match"];
      if (ifMatch && ifMatch !== "*" && ifMatch.replace(/^W\//, "").replace(/"/g, "") !== (c.body.etag ?? "")) {
        throw armErrors.PreconditionFailed(
          `The etag '${ifMatch}' does not match the current etag of private endpoint connection '${c.name}'.`,
        );
      }
      // Client-sent provisioningState and privateEndpoint are read-only: ignored (control-plane.md §2.1).
      updated = setConnectionState(ctx, c, state as Record<string, unknown>);
    });
    const url = `${req.baseUrl}${req.path}?api-version=${encodeURIComponent(req.apiVersion)}&kv-operation=${encodeURIComponent(UPDATE_OPERATION)}`;
    const answered = { ...updated!, properties: { ...updated!.properties, provisioningState: "Updating" } };
    return { status: 200, headers: { "Azure-AsyncOperation": url }, body: answered };
  });

  router.add("DELETE", pecPath, (req, ctx) => {
    const hsm = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
    const c = ctx.store.resources.get<PrivateEndpointConnectionBody>(
      `${hsm.id}/privateEndpointConnections/${req.params.privateEndpointConnectionName}`,
    );
    if (!c) return { status: 204 };
    ctx.store.tx(() => deleteConnection(ctx, c));
    const url = `${req.baseUrl}${canonicalPath(req.path)}?api-version=${encodeURIComponent(req.apiVersion)}&kv-operation=${encodeURIComponent(DELETE_OPERATION)}`;
    return { status: 202, headers: { Location: url, "Retry-After": "1" } };
  });
}
