import { createHash } from "node:crypto";
/**
 * Microsoft.Network/privateDnsZones (api 2020-06-01): wire shapes, limits and helpers shared by zones, virtual
 * network links, record sets and private endpoints' private DNS zone groups (control-plane.md §5, §8).
 * Stored bodies are the wire JSON; nothing here reaches HTTP.
 */
import type { ArmContext, ArmRequest, ArmResult } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { resourceId } from "../../../kernel/resource-ids.js";
import { canonicalPath, privateDnsAccepted } from "../../lro.js";
import type { StoredResource } from "../../../store/resources.js";
import type { AzureError } from "../../../kernel/errors.js";
import { newGuid } from "../../../kernel/ids.js";
import { NAMESPACES, RESOURCE_TYPES } from "../../../kernel/azure-names.js";
import type { PrivateDnsZone, RecordSet, SoaRecord, VirtualNetworkLink } from "../../../kernel/arm-wire.js";

export type { RecordSetProperties, SoaRecord } from "../../../kernel/arm-wire.js";
/** A stored private DNS zone: the wire type (src/kernel/arm-wire.ts). */
export type ZoneBody = PrivateDnsZone;
/** A stored virtual network link: the wire type. */
export type LinkBody = VirtualNetworkLink;
/** A stored record set: the wire type. */
export type RecordSetBody = RecordSet;

export const NETWORK = NAMESPACES.network;
export const ZONE_TYPE = RESOURCE_TYPES.privateDnsZone;
export const LINK_TYPE = RESOURCE_TYPES.virtualNetworkLink;
export const VNET_TYPE = RESOURCE_TYPES.virtualNetwork;
export const PE_TYPE = RESOURCE_TYPES.privateEndpoint;
export const ZONE_GROUP_TYPE = RESOURCE_TYPES.privateDnsZoneGroup;

/** Record types Azure Private DNS stores, canonical (upper-case) spelling as in ids and `type`. */
export const RECORD_TYPES = ["A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Per-zone limits a real zone GET reports (control-plane.md §5, §8). */
export const ZONE_LIMITS = { recordSets: 25000, links: 1000, registrationLinks: 100 } as const;
/** Records per record set (learn.microsoft.com "Azure DNS limits", private DNS zones). */
export const MAX_RECORDS_PER_SET = 20;
/** TTL Azure gives records a new record set has when the request names none, seconds (az's default too). */
export const DEFAULT_TTL = 3600;

/** The SOA every new zone gets (real values, control-plane.md §5). */
export const DEFAULT_SOA: SoaRecord = {
  email: "azureprivatedns-host.microsoft.com",
  expireTime: 2419200,
  host: "internal.cloudapp.net",
  minimumTtl: 300,
  refreshTime: 3600,
  retryTime: 300,
  serialNumber: 1,
};

/** Private DNS etags are bare GUIDs (control-plane.md §1.3). */
export function newDnsEtag(): string {
  return newGuid();
}

/** Network RP etags look like `W/"<guid>"`. */
export function newNetworkEtag(): string {
  return `W/"${newGuid()}"`;
}

/** The record type for a URL segment (`a`, `Aaaa`, …), or undefined. */
export function recordTypeOf(segment: string): RecordType | undefined {
  const up = segment.toUpperCase();
  return (RECORD_TYPES as readonly string[]).includes(up) ? (up as RecordType) : undefined;
}

/** `Microsoft.Network/privateDnsZones/{T}`, the resource type of a record set. */
export function recordSetResourceType(t: RecordType): string {
  return `${ZONE_TYPE}/${t}`;
}

/** The id of a zone with canonical segment casing. */
export function zoneId(subscriptionId: string, rg: string, zone: string): string {
  return resourceId(subscriptionId, rg, NETWORK, "privateDnsZones", zone);
}

/** The stored resource-group name (canonical casing) of a request path; http.ts has already answered a missing group. */
export function rgName(ctx: ArmContext, req: ArmRequest): string {
  const rg = ctx.store.resources.get<{ name: string }>(
    `/subscriptions/${ctx.subscriptionId}/resourceGroups/${req.params.resourceGroupName}`,
  );
  return rg?.body.name ?? req.params.resourceGroupName;
}

/** The zone, or throws ARM's ResourceNotFound (the zone itself was asked for). */
export function requireZone(ctx: ArmContext, rg: string, zone: string): StoredResource<ZoneBody> {
  const z = ctx.store.resources.get<ZoneBody>(zoneId(ctx.subscriptionId, rg, zone));
  if (!z) throw armErrors.ResourceNotFound(`${ZONE_TYPE}/${zone}`, rg);
  return z;
}

/** The parent zone of a link or record set, or throws ParentResourceNotFound. */
export function requireParentZone(ctx: ArmContext, rg: string, zone: string): StoredResource<ZoneBody> {
  const z = ctx.store.resources.get<ZoneBody>(zoneId(ctx.subscriptionId, rg, zone));
  if (!z) throw armErrors.ParentResourceNotFound(zone);
  return z;
}

/** Whether a stored child of a zone is a record set (not a virtual network link). */
export function isRecordSet(r: StoredResource): boolean {
  const t = r.type.toLowerCase();
  return t.startsWith(`${ZONE_TYPE.toLowerCase()}/`) && t !== LINK_TYPE.toLowerCase();
}

/** Record sets of a zone (SOA first, then in creation order). */
export function recordSetsOf(ctx: ArmContext, zoneId: string): StoredResource<RecordSetBody>[] {
  const sets = ctx.store.resources.children(zoneId).filter(isRecordSet) as unknown as StoredResource<RecordSetBody>[];
  return [...sets.filter((s) => s.type.endsWith("/SOA")), ...sets.filter((s) => !s.type.endsWith("/SOA"))];
}

/** TTL Azure gives auto-registered VM records (learn.microsoft.com "What is the auto registration feature in Azure DNS private zones?"). */
export const AUTO_REGISTERED_TTL = 10;

/**
 * The A record sets Azure DNS registers for VMs in VNets linked to the zone with `registrationEnabled: true`
 * (learn.microsoft.com "What is the auto registration feature in Azure DNS private zones?": the VM's name → its private
 * address, `isAutoRegistered: true`, removed when the VM goes). Derived from the stored VMs and links, never stored:
 * a VM's record appears and disappears with it. A record set of the same name that a user created wins.
 */
export function autoRegisteredRecordSetsOf(
  ctx: ArmContext,
  zone: { id: string; name: string; subscriptionId: string; resourceGroup?: string },
): StoredResource<RecordSetBody>[] {
  const registering = linksOf(ctx, zone.id)
    .filter((l) => l.body.properties.registrationEnabled)
    .map((l) => l.body.properties.virtualNetwork.id.toLowerCase());
  if (registering.length === 0) return [];
  const taken = new Set(
    recordSetsOf(ctx, zone.id)
      .filter((r) => r.type.endsWith("/A"))
      .map((r) => r.name.toLowerCase()),
  );
  const out: StoredResource<RecordSetBody>[] = [];
  for (const vm of ctx.store.resources.list<{
    name: string;
    properties?: { hsmlink?: { vnetId?: string; privateIpAddress?: string } };
  }>("Microsoft.Compute/virtualMachines")) {
    const facts = vm.body.properties?.hsmlink;
    if (!facts?.vnetId || !facts.privateIpAddress || !registering.includes(facts.vnetId.toLowerCase())) continue;
    const name = vm.name.toLowerCase();
    if (taken.has(name)) continue;
    taken.add(name);
    const id = `${zone.id}/A/${name}`;
    const etag = createHash("sha1")
      .update(`${id}|${facts.privateIpAddress}`)
      .digest("hex")
      .slice(0, 32)
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
    const body: RecordSetBody = {
      id,
      name,
      type: "Microsoft.Network/privateDnsZones/A",
      etag,
      properties: {
        ttl: AUTO_REGISTERED_TTL,
        fqdn: `${name}.${zone.name}.`,
        isAutoRegistered: true,
        aRecords: [{ ipv4Address: facts.privateIpAddress }],
      },
    };
    out.push({
      id,
      type: body.type,
      name,
      parentId: zone.id,
      subscriptionId: zone.subscriptionId,
      resourceGroup: zone.resourceGroup,
      body,
      createdAt: vm.createdAt,
      updatedAt: vm.updatedAt,
    });
  }
  return out;
}

/** Virtual network links of a zone, in creation order. */
export function linksOf(ctx: ArmContext, zoneId: string): StoredResource<LinkBody>[] {
  return ctx.store.resources
    .children(zoneId)
    .filter((r) => r.type.toLowerCase() === LINK_TYPE.toLowerCase()) as unknown as StoredResource<LinkBody>[];
}

/**
 * Rewrites the zone's `numberOf*` counters from its children (etag unchanged: Azure's zone etag tracks the zone
 * resource, not its record sets). Call inside the write's transaction.
 */
export function refreshZoneCounters(ctx: ArmContext, zoneIdValue: string): void {
  const z = ctx.store.resources.get<ZoneBody>(zoneIdValue);
  if (!z) return;
  const links = linksOf(ctx, z.id);
  const body: ZoneBody = {
    ...z.body,
    properties: {
      ...z.body.properties,
      numberOfRecordSets: recordSetsOf(ctx, z.id).length,
      numberOfVirtualNetworkLinks: links.length,
      numberOfVirtualNetworkLinksWithRegistration: links.filter((l) => l.body.properties.registrationEnabled).length,
    },
  };
  ctx.store.resources.put(
    { id: z.id, type: ZONE_TYPE, name: z.name, subscriptionId: z.subscriptionId, resourceGroup: z.resourceGroup, body },
    ctx.clock.now(),
  );
}

/** Whether an `If-Match` header value matches `etag` (`*` matches anything; quotes and `W/` are ignored). */
export function etagMatches(header: string, etag: string): boolean {
  return header
    .split(",")
    .map((s) => s.trim().replace(/^W\//, "").replace(/^"|"$/g, ""))
    .some((v) => v === "*" || v.toLowerCase() === etag.toLowerCase());
}

/** A request header by name (case-insensitive); undefined when absent or empty. */
export function header(req: ArmRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return v === undefined || v === "" ? undefined : v;
}

/** The private DNS LRO answer (202 `{}` + status/result URLs); `error` makes the operation end Failed with it. */
export function dnsAccepted(
  ctx: ArmContext,
  req: ArmRequest,
  rg: string,
  o: { resourceId?: string; error?: AzureError } = {},
): ArmResult {
  return privateDnsAccepted(ctx.operations, {
    baseUrl: req.baseUrl,
    subscriptionId: ctx.subscriptionId,
    resourceGroup: rg,
    apiVersion: req.apiVersion,
    resourceId: o.error ? undefined : o.resourceId,
    error: o.error ? { code: o.error.code, message: o.error.message } : undefined,
  });
}

/** Tags as ARM accepts them: an object of strings (numbers/booleans are stringified), ≤ 50 entries. */
export function parseTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== "object" || Array.isArray(tags))
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'tags must be an object of strings.'.",
    );
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw armErrors.InvalidRequestContent(
        `The request content was invalid and could not be deserialized: 'tag '${k}' must be a string.'.`,
      );
    }
    if (k.length > 512 || String(v).length > 256)
      throw armErrors.BadRequest(
        `The tag name '${k.slice(0, 40)}' or its value exceeds the maximum length (512 and 256 characters).`,
      );
    out[k] = String(v);
  }
  if (Object.keys(out).length > 50) throw armErrors.BadRequest("The number of tags exceeds the maximum of 50.");
  return out;
}

/** `location` of a private DNS resource: required, and `global` is the only region offered. */
export function requireGlobalLocation(body: Record<string, unknown>, type: string): void {
  if (body.location === undefined || body.location === null || body.location === "") throw armErrors.LocationRequired();
  if (typeof body.location !== "string" || body.location.replace(/\s+/g, "").toLowerCase() !== "global")
    throw armErrors.GlobalLocationOnly(String(body.location), type);
}

/** `properties` of a body: an object, or `{}` when absent. */
export function propertiesOf(body: Record<string, unknown>): Record<string, unknown> {
  const p = body.properties;
  if (p === undefined || p === null) return {};
  if (typeof p !== "object" || Array.isArray(p))
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'properties must be an object.'.",
    );
  return p as Record<string, unknown>;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A valid DNS zone name: ≥ 2 labels of letters, digits and inner hyphens, ≤ 63 per label, ≤ 253 in all, no trailing dot. */
export function validZoneName(name: string): boolean {
  if (name.length > 253 || name.endsWith(".")) return false;
  const labels = name.split(".");
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

/** A valid relative record set name: `@`, or dot-separated labels (`_` allowed, `*` as the leftmost label). */
export function validRelativeName(name: string, zone: string): boolean {
  if (name === "@") return true;
  if (name.endsWith(".") || `${name}.${zone}`.length > 253) return false;
  const labels = name.split(".");
  return labels.every((l, i) => (i === 0 && l === "*") || /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(l));
}

/** `{name}.{zone}.`, or `{zone}.` for the apex. */
export function fqdnOf(relativeName: string, zone: string): string {
  return relativeName === "@" ? `${zone}.` : `${relativeName}.${zone}.`;
}

/** Pages a list by `$top` with a `$skiptoken` nextLink, as ARM list operations do. */
export function pagedList<T>(req: ArmRequest, items: T[]): { value: T[]; nextLink?: string } {
  const topRaw = req.query["$top"];
  const skipRaw = req.query["$skiptoken"];
  const skip = skipRaw !== undefined && /^\d+$/.test(skipRaw) ? Number(skipRaw) : 0;
  if (topRaw === undefined) return { value: items.slice(skip) };
  if (!/^\d+$/.test(topRaw) || Number(topRaw) < 1)
    throw armErrors.BadRequest(
      `The value '${topRaw}' of query parameter '$top' is invalid; it must be a positive integer.`,
    );
  const top = Number(topRaw);
  const page = items.slice(skip, skip + top);
  if (skip + top >= items.length) return { value: page };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) if (k !== "$skiptoken") params.set(k, v);
  params.set("$skiptoken", String(skip + top));
  return { value: page, nextLink: `${req.baseUrl}${canonicalPath(req.path)}?${params.toString()}` };
}
