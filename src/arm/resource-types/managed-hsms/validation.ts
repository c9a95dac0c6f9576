/**
 * Validation of managed HSM writes (PUT create, PUT full update, PATCH) against the rules of spec `managedHsm.json`
 * 2022-07-01 and the real service (control-plane.md §3.2). Produces the next stored body or throws the ARM error.
 *
 * Codes: semantic violations are `400 BadRequest` (the Key Vault RP's catch-all; the ipRules message is the real one,
 * azure-rest-api-specs #21793); JSON of the wrong type is `400 InvalidRequestContent` as ARM's deserialiser says.
 * On a PUT update, optional properties left out keep their current values (az always echoes them; SDK callers who
 * send a partial body do not silently open the firewall or drop tags).
 */
import type { ArmContext } from "../../engine.js";
import type { Principal } from "../../../entra/identity.js";
import { armErrors } from "../../errors.js";
import { isoNow } from "../../../kernel/clock.js";
import {
  MHSM_TYPE,
  SKU_NAMES,
  STATUS_PROVISIONED,
  actorOf,
  hsmUriOf,
  orderProperties,
  type ManagedHsmBody,
  type NetworkAcls,
} from "./model.js";
import { NOT_ACTIVATED } from "../../../hsm/security-domain/activation.js";
import { normalizeLocation } from "../../../kernel/azure-names.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const DEFAULT_RETENTION_DAYS = 90;
/**
 * Network ACLs of an HSM created without any: the spec defaults (`bypass` AzureServices, `defaultAction` Allow). The one
 * place the server fills in an omitted `bypass` (FC-17).
 */
export const DEFAULT_NETWORK_ACLS: NetworkAcls = {
  bypass: "AzureServices",
  defaultAction: "Allow",
  ipRules: [],
  virtualNetworkRules: [],
};

/**
 * Why a managed HSM name is invalid, or undefined when it is valid: 3–24 characters, a letter first, a letter or digit
 * last, only letters, digits and hyphens (the name is a DNS label of `managedhsm.azure.net`).
 */
export function nameProblem(name: string): string | undefined {
  if (/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(name)) return undefined;
  return `The managed HSM name '${name}' is invalid. A managed HSM name must be between 3 and 24 characters long, begin with a letter, end with a letter or digit, and contain only alphanumeric characters and hyphens.`;
}

function badType(path: string, expected: string): never {
  throw armErrors.InvalidRequestContent(
    `The request content was invalid and could not be deserialized: 'Property '${path}' must be ${expected}.'.`,
  );
}

function optObject(v: unknown, path: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) badType(path, "an object");
  return v as Record<string, unknown>;
}

function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") badType(path, "true or false");
  return v;
}

function optEnum<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
  if (v === undefined || v === null) return undefined;
  const hit = typeof v === "string" ? allowed.find((a) => a.toLowerCase() === v.toLowerCase()) : undefined;
  if (!hit)
    throw armErrors.BadRequest(
      `Invalid value '${String(v)}' for property '${path}'. Allowed values are ${allowed.map((a) => `'${a}'`).join(", ")}.`,
    );
  return hit;
}

/**
 * `networkAcls.bypass`: `AzureServices` or `None` (any casing). Anything else gets the service's own sentence, as a
 * managed HSM answered it (Azure/azure-cli#18779, 2021: "(400) ByPass property is invalid. Supported values are : None,
 * AzureServices"); the error code is hsmlink's choice (`BadRequest`), az printed only the status there.
 */
function bypassOf(v: unknown): "AzureServices" | "None" | undefined {
  if (v === undefined || v === null) return undefined;
  const hit =
    typeof v === "string"
      ? (["AzureServices", "None"] as const).find((a) => a.toLowerCase() === v.toLowerCase())
      : undefined;
  if (!hit) throw armErrors.BadRequest("ByPass property is invalid. Supported values are : None, AzureServices");
  return hit;
}

function tagsOf(v: unknown): Record<string, string> | undefined {
  const o = optObject(v, "tags");
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) {
    if (typeof val !== "string" && typeof val !== "number" && typeof val !== "boolean")
      badType(`tags.${k}`, "a string");
    if (k.length > 512 || String(val).length > 256)
      throw armErrors.BadRequest(
        `The tag name '${k.slice(0, 40)}' or its value exceeds the maximum length (512 and 256 characters).`,
      );
    out[k] = String(val);
  }
  if (Object.keys(out).length > 50) throw armErrors.BadRequest("The number of tags exceeds the maximum of 50.");
  return out;
}

/** `createMode` of a PUT: `default` (or absent) or `recover`, any casing (az sends `Recover`, control-plane.md §0.8). */
export function createModeOf(body: Record<string, unknown>): "default" | "recover" {
  const props = optObject(body.properties, "properties");
  const mode = optEnum(props?.createMode, "properties.createMode", ["default", "recover"] as const);
  return mode ?? "default";
}

/** Checks `properties.tenantId` is the emulated tenant (the only tenant a managed HSM of this subscription can live in). */
export function checkTenant(ctx: ArmContext, tenantId: unknown, required: boolean): void {
  if (tenantId === undefined || tenantId === null) {
    if (required) throw armErrors.BadRequest("Property properties.tenantId is required.");
    return;
  }
  if (typeof tenantId !== "string") badType("properties.tenantId", "a GUID string");
  if (!GUID.test(tenantId)) throw armErrors.BadRequest(`The tenant ID '${tenantId}' is not a valid GUID.`);
  if (tenantId.toLowerCase() !== ctx.config.tenantId.toLowerCase()) {
    throw armErrors.BadRequest(
      `The tenant ID '${tenantId}' is not the tenant of subscription '${ctx.subscriptionId}'. A managed HSM must be created in tenant '${ctx.config.tenantId}'.`,
    );
  }
}

/** Validates and normalises a location for a managed HSM; `global` and unknown regions are refused. */
export function locationOf(v: unknown): string {
  const loc = normalizeLocation(v);
  if (!loc || loc === "global") throw armErrors.LocationNotAvailableForResourceType(String(v), MHSM_TYPE);
  return loc;
}

function networkAclsOf(v: unknown, current: NetworkAcls | undefined, patch: boolean): NetworkAcls | undefined {
  const o = optObject(v, "properties.networkAcls");
  if (!o) return undefined;
  for (const [key, label] of [
    ["ipRules", "ipRules"],
    ["virtualNetworkRules", "virtualNetworkRules"],
    ["serviceTags", "serviceTags"],
  ] as const) {
    const rules = o[key];
    if (rules === undefined || rules === null) continue;
    if (!Array.isArray(rules)) badType(`properties.networkAcls.${label}`, "an array");
    // The how-to: "Managed HSM does not support IP rules or Virtual Network Service Endpoints"; empty arrays are fine.
    if (rules.length > 0)
      throw armErrors.BadRequest(
        `Property properties.networkAcls.${label} is not supported currently and must be set to null.`,
      );
  }
  const base = patch && current ? current : DEFAULT_NETWORK_ACLS;
  return {
    bypass: bypassOf(o.bypass) ?? base.bypass,
    defaultAction:
      optEnum(o.defaultAction, "properties.networkAcls.defaultAction", ["Allow", "Deny"] as const) ??
      base.defaultAction,
    ipRules: [],
    virtualNetworkRules: [],
  };
}

export interface WriteInput {
  ctx: ArmContext;
  /** The HSM's id and name in the casing the resource keeps. */
  id: string;
  name: string;
  body: Record<string, unknown>;
  principal: Principal;
  /** The stored HSM for an update, undefined for a create. */
  current?: ManagedHsmBody;
  /** PATCH: merge into `current`; PUT: full body. */
  patch: boolean;
}

/**
 * Builds the HSM body a create, full update or patch results in.
 * @throws AzureError 400 `LocationRequired` / `LocationNotAvailableForResourceType` / `InvalidResourceLocation`,
 *   400 `BadRequest` (tenant, sku, retention, purge protection, soft delete, network ACLs, admins, regions),
 *   400 `InvalidRequestContent` (wrong JSON types)
 */
export function buildHsmBody(w: WriteInput): ManagedHsmBody {
  const { ctx, body, current, patch } = w;
  const now = isoNow(ctx.clock);
  const actor = actorOf(w.principal);

  let location = current?.location;
  if (body.location === undefined || body.location === null || body.location === "") {
    if (!patch) throw armErrors.LocationRequired();
  } else {
    const loc = locationOf(body.location);
    if (current && loc !== current.location)
      throw armErrors.InvalidResourceLocation(
        w.name,
        current.location,
        w.id.split("/")[4] ?? "",
        String(body.location),
      );
    location = loc;
  }

  const skuIn = optObject(body.sku, "sku");
  let sku = current?.sku ?? { family: "B", name: "Standard_B1" };
  if (skuIn) {
    const name = optEnum(skuIn.name, "sku.name", SKU_NAMES) ?? sku.name;
    // az sends family B for every sku name (create_hsm hard-codes it), so the family is not checked against the name.
    const family = optEnum(skuIn.family, "sku.family", ["B", "C"] as const) ?? sku.family;
    if (current && name !== current.sku.name)
      throw armErrors.BadRequest(
        `The SKU of managed HSM '${w.name}' cannot be changed from '${current.sku.name}' to '${name}'.`,
      );
    sku = { family, name };
  }

  const tags = tagsOf(body.tags) ?? current?.tags ?? {};

  const props = optObject(body.properties, "properties") ?? {};
  if (!current && !optObject(body.properties, "properties"))
    throw armErrors.BadRequest("Property properties is required.");
  checkTenant(ctx, props.tenantId, !current);

  let admins = current?.properties.initialAdminObjectIds;
  if (props.initialAdminObjectIds !== undefined && props.initialAdminObjectIds !== null) {
    if (!Array.isArray(props.initialAdminObjectIds))
      badType("properties.initialAdminObjectIds", "an array of GUID strings");
    for (const a of props.initialAdminObjectIds) {
      if (typeof a !== "string" || !GUID.test(a.trim()))
        throw armErrors.BadRequest(
          `Invalid object id '${String(a)}' in properties.initialAdminObjectIds: object ids are GUIDs.`,
        );
    }
    admins = (props.initialAdminObjectIds as string[]).map((a) => a.trim().toLowerCase());
  }
  if (!admins || admins.length === 0)
    throw armErrors.BadRequest(
      "Property properties.initialAdminObjectIds is required and must contain at least one object id.",
    );

  if (optBool(props.enableSoftDelete, "properties.enableSoftDelete") === false) {
    throw armErrors.BadRequest(
      "Soft delete is always enabled for a managed HSM; properties.enableSoftDelete cannot be false.",
    );
  }

  let retention = current?.properties.softDeleteRetentionInDays ?? DEFAULT_RETENTION_DAYS;
  const r = props.softDeleteRetentionInDays;
  if (r !== undefined && r !== null) {
    if (typeof r !== "number" || !Number.isInteger(r)) badType("properties.softDeleteRetentionInDays", "an integer");
    if (r < 7 || r > 90)
      throw armErrors.BadRequest(
        `Invalid value '${r}' for property 'properties.softDeleteRetentionInDays'. It accepts >=7 and <=90.`,
      );
    if (current && r !== current.properties.softDeleteRetentionInDays) {
      throw armErrors.BadRequest(
        `Property properties.softDeleteRetentionInDays cannot be changed after the managed HSM is created (it is ${current.properties.softDeleteRetentionInDays}).`,
      );
    }
    retention = r;
  }

  let purgeProtection = current?.properties.enablePurgeProtection ?? false;
  const pp = optBool(props.enablePurgeProtection, "properties.enablePurgeProtection");
  if (pp !== undefined) {
    if (current?.properties.enablePurgeProtection && !pp) {
      throw armErrors.BadRequest(
        'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a managed HSM is an irreversible action.',
      );
    }
    purgeProtection = pp;
  }

  const networkAcls =
    networkAclsOf(props.networkAcls, current?.properties.networkAcls, patch) ??
    current?.properties.networkAcls ??
    DEFAULT_NETWORK_ACLS;
  const publicNetworkAccess =
    optEnum(props.publicNetworkAccess, "properties.publicNetworkAccess", ["Enabled", "Disabled"] as const) ??
    current?.properties.publicNetworkAccess ??
    "Enabled";

  if (props.regions !== undefined && props.regions !== null) {
    if (!Array.isArray(props.regions)) badType("properties.regions", "an array");
    if (props.regions.length > 0)
      throw armErrors.BadRequest(
        "Property properties.regions (multi-region replication) is not supported by hsmlink and must be empty or null.",
      );
  }

  const properties = orderProperties({
    tenantId: ctx.config.tenantId,
    hsmUri: hsmUriOf(w.name),
    initialAdminObjectIds: admins,
    enableSoftDelete: true,
    softDeleteRetentionInDays: retention,
    enablePurgeProtection: purgeProtection,
    provisioningState: "Succeeded",
    statusMessage: STATUS_PROVISIONED,
    networkAcls,
    ...(current?.properties.privateEndpointConnections?.length
      ? { privateEndpointConnections: current.properties.privateEndpointConnections }
      : {}),
    publicNetworkAccess,
    regions: [],
    // The security domain (src/hsm/security-domain) activates the HSM; ARM never changes the status itself.
    securityDomainProperties: current?.properties.securityDomainProperties ?? { ...NOT_ACTIVATED },
  });

  return {
    sku,
    id: w.id,
    name: w.name,
    type: MHSM_TYPE,
    location: location!,
    tags,
    systemData: {
      createdBy: current?.systemData.createdBy ?? actor.by,
      createdByType: current?.systemData.createdByType ?? actor.byType,
      createdAt: current?.systemData.createdAt ?? now,
      lastModifiedBy: actor.by,
      lastModifiedByType: actor.byType,
      lastModifiedAt: now,
    },
    properties,
  };
}
