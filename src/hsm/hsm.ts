/**
 * The managed HSM a data-plane request addresses, read from its ARM resource (`Microsoft.KeyVault/managedHSMs`,
 * wire shape of control-plane.md §3.2). Soft-deleted HSMs live under another resource type, so only live HSMs
 * are found here.
 */
import type { Store } from "../store/db.js";
import { perStore } from "../store/version-cache.js";
import type { StoredResource } from "../store/resources.js";
import { RESOURCE_TYPES } from "../kernel/azure-names.js";

export const MHSM_RESOURCE_TYPE = RESOURCE_TYPES.managedHsm;

/** What the data plane needs of a managed HSM. `name` is lower case. */
export interface HsmInfo {
  name: string;
  resourceId: string;
  location: string;
  tenantId: string;
  /** 7..90, default 90. */
  retentionDays: number;
  purgeProtection: boolean;
  initialAdminObjectIds: string[];
  provisioningState: string;
  activationStatus: string;
  /** The full ARM body, for the network seam. */
  resource: Record<string, unknown>;
}

interface MhsmBody {
  name?: string;
  location?: string;
  properties?: {
    tenantId?: string;
    initialAdminObjectIds?: string[];
    softDeleteRetentionInDays?: number;
    enablePurgeProtection?: boolean;
    provisioningState?: string;
    securityDomainProperties?: { activationStatus?: string };
  };
}

const byStore = perStore<Map<string, StoredResource<MhsmBody>>>(1);

/** The live HSM resources by lower-case name (the first one of a name wins), re-read only after a store write. */
function hsmResources(store: Store): Map<string, StoredResource<MhsmBody>> {
  return byStore(store).get("", () => {
    const byName = new Map<string, StoredResource<MhsmBody>>();
    for (const r of store.resources.list<MhsmBody>(MHSM_RESOURCE_TYPE)) {
      const key = r.name.toLowerCase();
      if (!byName.has(key)) byName.set(key, deepFreeze(r));
    }
    return byName;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The live managed HSM named `name` (case-insensitive), or undefined. `resource` is shared and frozen. */
export function findHsm(store: Store, name: string): HsmInfo | undefined {
  const key = name.toLowerCase();
  const r = hsmResources(store).get(key);
  if (!r) return undefined;
  const p = r.body.properties ?? {};
  const days = Number(p.softDeleteRetentionInDays ?? 90);
  return {
    name: key,
    resourceId: r.id,
    location: String(r.body.location ?? ""),
    tenantId: String(p.tenantId ?? ""),
    retentionDays: Number.isInteger(days) && days >= 7 && days <= 90 ? days : 90,
    purgeProtection: p.enablePurgeProtection === true,
    initialAdminObjectIds: Array.isArray(p.initialAdminObjectIds)
      ? p.initialAdminObjectIds.map((x) => String(x).toLowerCase())
      : [],
    provisioningState: String(p.provisioningState ?? ""),
    activationStatus: String(p.securityDomainProperties?.activationStatus ?? "NotActivated"),
    resource: r.body as Record<string, unknown>,
  };
}

/** DeletionRecoveryLevel of keys in this HSM (data-plane.md §2.1). */
export function recoveryLevel(hsm: HsmInfo): string {
  const base = hsm.retentionDays === 90 ? "Recoverable" : "CustomizedRecoverable";
  return hsm.purgeProtection ? base : `${base}+Purgeable`;
}
