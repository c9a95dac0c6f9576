/**
 * Microsoft.KeyVault/managedHSMs as stored and served: the wire shapes of a managed HSM, its deleted (soft-deleted)
 * record, its private endpoint connections and its private link resource (control-plane.md §3.2–§3.5, spec
 * `managedHsm.json` 2022-07-01), and the store look-ups other modules (data plane, troubleshooter, private
 * endpoints) use to find them. Every stored body is the wire JSON, kept current on every write.
 */
import { forgetHsmData } from "../../../hsm/store.js";
import type { Store } from "../../../store/db.js";
import type { StoredResource } from "../../../store/resources.js";
import type { ArmContext } from "../../engine.js";
import type { Principal } from "../../../entra/identity.js";
import { parseResourceId, resourceId } from "../../../kernel/resource-ids.js";
import { armErrors } from "../../errors.js";
import { RESOURCE_TYPES } from "../../../kernel/azure-names.js";
import type {
  ManagedHsm,
  ManagedHsmProperties,
  PrivateEndpointConnectionItem,
  PrivateLinkServiceConnectionState,
} from "../../../kernel/arm-wire.js";

export type {
  ManagedHsmProperties,
  NetworkAcls,
  PrivateEndpointConnectionItem,
  SystemData,
} from "../../../kernel/arm-wire.js";
/** The HSM side's connection state: the wire type (src/kernel/arm-wire.ts). */
export type ConnectionState = PrivateLinkServiceConnectionState;
/** The ManagedHsm resource as GET returns it: the wire type. */
export type ManagedHsmBody = ManagedHsm;

export const MHSM_TYPE = RESOURCE_TYPES.managedHsm;
/** Store type of the HSM-side private endpoint connections (children of the HSM row). */
export const MHSM_PEC_TYPE = RESOURCE_TYPES.managedHsmPrivateEndpointConnection;
/**
 * `type` the real service prints for an HSM private endpoint connection: `vaults`, not `managedHSMs` (a service bug
 * seen in the 2021 recording, control-plane.md §0.6). Copied on purpose; the SDKs deserialise either.
 */
export const MHSM_PEC_WIRE_TYPE = "Microsoft.KeyVault/vaults/privateEndpointConnections";
/** Store type of soft-deleted HSMs (subscription-level, not in any resource group). */
export const DELETED_MHSM_TYPE = RESOURCE_TYPES.deletedManagedHsm;
/** `type` the real service prints for a deleted HSM: lower-case `v` in `Keyvault` (control-plane.md §3.3). */
export const DELETED_MHSM_WIRE_TYPE = "Microsoft.Keyvault/deletedManagedHSMs";
export const MHSM_PRIVATE_LINK_TYPE = RESOURCE_TYPES.managedHsmPrivateLinkResource;

/** The one private link sub-resource (group id) of a managed HSM and its zone (§3.5; the spec example's `managedhsms` is wrong). */
export const MHSM_GROUP_ID = "managedhsm";
export const MHSM_PRIVATE_DNS_ZONE = "privatelink.managedhsm.azure.net";
export const MHSM_DNS_SUFFIX = "managedhsm.azure.net";

export const SKU_NAMES = ["Standard_B1", "Custom_B32", "Custom_B6", "Custom_C42", "Custom_C10"] as const;

export const STATUS_PROVISIONED = "The Managed HSM is provisioned and ready to use.";

/** `MHSMPrivateEndpointConnection`: the GET/PUT shape of one HSM-side connection. */
export interface PrivateEndpointConnectionBody extends PrivateEndpointConnectionItem {
  name: string;
  type: string;
  location: string;
}

/** The DeletedManagedHsm resource (§3.3). `deletionDate`/`scheduledPurgeDate` are ISO-8601 UTC without milliseconds. */
export interface DeletedManagedHsmBody {
  id: string;
  name: string;
  type: string;
  properties: {
    mhsmId: string;
    location: string;
    deletionDate: string;
    scheduledPurgeDate: string;
    purgeProtectionEnabled: boolean;
    tags: Record<string, string>;
  };
  /**
   * The HSM as it was when deleted, for recover. Not wire JSON: stripped by `deletedView` before anything is sent.
   * Private endpoint connections are not kept (a recovered HSM has none; the how-to's warning, FC-30).
   */
  "x-hsmlink-original"?: ManagedHsmBody;
}

/** `https://{name}.managedhsm.azure.net/` (trailing slash as on GET; DNS names are lower case). */
export function hsmUriOf(name: string): string {
  return `https://${hsmFqdnOf(name)}/`;
}

/** `{name}.managedhsm.azure.net`, lower case. */
export function hsmFqdnOf(name: string): string {
  return `${name.toLowerCase()}.${MHSM_DNS_SUFFIX}`;
}

/** ISO-8601 UTC without milliseconds, as the deleted-HSM dates are printed (`2022-11-15T09:16:02Z`). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `systemData` actor fields for a principal (ARM: `createdByType` User|Application|ManagedIdentity|Key). */
export function actorOf(p: Principal): { by: string; byType: string } {
  return { by: p.appId, byType: p.kind === "ManagedIdentity" ? "ManagedIdentity" : "Application" };
}

/** The canonical id of a managed HSM. */
export function managedHsmId(subscriptionId: string, resourceGroup: string, name: string): string {
  return resourceId(subscriptionId, resourceGroup, "Microsoft.KeyVault", "managedHSMs", name);
}

/** The id of a deleted HSM: `/subscriptions/{s}/providers/Microsoft.KeyVault/locations/{l}/deletedManagedHSMs/{n}`. */
export function deletedManagedHsmId(subscriptionId: string, location: string, name: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedManagedHSMs/${name}`;
}

/** True when `id` names a managed HSM (`…/providers/Microsoft.KeyVault/managedHSMs/{name}`, any casing). */
export function isManagedHsmId(id: string): boolean {
  const p = parseResourceId(id);
  return (
    !!p &&
    !!p.resourceGroup &&
    p.namespace?.toLowerCase() === "microsoft.keyvault" &&
    p.segments.length === 1 &&
    p.segments[0].type.toLowerCase() === "managedhsms"
  );
}

/** The live managed HSM with this id (any casing), or undefined. */
export function getManagedHsm(store: Store, id: string): StoredResource<ManagedHsmBody> | undefined {
  const r = store.resources.get<ManagedHsmBody>(id);
  return r && r.type.toLowerCase() === MHSM_TYPE.toLowerCase() ? r : undefined;
}

/**
 * The live managed HSM with this name in the subscription, in any resource group (names are global DNS labels, so at
 * most one exists). The data plane maps `{name}.managedhsm.azure.net` to its HSM with this.
 */
export function findManagedHsmByName(
  store: Store,
  name: string,
  subscriptionId?: string,
): StoredResource<ManagedHsmBody> | undefined {
  const key = name.toLowerCase();
  return store.resources
    .list<ManagedHsmBody>(MHSM_TYPE, subscriptionId ? { subscriptionId } : {})
    .find((r) => r.name.toLowerCase() === key);
}

/** The HSM at `…/resourceGroups/{rg}/…/managedHSMs/{name}` of the emulated subscription, or throws 404 `ResourceNotFound`. */
export function requireManagedHsm(
  ctx: ArmContext,
  resourceGroup: string,
  name: string,
): StoredResource<ManagedHsmBody> {
  const hsm = getManagedHsm(ctx.store, managedHsmId(ctx.subscriptionId, resourceGroup, name));
  if (!hsm) throw armErrors.ResourceNotFound(`${MHSM_TYPE}/${name}`, resourceGroup);
  return hsm;
}

/** Whether a deleted HSM is past its scheduled purge date at `now` (ms). */
export function isExpired(d: StoredResource<DeletedManagedHsmBody>, now: number): boolean {
  return Date.parse(d.body.properties.scheduledPurgeDate) <= now;
}

/** The soft-deleted HSM with this name (any location), unless already past its purge date. */
export function findDeletedByName(ctx: ArmContext, name: string): StoredResource<DeletedManagedHsmBody> | undefined {
  const key = name.toLowerCase();
  const now = ctx.clock.now();
  return ctx.store.resources
    .list<DeletedManagedHsmBody>(DELETED_MHSM_TYPE, { subscriptionId: ctx.subscriptionId })
    .find((d) => d.name.toLowerCase() === key && !isExpired(d, now));
}

/**
 * Removes deleted HSMs whose scheduled purge date has passed (Azure purges them automatically then). Lazy: callers run
 * it before reading deleted HSMs. Runs in its own transaction unless `inTx`.
 */
export function purgeExpired(ctx: ArmContext, inTx = false): void {
  const now = ctx.clock.now();
  const expired = ctx.store.resources.list<DeletedManagedHsmBody>(DELETED_MHSM_TYPE).filter((d) => isExpired(d, now));
  if (expired.length === 0) return;
  const run = () => {
    for (const d of expired) purgeDeletedHsm(ctx, d);
  };
  if (inTx) run();
  else ctx.store.tx(run);
}

/**
 * Purges a soft-deleted HSM for good: its deleted record and everything its data plane held (keys, versions, role
 * assignments and definitions, its key-encryption key), so a new HSM of the same name starts empty.
 * Runs inside the caller's transaction.
 */
export function purgeDeletedHsm(ctx: ArmContext, d: StoredResource<DeletedManagedHsmBody>): void {
  ctx.store.resources.delete(d.id);
  forgetHsmData(ctx.store, d.name);
}

/** The deleted-HSM wire JSON (drops the internal copy of the original HSM). */
export function deletedView(
  d: StoredResource<DeletedManagedHsmBody>,
): Omit<DeletedManagedHsmBody, "x-hsmlink-original"> {
  const { "x-hsmlink-original": _original, ...wire } = d.body;
  void _original;
  return wire;
}

/** HSM-side private endpoint connections of an HSM, oldest first. */
export function listConnectionRows(store: Store, hsmId: string): StoredResource<PrivateEndpointConnectionBody>[] {
  return store.resources.list<PrivateEndpointConnectionBody>(MHSM_PEC_TYPE, { parentId: hsmId });
}

/** The list-item shape (`MHSMPrivateEndpointConnectionItem`) of a connection: id, etag, properties. */
export function connectionItem(c: PrivateEndpointConnectionBody): PrivateEndpointConnectionItem {
  return { id: c.id, ...(c.etag ? { etag: c.etag } : {}), properties: c.properties };
}

/**
 * Rewrites the HSM's `properties.privateEndpointConnections` from its connection rows (present only when non-empty,
 * like the service). Call after every connection change, inside the same transaction.
 */
export function syncHsmConnections(ctx: ArmContext, hsmId: string): void {
  const hsm = getManagedHsm(ctx.store, hsmId);
  if (!hsm) return;
  const items = listConnectionRows(ctx.store, hsm.id).map((r) => connectionItem(r.body));
  const props = { ...hsm.body.properties };
  if (items.length) props.privateEndpointConnections = items;
  else delete props.privateEndpointConnections;
  putHsm(ctx, hsm, { ...hsm.body, properties: orderProperties(props) });
}

/** Stores an HSM body on its existing row. */
export function putHsm(
  ctx: ArmContext,
  row: { id: string; name: string; subscriptionId: string; resourceGroup?: string },
  body: ManagedHsmBody,
): void {
  ctx.store.resources.put(
    {
      id: row.id,
      type: MHSM_TYPE,
      name: row.name,
      subscriptionId: row.subscriptionId,
      resourceGroup: row.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/** Properties in the service's order (the SDK models do not care; humans reading `az` output do). */
export function orderProperties(p: ManagedHsmProperties): ManagedHsmProperties {
  const out: ManagedHsmProperties = {
    tenantId: p.tenantId,
    hsmUri: p.hsmUri,
    initialAdminObjectIds: p.initialAdminObjectIds,
    enableSoftDelete: p.enableSoftDelete,
    softDeleteRetentionInDays: p.softDeleteRetentionInDays,
    enablePurgeProtection: p.enablePurgeProtection,
    provisioningState: p.provisioningState,
    statusMessage: p.statusMessage,
    networkAcls: p.networkAcls,
    publicNetworkAccess: p.publicNetworkAccess,
    regions: p.regions,
    securityDomainProperties: p.securityDomainProperties,
  };
  if (p.privateEndpointConnections?.length) {
    // Between networkAcls and publicNetworkAccess, as in the real GET.
    const { publicNetworkAccess, regions, securityDomainProperties, ...head } = out;
    return {
      ...head,
      privateEndpointConnections: p.privateEndpointConnections,
      publicNetworkAccess,
      regions,
      securityDomainProperties,
    };
  }
  return out;
}

/** The private link resources of an HSM (one: group id `managedhsm`). */
export function privateLinkResources(hsm: StoredResource<ManagedHsmBody>): { value: unknown[] } {
  return {
    value: [
      {
        id: `${hsm.id}/privateLinkResources/${MHSM_GROUP_ID}`,
        name: MHSM_GROUP_ID,
        type: MHSM_PRIVATE_LINK_TYPE,
        properties: {
          groupId: MHSM_GROUP_ID,
          requiredMembers: ["default"],
          requiredZoneNames: [MHSM_PRIVATE_DNS_ZONE],
        },
      },
    ],
  };
}
