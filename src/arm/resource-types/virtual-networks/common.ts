/**
 * Helpers shared by the Microsoft.Network resource types hsmlink serves (virtual networks, subnets, peerings,
 * private endpoints, network interfaces): name rule, region, etags, tags, JSON type checks and the network LRO answer.
 */
import type { ArmContext, ArmRequest, ArmResult } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { networkPutAccepted, networkDeleteAccepted } from "../../lro.js";
import { newGuid } from "../../../kernel/ids.js";
import { networkErrors } from "./errors.js";
import { NAMESPACES, RESOURCE_TYPES, normalizeLocation } from "../../../kernel/azure-names.js";

export const NETWORK_NS = NAMESPACES.network;
export const VNET_TYPE = RESOURCE_TYPES.virtualNetwork;
export const SUBNET_TYPE = RESOURCE_TYPES.subnet;
export type { SubResource } from "../../../kernel/arm-wire.js";

export const PEERING_TYPE = RESOURCE_TYPES.virtualNetworkPeering;
export const PE_TYPE = RESOURCE_TYPES.privateEndpoint;
export const NIC_TYPE = RESOURCE_TYPES.networkInterface;

/**
 * Microsoft.Network name rule: 1–80 characters, starts with a letter/digit/underscore, ends with one of those,
 * may contain `.`, `-`, `_` (network RP `InvalidResourceName` text).
 * @throws AzureError InvalidResourceName
 */
export function validateNetworkName(name: string): void {
  if (!/^\w([\w.-]{0,78}\w)?$/u.test(name)) throw networkErrors.InvalidResourceName(name);
}

/** A fresh network etag, `W/"<guid>"` (control-plane.md §1.3). */
export function newEtag(): string {
  return `W/"${newGuid()}"`;
}

/**
 * The region of a tracked network resource from the request body: required, one of Azure's regions
 * (`global` is not offered for these types), normalised to the short name ("West Europe" → "westeurope").
 * @throws AzureError LocationRequired, LocationNotAvailableForResourceType
 */
export function requireRegion(value: unknown, type: string): string {
  if (value === undefined || value === null || value === "") throw armErrors.LocationRequired();
  const loc = normalizeLocation(value);
  if (!loc || loc === "global") throw armErrors.LocationNotAvailableForResourceType(String(value), type);
  return loc;
}

/** Throws ARM's InvalidResourceLocation when an existing resource is PUT with another region. */
export function requireSameLocation(
  existing: { name: string; location: string } | undefined,
  rg: string,
  requested: string,
): void {
  if (existing && existing.location !== requested)
    throw armErrors.InvalidResourceLocation(existing.name, existing.location, rg, requested);
}

/**
 * Validates ARM tags (object of string values, ≤ 50, name ≤ 512 and value ≤ 256 characters).
 * @returns the tags, or undefined when absent
 * @throws AzureError InvalidRequestFormat, BadRequest
 */
export function readTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== "object" || Array.isArray(tags))
    throw networkErrors.InvalidRequestFormat("tags", "Tags must be a JSON object of strings.");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v !== "string")
      throw networkErrors.InvalidRequestFormat(`tags.${k}`, `Error converting value to type 'System.String'.`);
    if (k.length > 512 || v.length > 256)
      throw armErrors.BadRequest(
        `The tag name '${k.slice(0, 40)}' or its value exceeds the maximum length (512 and 256 characters).`,
      );
    out[k] = v;
  }
  if (Object.keys(out).length > 50) throw armErrors.BadRequest("The number of tags exceeds the maximum of 50.");
  return out;
}

/** `properties` of a request body: an object, or `{}` when absent. @throws AzureError InvalidRequestFormat */
export function readProperties(body: Record<string, unknown>, path = "properties"): Record<string, unknown> {
  const p = body.properties;
  if (p === undefined || p === null) return {};
  if (typeof p !== "object" || Array.isArray(p))
    throw networkErrors.InvalidRequestFormat(path, "Expected a JSON object.");
  return p as Record<string, unknown>;
}

/** An optional boolean property; `fallback` when absent. @throws AzureError InvalidRequestFormat */
export function readBoolean(obj: Record<string, unknown>, key: string, path: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean")
    throw networkErrors.InvalidRequestFormat(
      path,
      `Error converting value ${JSON.stringify(v)} to type 'System.Boolean'.`,
    );
  return v;
}

/** An optional array property; `[]` when absent. @throws AzureError InvalidRequestFormat */
export function readArray(obj: Record<string, unknown>, key: string, path: string): unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw networkErrors.InvalidRequestFormat(path, "Expected a JSON array.");
  return v;
}

/** An optional object property; undefined when absent. @throws AzureError InvalidRequestFormat */
export function readObject(
  obj: Record<string, unknown>,
  key: string,
  path: string,
): Record<string, unknown> | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v))
    throw networkErrors.InvalidRequestFormat(path, "Expected a JSON object.");
  return v as Record<string, unknown>;
}

/**
 * Reads an enum property case-insensitively (the RP's JSON parser is) and returns Azure's canonical casing.
 * @throws AzureError InvalidRequestFormat for a value outside `allowed`
 */
export function readEnum<T extends string>(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  allowed: readonly T[],
): T | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const hit = typeof v === "string" ? allowed.find((a) => a.toLowerCase() === v.toLowerCase()) : undefined;
  if (!hit)
    throw networkErrors.InvalidRequestFormat(
      path,
      `Error converting value ${JSON.stringify(v)}: expected one of ${allowed.join(", ")}.`,
    );
  return hit;
}

/** Deep copy of a stored body with the top-level `properties.provisioningState` the PUT response shows ("Updating"). */
export function asUpdating<T>(body: T): T {
  const copy = structuredClone(body) as T & { properties?: { provisioningState?: string } };
  if (copy.properties) copy.properties.provisioningState = "Updating";
  return copy;
}

/**
 * The network LRO answer of a PUT (control-plane.md §0.2, §4.1): 201 new / 200 update, body with
 * `provisioningState: "Updating"`, `Azure-AsyncOperation` (already Succeeded) and the resource's etag.
 */
export function networkPutResult(
  req: ArmRequest,
  ctx: ArmContext,
  o: { created: boolean; body: { id: string; etag?: string }; location: string },
): ArmResult {
  const result = networkPutAccepted(ctx.operations, {
    baseUrl: req.baseUrl,
    subscriptionId: ctx.subscriptionId,
    location: o.location,
    apiVersion: req.apiVersion,
    status: o.created ? 201 : 200,
    body: asUpdating(o.body),
    resourceId: o.body.id,
  });
  if (o.body.etag) result.headers = { ...result.headers, ETag: o.body.etag };
  return result;
}

/** The network LRO answer of a DELETE: 202 with `Azure-AsyncOperation` and `Location` (control-plane.md §4.3). */
export function networkDeleteResult(req: ArmRequest, ctx: ArmContext, location: string): ArmResult {
  return networkDeleteAccepted(ctx.operations, {
    baseUrl: req.baseUrl,
    subscriptionId: ctx.subscriptionId,
    location,
    apiVersion: req.apiVersion,
  });
}

/** A GET answer with the network etag also in the `ETag` header. */
export function okWithEtag(body: { etag?: string }): ArmResult {
  return { status: 200, body, headers: body.etag ? { ETag: body.etag } : undefined };
}
