/**
 * Private DNS zones (spec `privatedns.json` 2020-06-01, PrivateZones_*; control-plane.md §5). PUT/PATCH/DELETE
 * answer in the private DNS LRO dialect (202 `{}` + `Azure-AsyncOperation`/`Location`); the write is committed
 * before the answer, so the first poll is terminal. Conditional failures (`If-None-Match: *` on an existing zone,
 * an `If-Match` etag mismatch) end the operation `Failed` with `PreconditionFailed`, as the real service does
 * (recording `test_PutZone_ZoneExistsIfNoneMatchFailure_ExpectError.yaml`); malformed requests get a synchronous 400.
 */
import type { ArmContext, ArmRequest, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { sameId } from "../../../kernel/resource-ids.js";
import type { AzureError } from "../../../kernel/errors.js";
import type { StoredResource } from "../../../store/resources.js";
import {
  ZONE_GROUP_TYPE,
  ZONE_LIMITS,
  ZONE_TYPE,
  dnsAccepted,
  etagMatches,
  header,
  linksOf,
  newDnsEtag,
  pagedList,
  parseTags,
  requireGlobalLocation,
  requireZone,
  rgName,
  validZoneName,
  zoneId,
  type ZoneBody,
} from "./model.js";
import { soaRecordSet, storeRecordSet } from "./record-sets.js";
import type { ZoneGroupBody } from "./zone-groups.js";

/** The conditional-request outcome for a zone write, as the async operation's error (undefined = go ahead). */
function zonePrecondition(
  req: ArmRequest,
  existing: StoredResource<ZoneBody> | undefined,
  zone: string,
): AzureError | undefined {
  const ifNoneMatch = header(req, "if-none-match");
  const ifMatch = header(req, "if-match");
  if (ifNoneMatch !== undefined && existing && etagMatches(ifNoneMatch, existing.body.etag)) {
    return armErrors.PreconditionFailed(`The Zone ${zone} exists already and hence cannot be created again.`);
  }
  if (ifMatch !== undefined) {
    if (!existing) return armErrors.PreconditionFailed(`The Zone ${zone} does not exist.`);
    if (!etagMatches(ifMatch, existing.body.etag))
      return armErrors.PreconditionFailed(`The Zone ${zone} has been modified (etag mismatch).`);
  }
  return undefined;
}

function storeZone(ctx: ArmContext, rg: string, body: ZoneBody): void {
  ctx.store.resources.put(
    { id: body.id, type: ZONE_TYPE, name: body.name, subscriptionId: ctx.subscriptionId, resourceGroup: rg, body },
    ctx.clock.now(),
  );
}

/**
 * Deletes a zone with its record sets and virtual network links (resource-group delete and the zone DELETE after
 * its checks), and empties the `recordSets` that private DNS zone groups show for it. Call inside a transaction.
 */
export function deleteZone(ctx: ArmContext, id: string): void {
  const zone = ctx.store.resources.get<ZoneBody>(id);
  if (!zone) return;
  for (const child of ctx.store.resources.children(zone.id)) ctx.store.resources.delete(child.id);
  ctx.store.resources.delete(zone.id);
  for (const g of ctx.store.resources.list<ZoneGroupBody>(ZONE_GROUP_TYPE)) {
    const configs = g.body.properties.privateDnsZoneConfigs;
    if (!configs.some((c) => sameId(c.properties.privateDnsZoneId, zone.id) && c.properties.recordSets.length > 0))
      continue;
    const body: ZoneGroupBody = {
      ...g.body,
      properties: {
        ...g.body.properties,
        privateDnsZoneConfigs: configs.map((c) =>
          sameId(c.properties.privateDnsZoneId, zone.id)
            ? { ...c, properties: { ...c.properties, recordSets: [] } }
            : c,
        ),
      },
    };
    ctx.store.resources.put(
      {
        id: g.id,
        type: ZONE_GROUP_TYPE,
        name: g.name,
        parentId: g.parentId,
        subscriptionId: g.subscriptionId,
        resourceGroup: g.resourceGroup,
        body,
      },
      ctx.clock.now(),
    );
  }
}

/** Registers the zone routes: PUT/PATCH/GET/DELETE of one zone, lists by resource group and subscription. */
export function registerZones(router: ArmRouter): void {
  const rgZones =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateDnsZones";
  const zonePath = `${rgZones}/{privateZoneName}`;

  router.add("PUT", zonePath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const requested = req.params.privateZoneName;
    if (!validZoneName(requested)) {
      throw armErrors.BadRequest(
        `The zone name '${requested}' is invalid. A private DNS zone name must be a valid DNS name with at least two labels, each of 1 to 63 letters, digits or inner hyphens.`,
      );
    }
    const body = requireObjectBody(req);
    requireGlobalLocation(body, ZONE_TYPE);
    const tags = parseTags(body.tags);
    const id = zoneId(ctx.subscriptionId, rg, requested);
    const existing = ctx.store.resources.get<ZoneBody>(id);
    const failed = zonePrecondition(req, existing, requested);
    if (failed) return dnsAccepted(ctx, req, rg, { error: failed });
    ctx.store.tx(() => {
      if (existing) {
        const next: ZoneBody = { ...existing.body, etag: newDnsEtag() };
        delete next.tags;
        if (tags) next.tags = tags;
        storeZone(ctx, rg, next);
        return;
      }
      const zone: ZoneBody = {
        id,
        name: requested,
        type: ZONE_TYPE,
        etag: newDnsEtag(),
        location: "global",
        ...(tags ? { tags } : {}),
        properties: {
          maxNumberOfRecordSets: ZONE_LIMITS.recordSets,
          maxNumberOfVirtualNetworkLinks: ZONE_LIMITS.links,
          maxNumberOfVirtualNetworkLinksWithRegistration: ZONE_LIMITS.registrationLinks,
          numberOfRecordSets: 0,
          numberOfVirtualNetworkLinks: 0,
          numberOfVirtualNetworkLinksWithRegistration: 0,
          provisioningState: "Succeeded",
        },
      };
      storeZone(ctx, rg, zone);
      const stored = ctx.store.resources.get<ZoneBody>(id)!;
      storeRecordSet(ctx, stored, "SOA", soaRecordSet(stored));
    });
    return dnsAccepted(ctx, req, rg, { resourceId: id });
  });

  router.add("PATCH", zonePath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireZone(ctx, rg, req.params.privateZoneName);
    const body = requireObjectBody(req);
    if (body.location !== undefined && body.location !== null) requireGlobalLocation(body, ZONE_TYPE);
    const tags = parseTags(body.tags);
    const failed = zonePrecondition(req, zone, zone.name);
    if (failed) return dnsAccepted(ctx, req, rg, { error: failed });
    const next: ZoneBody = { ...zone.body, etag: newDnsEtag(), ...(tags ? { tags } : {}) };
    ctx.store.tx(() => storeZone(ctx, rg, next));
    return dnsAccepted(ctx, req, rg, { resourceId: zone.id });
  });

  router.add("GET", zonePath, (req, ctx) => ({
    status: 200,
    body: requireZone(ctx, rgName(ctx, req), req.params.privateZoneName).body,
  }));

  router.add("DELETE", zonePath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = ctx.store.resources.get<ZoneBody>(zoneId(ctx.subscriptionId, rg, req.params.privateZoneName));
    const ifMatch = header(req, "if-match");
    if (!zone) {
      if (ifMatch !== undefined)
        throw armErrors.PreconditionFailed(`The Zone ${req.params.privateZoneName} does not exist.`);
      return { status: 204 };
    }
    if (ifMatch !== undefined && !etagMatches(ifMatch, zone.body.etag))
      throw armErrors.PreconditionFailed(`The Zone ${zone.name} has been modified (etag mismatch).`);
    const links = linksOf(ctx, zone.id);
    if (links.length > 0)
      throw armErrors.CannotDeleteResource(
        links.slice(0, 5).map((l) => `${ZONE_TYPE}/${zone.name}/virtualNetworkLinks/${l.name}`),
      );
    ctx.store.tx(() => deleteZone(ctx, zone.id));
    return dnsAccepted(ctx, req, rg);
  });

  router.add("GET", rgZones, (req, ctx) => {
    const rg = rgName(ctx, req);
    return {
      status: 200,
      body: pagedList(
        req,
        ctx.store.resources
          .list<ZoneBody>(ZONE_TYPE, { subscriptionId: ctx.subscriptionId, resourceGroup: rg })
          .map((z) => z.body),
      ),
    };
  });

  router.add("GET", "/subscriptions/{subscriptionId}/providers/Microsoft.Network/privateDnsZones", (req, ctx) => ({
    status: 200,
    body: pagedList(
      req,
      ctx.store.resources.list<ZoneBody>(ZONE_TYPE, { subscriptionId: ctx.subscriptionId }).map((z) => z.body),
    ),
  }));
}
