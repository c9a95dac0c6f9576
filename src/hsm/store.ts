/**
 * Persistence of the Managed HSM data plane (tables of migration `0100-hsm-data-plane`): key names (live or
 * soft-deleted), key versions with their private material sealed under a per-HSM key (AES-256-GCM, itself
 * sealed under the emulator master key), and local RBAC (custom role definitions, role assignments).
 * Every write is one transaction. `hsm` is always the lower-cased HSM name.
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

/** KeyAttributes as stored (recoverableDays and recoveryLevel come from the HSM when rendering). */
export interface StoredKeyAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  exportable: boolean;
}

/** KeyReleasePolicy as stored: `data` is base64url of the normalised policy JSON. */
export interface StoredReleasePolicy {
  contentType: string;
  immutable: boolean;
  data: string;
}

export interface KeyNameRecord {
  hsm: string;
  nameKey: string;
  name: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
  rotationPolicy?: StoredRotationPolicy;
}

export interface StoredRotationPolicy {
  lifetimeActions: { trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action: { type: string } }[];
  attributes: { expiryTime?: string; created: number; updated: number };
}

export interface KeyVersionRecord {
  hsm: string;
  nameKey: string;
  version: string;
  seq: number;
  kty: KeyType;
  keyOps: string[];
  attributes: StoredKeyAttributes;
  tags?: Record<string, string>;
  releasePolicy?: StoredReleasePolicy;
  publicJwk: PublicJwkFields;
  sealed: Buffer;
}

/** A new key version to store; `material` is sealed before it touches the database. */
export interface NewKeyVersion {
  version: string;
  kty: KeyType;
  keyOps: string[];
  attributes: StoredKeyAttributes;
  tags?: Record<string, string>;
  releasePolicy?: StoredReleasePolicy;
  publicJwk: PublicJwkFields;
  material: KeyMaterial;
}

export interface RoleAssignmentRecord {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  createdAt: number;
}

interface NameRow {
  hsm: string;
  name_key: string;
  name: string;
  deleted_date: number | null;
  scheduled_purge_date: number | null;
  rotation_policy: string | null;
}

interface VersionRow {
  hsm: string;
  name_key: string;
  version: string;
  seq: number;
  kty: string;
  key_ops: string;
  attributes: string;
  tags: string | null;
  release_policy: string | null;
  public_jwk: string;
  material: Buffer;
}

/** Freezes `value` and everything reachable from it (plain objects, arrays; Buffers are left as they are). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Buffer.isBuffer(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function toName(r: NameRow): KeyNameRecord {
  return {
    hsm: r.hsm,
    nameKey: r.name_key,
    name: r.name,
    ...(r.deleted_date !== null ? { deletedDate: r.deleted_date } : {}),
    ...(r.scheduled_purge_date !== null ? { scheduledPurgeDate: r.scheduled_purge_date } : {}),
    ...(r.rotation_policy !== null ? { rotationPolicy: JSON.parse(r.rotation_policy) as StoredRotationPolicy } : {}),
  };
}

function toVersion(r: VersionRow): KeyVersionRecord {
  return {
    hsm: r.hsm,
    nameKey: r.name_key,
    version: r.version,
    seq: r.seq,
    kty: r.kty as KeyType,
    keyOps: JSON.parse(r.key_ops) as string[],
    attributes: JSON.parse(r.attributes) as StoredKeyAttributes,
    ...(r.tags !== null ? { tags: JSON.parse(r.tags) as Record<string, string> } : {}),
    ...(r.release_policy !== null ? { releasePolicy: JSON.parse(r.release_policy) as StoredReleasePolicy } : {}),
    publicJwk: JSON.parse(r.public_jwk) as PublicJwkFields,
    sealed: r.material,
  };
}

const materialContext = (hsm: string, nameKey: string, version: string) => `hsmlink/${hsm}/keys/${nameKey}/${version}`;

export class HsmStore {
  private readonly keks = new Map<string, Buffer>();
  private readonly kekWrappingKey: Buffer;
  /** Reads reused while the store is unchanged (see {@link reused}): the one store-version cache. */
  private readonly reads: StoreVersionCache<unknown>;

  constructor(
    readonly store: Store,
    master: MasterKey,
  ) {
    this.kekWrappingKey = master.derive("hsm-kek-wrapping");
    this.reads = new StoreVersionCache<unknown>(store, 5000);
  }

  private get db() {
    return this.store.db;
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
    const read = () =>
      (
        this.db.prepare("SELECT sealed_kek FROM hsm_instances WHERE hsm = ?").get(hsm) as
          { sealed_kek: Buffer } | undefined
      )?.sealed_kek;
    let sealed = read();
    if (!sealed) {
      const fresh = sealWithKey(this.kekWrappingKey, randomBytes(32), `hsmlink/kek/${hsm}`);
      this.store.tx(() =>
        this.db
          .prepare("INSERT OR IGNORE INTO hsm_instances (hsm, sealed_kek, created_at) VALUES (?, ?, ?)")
          .run(hsm, fresh, Date.now()),
      );
      sealed = read()!; // another writer may have won the race
    }
    const cacheKey = sealed.toString("base64");
    let kek = this.keks.get(cacheKey);
    if (!kek) {
      kek = openWithKey(this.kekWrappingKey, sealed, `hsmlink/kek/${hsm}`);
      this.keks.set(cacheKey, kek);
    }
    return kek;
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
    return this.reused(`name\n${hsm}\n${nameKey}`, () => {
      const r = this.db.prepare("SELECT * FROM hsm_keys WHERE hsm = ? AND name_key = ?").get(hsm, nameKey) as
        NameRow | undefined;
      return r ? toName(r) : undefined;
    });
  }

  /** Live key names in name order. */
  liveNames(hsm: string): KeyNameRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM hsm_keys WHERE hsm = ? AND deleted_date IS NULL ORDER BY name_key")
        .all(hsm) as NameRow[]
    ).map(toName);
  }

  /**
   * One page of the live key names that have at least one version, in name order: the first `limit` after
   * `afterNameKey` (exclusive; "" = from the start). Keyset paging: each page costs the same however deep it is.
   */
  liveNamesPage(hsm: string, afterNameKey: string, limit: number): KeyNameRecord[] {
    return (
      this.db
        .prepare(
          "SELECT k.* FROM hsm_keys k WHERE k.hsm = ? AND k.deleted_date IS NULL AND k.name_key > ? AND EXISTS (SELECT 1 FROM hsm_key_versions v WHERE v.hsm = k.hsm AND v.name_key = k.name_key) ORDER BY k.name_key LIMIT ?",
        )
        .all(hsm, afterNameKey, limit) as NameRow[]
    ).map(toName);
  }

  /** Soft-deleted key names in name order. */
  deletedNames(hsm: string): KeyNameRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM hsm_keys WHERE hsm = ? AND deleted_date IS NOT NULL ORDER BY name_key")
        .all(hsm) as NameRow[]
    ).map(toName);
  }

  /** Removes soft-deleted keys whose scheduled purge date has passed. @param nowS epoch seconds */
  purgeExpired(hsm: string, nowS: number): void {
    // The earliest purge date is read once per store version (a scan of the HSM's keys), not on every request.
    const readDue = () =>
      (
        this.db
          .prepare(
            "SELECT MIN(scheduled_purge_date) AS due FROM hsm_keys WHERE hsm = ? AND scheduled_purge_date IS NOT NULL",
          )
          .get(hsm) as { due: number | null }
      ).due;
    const due = this.reads.get(`purge-due\n${hsm}`, readDue) as number | null;
    if (due !== null && due <= nowS)
      this.store.tx(() =>
        this.db
          .prepare(
            "DELETE FROM hsm_keys WHERE hsm = ? AND scheduled_purge_date IS NOT NULL AND scheduled_purge_date <= ?",
          )
          .run(hsm, nowS),
      );
  }

  // ---- versions ----

  /** Name keys (of the HSM) that have at least one version. */
  namesWithVersions(hsm: string): Set<string> {
    return new Set(
      (
        this.db.prepare("SELECT DISTINCT name_key FROM hsm_key_versions WHERE hsm = ?").all(hsm) as {
          name_key: string;
        }[]
      ).map((r) => r.name_key),
    );
  }

  versions(hsm: string, nameKey: string): KeyVersionRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM hsm_key_versions WHERE hsm = ? AND name_key = ? ORDER BY seq")
        .all(hsm, nameKey) as VersionRow[]
    ).map(toVersion);
  }

  /** The current (highest-seq) version of a key, or undefined. The result is frozen. */
  latest(hsm: string, nameKey: string): KeyVersionRecord | undefined {
    return this.reused(`latest\n${hsm}\n${nameKey}`, () => {
      const r = this.db
        .prepare("SELECT * FROM hsm_key_versions WHERE hsm = ? AND name_key = ? ORDER BY seq DESC LIMIT 1")
        .get(hsm, nameKey) as VersionRow | undefined;
      return r ? toVersion(r) : undefined;
    });
  }

  /** One version of a key, or undefined. The result is frozen. */
  version(hsm: string, nameKey: string, version: string): KeyVersionRecord | undefined {
    return this.reused(`version\n${hsm}\n${nameKey}\n${version}`, () => {
      const r = this.db
        .prepare("SELECT * FROM hsm_key_versions WHERE hsm = ? AND name_key = ? AND version = ?")
        .get(hsm, nameKey, version) as VersionRow | undefined;
      return r ? toVersion(r) : undefined;
    });
  }

  /**
   * Adds a version to a live key, creating the key name when new (with `name`'s casing). The caller has
   * checked the name is not soft-deleted. Returns the stored record.
   */
  addVersion(hsm: string, name: string, v: NewKeyVersion, now: number): KeyVersionRecord {
    const nameKey = name.toLowerCase();
    const sealed = sealWithKey(this.kek(hsm), serializeMaterial(v.material), materialContext(hsm, nameKey, v.version));
    this.store.tx(() => {
      this.db
        .prepare("INSERT OR IGNORE INTO hsm_keys (hsm, name_key, name, created_at) VALUES (?, ?, ?, ?)")
        .run(hsm, nameKey, name, now);
      const seq = (
        this.db
          .prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM hsm_key_versions WHERE hsm = ? AND name_key = ?")
          .get(hsm, nameKey) as { s: number }
      ).s;
      this.db
        .prepare(
          "INSERT INTO hsm_key_versions (hsm, name_key, version, seq, kty, key_ops, attributes, tags, release_policy, public_jwk, material) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(
          hsm,
          nameKey,
          v.version,
          seq,
          v.kty,
          JSON.stringify(v.keyOps),
          JSON.stringify(v.attributes),
          v.tags ? JSON.stringify(v.tags) : null,
          v.releasePolicy ? JSON.stringify(v.releasePolicy) : null,
          JSON.stringify(v.publicJwk),
          sealed,
        );
    });
    return this.version(hsm, nameKey, v.version)!;
  }

  /** Replaces the mutable fields of one version (key_ops, attributes, tags, release policy). */
  updateVersion(v: KeyVersionRecord): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "UPDATE hsm_key_versions SET key_ops = ?, attributes = ?, tags = ?, release_policy = ? WHERE hsm = ? AND name_key = ? AND version = ?",
        )
        .run(
          JSON.stringify(v.keyOps),
          JSON.stringify(v.attributes),
          v.tags ? JSON.stringify(v.tags) : null,
          v.releasePolicy ? JSON.stringify(v.releasePolicy) : null,
          v.hsm,
          v.nameKey,
          v.version,
        ),
    );
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
    const sealedAll = versions.map((v) =>
      sealWithKey(this.kek(hsm), serializeMaterial(v.material), materialContext(hsm, nameKey, v.version)),
    );
    this.store.tx(() => {
      this.db
        .prepare("INSERT INTO hsm_keys (hsm, name_key, name, rotation_policy, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(hsm, nameKey, name, rotationPolicy ? JSON.stringify(rotationPolicy) : null, now);
      const ins = this.db.prepare(
        "INSERT INTO hsm_key_versions (hsm, name_key, version, seq, kty, key_ops, attributes, tags, release_policy, public_jwk, material) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      versions.forEach((v, i) =>
        ins.run(
          hsm,
          nameKey,
          v.version,
          i + 1,
          v.kty,
          JSON.stringify(v.keyOps),
          JSON.stringify(v.attributes),
          v.tags ? JSON.stringify(v.tags) : null,
          v.releasePolicy ? JSON.stringify(v.releasePolicy) : null,
          JSON.stringify(v.publicJwk),
          sealedAll[i],
        ),
      );
    });
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
        this.db.prepare("DELETE FROM hsm_keys WHERE hsm = ? AND name_key = ?").run(hsm, only.toLowerCase());
      } else {
        for (const t of ["hsm_key_versions", "hsm_keys", "hsm_role_assignments", "hsm_role_definitions"])
          this.db.prepare(`DELETE FROM ${t} WHERE hsm = ?`).run(hsm);
        for (const a of content.assignments ?? []) this.putRoleAssignment(hsm, a);
        for (const d of content.definitions ?? []) this.putCustomRoleDefinition(hsm, String(d.name), d);
      }
      for (const k of content.keys) this.restoreKey(hsm, k.name, k.versions, k.rotationPolicy, now);
    });
  }

  /** Moves a live key to the soft-deleted state. @param deletedDate, scheduledPurgeDate epoch seconds */
  markDeleted(hsm: string, nameKey: string, deletedDate: number, scheduledPurgeDate: number): void {
    this.store.tx(() =>
      this.db
        .prepare("UPDATE hsm_keys SET deleted_date = ?, scheduled_purge_date = ? WHERE hsm = ? AND name_key = ?")
        .run(deletedDate, scheduledPurgeDate, hsm, nameKey),
    );
  }

  /** Brings a soft-deleted key back to life. */
  markRecovered(hsm: string, nameKey: string): void {
    this.store.tx(() =>
      this.db
        .prepare("UPDATE hsm_keys SET deleted_date = NULL, scheduled_purge_date = NULL WHERE hsm = ? AND name_key = ?")
        .run(hsm, nameKey),
    );
  }

  /** Removes a key and all its versions for good. */
  purge(hsm: string, nameKey: string): void {
    this.store.tx(() => this.db.prepare("DELETE FROM hsm_keys WHERE hsm = ? AND name_key = ?").run(hsm, nameKey));
  }

  setRotationPolicy(hsm: string, nameKey: string, policy: StoredRotationPolicy): void {
    this.store.tx(() =>
      this.db
        .prepare("UPDATE hsm_keys SET rotation_policy = ? WHERE hsm = ? AND name_key = ?")
        .run(JSON.stringify(policy), hsm, nameKey),
    );
  }

  // ---- local RBAC ----

  roleAssignments(hsm: string): RoleAssignmentRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM hsm_role_assignments WHERE hsm = ? ORDER BY created_at, name")
      .all(hsm) as {
      name: string;
      scope: string;
      role_definition_id: string;
      principal_id: string;
      created_at: number;
    }[];
    return rows.map((r) => ({
      name: r.name,
      scope: r.scope,
      roleDefinitionId: r.role_definition_id,
      principalId: r.principal_id,
      createdAt: r.created_at,
    }));
  }

  roleAssignment(hsm: string, name: string): RoleAssignmentRecord | undefined {
    return this.roleAssignments(hsm).find((a) => a.name.toLowerCase() === name.toLowerCase());
  }

  putRoleAssignment(hsm: string, a: RoleAssignmentRecord): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "INSERT INTO hsm_role_assignments (hsm, name, scope, role_definition_id, principal_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (hsm, name) DO UPDATE SET scope = excluded.scope, role_definition_id = excluded.role_definition_id, principal_id = excluded.principal_id",
        )
        .run(hsm, a.name, a.scope, a.roleDefinitionId, a.principalId.toLowerCase(), a.createdAt),
    );
  }

  deleteRoleAssignment(hsm: string, name: string): void {
    this.store.tx(() =>
      this.db.prepare("DELETE FROM hsm_role_assignments WHERE hsm = ? AND lower(name) = lower(?)").run(hsm, name),
    );
  }

  customRoleDefinitions(hsm: string): Record<string, unknown>[] {
    return (
      this.db.prepare("SELECT body FROM hsm_role_definitions WHERE hsm = ? ORDER BY name").all(hsm) as {
        body: string;
      }[]
    ).map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  putCustomRoleDefinition(hsm: string, guid: string, body: Record<string, unknown>): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "INSERT INTO hsm_role_definitions (hsm, name, body) VALUES (?, ?, ?) ON CONFLICT (hsm, name) DO UPDATE SET body = excluded.body",
        )
        .run(hsm, guid.toLowerCase(), JSON.stringify(body)),
    );
  }

  deleteCustomRoleDefinition(hsm: string, guid: string): void {
    this.store.tx(() =>
      this.db.prepare("DELETE FROM hsm_role_definitions WHERE hsm = ? AND name = ?").run(hsm, guid.toLowerCase()),
    );
  }

  // ---- emulator-wide values ----

  meta(k: string): Buffer | undefined {
    return (this.db.prepare("SELECT v FROM hsm_meta WHERE k = ?").get(k) as { v: Buffer } | undefined)?.v;
  }

  /** Sets `k` unless already set; returns the stored value (first writer wins). */
  metaOnce(k: string, v: Buffer): Buffer {
    this.store.tx(() => this.db.prepare("INSERT OR IGNORE INTO hsm_meta (k, v) VALUES (?, ?)").run(k, v));
    return this.meta(k)!;
  }
}

/**
 * Forgets everything the data plane holds for the managed HSM `name` (keys, versions, RBAC, its key-encryption
 * key). For the control plane to call when an HSM is purged, so a new HSM with the same name starts empty.
 * A soft-deleted HSM keeps its data (recover brings it back).
 */
export function forgetHsmData(store: Store, name: string): void {
  const hsm = name.toLowerCase();
  store.tx(() => {
    for (const t of [
      "hsm_key_versions",
      "hsm_keys",
      "hsm_role_definitions",
      "hsm_role_assignments",
      "hsm_instances",
      "hsm_security_domains",
      "hsm_backup_jobs",
      "hsm_settings",
    ])
      store.db.prepare(`DELETE FROM ${t} WHERE hsm = ?`).run(hsm);
  });
}

/**
 * Purges, in every HSM, the soft-deleted keys whose scheduled purge date is at or before `nowS` (epoch seconds), as
 * Managed HSM does once the retention period ends (soft-delete-overview.md). Returns how many keys went.
 */
export function purgeExpiredKeys(store: Store, nowS: number): number {
  return store.tx(
    () =>
      store.db
        .prepare("DELETE FROM hsm_keys WHERE scheduled_purge_date IS NOT NULL AND scheduled_purge_date <= ?")
        .run(nowS).changes,
  );
}
