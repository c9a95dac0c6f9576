/**
 * The Managed HSM data plane's key store: key names (live or soft-deleted), key versions with their private
 * material sealed under a per-HSM key (AES-256-GCM, itself sealed under the emulator master key), and local RBAC
 * (custom role definitions, role assignments). The rows live in src/store/hsm-keys.ts and src/store/hsm-rbac.ts;
 * this module seals and unseals the material and reuses reads per store version. Every write is one transaction.
 * `hsm` is always the lower-cased HSM name.
 */
import type { Store } from "../store/db.js";
import { StoreVersionCache } from "../store/version-cache.js";
import {
  deserializeMaterial,
  openWithKey,
  sealWithKey,
  serializeMaterial,
  type KeyMaterial,
  type KeyType,
  type PublicJwkFields,
} from "./crypto/index.js";
import { randomBytes } from "node:crypto";
import type { MasterKey } from "./master-key.js";
import {
  deleteHsmRows,
  HsmKeyRepository,
  type KeyNameRecord,
  type SealedKeyVersion,
  type StoredKeyVersion,
  type StoredRotationPolicy,
} from "../store/hsm-keys.js";
import { HsmRbacRepository, type RoleAssignmentRecord } from "../store/hsm-rbac.js";

export type {
  KeyNameRecord,
  StoredKeyAttributes,
  StoredReleasePolicy,
  StoredRotationPolicy,
} from "../store/hsm-keys.js";
export type { RoleAssignmentRecord } from "../store/hsm-rbac.js";

/** A stored key version, typed with the key types and public JWK of src/hsm/crypto. */
export type KeyVersionRecord = StoredKeyVersion<KeyType, PublicJwkFields>;

/** A new key version to store; `material` is sealed before it touches the database. */
export interface NewKeyVersion extends Omit<SealedKeyVersion<KeyType, PublicJwkFields>, "sealed"> {
  material: KeyMaterial;
}

/** Freezes `value` and everything reachable from it (plain objects, arrays; Buffers are left as they are). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Buffer.isBuffer(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const materialContext = (hsm: string, nameKey: string, version: string) => `hsmlink/${hsm}/keys/${nameKey}/${version}`;

export class HsmStore {
  private readonly keks = new Map<string, Buffer>();
  private readonly kekWrappingKey: Buffer;
  /** Reads reused while the store is unchanged (see {@link reused}): the one store-version cache. */
  private readonly reads: StoreVersionCache<unknown>;
  private readonly keys: HsmKeyRepository<KeyType, PublicJwkFields>;
  private readonly rbac: HsmRbacRepository;

  constructor(
    readonly store: Store,
    master: MasterKey,
  ) {
    this.kekWrappingKey = master.derive("hsm-kek-wrapping");
    this.reads = new StoreVersionCache<unknown>(store, 5000);
    this.keys = new HsmKeyRepository<KeyType, PublicJwkFields>(store);
    this.rbac = new HsmRbacRepository(store);
  }

  /**
   * `read()` once per store version and key: a key operation reads its key name and version on every request, and
   * nothing can have changed them while {@link Store.version} is the same. Results are deep-frozen, since callers
   * share them. Inside a transaction (no version) it reads afresh.
   */
  private reused<T>(key: string, read: () => T): T {
    return this.reads.get(key, () => deepFreeze(read())) as T;
  }

  /**
   * The HSM's 32-byte key-encryption key, created (and stored sealed) on first use. Read from its row every time
   * (cached by sealed value), so an HSM forgotten and re-created under the same name gets a fresh key.
   */
  private kek(hsm: string): Buffer {
    let sealed = this.keys.sealedKek(hsm);
    if (!sealed) {
      const fresh = sealWithKey(this.kekWrappingKey, randomBytes(32), `hsmlink/kek/${hsm}`);
      this.keys.insertKekUnlessPresent(hsm, fresh, Date.now());
      sealed = this.keys.sealedKek(hsm)!; // another writer may have won the race
    }
    const cacheKey = sealed.toString("base64");
    let kek = this.keks.get(cacheKey);
    if (!kek) {
      kek = openWithKey(this.kekWrappingKey, sealed, `hsmlink/kek/${hsm}`);
      this.keks.set(cacheKey, kek);
    }
    return kek;
  }

  /** Seals a new version's private material under the HSM's key-encryption key. */
  private sealed(hsm: string, nameKey: string, v: NewKeyVersion): SealedKeyVersion<KeyType, PublicJwkFields> {
    const { material, ...fields } = v;
    return {
      ...fields,
      sealed: sealWithKey(this.kek(hsm), serializeMaterial(material), materialContext(hsm, nameKey, v.version)),
    };
  }

  /** Unseals a version's private material. @throws KeyCryptoError InternalError when the blob does not open */
  material(v: KeyVersionRecord): KeyMaterial {
    return deserializeMaterial(openWithKey(this.kek(v.hsm), v.sealed, materialContext(v.hsm, v.nameKey, v.version)));
  }

  /** Serialized private material of a version (for the worker pool and backups); treat as secret. */
  materialBytes(v: KeyVersionRecord): Buffer {
    return openWithKey(this.kek(v.hsm), v.sealed, materialContext(v.hsm, v.nameKey, v.version));
  }

  // ---- key names ----

  /** The key name record (live or soft-deleted), or undefined. The result is frozen. */
  keyName(hsm: string, nameKey: string): KeyNameRecord | undefined {
    return this.reused(`name\n${hsm}\n${nameKey}`, () => this.keys.keyName(hsm, nameKey));
  }

  /** Live key names in name order. */
  liveNames(hsm: string): KeyNameRecord[] {
    return this.keys.liveNames(hsm);
  }

  /**
   * One page of the live key names that have at least one version, in name order: the first `limit` after
   * `afterNameKey` (exclusive; "" = from the start). Keyset paging: each page costs the same however deep it is.
   */
  liveNamesPage(hsm: string, afterNameKey: string, limit: number): KeyNameRecord[] {
    return this.keys.liveNamesPage(hsm, afterNameKey, limit);
  }

  /** Soft-deleted key names in name order. */
  deletedNames(hsm: string): KeyNameRecord[] {
    return this.keys.deletedNames(hsm);
  }

  /** Removes soft-deleted keys whose scheduled purge date has passed. @param nowS epoch seconds */
  purgeExpired(hsm: string, nowS: number): void {
    // The earliest purge date is read once per store version (a scan of the HSM's keys), not on every request.
    const due = this.reads.get(`purge-due\n${hsm}`, () => this.keys.earliestPurgeDate(hsm)) as number | null;
    if (due !== null && due <= nowS) this.keys.purgeDue(hsm, nowS);
  }

  // ---- versions ----

  /** Name keys (of the HSM) that have at least one version. */
  namesWithVersions(hsm: string): Set<string> {
    return this.keys.namesWithVersions(hsm);
  }

  versions(hsm: string, nameKey: string): KeyVersionRecord[] {
    return this.keys.versions(hsm, nameKey);
  }

  /** The current (highest-seq) version of a key, or undefined. The result is frozen. */
  latest(hsm: string, nameKey: string): KeyVersionRecord | undefined {
    return this.reused(`latest\n${hsm}\n${nameKey}`, () => this.keys.latest(hsm, nameKey));
  }

  /** One version of a key, or undefined. The result is frozen. */
  version(hsm: string, nameKey: string, version: string): KeyVersionRecord | undefined {
    return this.reused(`version\n${hsm}\n${nameKey}\n${version}`, () => this.keys.version(hsm, nameKey, version));
  }

  /**
   * Adds a version to a live key, creating the key name when new (with `name`'s casing). The caller has
   * checked the name is not soft-deleted. Returns the stored record.
   */
  addVersion(hsm: string, name: string, v: NewKeyVersion, now: number): KeyVersionRecord {
    const nameKey = name.toLowerCase();
    this.keys.addVersion(hsm, name, this.sealed(hsm, nameKey, v), now);
    return this.version(hsm, nameKey, v.version)!;
  }

  /** Replaces the mutable fields of one version (key_ops, attributes, tags, release policy). */
  updateVersion(v: KeyVersionRecord): void {
    this.keys.updateVersion(v);
  }

  /**
   * Restores a whole key (all versions, rotation policy) from a backup under `name`; the caller has checked
   * the name is free. Versions keep their ids and order.
   */
  restoreKey(
    hsm: string,
    name: string,
    versions: NewKeyVersion[],
    rotationPolicy: StoredRotationPolicy | undefined,
    now: number,
  ): void {
    const nameKey = name.toLowerCase();
    const sealedAll = versions.map((v) => this.sealed(hsm, nameKey, v));
    this.keys.insertKey(hsm, name, sealedAll, rotationPolicy, now);
  }

  /**
   * Replaces the HSM's keys (live and soft-deleted) and local RBAC with `keys`, `assignments` and `definitions`, in
   * one transaction (a full restore, which is destructive as in Azure). With `only`, replaces just that key.
   */
  replaceFromBackup(
    hsm: string,
    content: {
      keys: { name: string; versions: NewKeyVersion[]; rotationPolicy?: StoredRotationPolicy }[];
      assignments?: RoleAssignmentRecord[];
      definitions?: Record<string, unknown>[];
    },
    now: number,
    only?: string,
  ): void {
    this.store.tx(() => {
      if (only !== undefined) {
        this.keys.deleteKey(hsm, only.toLowerCase());
      } else {
        this.keys.deleteAllKeys(hsm);
        this.rbac.deleteAll(hsm);
        for (const a of content.assignments ?? []) this.putRoleAssignment(hsm, a);
        for (const d of content.definitions ?? []) this.putCustomRoleDefinition(hsm, String(d.name), d);
      }
      for (const k of content.keys) this.restoreKey(hsm, k.name, k.versions, k.rotationPolicy, now);
    });
  }

  /** Moves a live key to the soft-deleted state. @param deletedDate, scheduledPurgeDate epoch seconds */
  markDeleted(hsm: string, nameKey: string, deletedDate: number, scheduledPurgeDate: number): void {
    this.keys.markDeleted(hsm, nameKey, deletedDate, scheduledPurgeDate);
  }

  /** Brings a soft-deleted key back to life. */
  markRecovered(hsm: string, nameKey: string): void {
    this.keys.markRecovered(hsm, nameKey);
  }

  /** Removes a key and all its versions for good. */
  purge(hsm: string, nameKey: string): void {
    this.keys.deleteKey(hsm, nameKey);
  }

  setRotationPolicy(hsm: string, nameKey: string, policy: StoredRotationPolicy): void {
    this.keys.setRotationPolicy(hsm, nameKey, policy);
  }

  // ---- local RBAC ----

  roleAssignments(hsm: string): RoleAssignmentRecord[] {
    return this.rbac.roleAssignments(hsm);
  }

  roleAssignment(hsm: string, name: string): RoleAssignmentRecord | undefined {
    return this.roleAssignments(hsm).find((a) => a.name.toLowerCase() === name.toLowerCase());
  }

  putRoleAssignment(hsm: string, a: RoleAssignmentRecord): void {
    this.rbac.putRoleAssignment(hsm, a);
  }

  deleteRoleAssignment(hsm: string, name: string): void {
    this.rbac.deleteRoleAssignment(hsm, name);
  }

  customRoleDefinitions(hsm: string): Record<string, unknown>[] {
    return this.rbac.customRoleDefinitions(hsm);
  }

  putCustomRoleDefinition(hsm: string, guid: string, body: Record<string, unknown>): void {
    this.rbac.putCustomRoleDefinition(hsm, guid, body);
  }

  deleteCustomRoleDefinition(hsm: string, guid: string): void {
    this.rbac.deleteCustomRoleDefinition(hsm, guid);
  }

  // ---- emulator-wide values ----

  meta(k: string): Buffer | undefined {
    return this.keys.meta(k);
  }

  /** Sets `k` unless already set; returns the stored value (first writer wins). */
  metaOnce(k: string, v: Buffer): Buffer {
    return this.keys.metaOnce(k, v);
  }
}

/**
 * Forgets everything the data plane holds for the managed HSM `name` (keys, versions, RBAC, its key-encryption
 * key, security domain, backup jobs, settings). For the control plane to call when an HSM is purged, so a new HSM
 * with the same name starts empty. A soft-deleted HSM keeps its data (recover brings it back).
 */
export function forgetHsmData(store: Store, name: string): void {
  deleteHsmRows(store, name.toLowerCase());
}

/**
 * Purges, in every HSM, the soft-deleted keys whose scheduled purge date is at or before `nowS` (epoch seconds), as
 * Managed HSM does once the retention period ends (soft-delete-overview.md). Returns how many keys went.
 */
export function purgeExpiredKeys(store: Store, nowS: number): number {
  return new HsmKeyRepository(store).purgeAllDue(nowS);
}
