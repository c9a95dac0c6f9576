/**
 * Private DNS zone groups of a private endpoint (`…/privateEndpoints/{pe}/privateDnsZoneGroups/{name}`, network
 * api 2022-01-01 as az 2.45 sends it; network LRO dialect). A zone group keeps one A record per customDnsConfig
 * fqdn in each referenced zone whose name is the service's private zone: fqdn `{hsm}.managedhsm.azure.net` →
 * record `{hsm}` in `privatelink.managedhsm.azure.net`, TTL 10, metadata `creator` naming the private endpoint
 * (FC-04 AzureTRE logs). A zone with any other name gets no record and no error (FC-01). Several private endpoints
 * to one HSM that share a zone share the record set: each adds its own address(es) and removing one private endpoint
 * (or rejecting its connection) withdraws only its addresses; the set goes when the last address goes.
 * The response lists, per config, the `recordSets` this group wrote (`{recordType, recordSetName, fqdn, ttl,
 * ipAddresses, provisioningState}`), which is also the ownership record used to withdraw them later.
 * Errors: an unknown or malformed zone id → 400 `InvalidPrivateDnsZoneIds` (FC-14); two configs with one name →
 * `InvalidRequestFormat`/`DuplicateResourceName` (hashicorp/terraform-provider-azurerm #28966); more than 5 zones or
 * a second zone group on one private endpoint → 400 `BadRequest` (learn.microsoft.com "Private endpoint DNS
 * configuration": "up to 5 DNS zones", "multiple DNS zone groups … not supported"; code chosen).
 */
import { ZONE_JOIN_ACTION } from "../../../kernel/azure-roles.js";
import type { ArmContext, ArmRequest, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { parseResourceId, resourceTypeOf, sameId } from "../../../kernel/resource-ids.js";
import { networkDeleteAccepted, networkPutAccepted } from "../../lro.js";
import { AzureError } from "../../../kernel/errors.js";
import type { StoredResource } from "../../../store/resources.js";
import {
  PE_TYPE,
  ZONE_GROUP_TYPE,
  ZONE_TYPE,
  fqdnOf,
  newDnsEtag,
  newNetworkEtag,
  propertiesOf,
  recordSetResourceType,
  rgName,
  type RecordSetBody,
  type ZoneBody,
} from "./model.js";
import { deleteRecordSet, recordSetId, storeRecordSet } from "./record-sets.js";

/** TTL Azure gives the A records a zone group writes, seconds (FC-04). */
export const ZONE_GROUP_RECORD_TTL = 10;
/** Zones per zone group (learn.microsoft.com "Azure Private Endpoint DNS configuration"). */
export const MAX_ZONES_PER_GROUP = 5;

export interface ZoneGroupRecordSet {
  recordType: "A";
  recordSetName: string;
  /** Without the trailing dot. */
  fqdn: string;
  ttl: number;
  ipAddresses: string[];
  provisioningState: "Succeeded";
}

export interface ZoneGroupConfig {
  name: string;
  properties: { privateDnsZoneId: string; recordSets: ZoneGroupRecordSet[] };
}

export interface ZoneGroupBody {
  name: string;
  id: string;
  etag: string;
  properties: { provisioningState: string; privateDnsZoneConfigs: ZoneGroupConfig[] };
}

/** The slice of a private endpoint (control-plane.md §4.3) a zone group reads. */
interface PrivateEndpointBody {
  id: string;
  name: string;
  location?: string;
  properties?: {
    resourceGuid?: string;
    customDnsConfigs?: { fqdn?: string; ipAddresses?: string[] }[];
    privateLinkServiceConnections?: { properties?: { privateLinkServiceConnectionState?: { status?: string } } }[];
    manualPrivateLinkServiceConnections?: {
      properties?: { privateLinkServiceConnectionState?: { status?: string } };
    }[];
  };
}

function groupsOf(ctx: ArmContext, peId: string): StoredResource<ZoneGroupBody>[] {
  return ctx.store.resources
    .children(peId)
    .filter(
      (r) => r.type.toLowerCase() === ZONE_GROUP_TYPE.toLowerCase(),
    ) as unknown as StoredResource<ZoneGroupBody>[];
}

/** A private endpoint whose every connection is Rejected or Disconnected gets no records (FC-04: rejecting removes them). */
function withdrawn(pe: PrivateEndpointBody): boolean {
  const conns = [
    ...(pe.properties?.privateLinkServiceConnections ?? []),
    ...(pe.properties?.manualPrivateLinkServiceConnections ?? []),
  ];
  if (conns.length === 0) return false;
  return conns.every((c) => {
    const s = c.properties?.privateLinkServiceConnectionState?.status?.toLowerCase();
    return s === "rejected" || s === "disconnected";
  });
}

/** The A records a private endpoint should have in a zone: `{name, ips}` per matching customDnsConfig fqdn. */
function desiredRecords(pe: PrivateEndpointBody, zoneName: string): { name: string; ips: string[] }[] {
  if (withdrawn(pe)) return [];
  const out = new Map<string, string[]>();
  for (const c of pe.properties?.customDnsConfigs ?? []) {
    if (typeof c.fqdn !== "string") continue;
    const fqdn = c.fqdn.toLowerCase().replace(/\.$/, "");
    const dot = fqdn.indexOf(".");
    if (dot <= 0 || `privatelink.${fqdn.slice(dot + 1)}` !== zoneName.toLowerCase()) continue;
    const name = fqdn.slice(0, dot);
    const ips = out.get(name) ?? [];
    for (const ip of c.ipAddresses ?? []) if (typeof ip === "string" && !ips.includes(ip)) ips.push(ip);
    out.set(name, ips);
  }
  return [...out].filter(([, ips]) => ips.length > 0).map(([name, ips]) => ({ name, ips }));
}

function creatorOf(pe: PrivateEndpointBody): string {
  return `created by private endpoint ${pe.name} with resource guid ${pe.properties?.resourceGuid ?? ""}`.trim();
}

/** Adds addresses to the A set `name` of a zone (creating it, TTL 10), leaving it untouched when nothing changes. */
function addAddresses(
  ctx: ArmContext,
  zone: StoredResource<ZoneBody>,
  name: string,
  ips: string[],
  pe: PrivateEndpointBody,
): void {
  const id = recordSetId(zone, "A", name);
  const existing = ctx.store.resources.get<RecordSetBody>(id);
  const creator = creatorOf(pe);
  const current = existing?.body.properties.aRecords ?? [];
  const missing = ips.filter((ip) => !current.some((r) => r.ipv4Address === ip));
  if (existing && missing.length === 0 && existing.body.properties.ttl === ZONE_GROUP_RECORD_TTL) return;
  const body: RecordSetBody = {
    id: existing?.id ?? id,
    name: existing?.body.name ?? name,
    type: recordSetResourceType("A"),
    etag: newDnsEtag(),
    properties: {
      metadata: { ...(existing?.body.properties.metadata ?? {}), creator },
      ttl: ZONE_GROUP_RECORD_TTL,
      fqdn: fqdnOf(existing?.body.name ?? name, zone.name),
      isAutoRegistered: false,
      aRecords: [...current, ...missing.map((ipv4Address) => ({ ipv4Address }))],
    },
  };
  storeRecordSet(ctx, zone, "A", body);
}

/** Removes addresses from the A set `name`; deletes the set when none is left. */
function removeAddresses(ctx: ArmContext, zone: StoredResource<ZoneBody>, name: string, ips: string[]): void {
  const existing = ctx.store.resources.get<RecordSetBody>(recordSetId(zone, "A", name));
  if (!existing) return;
  const current = existing.body.properties.aRecords ?? [];
  const left = current.filter((r) => !ips.includes(r.ipv4Address));
  if (left.length === current.length) return;
  if (left.length === 0) {
    deleteRecordSet(ctx, zone, existing.id);
    return;
  }
  storeRecordSet(ctx, zone, "A", {
    ...existing.body,
    etag: newDnsEtag(),
    properties: { ...existing.body.properties, aRecords: left },
  });
}

function zoneOf(ctx: ArmContext, zoneIdValue: string): StoredResource<ZoneBody> | undefined {
  const z = ctx.store.resources.get<ZoneBody>(zoneIdValue);
  return z && z.type.toLowerCase() === ZONE_TYPE.toLowerCase() ? z : undefined;
}

/**
 * Brings the records of one zone group in line with the private endpoint and `configs` (the group's new configs;
 * `[]` withdraws everything), returning the configs with the `recordSets` now owned. Only addresses this group
 * wrote before (its stored `recordSets`) are withdrawn, so other writers of a shared set keep theirs.
 */
function syncGroup(
  ctx: ArmContext,
  pe: PrivateEndpointBody | undefined,
  old: ZoneGroupConfig[],
  configs: { name: string; privateDnsZoneId: string }[],
): ZoneGroupConfig[] {
  const next: ZoneGroupConfig[] = configs.map((c) => {
    const zone = zoneOf(ctx, c.privateDnsZoneId);
    const wanted = zone && pe ? desiredRecords(pe, zone.name) : [];
    return {
      name: c.name,
      properties: {
        privateDnsZoneId: c.privateDnsZoneId,
        recordSets: wanted.map((w) => ({
          recordType: "A" as const,
          recordSetName: w.name,
          fqdn: fqdnOf(w.name, zone!.name).replace(/\.$/, ""),
          ttl: ZONE_GROUP_RECORD_TTL,
          ipAddresses: w.ips,
          provisioningState: "Succeeded" as const,
        })),
      },
    };
  });
  const keep = (zoneId: string, name: string) =>
    next
      .filter((c) => sameId(c.properties.privateDnsZoneId, zoneId))
      .flatMap((c) =>
        c.properties.recordSets
          .filter((r) => r.recordSetName.toLowerCase() === name.toLowerCase())
          .flatMap((r) => r.ipAddresses),
      );
  for (const c of old) {
    const zone = zoneOf(ctx, c.properties.privateDnsZoneId);
    if (!zone) continue;
    for (const r of c.properties.recordSets) {
      const still = keep(zone.id, r.recordSetName);
      removeAddresses(
        ctx,
        zone,
        r.recordSetName,
        r.ipAddresses.filter((ip) => !still.includes(ip)),
      );
    }
  }
  for (const c of next) {
    const zone = zoneOf(ctx, c.properties.privateDnsZoneId);
    if (!zone || !pe) continue;
    for (const r of c.properties.recordSets) addAddresses(ctx, zone, r.recordSetName, r.ipAddresses, pe);
  }
  return next;
}

function storeGroup(
  ctx: ArmContext,
  pe: { id: string; subscriptionId: string; resourceGroup?: string },
  body: ZoneGroupBody,
): void {
  ctx.store.resources.put(
    {
      id: body.id,
      type: ZONE_GROUP_TYPE,
      name: body.name,
      parentId: pe.id,
      subscriptionId: pe.subscriptionId,
      resourceGroup: pe.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/**
 * Re-derives the A records of every private DNS zone group of a private endpoint from its current wire body
 * (`properties.customDnsConfigs`, connection states). Call after creating or updating the private endpoint and
 * after its connection is approved, rejected or disconnected. A missing private endpoint is treated as deleted
 * (see {@link removeZoneGroupRecords}). Runs in its own transaction, or joins the caller's.
 * @param privateEndpointId `Microsoft.Network/privateEndpoints` id, any casing
 */
export function refreshZoneGroupRecords(ctx: ArmContext, privateEndpointId: string): void {
  const pe = ctx.store.resources.get<PrivateEndpointBody>(privateEndpointId);
  if (!pe) {
    removeZoneGroupRecords(ctx, privateEndpointId);
    return;
  }
  ctx.store.tx(() => {
    for (const g of groupsOf(ctx, pe.id)) {
      const configs = g.body.properties.privateDnsZoneConfigs;
      const next = syncGroup(
        ctx,
        pe.body,
        configs,
        configs.map((c) => ({ name: c.name, privateDnsZoneId: c.properties.privateDnsZoneId })),
      );
      if (JSON.stringify(next) === JSON.stringify(configs)) continue;
      storeGroup(ctx, pe, {
        ...g.body,
        etag: newNetworkEtag(),
        properties: { ...g.body.properties, privateDnsZoneConfigs: next },
      });
    }
  });
}

/**
 * The private endpoint is being deleted: withdraws the addresses its zone groups wrote (a record set shared with
 * another private endpoint keeps the other's addresses) and deletes its zone groups. Safe to call before or after
 * the private endpoint row is removed, and more than once. Runs in its own transaction, or joins the caller's.
 * @param privateEndpointId `Microsoft.Network/privateEndpoints` id, any casing
 */
export function removeZoneGroupRecords(ctx: ArmContext, privateEndpointId: string): void {
  ctx.store.tx(() => {
    for (const g of groupsOf(ctx, privateEndpointId)) deleteZoneGroup(ctx, g.id);
  });
}

/** Withdraws a zone group's records and deletes it (zone group DELETE, resource-group delete). Call inside a transaction. */
export function deleteZoneGroup(ctx: ArmContext, id: string): void {
  const g = ctx.store.resources.get<ZoneGroupBody>(id);
  if (!g) return;
  syncGroup(ctx, undefined, g.body.properties.privateDnsZoneConfigs, []);
  ctx.store.resources.delete(g.id);
}

/** Validates `properties.privateDnsZoneConfigs` of a zone group PUT. */
function parseConfigs(
  ctx: ArmContext,
  body: Record<string, unknown>,
  groupId: string,
): { name: string; privateDnsZoneId: string }[] {
  const raw = propertiesOf(body).privateDnsZoneConfigs;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'properties.privateDnsZoneConfigs must be an array.'.",
    );
  const out = raw.map((c, i) => {
    if (typeof c !== "object" || c === null || Array.isArray(c))
      throw armErrors.InvalidRequestContent(
        `The request content was invalid and could not be deserialized: 'properties.privateDnsZoneConfigs[${i}] must be an object.'.`,
      );
    const cfg = c as { name?: unknown; properties?: { privateDnsZoneId?: unknown } };
    const zoneIdValue =
      cfg.properties && typeof cfg.properties === "object" ? cfg.properties.privateDnsZoneId : undefined;
    if (typeof zoneIdValue !== "string") throw armErrors.InvalidPrivateDnsZoneIds(groupId);
    const parsed = parseResourceId(zoneIdValue);
    const zoneName = parsed?.segments[0]?.name;
    // A config without a name takes the portal's convention: the zone name with dashes for dots.
    const name =
      typeof cfg.name === "string" && cfg.name !== "" ? cfg.name : (zoneName ?? `config${i}`).replace(/\./g, "-");
    return { name, privateDnsZoneId: zoneIdValue, parsed };
  });
  const seen = new Set<string>();
  for (const c of out) {
    const k = c.name.toLowerCase();
    if (seen.has(k)) {
      throw new AzureError(400, "InvalidRequestFormat", "Cannot parse the request.", {
        surface: "arm",
        details: [
          {
            code: "DuplicateResourceName",
            message: `Resource ${groupId} has two child resources with the same name (${c.name}).`,
          },
        ],
      });
    }
    seen.add(k);
  }
  if (out.length > MAX_ZONES_PER_GROUP)
    throw armErrors.BadRequest(
      `Private Dns Zone group ${groupId} has ${out.length} private dns zone configs; a private dns zone group supports at most ${MAX_ZONES_PER_GROUP} private dns zones.`,
    );
  for (const c of out) {
    const ok =
      c.parsed &&
      c.parsed.segments.length === 1 &&
      resourceTypeOf(c.parsed)?.toLowerCase() === ZONE_TYPE.toLowerCase() &&
      zoneOf(ctx, c.privateDnsZoneId);
    if (!ok) throw armErrors.InvalidPrivateDnsZoneIds(groupId);
  }
  return out.map((c) => ({ name: c.name, privateDnsZoneId: zoneOf(ctx, c.privateDnsZoneId)!.id }));
}

function requirePe(ctx: ArmContext, req: ArmRequest, rg: string): StoredResource<PrivateEndpointBody> {
  const id = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/privateEndpoints/${req.params.privateEndpointName}`;
  const pe = ctx.store.resources.get<PrivateEndpointBody>(id);
  if (!pe || pe.type.toLowerCase() !== PE_TYPE.toLowerCase())
    throw armErrors.ResourceNotFound(`${PE_TYPE}/${req.params.privateEndpointName}`, rg);
  return pe;
}

/** Registers the private DNS zone group routes of private endpoints: PUT/GET/DELETE of one group and the list. */
export function registerZoneGroups(router: ArmRouter): void {
  const groupsPath =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups";
  const groupPath = `${groupsPath}/{privateDnsZoneGroupName}`;

  router.add("PUT", groupPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const pe = requirePe(ctx, req, rg);
    const id = `${pe.id}/privateDnsZoneGroups/${req.params.privateDnsZoneGroupName}`;
    const existing = ctx.store.resources.get<ZoneGroupBody>(id);
    const body = requireObjectBody(req);
    const configs = parseConfigs(ctx, body, existing?.id ?? id);
    for (const c of configs)
      req.decisions.linked(
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/write",
        ZONE_JOIN_ACTION,
        c.privateDnsZoneId,
      );
    const other = groupsOf(ctx, pe.id).find((g) => !sameId(g.id, id));
    if (other)
      throw armErrors.BadRequest(
        `Cannot create more than one private dns zone groups in the private endpoint ${pe.name}.`,
      );
    let stored!: ZoneGroupBody;
    ctx.store.tx(() => {
      const next = syncGroup(ctx, pe.body, existing?.body.properties.privateDnsZoneConfigs ?? [], configs);
      stored = {
        name: existing?.name ?? req.params.privateDnsZoneGroupName,
        id: existing?.id ?? id,
        etag: newNetworkEtag(),
        properties: { provisioningState: "Succeeded", privateDnsZoneConfigs: next },
      };
      storeGroup(ctx, pe, stored);
    });
    return networkPutAccepted(ctx.operations, {
      baseUrl: req.baseUrl,
      subscriptionId: ctx.subscriptionId,
      location: pe.body.location ?? ctx.config.location,
      apiVersion: req.apiVersion,
      status: existing ? 200 : 201,
      body: { ...stored, properties: { ...stored.properties, provisioningState: "Updating" } },
      resourceId: stored.id,
    });
  });

  router.add("GET", groupPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const pe = requirePe(ctx, req, rg);
    const g = ctx.store.resources.get<ZoneGroupBody>(
      `${pe.id}/privateDnsZoneGroups/${req.params.privateDnsZoneGroupName}`,
    );
    if (!g)
      throw armErrors.NotFound(
        `Resource ${pe.id}/privateDnsZoneGroups/${req.params.privateDnsZoneGroupName} not found.`,
      );
    return { status: 200, body: g.body };
  });

  router.add("DELETE", groupPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const pe = requirePe(ctx, req, rg);
    const g = ctx.store.resources.get<ZoneGroupBody>(
      `${pe.id}/privateDnsZoneGroups/${req.params.privateDnsZoneGroupName}`,
    );
    if (!g) return { status: 204 };
    ctx.store.tx(() => deleteZoneGroup(ctx, g.id));
    return networkDeleteAccepted(ctx.operations, {
      baseUrl: req.baseUrl,
      subscriptionId: ctx.subscriptionId,
      location: pe.body.location ?? ctx.config.location,
      apiVersion: req.apiVersion,
    });
  });

  router.add("GET", groupsPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const pe = requirePe(ctx, req, rg);
    return { status: 200, body: { value: groupsOf(ctx, pe.id).map((g) => g.body) } };
  });
}
