/**
 * The Managed HSM data plane's key tables (migration `0100-hsm-data-plane`): key names (live or soft-deleted), key
 * versions, the per-HSM key-encryption keys (`hsm_instances`) and emulator-wide values (`hsm_meta`). Key material
 * and key-encryption keys arrive and leave sealed: this module stores opaque bytes (src/hsm/store.ts seals and
 * unseals them). Every write is one transaction. `hsm` is always the lower-cased HSM name, `nameKey` the lower-cased
 * key name.
 */
import type { Store } from "./db.js";

/** KeyAttributes as stored (recoverableDays and recoveryLevel come from the HSM when rendering); times in epoch s. */
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

/** KeyRotationPolicy as stored (durations ISO-8601, times epoch s). */
export interface StoredRotationPolicy {
  lifetimeActions: { trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action: { type: string } }[];
  attributes: { expiryTime?: string; created: number; updated: number };
}

/** A key name (live or soft-deleted); dates in epoch s. */
export interface KeyNameRecord {
  hsm: string;
  nameKey: string;
  name: string;
  deletedDate?: number;
  scheduledPurgeDate?: number;
  rotationPolicy?: StoredRotationPolicy;
}

/**
 * A stored key version; `sealed` is its private material sealed by the HSM layer. `Kty` and `Jwk` are the HSM
 * layer's key type and public JWK types (the store does not know them).
 */
export interface StoredKeyVersion<Kty extends string = string, Jwk = Record<string, unknown>> {
  hsm: string;
  nameKey: string;
  version: string;
  seq: number;
  kty: Kty;
  keyOps: string[];
  attributes: StoredKeyAttributes;
  tags?: Record<string, string>;
  releasePolicy?: StoredReleasePolicy;
  publicJwk: Jwk;
  sealed: Buffer;
}

/** A key version to insert: its fields and its already sealed material. */
export type SealedKeyVersion<Kty extends string = string, Jwk = Record<string, unknown>> = Omit<
  StoredKeyVersion<Kty, Jwk>,
  "hsm" | "nameKey" | "seq"
>;

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

function toVersion<Kty extends string, Jwk>(r: VersionRow): StoredKeyVersion<Kty, Jwk> {
  return {
    hsm: r.hsm,
    nameKey: r.name_key,
    version: r.version,
    seq: r.seq,
    kty: r.kty as Kty,
    keyOps: JSON.parse(r.key_ops) as string[],
    attributes: JSON.parse(r.attributes) as StoredKeyAttributes,
    ...(r.tags !== null ? { tags: JSON.parse(r.tags) as Record<string, string> } : {}),
    ...(r.release_policy !== null ? { releasePolicy: JSON.parse(r.release_policy) as StoredReleasePolicy } : {}),
    publicJwk: JSON.parse(r.public_jwk) as Jwk,
    sealed: r.material,
  };
}

const INSERT_VERSION =
  "INSERT INTO hsm_key_versions (hsm, name_key, version, seq, kty, key_ops, attributes, tags, release_policy, public_jwk, material) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/** The tables of one HSM's data plane, deleted when the HSM is forgotten. */
const HSM_TABLES = [
  "hsm_key_versions",
  "hsm_keys",
  "hsm_role_definitions",
  "hsm_role_assignments",
  "hsm_instances",
  "hsm_security_domains",
  "hsm_backup_jobs",
  "hsm_settings",
] as const;

/** Row-level access to the key tables; `Kty`/`Jwk` type the stored key type and public JWK. */
export class HsmKeyRepository<Kty extends string = string, Jwk = Record<string, unknown>> {
  constructor(private readonly store: Store) {}

  private get db() {
    return this.store.db;
  }

  // ---- per-HSM key-encryption keys ----

  /** The HSM's sealed key-encryption key, or undefined before its first use. */
  sealedKek(hsm: string): Buffer | undefined {
    return (
      this.db.prepare("SELECT sealed_kek FROM hsm_instances WHERE hsm = ?").get(hsm) as
        { sealed_kek: Buffer } | undefined
    )?.sealed_kek;
  }

  /** Stores the HSM's sealed key-encryption key unless it has one (the first writer wins). */
  insertKekUnlessPresent(hsm: string, sealed: Buffer, now: number): void {
    this.store.tx(() =>
      this.db
        .prepare("INSERT OR IGNORE INTO hsm_instances (hsm, sealed_kek, created_at) VALUES (?, ?, ?)")
        .run(hsm, sealed, now),
    );
  }

  // ---- key names ----

  /** The key name record (live or soft-deleted), or undefined. */
  keyName(hsm: string, nameKey: string): KeyNameRecord | undefined {
    const r = this.db.prepare("SELECT * FROM hsm_keys WHERE hsm = ? AND name_key = ?").get(hsm, nameKey) as
      NameRow | undefined;
    return r ? toName(r) : undefined;
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

  /** The earliest scheduled purge date (epoch s) of the HSM's soft-deleted keys, or null when none is scheduled. */
  earliestPurgeDate(hsm: string): number | null {
    return (
      this.db
        .prepare(
          "SELECT MIN(scheduled_purge_date) AS due FROM hsm_keys WHERE hsm = ? AND scheduled_purge_date IS NOT NULL",
        )
        .get(hsm) as { due: number | null }
    ).due;
  }

  /** Deletes the HSM's soft-deleted keys scheduled for purge at or before `nowS` (epoch s). */
  purgeDue(hsm: string, nowS: number): void {
    this.store.tx(() =>
      this.db
        .prepare(
          "DELETE FROM hsm_keys WHERE hsm = ? AND scheduled_purge_date IS NOT NULL AND scheduled_purge_date <= ?",
        )
        .run(hsm, nowS),
    );
  }

  /**
   * Deletes, in every HSM, the soft-deleted keys scheduled for purge at or before `nowS` (epoch s).
   * @returns how many keys went
   */
  purgeAllDue(nowS: number): number {
    return this.store.tx(
      () =>
        this.db
          .prepare("DELETE FROM hsm_keys WHERE scheduled_purge_date IS NOT NULL AND scheduled_purge_date <= ?")
          .run(nowS).changes,
    );
  }

  /** Every live key (of every HSM) that has a rotation policy. */
  liveKeysWithRotationPolicy(): { hsm: string; name: string; nameKey: string; rotationPolicy: StoredRotationPolicy }[] {
    return (
      this.db
        .prepare(
          "SELECT hsm, name, name_key, rotation_policy FROM hsm_keys WHERE rotation_policy IS NOT NULL AND deleted_date IS NULL",
        )
        .all() as { hsm: string; name: string; name_key: string; rotation_policy: string }[]
    ).map((r) => ({
      hsm: r.hsm,
      name: r.name,
      nameKey: r.name_key,
      rotationPolicy: JSON.parse(r.rotation_policy) as StoredRotationPolicy,
    }));
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

  /** Removes a key and all its versions (ON DELETE CASCADE) for good. */
  deleteKey(hsm: string, nameKey: string): void {
    this.store.tx(() => this.db.prepare("DELETE FROM hsm_keys WHERE hsm = ? AND name_key = ?").run(hsm, nameKey));
  }

  /** Removes every key and version of the HSM. */
  deleteAllKeys(hsm: string): void {
    this.store.tx(() => {
      this.db.prepare("DELETE FROM hsm_key_versions WHERE hsm = ?").run(hsm);
      this.db.prepare("DELETE FROM hsm_keys WHERE hsm = ?").run(hsm);
    });
  }

  setRotationPolicy(hsm: string, nameKey: string, policy: StoredRotationPolicy): void {
    this.store.tx(() =>
      this.db
        .prepare("UPDATE hsm_keys SET rotation_policy = ? WHERE hsm = ? AND name_key = ?")
        .run(JSON.stringify(policy), hsm, nameKey),
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

  /** Every version of a key, oldest first. */
  versions(hsm: string, nameKey: string): StoredKeyVersion<Kty, Jwk>[] {
    return (
      this.db
        .prepare("SELECT * FROM hsm_key_versions WHERE hsm = ? AND name_key = ? ORDER BY seq")
        .all(hsm, nameKey) as VersionRow[]
    ).map((r) => toVersion<Kty, Jwk>(r));
  }

  /** The current (highest-seq) version of a key, or undefined. */
  latest(hsm: string, nameKey: string): StoredKeyVersion<Kty, Jwk> | undefined {
    const r = this.db
      .prepare("SELECT * FROM hsm_key_versions WHERE hsm = ? AND name_key = ? ORDER BY seq DESC LIMIT 1")
      .get(hsm, nameKey) as VersionRow | undefined;
    return r ? toVersion<Kty, Jwk>(r) : undefined;
  }

  /** The attributes of a key's current version (without reading its material), or undefined. */
  latestAttributes(hsm: string, nameKey: string): StoredKeyAttributes | undefined {
    const r = this.db
      .prepare("SELECT attributes FROM hsm_key_versions WHERE hsm = ? AND name_key = ? ORDER BY seq DESC LIMIT 1")
      .get(hsm, nameKey) as { attributes: string } | undefined;
    return r ? (JSON.parse(r.attributes) as StoredKeyAttributes) : undefined;
  }

  /** One version of a key, or undefined. */
  version(hsm: string, nameKey: string, version: string): StoredKeyVersion<Kty, Jwk> | undefined {
    const r = this.db
      .prepare("SELECT * FROM hsm_key_versions WHERE hsm = ? AND name_key = ? AND version = ?")
      .get(hsm, nameKey, version) as VersionRow | undefined;
    return r ? toVersion<Kty, Jwk>(r) : undefined;
  }

  /** Adds a version (the next seq) to a key, creating the key name (with `name`'s casing) when new; one transaction. */
  addVersion(hsm: string, name: string, v: SealedKeyVersion<Kty, Jwk>, now: number): void {
    const nameKey = name.toLowerCase();
    this.store.tx(() => {
      this.db
        .prepare("INSERT OR IGNORE INTO hsm_keys (hsm, name_key, name, created_at) VALUES (?, ?, ?, ?)")
        .run(hsm, nameKey, name, now);
      const seq = (
        this.db
          .prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM hsm_key_versions WHERE hsm = ? AND name_key = ?")
          .get(hsm, nameKey) as { s: number }
      ).s;
      this.insertVersion(hsm, nameKey, seq, v);
    });
  }

  private insertVersion(hsm: string, nameKey: string, seq: number, v: SealedKeyVersion<Kty, Jwk>): void {
    this.db
      .prepare(INSERT_VERSION)
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
        v.sealed,
      );
  }

  /** Replaces the mutable fields of one version (key_ops, attributes, tags, release policy). */
  updateVersion(v: StoredKeyVersion<Kty, Jwk>): void {
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
   * Inserts a whole key (its name, rotation policy and versions, which keep their ids and order) in one
   * transaction. @throws SqliteError when the name exists
   */
  insertKey(
    hsm: string,
    name: string,
    versions: SealedKeyVersion<Kty, Jwk>[],
    rotationPolicy: StoredRotationPolicy | undefined,
    now: number,
  ): void {
    const nameKey = name.toLowerCase();
    this.store.tx(() => {
      this.db
        .prepare("INSERT INTO hsm_keys (hsm, name_key, name, rotation_policy, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(hsm, nameKey, name, rotationPolicy ? JSON.stringify(rotationPolicy) : null, now);
      versions.forEach((v, i) => this.insertVersion(hsm, nameKey, i + 1, v));
    });
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
 * Deletes every row the data plane holds for the HSM `hsm` (lower case): keys, versions, local RBAC, its
 * key-encryption key, security domain, backup jobs and settings; one transaction.
 */
export function deleteHsmRows(store: Store, hsm: string): void {
  store.tx(() => {
    for (const t of HSM_TABLES) store.db.prepare(`DELETE FROM ${t} WHERE hsm = ?`).run(hsm);
  });
}
