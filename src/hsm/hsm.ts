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

const byStore = perStore<Map<string, HsmInfo>>(1);

/**
 * The live HSMs by lower-case name (the first resource of a name wins), read and converted only after a store
 * write: every data-plane request looks its HSM up. The infos and their resources are frozen (they are shared).
 */
function liveHsms(store: Store): Map<string, HsmInfo> {
  return byStore(store).get("", () => {
    const byName = new Map<string, HsmInfo>();
    for (const r of store.resources.list<MhsmBody>(MHSM_RESOURCE_TYPE)) {
      const key = r.name.toLowerCase();
      if (!byName.has(key)) byName.set(key, deepFreeze(hsmInfo(key, r)));
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

function hsmInfo(key: string, r: StoredResource<MhsmBody>): HsmInfo {
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

/** The live managed HSM named `name` (case-insensitive), or undefined. Shared and frozen, `resource` included. */
export function findHsm(store: Store, name: string): HsmInfo | undefined {
  return liveHsms(store).get(name.toLowerCase());
}

/** DeletionRecoveryLevel of keys in this HSM (data-plane.md §2.1). */
export function recoveryLevel(hsm: HsmInfo): string {
  const base = hsm.retentionDays === 90 ? "Recoverable" : "CustomizedRecoverable";
  return hsm.purgeProtection ? base : `${base}+Purgeable`;
}
