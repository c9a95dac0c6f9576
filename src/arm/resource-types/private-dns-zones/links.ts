/**
 * Virtual network links of a private DNS zone (spec `privatedns.json` 2020-06-01, VirtualNetworkLinks_*;
 * control-plane.md §5). Same LRO dialect as zones. Rules a link must pass, each ending the operation `Failed`
 * with the real service's code and wording where known:
 *  - `properties.virtualNetwork.id` names an existing VNet: `BadRequest` "Virtual network resource not found for '{id}'"
 *    (Azure/azure-cli #23351);
 *  - a VNet can't be linked to two zones of the same name (this also forbids a second link from one zone to the
 *    same VNet): `BadRequest` "A virtual network cannot be linked to multiple zones with overlapping namespaces. …"
 *    (Azure/ARO-RP #796; learn.microsoft.com private-link FAQ);
 *  - at most one registration-enabled link per VNet across all zones: `Conflict` "A virtual network can only be
 *    linked to 1 Private DNS zone(s) with auto-registration enabled; conflicting Private DNS zone is '{zoneId}'."
 *    (field report quoted in Azure/terraform-azurerm-caf-enterprise-scale #157);
 *  - 1000 links / 100 registration links per zone: `QuotaExceeded` (code chosen, FC-37 "to verify").
 */
import type { ArmContext, ArmRequest, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { parentIdOf, parseResourceId, resourceTypeOf, sameId } from "../../../kernel/resource-ids.js";
import type { AzureError } from "../../../kernel/errors.js";
import type { StoredResource } from "../../../store/resources.js";
import {
  LINK_TYPE,
  VNET_TYPE,
  ZONE_LIMITS,
  dnsAccepted,
  etagMatches,
  header,
  linksOf,
  newDnsEtag,
  pagedList,
  parseTags,
  propertiesOf,
  refreshZoneCounters,
  requireGlobalLocation,
  requireParentZone,
  rgName,
  type LinkBody,
  type ZoneBody,
} from "./model.js";

const RESOLUTION_POLICIES = ["Default", "NxDomainRedirect"];

interface LinkRequest {
  vnetId?: string;
  registrationEnabled?: boolean;
  resolutionPolicy?: string;
  tags?: Record<string, string>;
}

/** Validates the shape of a link body (synchronous 400s). `full` = PUT (virtual network required). */
function parseLinkBody(req: ArmRequest, full: boolean): LinkRequest {
  const body = requireObjectBody(req);
  if (full || (body.location !== undefined && body.location !== null)) requireGlobalLocation(body, LINK_TYPE);
  const p = propertiesOf(body);
  const out: LinkRequest = { tags: parseTags(body.tags) };
  const vnet = p.virtualNetwork;
  if (vnet !== undefined && vnet !== null) {
    const id = typeof vnet === "object" && !Array.isArray(vnet) ? (vnet as { id?: unknown }).id : undefined;
    if (typeof id !== "string" || id === "")
      throw armErrors.BadRequest(
        "The virtual network of a virtual network link must be given as properties.virtualNetwork.id.",
      );
    out.vnetId = id;
  } else if (full) {
    throw armErrors.BadRequest(
      "The virtual network of a virtual network link must be given as properties.virtualNetwork.id.",
    );
  }
  if (p.registrationEnabled !== undefined && p.registrationEnabled !== null) {
    if (typeof p.registrationEnabled !== "boolean")
      throw armErrors.BadRequest("The specified virtual network link registration setting is invalid.");
    out.registrationEnabled = p.registrationEnabled;
  }
  if (p.resolutionPolicy !== undefined && p.resolutionPolicy !== null) {
    const policy =
      typeof p.resolutionPolicy === "string"
        ? RESOLUTION_POLICIES.find((r) => r.toLowerCase() === (p.resolutionPolicy as string).toLowerCase())
        : undefined;
    if (!policy)
      throw armErrors.BadRequest(
        `The resolution policy '${String(p.resolutionPolicy)}' is invalid. Allowed values are '${RESOLUTION_POLICIES.join("', '")}'.`,
      );
    out.resolutionPolicy = policy;
  }
  return out;
}

function zoneNameOfLink(link: StoredResource<LinkBody>): string {
  return parentIdOf(link.id).split("/").pop() ?? "";
}

/** The rules a link write must pass against the rest of the world; the error ends the async operation. */
function linkConflict(
  ctx: ArmContext,
  zone: StoredResource<ZoneBody>,
  linkId: string,
  existing: StoredResource<LinkBody> | undefined,
  next: LinkBody,
): AzureError | undefined {
  const vnetId = next.properties.virtualNetwork.id;
  if (existing && !sameId(existing.body.properties.virtualNetwork.id, vnetId)) {
    return armErrors.BadRequest(
      `The virtual network of virtual network link '${existing.name}' cannot be changed. Delete the link and create a new one.`,
    );
  }
  const parsed = parseResourceId(vnetId);
  const vnet =
    parsed && parsed.segments.length === 1 && resourceTypeOf(parsed)?.toLowerCase() === VNET_TYPE.toLowerCase()
      ? ctx.store.resources.get(vnetId)
      : undefined;
  if (!vnet) return armErrors.BadRequest(`Virtual network resource not found for '${vnetId}'`);
  const others = ctx.store.resources
    .list<LinkBody>(LINK_TYPE)
    .filter((l) => !sameId(l.id, linkId) && sameId(l.body.properties.virtualNetwork.id, vnetId));
  const sameName = others.find((l) => zoneNameOfLink(l).toLowerCase() === zone.name.toLowerCase());
  if (sameName) {
    return armErrors.BadRequest(
      `A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with '${zoneNameOfLink(sameName)}' and '${zone.name}' zones.`,
    );
  }
  if (next.properties.registrationEnabled) {
    const reg = others.find((l) => l.body.properties.registrationEnabled);
    if (reg)
      return armErrors.Conflict(
        "Conflict",
        `A virtual network can only be linked to 1 Private DNS zone(s) with auto-registration enabled; conflicting Private DNS zone is '${parentIdOf(reg.id).toLowerCase()}'.`,
      );
  }
  const zoneLinks = linksOf(ctx, zone.id).filter((l) => !sameId(l.id, linkId));
  if (!existing && zoneLinks.length >= ZONE_LIMITS.links) {
    return armErrors.QuotaExceeded(
      `The maximum number of virtual network links (${ZONE_LIMITS.links}) for private DNS zone '${zone.name}' has been reached.`,
    );
  }
  if (
    next.properties.registrationEnabled &&
    zoneLinks.filter((l) => l.body.properties.registrationEnabled).length >= ZONE_LIMITS.registrationLinks
  ) {
    return armErrors.QuotaExceeded(
      `The maximum number of virtual network links with auto-registration enabled (${ZONE_LIMITS.registrationLinks}) for private DNS zone '${zone.name}' has been reached.`,
    );
  }
  return undefined;
}

function linkPrecondition(
  req: ArmRequest,
  existing: StoredResource<LinkBody> | undefined,
  name: string,
): AzureError | undefined {
  const ifNoneMatch = header(req, "if-none-match");
  const ifMatch = header(req, "if-match");
  if (ifNoneMatch !== undefined && existing && etagMatches(ifNoneMatch, existing.body.etag)) {
    return armErrors.PreconditionFailed(
      `The Virtual Network Link ${name} exists already and hence cannot be created again.`,
    );
  }
  if (ifMatch !== undefined) {
    if (!existing) return armErrors.PreconditionFailed(`The Virtual Network Link ${name} does not exist.`);
    if (!etagMatches(ifMatch, existing.body.etag))
      return armErrors.PreconditionFailed(`The Virtual Network Link ${name} has been modified (etag mismatch).`);
  }
  return undefined;
}

function storeLink(ctx: ArmContext, zone: StoredResource<ZoneBody>, body: LinkBody): void {
  ctx.store.resources.put(
    {
      id: body.id,
      type: LINK_TYPE,
      name: body.name,
      parentId: zone.id,
      subscriptionId: zone.subscriptionId,
      resourceGroup: zone.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
  refreshZoneCounters(ctx, zone.id);
}

/** Deletes a virtual network link and refreshes its zone's counters (resource-group delete, link DELETE). Call inside a transaction. */
export function deleteLink(ctx: ArmContext, id: string): void {
  if (!ctx.store.resources.delete(id)) return;
  refreshZoneCounters(ctx, parentIdOf(id));
}

function notFound(rg: string, zone: string, link: string) {
  return armErrors.ResourceNotFound(`Microsoft.Network/privateDnsZones/${zone}/virtualNetworkLinks/${link}`, rg);
}

const LINK_NAME = /^[a-z0-9](?:[a-z0-9_.-]{0,78}[a-z0-9_])?$/i;

/** Registers the virtual network link routes: PUT/PATCH/GET/DELETE of one link and the list of a zone's links. */
export function registerLinks(router: ArmRouter): void {
  const linksPath =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks";
  const linkPath = `${linksPath}/{virtualNetworkLinkName}`;

  router.add("PUT", linkPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const requested = req.params.virtualNetworkLinkName;
    if (!LINK_NAME.test(requested)) {
      throw armErrors.BadRequest(
        `The virtual network link name '${requested}' is invalid. It must be 1 to 80 letters, digits, '_', '.' or '-', start with a letter or digit and end with a letter, digit or '_'.`,
      );
    }
    const input = parseLinkBody(req, true);
    const id = `${zone.id}/virtualNetworkLinks/${requested}`;
    const existing = ctx.store.resources.get<LinkBody>(id);
    const name = existing?.name ?? requested;
    const next: LinkBody = {
      id: existing?.id ?? id,
      name,
      type: LINK_TYPE,
      etag: newDnsEtag(),
      location: "global",
      ...(input.tags ? { tags: input.tags } : {}),
      properties: {
        virtualNetwork: { id: input.vnetId! },
        registrationEnabled: input.registrationEnabled ?? false,
        ...(input.resolutionPolicy ? { resolutionPolicy: input.resolutionPolicy } : {}),
        virtualNetworkLinkState: "Completed",
        provisioningState: "Succeeded",
      },
    };
    const failed = linkPrecondition(req, existing, name) ?? linkConflict(ctx, zone, id, existing, next);
    if (failed) return dnsAccepted(ctx, req, rg, { error: failed });
    ctx.store.tx(() => storeLink(ctx, zone, next));
    return dnsAccepted(ctx, req, rg, { resourceId: next.id });
  });

  router.add("PATCH", linkPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const existing = ctx.store.resources.get<LinkBody>(
      `${zone.id}/virtualNetworkLinks/${req.params.virtualNetworkLinkName}`,
    );
    if (!existing) throw notFound(rg, zone.name, req.params.virtualNetworkLinkName);
    const input = parseLinkBody(req, false);
    const p = existing.body.properties;
    const next: LinkBody = {
      ...existing.body,
      etag: newDnsEtag(),
      ...(input.tags ? { tags: input.tags } : {}),
      properties: {
        ...p,
        virtualNetwork: { id: input.vnetId ?? p.virtualNetwork.id },
        registrationEnabled: input.registrationEnabled ?? p.registrationEnabled,
        ...(input.resolutionPolicy ? { resolutionPolicy: input.resolutionPolicy } : {}),
      },
    };
    const failed =
      linkPrecondition(req, existing, existing.name) ?? linkConflict(ctx, zone, existing.id, existing, next);
    if (failed) return dnsAccepted(ctx, req, rg, { error: failed });
    ctx.store.tx(() => storeLink(ctx, zone, next));
    return dnsAccepted(ctx, req, rg, { resourceId: existing.id });
  });

  router.add("GET", linkPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const link = ctx.store.resources.get<LinkBody>(
      `${zone.id}/virtualNetworkLinks/${req.params.virtualNetworkLinkName}`,
    );
    if (!link) throw notFound(rg, zone.name, req.params.virtualNetworkLinkName);
    return { status: 200, body: link.body };
  });

  router.add("DELETE", linkPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const link = ctx.store.resources.get<LinkBody>(
      `${zone.id}/virtualNetworkLinks/${req.params.virtualNetworkLinkName}`,
    );
    const ifMatch = header(req, "if-match");
    if (!link) {
      if (ifMatch !== undefined)
        throw armErrors.PreconditionFailed(
          `The Virtual Network Link ${req.params.virtualNetworkLinkName} does not exist.`,
        );
      return { status: 204 };
    }
    if (ifMatch !== undefined && !etagMatches(ifMatch, link.body.etag))
      throw armErrors.PreconditionFailed(`The Virtual Network Link ${link.name} has been modified (etag mismatch).`);
    ctx.store.tx(() => deleteLink(ctx, link.id));
    return dnsAccepted(ctx, req, rg);
  });

  router.add("GET", linksPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    return {
      status: 200,
      body: pagedList(
        req,
        linksOf(ctx, zone.id).map((l) => l.body),
      ),
    };
  });
}
