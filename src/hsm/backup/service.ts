/**
 * Full backup, full restore and selective key restore of a managed HSM into Azure Blob Storage (data-plane.md §8;
 * spec stable/7.4 backuprestore.json; Microsoft Learn "Full backup and restore"; keyvault-admin recordings):
 *
 * - `POST /backup {storageResourceUri, token}` → 202 FullBackupOperation + `Azure-AsyncOperation`
 *   `…/backup/{jobId}/pending`; the job writes the folder `mhsm-{name}-{YYYYMMDDHHmmssff}` into the container.
 * - `PUT /restore {sasTokenParameters: {storageResourceUri, token}, folderToRestore}` → 202 RestoreOperation +
 *   `…/restore/{jobId}/pending`; replaces every key and role assignment with the backup's (destructive, as in Azure).
 * - `PUT /keys/{name}/restore {sasTokenParameters, folder}` → 202 SelectiveKeyRestoreOperation; replaces that key.
 *
 * One operation at a time per HSM. Every blob is AES-256-GCM under a key derived from the security domain's domain key
 * (nothing in the container is readable without it), so a backup restores only into an HSM holding the same security
 * domain. A restore reads and checks the whole backup before it changes anything.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { Store } from "../../store/db.js";
import type {
  HsmStore,
  NewKeyVersion,
  RoleAssignmentRecord,
  StoredRotationPolicy,
  StoredKeyAttributes,
  StoredReleasePolicy,
} from "../store.js";
import { deserializeMaterial, type KeyType, type PublicJwkFields } from "../crypto/index.js";
import { kvErrors } from "../errors.js";
import type { HsmInfo } from "../hsm.js";
import type { SecurityDomainService } from "../security-domain/service.js";
import type { BlobStorage } from "./blob-storage.js";
import { BlobError, deleteBlob, getBlob, putBlob, type ContainerTarget } from "./blob-client.js";

type Kind = "backup" | "restore" | "selectiveKeyRestore" | "preBackup" | "preRestore";

/** Jobs whose status is read at `/backup/{jobId}/pending` (the others at `/restore/{jobId}/pending`). */
const BACKUP_KINDS: readonly Kind[] = ["backup", "preBackup"];

interface JobRow {
  job_id: string;
  hsm: string;
  kind: Kind;
  status: "InProgress" | "Succeeded" | "Failed";
  status_details: string | null;
  start_time: number;
  end_time: number | null;
  container_uri: string | null;
}

/** The `error` of a finished operation as the service shows it (keyvault-admin recordings: null, or all-null fields). */
const NO_ERROR = null;
const FAILED_ERROR = { code: null, message: null, innererror: null };

const MAGIC = Buffer.from("HLMHSMB1");
const FORMAT = "hsmlink-managed-hsm-full-backup-1";

/** The storage container a request names (`https://{account}.blob.core.windows.net/{container}`) and its SAS. */
interface StorageTarget extends ContainerTarget {
  uri: string;
}

interface BackupKey {
  name: string;
  rotationPolicy?: StoredRotationPolicy;
  versions: {
    version: string;
    kty: KeyType;
    keyOps: string[];
    attributes: StoredKeyAttributes;
    tags?: Record<string, string>;
    releasePolicy?: StoredReleasePolicy;
    publicJwk: PublicJwkFields;
    material: string;
  }[];
}

interface Manifest {
  format: string;
  hsm: string;
  created: number;
  keys: { name: string; blob: string }[];
  roleAssignments: RoleAssignmentRecord[];
  roleDefinitions: Record<string, unknown>[];
}

/** Why a job failed: `statusDetails` as the service words it where recorded, else hsmlink's sentence. */
class JobFailure extends Error {}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** `mhsm-{name}-{YYYYMMDDHHmmss}{hundredths}` (recording: `mhsm-timovkeyvaulthsm-2022110918312474`). */
export function backupFolderName(hsm: string, nowMs: number): string {
  const d = new Date(nowMs);
  return `mhsm-${hsm}-${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}${two(Math.floor(d.getUTCMilliseconds() / 10))}`;
}

export class BackupService {
  constructor(
    private readonly store: Store,
    private readonly hsmStore: HsmStore,
    private readonly securityDomain: SecurityDomainService,
    private readonly blobs: BlobStorage,
    private readonly now: () => number,
  ) {
    // A job that was running when hsmlink stopped never finishes: say so instead of blocking the HSM forever.
    this.store.tx(() =>
      this.store.db
        .prepare(
          "UPDATE hsm_backup_jobs SET status = 'Failed', status_details = ?, end_time = ? WHERE status = 'InProgress'",
        )
        .run("hsmlink stopped while the operation ran.", Math.floor(this.now() / 1000)),
    );
  }

  private job(jobId: string): JobRow | undefined {
    return this.store.db.prepare("SELECT * FROM hsm_backup_jobs WHERE job_id = ?").get(jobId.toLowerCase()) as
      JobRow | undefined;
  }

  private target(value: unknown, where: string): StorageTarget {
    const p = value as { storageResourceUri?: unknown; token?: unknown; useManagedIdentity?: unknown } | undefined;
    if (!p || typeof p !== "object") throw kvErrors.storageTargetNotObject(where);
    if (typeof p.storageResourceUri !== "string") throw kvErrors.storageUriRequired(where);
    let url: URL;
    try {
      url = new URL(p.storageResourceUri);
    } catch {
      throw kvErrors.storageUriNotUri(where, p.storageResourceUri);
    }
    const account = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/.exec(url.hostname)?.[1];
    const container = url.pathname.replace(/^\/+|\/+$/g, "");
    if (url.protocol !== "https:" || !account || !/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/.test(container)) {
      throw kvErrors.storageUriNotContainer(where, p.storageResourceUri);
    }
    if (p.useManagedIdentity === true) {
      // hsmlink's choice: no managed identity for the HSM towards storage is emulated (Azurite has no Entra ID).
      throw kvErrors.managedIdentityNotSupported();
    }
    if (typeof p.token !== "string" || p.token.trim() === "") throw kvErrors.sasTokenRequired(where);
    return {
      uri: `https://${account}.blob.core.windows.net/${container}`,
      account,
      container,
      sas: p.token.replace(/^\?/, ""),
    };
  }

  private start(hsm: HsmInfo, kind: Kind): JobRow {
    const row: JobRow = {
      job_id: randomBytes(16).toString("hex"),
      hsm: hsm.name,
      kind,
      status: "InProgress",
      status_details: null,
      start_time: Math.floor(this.now() / 1000),
      end_time: null,
      container_uri: null,
    };
    this.store.tx(() => {
      const running = this.store.db
        .prepare("SELECT job_id, kind FROM hsm_backup_jobs WHERE hsm = ? AND status = 'InProgress'")
        .get(hsm.name) as { job_id: string; kind: string } | undefined;
      if (running) {
        // hsmlink's choice of status and code: one backup or restore at a time per HSM (Microsoft Learn).
        throw kvErrors.backupOperationRunning(
          BACKUP_KINDS.includes(running.kind as Kind) ? "backup" : "restore",
          running.job_id,
          hsm.name,
        );
      }
      this.store.db
        .prepare(
          "INSERT INTO hsm_backup_jobs (job_id, hsm, kind, status, start_time) VALUES (?, ?, ?, 'InProgress', ?)",
        )
        .run(row.job_id, row.hsm, row.kind, row.start_time);
    });
    return row;
  }

  private finish(jobId: string, outcome: { ok: true; containerUri?: string } | { ok: false; details: string }): void {
    this.store.tx(() =>
      this.store.db
        .prepare(
          "UPDATE hsm_backup_jobs SET status = ?, status_details = ?, end_time = ?, container_uri = ? WHERE job_id = ?",
        )
        .run(
          outcome.ok ? "Succeeded" : "Failed",
          outcome.ok ? null : outcome.details,
          Math.floor(this.now() / 1000),
          outcome.ok ? (outcome.containerUri ?? null) : null,
          jobId,
        ),
    );
  }

  private runLater(jobId: string, work: () => Promise<string | undefined>): void {
    // A job that outlives the store (hsmlink stopping) cannot record its end; the next start marks it Failed.
    const record = (outcome: Parameters<BackupService["finish"]>[1]) => {
      try {
        this.finish(jobId, outcome);
      } catch {
        /* the store is closed */
      }
    };
    setImmediate(() => {
      work().then(
        (containerUri) => record({ ok: true, containerUri }),
        (e: unknown) =>
          record({
            ok: false,
            details:
              e instanceof JobFailure
                ? e.message
                : e instanceof BlobError
                  ? storageDetails(e)
                  : `hsmlink: ${(e as Error).message}`,
          }),
      );
    });
  }

  /** The FullBackupOperation / RestoreOperation body: field order of the 202 (recordings). */
  private operation(row: JobRow): Record<string, unknown> {
    return {
      status: row.status,
      statusDetails: row.status_details,
      error: row.status === "Failed" ? FAILED_ERROR : NO_ERROR,
      startTime: row.start_time,
      endTime: row.end_time,
      jobId: row.job_id,
      ...(BACKUP_KINDS.includes(row.kind) ? { azureStorageBlobContainerUri: row.container_uri } : {}),
    };
  }

  /** The pending-status body: the service returns the same fields in alphabetical order (recordings). */
  private pending(row: JobRow): Record<string, unknown> {
    const op = this.operation(row);
    return Object.fromEntries(
      Object.keys(op)
        .sort()
        .map((k) => [k, op[k]]),
    );
  }

  private domainKey(hsm: HsmInfo): { fingerprint: Buffer; key: Buffer } {
    const domain = this.securityDomain.activeDomain(hsm);
    if (!domain) throw kvErrors.backupNeedsActivation(hsm.name);
    return {
      fingerprint: createHash("sha256").update(`hsmlink security domain ${domain.domainId}`).digest().subarray(0, 16),
      key: Buffer.from(
        hkdfSync("sha256", domain.domainKey, Buffer.alloc(0), Buffer.from("hsmlink managed HSM full backup v1"), 32),
      ),
    };
  }

  /** [magic 8][domain fingerprint 16][nonce 12][tag 16][AES-256-GCM ciphertext], AAD = the blob's name in the folder. */
  private seal(d: { fingerprint: Buffer; key: Buffer }, name: string, value: unknown): Buffer {
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", d.key, nonce);
    c.setAAD(Buffer.from(name));
    const ct = Buffer.concat([c.update(JSON.stringify(value)), c.final()]);
    return Buffer.concat([MAGIC, d.fingerprint, nonce, c.getAuthTag(), ct]);
  }

  private open<T>(d: { fingerprint: Buffer; key: Buffer }, name: string, blob: Buffer): T {
    if (blob.length < 52 || !blob.subarray(0, 8).equals(MAGIC)) throw new JobFailure("Invalid backup provided");
    if (!blob.subarray(8, 24).equals(d.fingerprint)) {
      throw new JobFailure(
        "Invalid backup provided: the backup was made under another security domain; restore it into a managed HSM recovered with that security domain.",
      );
    }
    try {
      const dc = createDecipheriv("aes-256-gcm", d.key, blob.subarray(24, 36));
      dc.setAAD(Buffer.from(name));
      dc.setAuthTag(blob.subarray(36, 52));
      return JSON.parse(Buffer.concat([dc.update(blob.subarray(52)), dc.final()]).toString("utf8")) as T;
    } catch {
      throw new JobFailure("Invalid backup provided: a backup blob does not authenticate (it was changed).");
    }
  }

  /** `POST /backup`. @returns 202 body @throws 400 BadParameter, 409 Conflict */
  startBackup(hsm: HsmInfo, body: unknown): Record<string, unknown> {
    const target = this.target(body, "The request body");
    const d = this.domainKey(hsm);
    const row = this.start(hsm, "backup");
    this.runLater(row.job_id, async () => {
      const endpoint = await this.blobs.endpoint();
      const folder = backupFolderName(hsm.name, this.now());
      const keys: Manifest["keys"] = [];
      const blobs: [string, Buffer][] = [];
      this.hsmStore.liveNames(hsm.name).forEach((n, i) => {
        const versions = this.hsmStore.versions(hsm.name, n.nameKey);
        if (versions.length === 0) return;
        const blob = `keys/${i}`;
        const key: BackupKey = {
          name: n.name,
          ...(n.rotationPolicy ? { rotationPolicy: n.rotationPolicy } : {}),
          versions: versions.map((v) => ({
            version: v.version,
            kty: v.kty,
            keyOps: v.keyOps,
            attributes: v.attributes,
            tags: v.tags,
            releasePolicy: v.releasePolicy,
            publicJwk: v.publicJwk,
            material: this.hsmStore.materialBytes(v).toString("base64"),
          })),
        };
        keys.push({ name: n.name, blob });
        blobs.push([blob, this.seal(d, blob, key)]);
      });
      const manifest: Manifest = {
        format: FORMAT,
        hsm: hsm.name,
        created: Math.floor(this.now() / 1000),
        keys,
        roleAssignments: this.hsmStore.roleAssignments(hsm.name),
        roleDefinitions: this.hsmStore.customRoleDefinitions(hsm.name),
      };
      for (const [name, content] of blobs) await putBlob(endpoint, target, `${folder}/${name}`, content);
      // The manifest last: a folder without one is an incomplete backup and does not restore.
      await putBlob(endpoint, target, `${folder}/manifest`, this.seal(d, "manifest", manifest));
      return `${target.uri}/${folder}`;
    });
    return this.operation(row);
  }

  private async readBackup(
    hsm: HsmInfo,
    target: StorageTarget,
    folder: string,
    only?: string,
  ): Promise<{
    manifest: Manifest;
    keys: { name: string; versions: NewKeyVersion[]; rotationPolicy?: StoredRotationPolicy }[];
  }> {
    const d = this.domainKey(hsm);
    const endpoint = await this.blobs.endpoint();
    let manifestBlob: Buffer;
    try {
      manifestBlob = await getBlob(endpoint, target, `${folder}/manifest`);
    } catch (e) {
      if (e instanceof BlobError && e.code === "BlobNotFound")
        throw new JobFailure(`Invalid backup provided: there is no backup in the folder '${folder}'.`);
      throw e;
    }
    const manifest = this.open<Manifest>(d, "manifest", manifestBlob);
    if (manifest.format !== FORMAT || !Array.isArray(manifest.keys)) throw new JobFailure("Invalid backup provided");
    const wanted =
      only === undefined ? manifest.keys : manifest.keys.filter((k) => k.name.toLowerCase() === only.toLowerCase());
    if (only !== undefined && wanted.length === 0)
      throw new JobFailure(`The key '${only}' is not in the backup '${folder}'.`);
    const keys = [];
    for (const k of wanted) {
      const b = this.open<BackupKey>(d, k.blob, await getBlob(endpoint, target, `${folder}/${k.blob}`));
      keys.push({
        name: b.name,
        rotationPolicy: b.rotationPolicy,
        versions: b.versions.map((v) => ({
          version: v.version,
          kty: v.kty,
          keyOps: v.keyOps,
          attributes: v.attributes,
          tags: v.tags,
          releasePolicy: v.releasePolicy,
          publicJwk: v.publicJwk,
          material: deserializeMaterial(Buffer.from(v.material, "base64")),
        })),
      });
    }
    return { manifest, keys };
  }

  private folderOf(value: unknown, field: string): string {
    if (typeof value !== "string" || !/^[A-Za-z0-9._-]{1,200}$/.test(value)) throw kvErrors.backupFolderRequired(field);
    return value;
  }

  /** `PUT /restore`. @returns 202 body @throws 400 BadParameter, 409 Conflict */
  startRestore(hsm: HsmInfo, body: unknown): Record<string, unknown> {
    const b = (body ?? {}) as { sasTokenParameters?: unknown; folderToRestore?: unknown };
    const target = this.target(b.sasTokenParameters, "sasTokenParameters");
    const folder = this.folderOf(b.folderToRestore, "folderToRestore");
    this.domainKey(hsm);
    const row = this.start(hsm, "restore");
    this.runLater(row.job_id, async () => {
      const { manifest, keys } = await this.readBackup(hsm, target, folder);
      this.hsmStore.replaceFromBackup(
        hsm.name,
        { keys, assignments: manifest.roleAssignments, definitions: manifest.roleDefinitions },
        this.now(),
      );
      return undefined;
    });
    return this.operation(row);
  }

  /** `PUT /keys/{name}/restore`. @returns 202 body @throws 400 BadParameter, 409 Conflict */
  startSelectiveRestore(hsm: HsmInfo, keyName: string, body: unknown): Record<string, unknown> {
    const b = (body ?? {}) as { sasTokenParameters?: unknown; folder?: unknown };
    const target = this.target(b.sasTokenParameters, "sasTokenParameters");
    const folder = this.folderOf(b.folder, "folder");
    this.domainKey(hsm);
    const row = this.start(hsm, "selectiveKeyRestore");
    this.runLater(row.job_id, async () => {
      const { keys } = await this.readBackup(hsm, target, folder, keyName);
      this.hsmStore.replaceFromBackup(hsm.name, { keys }, this.now(), keyName);
      return undefined;
    });
    return this.operation(row);
  }

  /**
   * `POST /prebackup` (api-version 7.5+): checks, without leaving anything behind, that a full backup could be
   * written there — the container exists and the SAS lets the HSM create, write and delete blobs (Microsoft Learn:
   * the SAS of a backup needs `crdw`). Status at `/backup/{jobId}/pending`.
   */
  startPreBackup(hsm: HsmInfo, body: unknown, apiVersion: string): Record<string, unknown> {
    requirePreChecks(apiVersion);
    const target = this.target(body, "The request body");
    this.domainKey(hsm);
    const row = this.start(hsm, "preBackup");
    this.runLater(row.job_id, async () => {
      const endpoint = await this.blobs.endpoint();
      const probe = `${backupFolderName(hsm.name, this.now())}-prebackup-check`;
      await putBlob(endpoint, target, probe, Buffer.alloc(0));
      await deleteBlob(endpoint, target, probe);
      return undefined;
    });
    return this.operation(row);
  }

  /**
   * `PUT /prerestore` (api-version 7.5+): checks that the folder holds a backup this HSM can restore (readable with
   * the SAS, made under this HSM's security domain), changing nothing. Status at `/restore/{jobId}/pending`.
   */
  startPreRestore(hsm: HsmInfo, body: unknown, apiVersion: string): Record<string, unknown> {
    requirePreChecks(apiVersion);
    const b = (body ?? {}) as { sasTokenParameters?: unknown; folderToRestore?: unknown };
    const target = this.target(b.sasTokenParameters, "sasTokenParameters");
    const folder = this.folderOf(b.folderToRestore, "folderToRestore");
    this.domainKey(hsm);
    const row = this.start(hsm, "preRestore");
    this.runLater(row.job_id, async () => {
      await this.readBackup(hsm, target, folder);
      return undefined;
    });
    return this.operation(row);
  }

  /** `GET /backup/{jobId}/pending` and `GET /restore/{jobId}/pending`. @throws 404 NotFound for an unknown job */
  status(hsm: HsmInfo, kind: "backup" | "restore", jobId: string): Record<string, unknown> {
    const row = this.job(jobId);
    if (!row || row.hsm !== hsm.name || (kind === "backup") !== BACKUP_KINDS.includes(row.kind)) {
      throw kvErrors.jobNotFound(kind, jobId, hsm.name);
    }
    return this.pending(row);
  }

  /** Waits until no job of the HSM is running (tests and shutdown). */
  async idle(hsm: string): Promise<void> {
    while (this.store.db.prepare("SELECT 1 FROM hsm_backup_jobs WHERE hsm = ? AND status = 'InProgress'").get(hsm))
      await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Pre-backup and pre-restore exist from api-version 7.5 (spec stable/7.5 backuprestore.json).
 * @throws 400 BadParameter for an older api-version (hsmlink's choice of refusal)
 */
function requirePreChecks(apiVersion: string): void {
  const m = /^(\d+)\.(\d+)/.exec(apiVersion);
  const ok =
    /^\d{4}-\d{2}-\d{2}/.test(apiVersion) ||
    (m !== null && (Number(m[1]) > 7 || (Number(m[1]) === 7 && Number(m[2]) >= 5)));
  if (!ok) throw kvErrors.preChecksNeedApiVersion(apiVersion);
}

/** `statusDetails` for a storage error: the recorded `ResourceNotFound` for a missing container or blob, else code + message. */
function storageDetails(e: BlobError): string {
  if (e.status === 404) return "ResourceNotFound";
  return `${e.code}: ${e.message}`;
}
