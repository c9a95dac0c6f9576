/**
 * Record sets of a private DNS zone: `…/privateDnsZones/{zone}/{A|AAAA|CNAME|MX|PTR|SOA|SRV|TXT}/{relativeName}`
 * (spec `privatedns.json` 2020-06-01, RecordSets_*; control-plane.md §5). The type segment is matched
 * case-insensitively (az sends `a`) and written canonically (`privateDnsZones/A`) in ids and types. Writes are
 * synchronous: PUT 201 new / 200 update, PATCH 200, DELETE 200 (204 when there was nothing), no LRO.
 * `…/{zone}/ALL` and `…/{zone}/recordsets` list every type, the auto-created SOA `@` included.
 */
import { isIPv4, isIPv6 } from "node:net";
import type { ArmContext, ArmRequest, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import type { StoredResource } from "../../../store/resources.js";
import {
  DEFAULT_SOA,
  DEFAULT_TTL,
  MAX_RECORDS_PER_SET,
  ZONE_LIMITS,
  etagMatches,
  fqdnOf,
  header,
  newDnsEtag,
  pagedList,
  propertiesOf,
  recordSetResourceType,
  recordSetsOf,
  autoRegisteredRecordSetsOf,
  recordTypeOf,
  refreshZoneCounters,
  requireParentZone,
  rgName,
  validRelativeName,
  type RecordSetBody,
  type RecordSetProperties,
  type RecordType,
  type SoaRecord,
  type ZoneBody,
} from "./model.js";

/** Where each type keeps its records in `properties`. */
export const RECORD_FIELD: Record<RecordType, keyof RecordSetProperties> = {
  A: "aRecords",
  AAAA: "aaaaRecords",
  CNAME: "cnameRecord",
  MX: "mxRecords",
  PTR: "ptrRecords",
  SOA: "soaRecord",
  SRV: "srvRecords",
  TXT: "txtRecords",
};

const bad = (message: string) => armErrors.BadRequest(message);

function requireType(req: ArmRequest): RecordType {
  const t = recordTypeOf(req.params.recordType);
  if (!t)
    throw armErrors.InvalidResourceType(
      `privateDnsZones/${req.params.recordType}`,
      "Microsoft.Network",
      req.apiVersion,
    );
  return t;
}

/** The id of a record set, canonical type segment. */
export function recordSetId(zone: StoredResource<ZoneBody>, type: RecordType, relativeName: string): string {
  return `${zone.id}/${type}/${relativeName}`;
}

/** The auto-created SOA record set `@` of a new zone (control-plane.md §5). */
export function soaRecordSet(zone: StoredResource<ZoneBody> | { id: string; name: string }): RecordSetBody {
  return {
    id: `${zone.id}/SOA/@`,
    name: "@",
    type: recordSetResourceType("SOA"),
    etag: newDnsEtag(),
    properties: {
      fqdn: fqdnOf("@", zone.name),
      ttl: DEFAULT_TTL,
      isAutoRegistered: false,
      soaRecord: { ...DEFAULT_SOA },
    },
  };
}

/** Stores a record set body under its zone and refreshes the zone's counters. Call inside a transaction. */
export function storeRecordSet(
  ctx: ArmContext,
  zone: StoredResource<ZoneBody>,
  type: RecordType,
  body: RecordSetBody,
): void {
  ctx.store.resources.put(
    {
      id: body.id,
      type: recordSetResourceType(type),
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

/** Deletes a record set and refreshes the zone's counters. Call inside a transaction. */
export function deleteRecordSet(ctx: ArmContext, zone: StoredResource<ZoneBody>, id: string): void {
  ctx.store.resources.delete(id);
  refreshZoneCounters(ctx, zone.id);
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw bad(`The value '${String(v)}' of ${path} is invalid; it must be an integer from ${min} to ${max}.`);
  return v;
}

function domainName(v: unknown, path: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > 254)
    throw bad(`The value '${String(v)}' of ${path} is not a valid domain name.`);
  const name = v.endsWith(".") ? v.slice(0, -1) : v;
  if (name === "" || !name.split(".").every((l) => /^[a-z0-9_*](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(l)))
    throw bad(`The value '${v}' of ${path} is not a valid domain name.`);
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(`The value of ${path} must be an object.`);
  return v as Record<string, unknown>;
}

function list(v: unknown, field: string): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(`The value of properties.${field} must be an array.`);
  if (v.length > MAX_RECORDS_PER_SET)
    throw bad(
      `The record set has ${v.length} records in properties.${field}; a record set can hold at most ${MAX_RECORDS_PER_SET} records.`,
    );
  return v;
}

/**
 * Validates the records of `type` in request `properties` and returns them in wire shape; undefined when the
 * request names none (the set keeps what it had on PATCH, or is empty on PUT).
 * @throws AzureError BadRequest for a malformed record (IPv4 for A, IPv6 for AAAA, one CNAME, …)
 */
export function parseRecords(
  type: RecordType,
  p: Record<string, unknown>,
  existingSoa?: SoaRecord,
): Partial<RecordSetProperties> | undefined {
  const field = RECORD_FIELD[type];
  for (const [t, f] of Object.entries(RECORD_FIELD)) {
    if (t === type) continue;
    const v = p[f];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
      throw bad(`A record set of type '${type}' cannot contain properties.${f} (records of type '${t}').`);
  }
  const v = p[field];
  switch (type) {
    case "A": {
      const l = list(v, field);
      return (
        l && {
          aRecords: l.map((r, i) => {
            const a = obj(r, `properties.aRecords[${i}]`).ipv4Address;
            if (typeof a !== "string" || !isIPv4(a))
              throw bad(
                `The value '${String(a)}' of properties.aRecords[${i}].ipv4Address is not a valid IPv4 address.`,
              );
            return { ipv4Address: a };
          }),
        }
      );
    }
    case "AAAA": {
      const l = list(v, field);
      return (
        l && {
          aaaaRecords: l.map((r, i) => {
            const a = obj(r, `properties.aaaaRecords[${i}]`).ipv6Address;
            if (typeof a !== "string" || !isIPv6(a))
              throw bad(
                `The value '${String(a)}' of properties.aaaaRecords[${i}].ipv6Address is not a valid IPv6 address.`,
              );
            return { ipv6Address: a };
          }),
        }
      );
    }
    case "CNAME": {
      if (v === undefined || v === null) return undefined;
      if (Array.isArray(v))
        throw bad("A CNAME record set can contain only one record: properties.cnameRecord must be a single object.");
      return {
        cnameRecord: { cname: domainName(obj(v, "properties.cnameRecord").cname, "properties.cnameRecord.cname") },
      };
    }
    case "MX": {
      const l = list(v, field);
      return (
        l && {
          mxRecords: l.map((r, i) => {
            const o = obj(r, `properties.mxRecords[${i}]`);
            return {
              preference: int(o.preference, `properties.mxRecords[${i}].preference`, 0, 65535),
              exchange: domainName(o.exchange, `properties.mxRecords[${i}].exchange`),
            };
          }),
        }
      );
    }
    case "PTR": {
      const l = list(v, field);
      return (
        l && {
          ptrRecords: l.map((r, i) => ({
            ptrdname: domainName(
              obj(r, `properties.ptrRecords[${i}]`).ptrdname,
              `properties.ptrRecords[${i}].ptrdname`,
            ),
          })),
        }
      );
    }
    case "SRV": {
      const l = list(v, field);
      return (
        l && {
          srvRecords: l.map((r, i) => {
            const o = obj(r, `properties.srvRecords[${i}]`);
            const at = `properties.srvRecords[${i}]`;
            return {
              priority: int(o.priority, `${at}.priority`, 0, 65535),
              weight: int(o.weight, `${at}.weight`, 0, 65535),
              port: int(o.port, `${at}.port`, 0, 65535),
              target: o.target === "." ? "." : domainName(o.target, `${at}.target`),
            };
          }),
        }
      );
    }
    case "TXT": {
      const l = list(v, field);
      return (
        l && {
          txtRecords: l.map((r, i) => {
            const val = obj(r, `properties.txtRecords[${i}]`).value;
            if (!Array.isArray(val) || val.length === 0 || !val.every((s) => typeof s === "string"))
              throw bad(`The value of properties.txtRecords[${i}].value must be a non-empty array of strings.`);
            if ((val as string[]).join("").length > 1024)
              throw bad(`The TXT record properties.txtRecords[${i}] is longer than 1024 characters.`);
            return { value: [...(val as string[])] };
          }),
        }
      );
    }
    case "SOA": {
      if (v === undefined || v === null) return undefined;
      const o = obj(v, "properties.soaRecord");
      const base = existingSoa ?? DEFAULT_SOA;
      const str = (k: "host" | "email"): string => {
        if (o[k] === undefined || o[k] === null) return base[k];
        return domainName(o[k], `properties.soaRecord.${k}`);
      };
      const num = (k: "serialNumber" | "refreshTime" | "retryTime" | "expireTime" | "minimumTtl"): number =>
        o[k] === undefined || o[k] === null ? base[k] : int(o[k], `properties.soaRecord.${k}`, 0, 4294967295);
      return {
        soaRecord: {
          email: str("email"),
          expireTime: num("expireTime"),
          host: str("host"),
          minimumTtl: num("minimumTtl"),
          refreshTime: num("refreshTime"),
          retryTime: num("retryTime"),
          serialNumber: num("serialNumber"),
        },
      };
    }
  }
}

function parseTtl(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return int(v, "properties.ttl", 0, 2147483647);
}

function parseMetadata(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, "properties.metadata");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== "string") throw bad(`The value of properties.metadata.${k} must be a string.`);
    out[k] = val;
  }
  return out;
}

/** Builds the stored properties in Azure's field order: metadata, ttl, fqdn, isAutoRegistered, records. */
function assemble(
  type: RecordType,
  relativeName: string,
  zoneName: string,
  o: {
    metadata?: Record<string, string>;
    ttl: number;
    isAutoRegistered: boolean;
    records?: Partial<RecordSetProperties>;
  },
): RecordSetProperties {
  const props: RecordSetProperties = {
    ...(o.metadata && Object.keys(o.metadata).length > 0 ? { metadata: o.metadata } : {}),
    ttl: o.ttl,
    fqdn: fqdnOf(relativeName, zoneName),
    isAutoRegistered: o.isAutoRegistered,
  };
  const field = RECORD_FIELD[type];
  const records = o.records?.[field];
  if (records !== undefined) (props as unknown as Record<string, unknown>)[field] = records;
  else if (type !== "CNAME" && type !== "SOA") (props as unknown as Record<string, unknown>)[field] = [];
  return props;
}

function notFound(ctx: ArmContext, rg: string, name: string) {
  return armErrors.NotFound(
    `The resource record '${name}' does not exist in resource group '${rg}' of subscription '${ctx.subscriptionId}'.`,
  );
}

function checkPreconditions(req: ArmRequest, existing: StoredResource<RecordSetBody> | undefined, name: string): void {
  const ifMatch = header(req, "if-match");
  const ifNoneMatch = header(req, "if-none-match");
  if (ifNoneMatch !== undefined && existing && etagMatches(ifNoneMatch, existing.body.etag)) {
    throw armErrors.PreconditionFailed(`The Record set ${name} exists already and hence cannot be created again.`);
  }
  if (ifMatch !== undefined) {
    if (!existing) throw armErrors.PreconditionFailed(`The Record set ${name} does not exist.`);
    if (!etagMatches(ifMatch, existing.body.etag))
      throw armErrors.PreconditionFailed(`The Record set ${name} has been modified (etag mismatch).`);
  }
}

/** CNAME excludes every other type at the same name (RFC 1034 §3.6.2), and a CNAME can't join other types. */
function checkCnameExclusivity(ctx: ArmContext, zone: StoredResource<ZoneBody>, type: RecordType, name: string): void {
  const others = recordSetsOf(ctx, zone.id).filter(
    (s) => s.body.name.toLowerCase() === name.toLowerCase() && !s.type.endsWith(`/${type}`),
  );
  if (others.length === 0) return;
  if (type === "CNAME")
    throw bad(
      `The CNAME record set '${name}' cannot be created because a record set of type '${others[0].type.split("/").pop()}' with the same name exists; a CNAME record set cannot coexist with other record sets of the same name.`,
    );
  if (others.some((s) => s.type.endsWith("/CNAME")))
    throw bad(
      `The ${type} record set '${name}' cannot be created because a CNAME record set with the same name exists; a CNAME record set cannot coexist with other record sets of the same name.`,
    );
}

/** Registers the record set routes: PUT/PATCH/GET/DELETE of one set, lists per type and across types (`ALL`, `recordsets`). */
export function registerRecordSets(router: ArmRouter): void {
  const zonePath =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateDnsZones/{privateZoneName}";
  const setPath = `${zonePath}/{recordType}/{relativeRecordSetName}`;

  router.add("PUT", setPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const type = requireType(req);
    const requested = req.params.relativeRecordSetName;
    if (!validRelativeName(requested, zone.name)) throw bad(`The record set name '${requested}' is invalid.`);
    const id = recordSetId(zone, type, requested);
    const existing = ctx.store.resources.get<RecordSetBody>(id);
    const name = existing?.body.name ?? requested;
    checkPreconditions(req, existing, name);
    if (type === "SOA" && name !== "@") throw bad("An SOA record set can only exist at the zone apex '@'.");
    if (type === "CNAME" && name === "@") throw bad("A CNAME record set cannot be created at the zone apex '@'.");
    const p = propertiesOf(requireObjectBody(req));
    const records = parseRecords(type, p, existing?.body.properties.soaRecord);
    if (type === "SOA" && !records) throw bad("The SOA record set must contain properties.soaRecord.");
    checkCnameExclusivity(ctx, zone, type, name);
    if (!existing && recordSetsOf(ctx, zone.id).length >= ZONE_LIMITS.recordSets) {
      throw armErrors.QuotaExceeded(
        `The maximum number of record sets (${ZONE_LIMITS.recordSets}) in private DNS zone '${zone.name}' has been reached.`,
      );
    }
    const body: RecordSetBody = {
      id: existing?.id ?? id,
      name,
      type: recordSetResourceType(type),
      etag: newDnsEtag(),
      properties: assemble(type, name, zone.name, {
        metadata: parseMetadata(p.metadata),
        ttl: parseTtl(p.ttl) ?? DEFAULT_TTL,
        isAutoRegistered: existing?.body.properties.isAutoRegistered ?? false,
        records,
      }),
    };
    ctx.store.tx(() => storeRecordSet(ctx, zone, type, body));
    return { status: existing ? 200 : 201, body };
  });

  router.add("PATCH", setPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const type = requireType(req);
    const existing = ctx.store.resources.get<RecordSetBody>(recordSetId(zone, type, req.params.relativeRecordSetName));
    if (!existing) throw notFound(ctx, rg, req.params.relativeRecordSetName);
    checkPreconditions(req, existing, existing.body.name);
    const p = propertiesOf(requireObjectBody(req));
    const records = parseRecords(type, p, existing.body.properties.soaRecord);
    const field = RECORD_FIELD[type];
    const old = existing.body.properties;
    const metadata = parseMetadata(p.metadata);
    const body: RecordSetBody = {
      ...existing.body,
      etag: newDnsEtag(),
      properties: assemble(type, existing.body.name, zone.name, {
        metadata: metadata ?? old.metadata,
        ttl: parseTtl(p.ttl) ?? old.ttl,
        isAutoRegistered: old.isAutoRegistered,
        records: records ?? (old[field] !== undefined ? { [field]: old[field] } : undefined),
      }),
    };
    ctx.store.tx(() => storeRecordSet(ctx, zone, type, body));
    return { status: 200, body };
  });

  router.add("GET", setPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const type = requireType(req);
    const existing = ctx.store.resources.get<RecordSetBody>(recordSetId(zone, type, req.params.relativeRecordSetName));
    if (!existing) {
      const auto =
        type === "A"
          ? autoRegisteredRecordSetsOf(ctx, zone).find((r) => r.name === req.params.relativeRecordSetName.toLowerCase())
          : undefined;
      if (auto) return { status: 200, body: auto.body };
      throw notFound(ctx, rg, req.params.relativeRecordSetName);
    }
    return { status: 200, body: existing.body };
  });

  router.add("DELETE", setPath, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const type = requireType(req);
    if (type === "SOA") throw bad("The SOA record set of a zone cannot be deleted.");
    const existing = ctx.store.resources.get<RecordSetBody>(recordSetId(zone, type, req.params.relativeRecordSetName));
    const ifMatch = header(req, "if-match");
    if (!existing) {
      if (ifMatch !== undefined)
        throw armErrors.PreconditionFailed(`The Record set ${req.params.relativeRecordSetName} does not exist.`);
      return { status: 204 };
    }
    if (ifMatch !== undefined && !etagMatches(ifMatch, existing.body.etag))
      throw armErrors.PreconditionFailed(`The Record set ${existing.body.name} has been modified (etag mismatch).`);
    ctx.store.tx(() => deleteRecordSet(ctx, zone, existing.id));
    return { status: 200 };
  });

  const listAll = (req: ArmRequest, ctx: ArmContext) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const sets = [...recordSetsOf(ctx, zone.id), ...autoRegisteredRecordSetsOf(ctx, zone)];
    return {
      status: 200,
      body: pagedList(
        req,
        bySuffix(req, sets).map((s) => s.body),
      ),
    };
  };
  router.add("GET", `${zonePath}/ALL`, listAll);
  router.add("GET", `${zonePath}/recordsets`, listAll);

  router.add("GET", `${zonePath}/{recordType}`, (req, ctx) => {
    const rg = rgName(ctx, req);
    const zone = requireParentZone(ctx, rg, req.params.privateZoneName);
    const type = requireType(req);
    const sets = [...recordSetsOf(ctx, zone.id), ...autoRegisteredRecordSetsOf(ctx, zone)].filter((s) =>
      s.type.endsWith(`/${type}`),
    );
    return {
      status: 200,
      body: pagedList(
        req,
        bySuffix(req, sets).map((s) => s.body),
      ),
    };
  });
}

/** `$recordsetnamesuffix`: only names ending in `.{suffix}` (spec wording). */
function bySuffix(req: ArmRequest, sets: StoredResource<RecordSetBody>[]): StoredResource<RecordSetBody>[] {
  const suffix = req.query["$recordsetnamesuffix"];
  if (!suffix) return sets;
  const s = suffix.toLowerCase().replace(/^\./, "");
  return sets.filter((r) => r.body.name.toLowerCase().endsWith(`.${s}`));
}
