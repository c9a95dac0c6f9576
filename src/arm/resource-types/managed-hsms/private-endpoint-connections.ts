/**
 * The HSM side of private endpoint connections (control-plane.md §3.4; §2 rows 16–18b): list, get, approve/reject
 * (PUT answers 200 at once with `provisioningState: Succeeded` — az then GETs until Succeeded, so it stops at the first
 * GET), delete (202 + `Location: <connection URL>&kv-operation=…`, the poll answers 204, as the real service does).
 * The state rules and the PE-side mirroring live in ../private-link/connections.ts.
 */
import type { ArmContext, ArmRequest, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import type { StoredResource } from "../../../store/resources.js";
import { deleteConnection, setConnectionState } from "./private-link.js";
import { listConnectionRows, MHSM_PEC_WIRE_TYPE, MHSM_TYPE, requireManagedHsm, type PrivateEndpointConnectionBody } from "./model.js";

const DELETE_OPERATION = Buffer.from(JSON.stringify({ code: "DeletePrivateEndpointConnection" })).toString("base64");

function requireConnection(req: ArmRequest, ctx: ArmContext): StoredResource<PrivateEndpointConnectionBody> {
  const hsm = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
  const c = ctx.store.resources.get<PrivateEndpointConnectionBody>(`${hsm.id}/privateEndpointConnections/${req.params.privateEndpointConnectionName}`);
  if (!c || c.type.toLowerCase() !== MHSM_PEC_WIRE_TYPE.toLowerCase()) {
    throw armErrors.ResourceNotFound(`${MHSM_TYPE}/${hsm.name}/privateEndpointConnections/${req.params.privateEndpointConnectionName}`, req.params.resourceGroupName);
  }
  return c;
}

/** Registers the connection routes below `hsmPath` (`…/managedHSMs/{name}`). */
export function registerPrivateEndpointConnectionRoutes(router: ArmRouter, hsmPath: string): void {
  const pecPath = `${hsmPath}/privateEndpointConnections/{privateEndpointConnectionName}`;

  router.add("GET", `${hsmPath}/privateEndpointConnections`, (req, ctx) => {
    const hsm = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
    // The list returns whole connections (MHSMPrivateEndpointConnection: name, type, location); only the HSM's embedded
    // properties.privateEndpointConnections uses the slimmer item shape.
    return { status: 200, body: { value: listConnectionRows(ctx.store, hsm.id).map((r) => r.body) } };
  });

  router.add("GET", pecPath, (req, ctx) => {
    // The poll of a connection delete (real shape: the connection URL plus `kv-operation`); the delete committed already.
    if (req.query["kv-operation"] !== undefined) {
      requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
      return { status: 204 };
    }
    return { status: 200, body: requireConnection(req, ctx).body };
  });

  router.add("PUT", pecPath, (req, ctx) => {
    const body = requireObjectBody(req);
    const props = body.properties;
    if (props === undefined || props === null || typeof props !== "object" || Array.isArray(props)) throw armErrors.BadRequest("Property properties is required.");
    const state = (props as Record<string, unknown>).privateLinkServiceConnectionState;
    if (state === undefined || state === null || typeof state !== "object" || Array.isArray(state)) {
      throw armErrors.BadRequest("Property properties.privateLinkServiceConnectionState is required.");
    }
    let updated: PrivateEndpointConnectionBody | undefined;
    ctx.store.tx(() => {
      const c = requireConnection(req, ctx);
      const ifMatch = req.headers["if-match"];
      if (ifMatch && ifMatch !== "*" && ifMatch.replace(/^W\//, "").replace(/"/g, "") !== (c.body.etag ?? "")) {
        throw armErrors.PreconditionFailed(`The etag '${ifMatch}' does not match the current etag of private endpoint connection '${c.name}'.`);
      }
      // Client-sent provisioningState and privateEndpoint are read-only: ignored (control-plane.md §2.1).
      updated = setConnectionState(ctx, c, state as Record<string, unknown>);
    });
    return { status: 200, body: updated };
  });

  router.add("DELETE", pecPath, (req, ctx) => {
    const hsm = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
    const c = ctx.store.resources.get<PrivateEndpointConnectionBody>(`${hsm.id}/privateEndpointConnections/${req.params.privateEndpointConnectionName}`);
    if (!c) return { status: 204 };
    ctx.store.tx(() => deleteConnection(ctx, c));
    const url = `${req.baseUrl}${req.path}?api-version=${encodeURIComponent(req.apiVersion)}&kv-operation=${encodeURIComponent(DELETE_OPERATION)}`;
    return { status: 202, headers: { Location: url, "Retry-After": "1" } };
  });
}
