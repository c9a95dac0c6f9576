/**
 * Resource groups (Microsoft.Resources, control-plane.md §6.2): PUT 201/200, GET, HEAD 204/404, PATCH tags,
 * list, and DELETE as an LRO that removes everything inside, dependents first, like Azure.
 * Also the generic resource lists `az resource list` uses.
 */
import type { ArmRouter, ArmContext, ArmRequest } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { resourceGroupId, parseResourceId } from "../../../kernel/resource-ids.js";
import { resourceGroupDeleteAccepted } from "../../lro.js";
import type { StoredResource } from "../../../store/resources.js";
import { deleteAssignmentsUnder } from "../../../store/role-assignments.js";
import { RESOURCE_TYPES, normalizeLocation } from "../../../kernel/azure-names.js";

const RG_TYPE = RESOURCE_TYPES.resourceGroup;

interface ResourceGroupBody {
  id: string;
  name: string;
  type: string;
  location: string;
  tags?: Record<string, string>;
  managedBy?: string;
  properties: { provisioningState: string };
}

/** Azure's resource group name rule: 1-90 of letters, digits, `_ - . ( )` (Unicode letters allowed), not ending in `.`. */
export function validResourceGroupName(name: string): boolean {
  return name.length >= 1 && name.length <= 90 && /^[-\w._()\p{L}]+$/u.test(name) && !name.endsWith(".");
}

function validateTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== "object" || Array.isArray(tags))
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'tags must be an object of strings.'.",
    );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
      throw armErrors.InvalidRequestContent(
        `The request content was invalid and could not be deserialized: 'tag '${k}' must be a string.'.`,
      );
    if (k.length > 512 || String(v).length > 256)
      throw armErrors.BadRequest(
        `The tag name '${k.slice(0, 40)}' or its value exceeds the maximum length (512 and 256 characters).`,
      );
    out[k] = String(v);
  }
  if (Object.keys(out).length > 50) throw armErrors.BadRequest("The number of tags exceeds the maximum of 50.");
  return out;
}

/** The stored resource group, or throws ResourceGroupNotFound. */
export function requireResourceGroup(
  ctx: ArmContext,
  subscriptionId: string,
  name: string,
): StoredResource<ResourceGroupBody> {
  const rg = ctx.store.resources.get<ResourceGroupBody>(resourceGroupId(subscriptionId, name));
  if (!rg) throw armErrors.ResourceGroupNotFound(name);
  return rg;
}

/**
 * Deletes every resource in a resource group with the side effects of each type (dependents first), then anything left.
 * Runs inside the caller's transaction.
 */
export function deleteResourceGroupContents(ctx: ArmContext, subscriptionId: string, rg: string): void {
  const deleters = [...ctx.deleters].sort((a, b) => a.order - b.order);
  for (const d of deleters) {
    for (const r of ctx.store.resources.list(d.type, { subscriptionId, resourceGroup: rg })) {
      if (ctx.store.resources.get(r.id)) d.remove(ctx, r.id);
    }
  }
  for (const r of ctx.store.resources.listInResourceGroup(subscriptionId, rg)) ctx.store.resources.delete(r.id);
}

function rgResponse(rg: StoredResource<ResourceGroupBody>): ResourceGroupBody {
  return rg.body;
}

function genericResourceView(r: StoredResource): Record<string, unknown> {
  const b = r.body as Record<string, unknown>;
  const out: Record<string, unknown> = { id: b.id ?? r.id, name: b.name ?? r.name, type: b.type ?? r.type };
  for (const k of ["kind", "location", "managedBy", "sku", "tags", "etag"]) if (b[k] !== undefined) out[k] = b[k];
  return out;
}

export function registerResourceGroups(router: ArmRouter): void {
  const rgPath = "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}";

  router.add("PUT", rgPath, (req: ArmRequest, ctx) => {
    const name = req.params.resourceGroupName;
    if (name.length > 90) throw armErrors.ResourceGroupNameTooLong(name);
    if (!validResourceGroupName(name)) throw armErrors.InvalidResourceGroupName(name);
    const body = requireObjectBody(req);
    if (body.location === undefined || body.location === null || body.location === "")
      throw armErrors.LocationRequired();
    const location = normalizeLocation(body.location);
    if (!location || location === "global") throw armErrors.InvalidLocation(String(body.location));
    const tags = validateTags(body.tags);
    const id = resourceGroupId(ctx.subscriptionId, name);
    const existing = ctx.store.resources.get<ResourceGroupBody>(id);
    if (existing && existing.body.location !== location)
      throw armErrors.InvalidResourceGroupLocation(existing.name, existing.body.location, location);
    const rg: ResourceGroupBody = {
      id: existing?.id ?? id,
      name: existing?.name ?? name,
      type: RG_TYPE,
      location,
      ...(tags ? { tags } : existing?.body.tags ? {} : {}),
      ...(typeof body.managedBy === "string" ? { managedBy: body.managedBy } : {}),
      properties: { provisioningState: "Succeeded" },
    };
    if (tags) rg.tags = tags;
    ctx.store.tx(() =>
      ctx.store.resources.put(
        {
          id: rg.id,
          type: RG_TYPE,
          name: rg.name,
          subscriptionId: ctx.subscriptionId,
          resourceGroup: rg.name,
          body: rg,
        },
        ctx.clock.now(),
      ),
    );
    return { status: existing ? 200 : 201, body: rg };
  });

  router.add("GET", rgPath, (req, ctx) => ({
    status: 200,
    body: rgResponse(requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName)),
  }));

  router.add("HEAD", rgPath, (req, ctx) => ({
    status: ctx.store.resources.get(resourceGroupId(ctx.subscriptionId, req.params.resourceGroupName)) ? 204 : 404,
  }));

  router.add("PATCH", rgPath, (req, ctx) => {
    const rg = requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName);
    const body = requireObjectBody(req);
    if (body.location !== undefined && normalizeLocation(body.location) !== rg.body.location) {
      throw armErrors.InvalidResourceGroupLocation(rg.name, rg.body.location, String(body.location));
    }
    const tags = validateTags(body.tags);
    const next = { ...rg.body, ...(tags ? { tags } : {}) };
    ctx.store.tx(() =>
      ctx.store.resources.put(
        {
          id: rg.id,
          type: RG_TYPE,
          name: rg.name,
          subscriptionId: rg.subscriptionId,
          resourceGroup: rg.name,
          body: next,
        },
        ctx.clock.now(),
      ),
    );
    return { status: 200, body: next };
  });

  router.add("DELETE", rgPath, (req, ctx) => {
    const rg = requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName);
    ctx.store.tx(() => {
      deleteResourceGroupContents(ctx, ctx.subscriptionId, rg.name);
      ctx.store.resources.delete(rg.id);
      // Role assignments scoped to the group or inside it go with it.
      deleteAssignmentsUnder(ctx.store.db, rg.id);
    });
    return resourceGroupDeleteAccepted(ctx.operations, {
      baseUrl: req.baseUrl,
      subscriptionId: ctx.subscriptionId,
      apiVersion: req.apiVersion,
    });
  });

  router.add("GET", "/subscriptions/{subscriptionId}/resourcegroups", (_req, ctx) => ({
    status: 200,
    body: {
      value: ctx.store.resources
        .list<ResourceGroupBody>(RG_TYPE, { subscriptionId: ctx.subscriptionId })
        .map(rgResponse),
    },
  }));

  router.add("GET", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}/resources", (req, ctx) => {
    const rg = requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName);
    const items = ctx.store.resources
      .listInResourceGroup(ctx.subscriptionId, rg.name)
      .filter((r) => r.type.toLowerCase() !== RG_TYPE.toLowerCase() && isTopLevel(r.id));
    return { status: 200, body: { value: items.map(genericResourceView) } };
  });

  router.add("GET", "/subscriptions/{subscriptionId}/resources", (_req, ctx) => {
    const items = ctx.store.resources
      .listInResourceGroups(ctx.subscriptionId)
      .filter((r) => r.type.toLowerCase() !== RG_TYPE.toLowerCase() && isTopLevel(r.id));
    return { status: 200, body: { value: items.map(genericResourceView) } };
  });
}

function isTopLevel(id: string): boolean {
  const p = parseResourceId(id);
  return !!p && p.segments.length === 1;
}
