/**
 * Microsoft.KeyVault/managedHSMs on the ARM side (control-plane.md §2 rows 5–7, 15–18b, 23–29; §3; spec
 * `managedHsm.json` 2022-07-01): create/update/patch/get/list/delete with soft delete, deleted HSMs (list, get,
 * purge, lazy purge at the scheduled date), recover, name availability, private link resources and the HSM side of
 * private endpoint connections.
 *
 * Writes answer in the Key Vault LRO dialect (202 + `Location` to `managedHsmOperationResults`, never 201: az 2.45
 * fails on `Created`); the write is committed before the 202, so the first poll is already terminal.
 *
 * Error codes where Azure's are not recorded (control-plane.md §10), chosen here:
 * - name taken by a live HSM (any resource group) → 409 `ConflictError`;
 * - name held by a soft-deleted HSM → 409 `ConflictError` "A KV MHSM with the same name already exists in deleted
 *   state. You need to either recover or purge existing KV MHSM." (azure-rest-api-specs #18732);
 * - recover with nothing to recover, or into another resource group/location → 409 `ConflictError`;
 * - purge with purge protection on → 409 `ConflictError`;
 * - invalid name → 400 `BadRequest`; missing HSM → 404 `ResourceNotFound`; missing deleted HSM → 404 `NotFound`.
 */
import type { ArmContext, ArmRequest, ArmResult, ArmRouter, CascadeDeleter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { keyVaultAccepted } from "../../lro.js";
import { isoNow } from "../../../kernel/clock.js";
import type { StoredResource } from "../../../store/resources.js";
import {
  DELETED_MHSM_TYPE,
  DELETED_MHSM_WIRE_TYPE,
  MHSM_TYPE,
  actorOf,
  connectionItem,
  deletedManagedHsmId,
  deletedView,
  findDeletedByName,
  findManagedHsmByName,
  getManagedHsm,
  isoSeconds,
  listConnectionRows,
  managedHsmId,
  orderProperties,
  privateLinkResources,
  purgeExpired,
  purgeDeletedHsm,
  putHsm,
  requireManagedHsm,
  type DeletedManagedHsmBody,
  type ManagedHsmBody,
} from "./model.js";
import { buildHsmBody, checkTenant, createModeOf, locationOf, nameProblem } from "./validation.js";
import { registerPrivateEndpointConnectionRoutes } from "./private-endpoint-connections.js";
import { dropAllConnections } from "./private-link.js";
import { normalizeLocation } from "../../../kernel/azure-names.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const KV = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.KeyVault";
const SUB_KV = "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault";

function deletedInStateMessage(): string {
  return "A KV MHSM with the same name already exists in deleted state. You need to either recover or purge existing KV MHSM.";
}

function accepted(req: ArmRequest, ctx: ArmContext, location: string, resourceId?: string): ArmResult {
  return keyVaultAccepted(ctx.operations, {
    baseUrl: req.baseUrl,
    subscriptionId: ctx.subscriptionId,
    location,
    apiVersion: req.apiVersion,
    resourceId,
  });
}

/** `$top` of the list operations: a positive integer, else everything. */
function top<T>(req: ArmRequest, items: T[]): T[] {
  const raw = req.query["$top"];
  if (raw === undefined) return items;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw armErrors.BadRequest(`Invalid value '${raw}' for query parameter '$top': a positive integer is expected.`);
  return items.slice(0, n);
}

/**
 * Soft-deletes an HSM: its private endpoint connections go (every PE side `Disconnected`), a deleted-HSM record is kept
 * until `deletion + softDeleteRetentionInDays` (by `ctx.clock`), and the resource disappears. Runs in the caller's
 * transaction; also the resource-group cascade.
 */
export function softDeleteManagedHsm(ctx: ArmContext, hsmId: string): void {
  const hsm = getManagedHsm(ctx.store, hsmId);
  if (!hsm) return;
  dropAllConnections(ctx, hsm.id);
  const fresh = getManagedHsm(ctx.store, hsm.id)!;
  const now = ctx.clock.now();
  const { privateEndpointConnections: _dropped, ...props } = fresh.body.properties;
  void _dropped;
  const original: ManagedHsmBody = { ...fresh.body, properties: orderProperties(props) };
  const loc = fresh.body.location;
  const id = deletedManagedHsmId(ctx.subscriptionId, loc, fresh.name);
  const body: DeletedManagedHsmBody = {
    id,
    name: fresh.name,
    type: DELETED_MHSM_WIRE_TYPE,
    properties: {
      mhsmId: fresh.id,
      location: loc,
      deletionDate: isoSeconds(now),
      scheduledPurgeDate: isoSeconds(now + fresh.body.properties.softDeleteRetentionInDays * DAY_MS),
      purgeProtectionEnabled: fresh.body.properties.enablePurgeProtection,
      tags: fresh.body.tags ?? {},
    },
    "x-hsmlink-original": original,
  };
  ctx.store.resources.delete(id);
  ctx.store.resources.put(
    { id, type: DELETED_MHSM_TYPE, name: fresh.name, subscriptionId: ctx.subscriptionId, body },
    now,
  );
  ctx.store.resources.delete(fresh.id);
}

async function putManagedHsm(req: ArmRequest, ctx: ArmContext): Promise<ArmResult> {
  const rg = req.params.resourceGroupName;
  const name = req.params.name;
  const problem = nameProblem(name);
  if (problem) throw armErrors.BadRequest(problem);
  const body = requireObjectBody(req);
  const mode = createModeOf(body);
  let location = "";
  let resourceId = "";
  let created = "";
  ctx.store.tx(() => {
    purgeExpired(ctx, true);
    const id = managedHsmId(ctx.subscriptionId, rg, name);
    const current = getManagedHsm(ctx.store, id);
    if (mode === "recover") {
      const restored = recover(ctx, req, body, rg, name);
      location = restored.location;
      resourceId = restored.id;
      return;
    }
    if (!current) {
      const elsewhere = findManagedHsmByName(ctx.store, name, ctx.subscriptionId);
      if (elsewhere) {
        throw armErrors.ConflictError(
          `The managed HSM name '${name}' is already in use. Managed HSM names are globally unique, so it is possible that the name is already taken.`,
        );
      }
      if (findDeletedByName(ctx, name)) throw armErrors.ConflictError(deletedInStateMessage());
    }
    const next = buildHsmBody({
      ctx,
      id: current?.id ?? id,
      name: current?.name ?? name,
      body,
      principal: req.principal,
      current: current?.body,
      patch: false,
    });
    putHsm(ctx, { id: next.id, name: next.name, subscriptionId: ctx.subscriptionId, resourceGroup: rg }, next);
    location = next.location;
    resourceId = next.id;
    if (!current) created = next.name;
  });
  if (created && ctx.onManagedHsmCreated) await ctx.onManagedHsmCreated(created);
  return accepted(req, ctx, location, resourceId);
}

/**
 * `createMode: recover`: brings back the deleted HSM's original properties, sku and tags (the recover body carries
 * only location, a default sku and tenantId), without its private endpoint connections (FC-30).
 */
function recover(
  ctx: ArmContext,
  req: ArmRequest,
  body: Record<string, unknown>,
  rg: string,
  name: string,
): ManagedHsmBody {
  const props = (body.properties ?? {}) as Record<string, unknown>;
  checkTenant(ctx, props.tenantId, false);
  const deleted = findDeletedByName(ctx, name);
  if (!deleted) {
    if (findManagedHsmByName(ctx.store, name, ctx.subscriptionId))
      throw armErrors.ConflictError(`The managed HSM '${name}' is not deleted; there is nothing to recover.`);
    throw armErrors.ConflictError(`There is no deleted managed HSM named '${name}' to recover.`);
  }
  const original = deleted.body["x-hsmlink-original"];
  if (!original) throw armErrors.ConflictError(`The deleted managed HSM '${name}' cannot be recovered.`);
  const originalRg = original.id.split("/")[4] ?? "";
  if (originalRg.toLowerCase() !== rg.toLowerCase()) {
    throw armErrors.ConflictError(
      `The deleted managed HSM '${name}' belonged to resource group '${originalRg}'; recover it into that resource group.`,
    );
  }
  if (
    body.location !== undefined &&
    body.location !== null &&
    body.location !== "" &&
    locationOf(body.location) !== original.location
  ) {
    throw armErrors.ConflictError(
      `The deleted managed HSM '${name}' is in location '${original.location}'; recover it with that location.`,
    );
  }
  const actor = actorOf(req.principal);
  const restored: ManagedHsmBody = {
    ...original,
    id: managedHsmId(ctx.subscriptionId, rg, original.name),
    systemData: {
      ...original.systemData,
      lastModifiedBy: actor.by,
      lastModifiedByType: actor.byType,
      lastModifiedAt: isoNow(ctx.clock),
    },
  };
  putHsm(
    ctx,
    { id: restored.id, name: restored.name, subscriptionId: ctx.subscriptionId, resourceGroup: rg },
    restored,
  );
  ctx.store.resources.delete(deleted.id);
  return restored;
}

/** Registers every managed HSM route and the resource-group cascade (order 50: after private endpoints at 10). */
export function registerManagedHsms(router: ArmRouter, deleters: CascadeDeleter[]): void {
  const hsmPath = `${KV}/managedHSMs/{name}`;

  router.add("PUT", hsmPath, putManagedHsm);

  router.add("PATCH", hsmPath, (req, ctx) => {
    const body = requireObjectBody(req);
    let location = "";
    let resourceId = "";
    ctx.store.tx(() => {
      const current = requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name);
      const next = buildHsmBody({
        ctx,
        id: current.id,
        name: current.name,
        body,
        principal: req.principal,
        current: current.body,
        patch: true,
      });
      putHsm(ctx, current, next);
      location = next.location;
      resourceId = next.id;
    });
    return accepted(req, ctx, location, resourceId);
  });

  router.add("GET", hsmPath, (req, ctx) => ({
    status: 200,
    body: requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name).body,
  }));

  router.add("DELETE", hsmPath, (req, ctx) => {
    const hsm = getManagedHsm(
      ctx.store,
      managedHsmId(ctx.subscriptionId, req.params.resourceGroupName, req.params.name),
    );
    if (!hsm) return { status: 204 };
    ctx.store.tx(() => softDeleteManagedHsm(ctx, hsm.id));
    return accepted(req, ctx, hsm.body.location);
  });

  router.add("GET", `${KV}/managedHSMs`, (req, ctx) => ({
    status: 200,
    body: {
      value: top(
        req,
        ctx.store.resources
          .list<ManagedHsmBody>(MHSM_TYPE, {
            subscriptionId: ctx.subscriptionId,
            resourceGroup: req.params.resourceGroupName,
          })
          .map((r) => r.body),
      ),
    },
  }));

  router.add("GET", `${SUB_KV}/managedHSMs`, (req, ctx) => ({
    status: 200,
    body: {
      value: top(
        req,
        ctx.store.resources.list<ManagedHsmBody>(MHSM_TYPE, { subscriptionId: ctx.subscriptionId }).map((r) => r.body),
      ),
    },
  }));

  router.add("GET", `${SUB_KV}/deletedManagedHSMs`, (_req, ctx) => {
    purgeExpired(ctx);
    return {
      status: 200,
      body: {
        value: ctx.store.resources
          .list<DeletedManagedHsmBody>(DELETED_MHSM_TYPE, { subscriptionId: ctx.subscriptionId })
          .map(deletedView),
      },
    };
  });

  const deletedPath = `${SUB_KV}/locations/{location}/deletedManagedHSMs/{name}`;
  const requireDeleted = (req: ArmRequest, ctx: ArmContext): StoredResource<DeletedManagedHsmBody> => {
    purgeExpired(ctx);
    const loc = normalizeLocation(req.params.location) ?? req.params.location;
    const d = ctx.store.resources.get<DeletedManagedHsmBody>(
      deletedManagedHsmId(ctx.subscriptionId, loc, req.params.name),
    );
    if (!d || d.type.toLowerCase() !== DELETED_MHSM_TYPE.toLowerCase()) {
      throw armErrors.NotFound(
        `The deleted managed HSM '${req.params.name}' was not found in location '${req.params.location}'.`,
      );
    }
    return d;
  };

  router.add("GET", deletedPath, (req, ctx) => ({ status: 200, body: deletedView(requireDeleted(req, ctx)) }));

  router.add("POST", `${deletedPath}/purge`, (req, ctx) => {
    const d = requireDeleted(req, ctx);
    if (d.body.properties.purgeProtectionEnabled) {
      throw armErrors.ConflictError(
        `Managed HSM '${d.name}' has purge protection enabled and cannot be purged before its scheduled purge date ${d.body.properties.scheduledPurgeDate}.`,
      );
    }
    ctx.store.tx(() => purgeDeletedHsm(ctx, d));
    return accepted(req, ctx, d.body.properties.location);
  });

  router.add("POST", `${SUB_KV}/checkMhsmNameAvailability`, (req, ctx) => {
    const body = requireObjectBody(req);
    if (typeof body.name !== "string" || body.name === "") throw armErrors.BadRequest("Property name is required.");
    const name = body.name;
    purgeExpired(ctx);
    const problem = nameProblem(name);
    if (problem) return { status: 200, body: { nameAvailable: false, reason: "AccountNameInvalid", message: problem } };
    if (findManagedHsmByName(ctx.store, name, ctx.subscriptionId)) {
      return {
        status: 200,
        body: { nameAvailable: false, reason: "AlreadyExists", message: `The name '${name}' is already in use.` },
      };
    }
    if (findDeletedByName(ctx, name))
      return { status: 200, body: { nameAvailable: false, reason: "AlreadyExists", message: deletedInStateMessage() } };
    return { status: 200, body: { nameAvailable: true } };
  });

  router.add("GET", `${hsmPath}/privateLinkResources`, (req, ctx) => ({
    status: 200,
    body: privateLinkResources(requireManagedHsm(ctx, req.params.resourceGroupName, req.params.name)),
  }));

  registerPrivateEndpointConnectionRoutes(router, hsmPath);

  deleters.push({ type: MHSM_TYPE, order: 50, remove: softDeleteManagedHsm });
}

// Re-exported for other modules' convenience (data plane, troubleshooter).
export { findManagedHsmByName, getManagedHsm, listConnectionRows, connectionItem, requireManagedHsm };
