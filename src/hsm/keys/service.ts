/**
 * The Managed HSM keys API as domain operations (data-plane.md §2): create, import, get, update, list, versions,
 * delete (soft), deleted keys, recover, purge, backup/restore, rotate + rotation policy, release, attestation,
 * the six key operations and random bytes. Inputs are parsed JSON bodies; outputs are wire JSON. Every failure is
 * a Key Vault-envelope AzureError (src/hsm/errors.ts). Heavy RSA work goes to the worker pool.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import {
  checkAlgorithm,
  decrypt as cDecrypt,
  defaultKeyOps,
  deserializeMaterial,
  encrypt as cEncrypt,
  generateKeyMaterial,
  importKeyMaterial,
  normalizeKty,
  openWithKey,
  publicJwk,
  sealWithKey,
  sign as cSign,
  unwrapKey as cUnwrapKey,
  verify as cVerify,
  wrapKey as cWrapKey,
  type CryptoOperation,
  type JsonWebKeyInput,
  type KeyMaterial,
  type KeyOperationRequest,
  type KeyOperationResult,
} from "../crypto/index.js";
import { randomHex } from "../../kernel/ids.js";
import { LATEST_API_VERSION } from "../api-versions.js";
import { deletedButRecoverable, deletedKeyNotFound, fromCryptoError, keyNotFound, kvErrors } from "../errors.js";
import type { CryptoPool } from "../crypto-pool.js";
import type { MasterKey } from "../master-key.js";
import type {
  HsmStore,
  KeyNameRecord,
  KeyVersionRecord,
  NewKeyVersion,
  StoredKeyAttributes,
  StoredReleasePolicy,
  StoredRotationPolicy,
} from "../store.js";
import {
  b64urlField,
  checkKeyName,
  keyId,
  objectBody,
  parseAttributes,
  parseKeyOps,
  parseReleasePolicy,
  parseTags,
  releasePolicyJson,
  renderBundle,
  renderDeletedBundle,
  renderDeletedItem,
  renderItem,
  VERSION_RE,
  type KeyContext,
} from "./wire.js";
import { durationSeconds, parseRotationPolicy, renderRotationPolicy } from "./rotation.js";
import {
  parseAttestationToken,
  policyAllows,
  policyNotSatisfied,
  releaseEncryption,
  signJws,
  targetKey,
  wrapForRelease,
} from "./release.js";

const generateKeyPairAsync = promisify(generateKeyPair);

/** Key operations served by POST /keys/{name}/{version}/{op} (lower-case path segment → operation). */
export const KEY_OPERATION_PATHS: Readonly<Record<string, CryptoOperation>> = Object.freeze({
  encrypt: "encrypt",
  decrypt: "decrypt",
  wrapkey: "wrapKey",
  unwrapkey: "unwrapKey",
  sign: "sign",
  verify: "verify",
});

const BACKUP_MAGIC = Buffer.from("hsmlink-key-backup\u0001", "latin1");
const BACKUP_CONTEXT = "hsmlink/key-backup/v1";
const MAX_PAGE = 25;

interface BackupVersion {
  version: string;
  kty: string;
  keyOps: string[];
  attributes: StoredKeyAttributes;
  tags?: Record<string, string>;
  releasePolicy?: StoredReleasePolicy;
  material: string;
}

interface BackupDocument {
  v: 1;
  name: string;
  rotationPolicy?: StoredRotationPolicy;
  versions: BackupVersion[];
}

export interface KeyServiceDeps {
  store: HsmStore;
  pool: CryptoPool;
  master: MasterKey;
}

/** Parses `maxresults` (1..25, default 25) and `$skiptoken` (an offset this service issued). */
function paging(query: Record<string, string>): { max: number; skip: number } {
  const rawMax = query["maxresults"];
  let max = MAX_PAGE;
  if (rawMax !== undefined && rawMax !== "") {
    max = Number(rawMax);
    if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE)
      throw kvErrors.maxResultsOutOfRange(rawMax.slice(0, 20), MAX_PAGE);
  }
  const rawSkip = query["$skiptoken"];
  let skip = 0;
  if (rawSkip !== undefined && rawSkip !== "") {
    skip = Number(rawSkip);
    if (!Number.isInteger(skip) || skip < 0) throw kvErrors.skipTokenInvalid();
  }
  return { max, skip };
}

const KEY_CURSOR_PREFIX = "keys-after:";

/** The `$skiptoken` of a key list page that ends at `nameKey`: base64url, opaque to clients. */
function keyCursor(nameKey: string): string {
  return Buffer.from(KEY_CURSOR_PREFIX + nameKey, "utf8").toString("base64url");
}

/** The name key a key-list `$skiptoken` continues after ("" when absent). @throws 400 BadParameter for a token not from {@link keyCursor} */
function keyCursorFrom(token: string | undefined): string {
  if (token === undefined || token === "") return "";
  const text = /^[A-Za-z0-9_-]{1,400}$/.test(token) ? Buffer.from(token, "base64url").toString("utf8") : "";
  const nameKey = text.startsWith(KEY_CURSOR_PREFIX) ? text.slice(KEY_CURSOR_PREFIX.length) : "";
  if (!/^[0-9a-z-]{1,256}$/.test(nameKey)) throw kvErrors.skipTokenInvalid();
  return nameKey;
}

function page<T>(
  ctx: KeyContext,
  path: string,
  query: Record<string, string>,
  all: T[],
): { value: T[]; nextLink: string | null } {
  const { max, skip } = paging(query);
  const value = all.slice(skip, skip + max);
  const more = skip + max < all.length;
  const nextLink = more
    ? `${ctx.baseUrl}${path}?api-version=${encodeURIComponent(ctx.apiVersion || LATEST_API_VERSION)}&$skiptoken=${skip + max}&maxresults=${max}`
    : null;
  return { value, nextLink };
}

export class KeyService {
  private signer: Promise<KeyObject> | undefined;
  /**
   * Unsealed, parsed material of recently used versions, by version and sealed blob (a version's material never
   * changes; a re-created HSM or key has other blobs), so a key operation neither unseals nor parses PKCS#8 again.
   */
  private readonly opened = new Map<string, { bytes: Buffer; material: KeyMaterial }>();
  /** The same, by the store's record of the version (one object per version while the store is unchanged). */
  private readonly openedByRecord = new WeakMap<KeyVersionRecord, { bytes: Buffer; material: KeyMaterial }>();

  constructor(private readonly deps: KeyServiceDeps) {}

  private get store(): HsmStore {
    return this.deps.store;
  }

  // ---- lookups ----

  /** The live key `name` and the requested (or current) version. @throws 404 KeyNotFound */
  private live(ctx: KeyContext, name: string, version?: string): { rec: KeyNameRecord; v: KeyVersionRecord } {
    checkKeyName(name);
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const rec = this.store.keyName(ctx.hsm.name, name.toLowerCase());
    if (!rec || rec.deletedDate !== undefined) throw keyNotFound(ctx.baseUrl, name, version);
    if (version !== undefined && !VERSION_RE.test(version)) throw keyNotFound(ctx.baseUrl, name, version);
    const v = version
      ? this.store.version(ctx.hsm.name, rec.nameKey, version.toLowerCase())
      : this.store.latest(ctx.hsm.name, rec.nameKey);
    if (!v) throw keyNotFound(ctx.baseUrl, name, version);
    return { rec, v };
  }

  private deleted(ctx: KeyContext, name: string): { rec: KeyNameRecord; v: KeyVersionRecord } {
    checkKeyName(name);
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const rec = this.store.keyName(ctx.hsm.name, name.toLowerCase());
    if (!rec || rec.deletedDate === undefined) throw deletedKeyNotFound(ctx.baseUrl, name);
    return { rec, v: this.store.latest(ctx.hsm.name, rec.nameKey)! };
  }

  /** Throws 409 when `name` is soft-deleted (it cannot be reused until recovered or purged). */
  private requireNotDeleted(ctx: KeyContext, name: string): void {
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const rec = this.store.keyName(ctx.hsm.name, name.toLowerCase());
    if (rec?.deletedDate !== undefined) throw deletedButRecoverable(name);
  }

  /**
   * Checks that the key version may be used for `op` now: enabled, inside nbf/exp, op in key_ops.
   * @throws 403 Forbidden with innererror KeyDisabled | KeyNotYetValid | KeyExpired | KeyOperationForbidden
   */
  private usable(ctx: KeyContext, name: string, v: KeyVersionRecord, op: string, checkOps = true): void {
    const a = v.attributes;
    if (!a.enabled) throw kvErrors.keyDisabled(op, name);
    if (a.nbf !== undefined && ctx.nowS < a.nbf) throw kvErrors.keyNotYetValid(op, a.nbf);
    if (a.exp !== undefined && ctx.nowS >= a.exp) throw kvErrors.keyExpired(op, a.exp);
    if (checkOps && !v.keyOps.includes(op)) throw kvErrors.keyOperationForbidden(op, v.keyOps);
  }

  // ---- material ----

  private async generate(
    kty: string,
    keySize: number | undefined,
    crv: string | undefined,
    publicExponent: number | undefined,
  ): Promise<KeyMaterial> {
    try {
      const normalized = normalizeKty(kty);
      if (normalized === "RSA-HSM") {
        return deserializeMaterial(
          await this.deps.pool.generate({
            kty: normalized,
            ...(keySize !== undefined ? { keySize } : {}),
            ...(publicExponent !== undefined ? { publicExponent } : {}),
          }),
        );
      }
      return await generateKeyMaterial({
        kty: normalized,
        ...(normalized === "oct-HSM" && keySize !== undefined ? { keySize } : {}),
        ...(crv !== undefined ? { crv } : {}),
      });
    } catch (e) {
      return fromCryptoError(e);
    }
  }

  private newVersion(
    material: KeyMaterial,
    keyOps: string[] | undefined,
    attrs: StoredKeyAttributes,
    tags: Record<string, string> | undefined,
    releasePolicy: StoredReleasePolicy | undefined,
  ): NewKeyVersion {
    return {
      version: randomHex(16),
      kty: material.kty,
      keyOps: keyOps ?? defaultKeyOps(material.kty),
      attributes: attrs,
      ...(tags ? { tags } : {}),
      ...(releasePolicy ? { releasePolicy } : {}),
      publicJwk: publicJwk(material),
      material,
    };
  }

  private exportableRules(exportable: boolean, policy: StoredReleasePolicy | undefined): void {
    if (exportable && !policy) throw kvErrors.exportableNeedsPolicy();
    if (!exportable && policy) throw kvErrors.policyNeedsExportable(false);
  }

  private freshAttributes(ctx: KeyContext, a: ReturnType<typeof parseAttributes>): StoredKeyAttributes {
    return {
      enabled: a.enabled ?? true,
      ...(typeof a.nbf === "number" ? { nbf: a.nbf } : {}),
      ...(typeof a.exp === "number" ? { exp: a.exp } : {}),
      created: ctx.nowS,
      updated: ctx.nowS,
      exportable: a.exportable ?? false,
    };
  }

  // ---- operations ----

  /** POST /keys/{name}/create (KeyCreateParameters) → KeyBundle of the new version. */
  async create(ctx: KeyContext, name: string, raw: unknown): Promise<Record<string, unknown>> {
    checkKeyName(name);
    const body = objectBody(raw, "KeyCreateParameters");
    if (body.kty === undefined) throw kvErrors.parameterRequired("kty");
    let kty;
    try {
      kty = normalizeKty(body.kty);
    } catch (e) {
      return fromCryptoError(e);
    }
    const keySize = body.key_size ?? undefined;
    if (keySize !== undefined && keySize !== null && (typeof keySize !== "number" || !Number.isInteger(keySize)))
      throw kvErrors.parameterType("key_size", "an integer");
    const exponent = body.public_exponent ?? undefined;
    if (exponent !== undefined && exponent !== null && (typeof exponent !== "number" || !Number.isInteger(exponent)))
      throw kvErrors.parameterType("public_exponent", "an integer");
    const crv = body.crv ?? undefined;
    if (crv !== undefined && crv !== null && typeof crv !== "string")
      throw kvErrors.parameterType("crv", "a curve name");
    const keyOps = parseKeyOps(body.key_ops);
    const attrs = parseAttributes(body.attributes);
    const tags = parseTags(body.tags);
    const policy = parseReleasePolicy(body.release_policy);
    this.exportableRules(attrs.exportable === true, policy);
    this.requireNotDeleted(ctx, name);
    const material = await this.generate(
      kty,
      (keySize as number | null) ?? undefined,
      kty === "EC-HSM" ? ((crv as string | null) ?? undefined) : undefined,
      kty === "RSA-HSM" ? ((exponent as number | null) ?? undefined) : undefined,
    );
    return this.store2(ctx, name, this.newVersion(material, keyOps, this.freshAttributes(ctx, attrs), tags, policy));
  }

  private store2(ctx: KeyContext, name: string, nv: NewKeyVersion): Record<string, unknown> {
    this.requireNotDeleted(ctx, name);
    const v = this.store.addVersion(ctx.hsm.name, name, nv, ctx.nowS);
    const rec = this.store.keyName(ctx.hsm.name, name.toLowerCase())!;
    return renderBundle(ctx, rec, v);
  }

  /** PUT /keys/{name} (KeyImportParameters; `Hsm` accepted, keys are always HSM-protected) → KeyBundle. */
  async import(ctx: KeyContext, name: string, raw: unknown): Promise<Record<string, unknown>> {
    checkKeyName(name);
    const body = objectBody(raw, "KeyImportParameters");
    if (body.Hsm !== undefined && body.Hsm !== null && typeof body.Hsm !== "boolean")
      throw kvErrors.parameterType("Hsm", "true or false");
    const jwk = body.key;
    if (jwk === undefined || jwk === null) throw kvErrors.parameterRequired("key", "the JSON Web Key to import");
    if (typeof jwk !== "object" || Array.isArray(jwk)) throw kvErrors.parameterType("key", "a JSON Web Key object");
    const keyOps = parseKeyOps((jwk as Record<string, unknown>).key_ops);
    const attrs = parseAttributes(body.attributes);
    const tags = parseTags(body.tags);
    const policy = parseReleasePolicy(body.release_policy);
    this.exportableRules(attrs.exportable === true, policy);
    this.requireNotDeleted(ctx, name);
    let material: KeyMaterial;
    try {
      material = importKeyMaterial(jwk as JsonWebKeyInput);
    } catch (e) {
      return fromCryptoError(e);
    }
    return this.store2(ctx, name, this.newVersion(material, keyOps, this.freshAttributes(ctx, attrs), tags, policy));
  }

  /** GET /keys/{name}[/{version}] → KeyBundle (never with attributes.attestation). */
  get(ctx: KeyContext, name: string, version?: string): Record<string, unknown> {
    const { rec, v } = this.live(ctx, name, version);
    return renderBundle(ctx, rec, v);
  }

  /** GET /keys/{name}[/{version}]/attestation → KeyBundle with attributes.attestation (7.6+). */
  async attestation(ctx: KeyContext, name: string, version?: string): Promise<Record<string, unknown>> {
    const { rec, v } = this.live(ctx, name, version);
    const signer = await this.signingKey();
    const kid = keyId(ctx, rec.name, v.version);
    const statement = {
      kid,
      kty: v.kty,
      key_ops: v.keyOps,
      exportable: v.attributes.exportable,
      created: v.attributes.created,
      hsmPlatform: "hsmlink-emulated",
      iat: ctx.nowS,
    };
    const pubPem = Buffer.from(createPublicKey(signer).export({ format: "pem", type: "spki" }) as string, "utf8");
    const attestation: Record<string, unknown> = {
      certificatePemFile: pubPem.toString("base64url"),
      privateKeyAttestation: Buffer.from(
        signJws(signer, { ...statement, statement: "private key held by the emulated HSM" }),
      ).toString("base64url"),
      version: "1.0",
    };
    if (v.kty !== "oct-HSM")
      attestation.publicKeyAttestation = Buffer.from(
        signJws(signer, { ...statement, statement: "public key", key: v.publicJwk }),
      ).toString("base64url");
    return renderBundle(ctx, rec, v, { attestation });
  }

  /** PATCH /keys/{name}[/{version}] (KeyUpdateParameters) → KeyBundle. */
  update(ctx: KeyContext, name: string, version: string | undefined, raw: unknown): Record<string, unknown> {
    const body = objectBody(raw ?? {}, "KeyUpdateParameters");
    const keyOps = parseKeyOps(body.key_ops);
    const attrs = parseAttributes(body.attributes);
    const tags = parseTags(body.tags);
    const policy = parseReleasePolicy(body.release_policy);
    const { rec, v } = this.live(ctx, name, version);
    if (attrs.exportable !== undefined && attrs.exportable !== v.attributes.exportable)
      throw kvErrors.exportableImmutable();
    if (policy) {
      if (v.releasePolicy?.immutable) throw kvErrors.releasePolicyImmutable(rec.name);
      if (!v.attributes.exportable) throw kvErrors.policyNeedsExportable(true);
    }
    const a = { ...v.attributes };
    if (attrs.enabled !== undefined) a.enabled = attrs.enabled;
    if (attrs.nbf !== undefined) {
      if (attrs.nbf === null) delete a.nbf;
      else a.nbf = attrs.nbf;
    }
    if (attrs.exp !== undefined) {
      if (attrs.exp === null) delete a.exp;
      else a.exp = attrs.exp;
    }
    if (a.nbf !== undefined && a.exp !== undefined && a.nbf >= a.exp) throw kvErrors.nbfNotBeforeExp();
    a.updated = ctx.nowS;
    const updated: KeyVersionRecord = {
      ...v,
      attributes: a,
      ...(keyOps ? { keyOps } : {}),
      ...(tags !== undefined ? { tags } : {}),
      ...(policy ? { releasePolicy: policy } : {}),
    };
    this.store.updateVersion(updated);
    return renderBundle(ctx, rec, updated);
  }

  /**
   * GET /keys → `{value: KeyItem[], nextLink}` (versionless kids, current version's attributes). Pages by name with
   * an opaque `$skiptoken` cursor (the last name of the page; Key Vault's tokens are opaque too, data-plane.md
   * "Paging"), so each of the 400 pages of 10,000 keys reads only its own 25 keys.
   * @throws 400 BadParameter for a `maxresults` out of 1..25 or a `$skiptoken` this service did not issue
   */
  list(ctx: KeyContext, query: Record<string, string>): Record<string, unknown> {
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const max = paging({ maxresults: query["maxresults"] ?? "" }).max;
    const after = keyCursorFrom(query["$skiptoken"]);
    const names = this.store.liveNamesPage(ctx.hsm.name, after, max + 1);
    const value = names.slice(0, max);
    const nextLink =
      names.length > max
        ? `${ctx.baseUrl}/keys?api-version=${encodeURIComponent(ctx.apiVersion || LATEST_API_VERSION)}&$skiptoken=${keyCursor(value[value.length - 1]!.nameKey)}&maxresults=${max}`
        : null;
    return {
      value: value.map((rec) => renderItem(ctx, rec, this.store.latest(ctx.hsm.name, rec.nameKey)!, false)),
      nextLink,
    };
  }

  /** GET /keys/{name}/versions → `{value: KeyItem[] (versioned kids), nextLink}`. */
  listVersions(ctx: KeyContext, name: string, query: Record<string, string>): Record<string, unknown> {
    checkKeyName(name);
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const found = this.store.keyName(ctx.hsm.name, name.toLowerCase());
    // A key that does not exist (or is soft-deleted) has no versions: 200 `{"value":[]}`, not 404, as a real managed
    // HSM answers (ManagedHsmLiveTests/GetPropertiesOfKeyVersionsNonExisting.json); the SDKs' pagers rely on it.
    if (!found || found.deletedDate !== undefined) return { value: [] };
    const { rec } = this.live(ctx, name);
    const items = this.store.versions(ctx.hsm.name, rec.nameKey).map((v) => renderItem(ctx, rec, v, true));
    return page(ctx, `/keys/${rec.name}/versions`, query, items);
  }

  /** DELETE /keys/{name} → DeletedKeyBundle; the key is soft-deleted for the HSM's retention period. */
  delete(ctx: KeyContext, name: string): Record<string, unknown> {
    const { rec, v } = this.live(ctx, name);
    const purgeAt = ctx.nowS + ctx.hsm.retentionDays * 86400;
    this.store.markDeleted(ctx.hsm.name, rec.nameKey, ctx.nowS, purgeAt);
    return renderDeletedBundle(ctx, { ...rec, deletedDate: ctx.nowS, scheduledPurgeDate: purgeAt }, v);
  }

  /** GET /deletedkeys/{name} → DeletedKeyBundle. */
  getDeleted(ctx: KeyContext, name: string): Record<string, unknown> {
    const { rec, v } = this.deleted(ctx, name);
    return renderDeletedBundle(ctx, rec, v);
  }

  /** GET /deletedkeys → `{value: DeletedKeyItem[], nextLink}`. */
  listDeleted(ctx: KeyContext, query: Record<string, string>): Record<string, unknown> {
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const items = this.store.deletedNames(ctx.hsm.name).flatMap((rec) => {
      const v = this.store.latest(ctx.hsm.name, rec.nameKey);
      return v ? [renderDeletedItem(ctx, rec, v)] : [];
    });
    return page(ctx, "/deletedkeys", query, items);
  }

  /** POST /deletedkeys/{name}/recover → KeyBundle of the current version. */
  recover(ctx: KeyContext, name: string): Record<string, unknown> {
    const { rec, v } = this.deleted(ctx, name);
    this.store.markRecovered(ctx.hsm.name, rec.nameKey);
    const { deletedDate: _d, scheduledPurgeDate: _s, ...live } = rec;
    return renderBundle(ctx, live, v);
  }

  /**
   * DELETE /deletedkeys/{name} → nothing (204).
   * @throws 403 Forbidden when the HSM has purge protection (the key is purged at its scheduled date)
   */
  purge(ctx: KeyContext, name: string): void {
    const { rec } = this.deleted(ctx, name);
    if (ctx.hsm.purgeProtection) {
      throw kvErrors.purgeProtected(rec.name, ctx.hsm.retentionDays);
    }
    this.store.purge(ctx.hsm.name, rec.nameKey);
  }

  // ---- backup / restore ----

  private backupKey(): Buffer {
    return this.deps.master.derive("key-backup");
  }

  /** POST /keys/{name}/backup → `{value: base64url blob}`; the blob restores only into hsmlink HSMs with this master key. */
  backup(ctx: KeyContext, name: string): Record<string, unknown> {
    const { rec } = this.live(ctx, name);
    const doc: BackupDocument = {
      v: 1,
      name: rec.name,
      ...(rec.rotationPolicy ? { rotationPolicy: rec.rotationPolicy } : {}),
      versions: this.store.versions(ctx.hsm.name, rec.nameKey).map((v) => ({
        version: v.version,
        kty: v.kty,
        keyOps: v.keyOps,
        attributes: v.attributes,
        ...(v.tags ? { tags: v.tags } : {}),
        ...(v.releasePolicy ? { releasePolicy: v.releasePolicy } : {}),
        material: this.store.materialBytes(v).toString("base64url"),
      })),
    };
    const sealed = sealWithKey(this.backupKey(), Buffer.from(JSON.stringify(doc), "utf8"), BACKUP_CONTEXT);
    return { value: Buffer.concat([BACKUP_MAGIC, sealed]).toString("base64url") };
  }

  /**
   * POST /keys/restore `{value}` → KeyBundle of the restored key's current version.
   * @throws 400 for a blob not made by hsmlink; 409 when the name is in use (live or soft-deleted)
   */
  restore(ctx: KeyContext, raw: unknown): Record<string, unknown> {
    const body = objectBody(raw, "KeyRestoreParameters");
    const blob = b64urlField("value", body.value, { required: true })!;
    const invalid = () => kvErrors.keyBackupInvalid();
    if (blob.length <= BACKUP_MAGIC.length || !blob.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC))
      throw invalid();
    let doc: BackupDocument;
    let versions: NewKeyVersion[];
    try {
      doc = JSON.parse(
        openWithKey(this.backupKey(), blob.subarray(BACKUP_MAGIC.length), BACKUP_CONTEXT).toString("utf8"),
      ) as BackupDocument;
      if (doc.v !== 1 || typeof doc.name !== "string" || !Array.isArray(doc.versions) || doc.versions.length === 0)
        throw new Error("shape");
      versions = doc.versions.map((bv) => {
        const material = deserializeMaterial(Buffer.from(bv.material, "base64url"));
        return {
          version: bv.version,
          kty: material.kty,
          keyOps: bv.keyOps,
          attributes: bv.attributes,
          ...(bv.tags ? { tags: bv.tags } : {}),
          ...(bv.releasePolicy ? { releasePolicy: bv.releasePolicy } : {}),
          publicJwk: publicJwk(material),
          material,
        };
      });
    } catch {
      throw invalid();
    }
    checkKeyName(doc.name);
    this.store.purgeExpired(ctx.hsm.name, ctx.nowS);
    const existing = this.store.keyName(ctx.hsm.name, doc.name.toLowerCase());
    if (existing?.deletedDate !== undefined) throw deletedButRecoverable(existing.name);
    if (existing) throw kvErrors.keyRestoreConflict(keyId(ctx, existing.name));
    this.store.restoreKey(ctx.hsm.name, doc.name, versions, doc.rotationPolicy, ctx.nowS);
    const rec = this.store.keyName(ctx.hsm.name, doc.name.toLowerCase())!;
    return renderBundle(ctx, rec, this.store.latest(ctx.hsm.name, rec.nameKey)!);
  }

  // ---- rotation ----

  /** POST /keys/{name}/rotate → KeyBundle of a new version with fresh material of the same type and size. */
  async rotate(ctx: KeyContext, name: string): Promise<Record<string, unknown>> {
    const { rec, v } = this.live(ctx, name);
    const current = this.store.material(v);
    const material =
      current.kty === "RSA-HSM"
        ? await this.generate(
            "RSA-HSM",
            current.keySize,
            undefined,
            v.publicJwk.e ? Number(BigInt("0x" + Buffer.from(v.publicJwk.e, "base64url").toString("hex"))) : undefined,
          )
        : current.kty === "EC-HSM"
          ? await this.generate("EC-HSM", undefined, current.crv, undefined)
          : await this.generate("oct-HSM", current.keySize, undefined, undefined);
    const expiry = rec.rotationPolicy?.attributes.expiryTime;
    const attrs: StoredKeyAttributes = {
      enabled: true,
      created: ctx.nowS,
      updated: ctx.nowS,
      exportable: v.attributes.exportable,
      ...(expiry ? { exp: ctx.nowS + durationSeconds(expiry)! } : {}),
    };
    return this.store2(ctx, rec.name, this.newVersion(material, v.keyOps, attrs, v.tags, v.releasePolicy));
  }

  /** GET /keys/{name}/rotationpolicy → KeyRotationPolicy (an empty policy when none is set). */
  getRotationPolicy(ctx: KeyContext, name: string): Record<string, unknown> {
    const { rec } = this.live(ctx, name);
    return renderRotationPolicy(rec.name, rec.rotationPolicy);
  }

  /** PUT /keys/{name}/rotationpolicy → the stored KeyRotationPolicy. */
  setRotationPolicy(ctx: KeyContext, name: string, raw: unknown): Record<string, unknown> {
    const body = objectBody(raw, "KeyRotationPolicy");
    const { rec } = this.live(ctx, name);
    const policy = parseRotationPolicy(body, rec.rotationPolicy, ctx.nowS);
    this.store.setRotationPolicy(ctx.hsm.name, rec.nameKey, policy);
    return renderRotationPolicy(rec.name, policy);
  }

  // ---- release ----

  private async signingKey(): Promise<KeyObject> {
    this.signer ??= (async () => {
      const wrap = this.deps.master.derive("release-signing-key");
      let sealed = this.store.meta("release-signing-key");
      if (!sealed) {
        const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
        sealed = this.store.metaOnce(
          "release-signing-key",
          sealWithKey(wrap, privateKey.export({ format: "der", type: "pkcs8" }), "hsmlink/release-signing-key"),
        );
      }
      return createPrivateKey({
        key: openWithKey(wrap, sealed, "hsmlink/release-signing-key"),
        format: "der",
        type: "pkcs8",
      });
    })();
    return this.signer;
  }

  /** POST /keys/{name}[/{version}]/release `{target, nonce?, enc?}` → `{value: JWS}` (see release.ts for what is accepted). */
  async release(
    ctx: KeyContext,
    name: string,
    version: string | undefined,
    raw: unknown,
  ): Promise<Record<string, unknown>> {
    const body = objectBody(raw, "KeyReleaseParameters");
    const enc = releaseEncryption(body.enc);
    if (body.nonce !== undefined && body.nonce !== null && typeof body.nonce !== "string")
      throw kvErrors.parameterType("nonce", "a string");
    const token = parseAttestationToken(body.target, ctx.nowS);
    const { rec, v } = this.live(ctx, name, version);
    this.usable(ctx, rec.name, v, "release", false);
    if (!v.attributes.exportable || !v.releasePolicy) throw kvErrors.keyNotExportable(rec.name);
    if (!policyAllows(releasePolicyJson(v.releasePolicy), token)) policyNotSatisfied();
    const target = targetKey(token);
    const material = this.store.material(v);
    const keyBytes = material.kty === "oct-HSM" ? material.k : material.pkcs8;
    const ciphertext = wrapForRelease(target.key, enc, keyBytes);
    const keyHsm = Buffer.from(
      JSON.stringify({
        schema_version: "1.0",
        header: { kid: target.kid ?? "TpmEphemeralEncryptionKey", alg: "dir", enc },
        ciphertext: ciphertext.toString("base64url"),
      }),
    ).toString("base64url");
    const bundle = renderBundle(ctx, rec, v);
    const payload = {
      request: {
        "api-version": ctx.apiVersion || LATEST_API_VERSION,
        enc,
        kid: keyId(ctx, rec.name, v.version),
        ...(typeof body.nonce === "string" ? { nonce: body.nonce } : {}),
      },
      response: { key: { ...bundle, key: { ...(bundle.key as Record<string, unknown>), key_hsm: keyHsm } } },
    };
    return { value: signJws(await this.signingKey(), payload) };
  }

  // ---- key operations ----

  /**
   * POST /keys/{name}[/{version}]/{encrypt|decrypt|wrapkey|unwrapkey|sign|verify}.
   * Returns KeyOperationResult `{kid, value, iv?, tag?, aad?, alg}` or, for verify, `{value: boolean}`.
   * @throws 400 bad parameters/algorithm, 404 unknown key, 403 disabled/expired/not-yet-valid key or op not in key_ops
   */
  async operate(
    ctx: KeyContext,
    name: string,
    version: string | undefined,
    op: CryptoOperation,
    raw: unknown,
  ): Promise<Record<string, unknown>> {
    const body = objectBody(
      raw,
      op === "sign" ? "KeySignParameters" : op === "verify" ? "KeyVerifyParameters" : "KeyOperationsParameters",
    );
    if (body.alg === undefined || body.alg === null) throw kvErrors.parameterRequired("alg");
    if (typeof body.alg !== "string") throw kvErrors.algorithmNotString();
    const value = b64urlField("value", body.value, { required: true })!;
    const iv = b64urlField("iv", body.iv);
    const aad = b64urlField("aad", body.aad);
    const tag = b64urlField("tag", body.tag);
    const digest = op === "verify" ? b64urlField("digest", body.digest, { required: true }) : undefined;
    const { rec, v } = this.live(ctx, name, version);
    this.usable(ctx, rec.name, v, op);
    // The store hands out one (frozen) record per version while it is unchanged: the record finds its opened key
    // without encoding the sealed bytes for the map below (which keeps it across store writes).
    let opened = this.openedByRecord.get(v);
    if (!opened) {
      const openedKey = `${v.hsm}\n${v.nameKey}\n${v.version}\n${v.sealed.toString("base64")}`;
      opened = this.opened.get(openedKey);
      if (!opened) {
        const bytes = this.store.materialBytes(v);
        try {
          opened = { bytes, material: deserializeMaterial(bytes) };
        } catch (e) {
          return fromCryptoError(e);
        }
        if (this.opened.size >= 1000) this.opened.clear();
        this.opened.set(openedKey, opened);
      }
      this.openedByRecord.set(v, opened);
    }
    const { bytes, material } = opened;
    try {
      checkAlgorithm(material, body.alg, op);
    } catch (e) {
      return fromCryptoError(e);
    }
    const req: KeyOperationRequest = {
      alg: body.alg,
      value,
      ...(iv ? { iv } : {}),
      ...(aad ? { aad } : {}),
      ...(tag ? { tag } : {}),
      ...(digest ? { digest } : {}),
    };
    let result: KeyOperationResult | boolean;
    try {
      // Private-key RSA work and ECDSA on P-256K/P-384/P-521 (OpenSSL's generic curve code, up to milliseconds) run on
      // the worker pool. P-256 sign and verify are one native k·G (tens of µs) plus a few BigInt operations:
      // cheaper inline than a worker round trip. So is an RSA-2048 private operation (~0.25 ms) when this process
      // has a single core, where the pool adds no parallelism, only the hand-over (measured: more than the signature).
      const ecOffThread = material.kty === "EC-HSM" && (op === "sign" || op === "verify") && material.crv !== "P-256";
      const rsaOffThread =
        material.kty === "RSA-HSM" &&
        (op === "decrypt" || op === "unwrapKey" || op === "sign") &&
        (this.deps.pool.parallel || material.keySize > 2048);
      if (rsaOffThread || ecOffThread) {
        result = await this.deps.pool.operate(op, bytes, req);
      } else {
        const fn = {
          encrypt: cEncrypt,
          decrypt: cDecrypt,
          wrapKey: cWrapKey,
          unwrapKey: cUnwrapKey,
          sign: cSign,
          verify: cVerify,
        }[op];
        result = fn(material, req);
      }
    } catch (e) {
      return fromCryptoError(e);
    }
    if (typeof result === "boolean") return { value: result };
    return {
      kid: keyId(ctx, rec.name, v.version),
      value: result.value.toString("base64url"),
      ...(result.iv ? { iv: result.iv.toString("base64url") } : {}),
      ...(result.tag ? { tag: result.tag.toString("base64url") } : {}),
      ...(result.aad ? { aad: result.aad.toString("base64url") } : {}),
      alg: body.alg,
    };
  }

  /** POST /rng `{count: 1..128}` → `{value: base64url}`. @throws 400 with the service's exact message */
  random(raw: unknown): Record<string, unknown> {
    const body = objectBody(raw, "GetRandomBytesRequest");
    const count = body.count;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 128) throw kvErrors.rngCount();
    return { value: randomBytes(count).toString("base64url") };
  }
}
