/**
 * The Managed HSM data plane's operations: the route table of its REST API (keys §2, rng, local RBAC §6.3), each
 * route with the local-RBAC data action and scope it needs, and the services behind them (keys, RBAC, the HSM
 * store, the crypto worker pool). The decision pipeline (src/pipeline/data-plane.ts) runs every request through
 * its steps (TLS/HSM, authentication, network rules, activation, RBAC) before it calls an operation here.
 */
import type { Store } from "../store/db.js";
import type { Clock } from "../kernel/clock.js";
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import { RouteTable, type RouteParams } from "../kernel/route-table.js";
import type { Principal } from "../entra/identity.js";
import { kvErrors } from "./errors.js";
import type { HsmInfo } from "./hsm.js";
import { MasterKey } from "./master-key.js";
import { HsmStore } from "./store.js";
import { CryptoPool } from "./crypto-pool.js";
import { KeyService, KEY_OPERATION_PATHS } from "./keys/service.js";
import type { KeyContext } from "./keys/wire.js";
import { Rbac } from "./rbac/service.js";
import { action, normaliseScope } from "./rbac/roles.js";
import { SecurityDomainService } from "./security-domain/service.js";
import { securityDomainRoutes } from "./security-domain/routes.js";
import { BackupService } from "./backup/service.js";
import { backupRoutes } from "./backup/routes.js";
import { BlobStorage } from "./backup/blob-storage.js";
import { SettingsService } from "./settings/service.js";
import { settingsRoutes } from "./settings/routes.js";

export const SERVICE_VERSION = "1.9.1331.1";

/** Everything a handler sees once the pipeline has admitted the request. */
export interface DataPlaneRequest {
  ex: Exchange;
  hsm: HsmInfo;
  principal: Principal;
  key: KeyContext;
  /** The parsed JSON body (undefined when empty). */
  body: () => unknown;
}

/**
 * One data-plane route: method and path template (kernel/route-table.ts syntax: `{name}`, a trailing `{name?}`, a
 * leading `{*scope}`; literals case-insensitive), matched against the collapsed path.
 */
export interface DataPlaneRoute {
  method: string;
  path: string;
  /** The local-RBAC data action (full name) and scope the request needs. */
  authorize: (p: RouteParams) => { dataAction: string; scope: string };
  handle: (r: DataPlaneRequest, p: RouteParams) => ExchangeResult | Promise<ExchangeResult>;
  /** Served before the security domain activates the HSM (security-domain routes). */
  beforeActivation?: boolean;
  /**
   * Served without an api-version too (a version sent is still checked): the pending status of a full backup or
   * restore, whose recorded `Azure-AsyncOperation` URL carries none.
   */
  apiVersionOptional?: boolean;
}

/** What {@link createHsmOperations} needs. */
export interface HsmOperationsOptions {
  store: Store;
  /** The data dir (holds the master key that wraps key material at rest). */
  dataDir: string;
  clock: Clock;
  /** Azure Blob Storage for full backups: an Azurite blob endpoint, or hsmlink starts Azurite (in memory with `inMemory`). */
  blob?: { endpoint?: string; inMemory?: boolean; host?: string };
  /** More routes (e.g. the security domain); a method and template may be registered once. */
  extraRoutes?: DataPlaneRoute[];
  /** Worker pool size (default: available parallelism, at least 2). */
  poolSize?: number;
}

/** The data plane's operations: its services, its route table, and `close()` (stops the worker pool). */
export interface HsmOperations {
  keys: KeyService;
  rbac: Rbac;
  hsmStore: HsmStore;
  securityDomain: SecurityDomainService;
  backup: BackupService;
  /** Azure Blob Storage (Azurite) for full backups and the gateway's `{account}.blob.core.windows.net`. */
  blobStorage: BlobStorage;
  /** The route for `method` and `path` and its params, or undefined. */
  match(method: string, path: string): { route: DataPlaneRoute; params: RouteParams } | undefined;
  close(): Promise<void>;
}

/** `https://{host}[:port]` as the client addressed it (port omitted when 443). */
export function externalBaseUrl(ex: Exchange): string {
  return `https://${ex.conn.hostName}${ex.conn.port && ex.conn.port !== 443 ? `:${ex.conn.port}` : ""}`;
}

/** The challenge `resource`: the Host minus its first label, keeping a non-443 port (clients.md A4). */
export function challengeResource(ex: Exchange): string {
  const parent = ex.conn.hostName.split(".").slice(1).join(".");
  return `https://${parent}${ex.conn.port && ex.conn.port !== 443 ? `:${ex.conn.port}` : ""}`;
}

/** The exact Managed HSM challenge header value. */
export function challengeHeader(tenantId: string, resource: string): string {
  return `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${resource}"`;
}

const ok = (body: unknown, status = 200): ExchangeResult => ({ status, body });

const keyScope = (name: string) => `/keys/${name}`;
/** The key operations of `POST /keys/{name}/{version?}/{operation}` and their data actions. */
const KEY_OPERATIONS: Record<string, string> = {
  encrypt: "keys/encrypt/action",
  decrypt: "keys/decrypt/action",
  wrapkey: "keys/wrap/action",
  unwrapkey: "keys/unwrap/action",
  sign: "keys/sign/action",
  verify: "keys/verify/action",
};

/** The built-in routes: keys (§2), rng, local RBAC (§6.3). */
function builtInRoutes(keys: KeyService, rbac: Rbac, clock: Clock): DataPlaneRoute[] {
  const k = (
    method: string,
    path: string,
    suffix: string,
    handle: DataPlaneRoute["handle"],
    scope: (p: RouteParams) => string = (p) => keyScope(p.name),
  ): DataPlaneRoute => ({
    method,
    path,
    authorize: (p) => ({ dataAction: action(suffix), scope: scope(p) }),
    handle,
  });
  const rbacScope = (p: RouteParams): string => normaliseScope(p.scope) ?? p.scope;
  const requireScope = (p: RouteParams): string => {
    const s = normaliseScope(p.scope);
    if (!s) throw kvErrors.invalidScope(p.scope);
    return s;
  };
  // Local RBAC (§6.3). Scope = everything before /providers/Microsoft.Authorization/ ("" → /).
  const rbacRoute = (
    method: string,
    kind: "roleAssignments" | "roleDefinitions",
    named: boolean,
    verb: "read" | "write" | "delete",
    handle: DataPlaneRoute["handle"],
  ): DataPlaneRoute => ({
    method,
    path: `/{*scope}/providers/Microsoft.Authorization/${kind}${named ? "/{name}" : ""}`,
    authorize: (p) => ({ dataAction: action(`${kind}/${verb}/action`), scope: rbacScope(p) }),
    handle,
    // Role management works before activation (Microsoft Learn quickstart: assign roles, then download the
    // security domain).
    beforeActivation: true,
  });
  return [
    k("POST", "/keys/{name}/create", "keys/create", async (r, p) => ok(await keys.create(r.key, p.name, r.body()))),
    k(
      "POST",
      "/keys/restore",
      "keys/restore/action",
      (r) => ok(keys.restore(r.key, r.body())),
      () => "/keys",
    ),
    k("POST", "/keys/{name}/backup", "keys/backup/action", (r, p) => ok(keys.backup(r.key, p.name))),
    k("POST", "/keys/{name}/rotate", "keys/rotate/action", async (r, p) => ok(await keys.rotate(r.key, p.name))),
    k("POST", "/keys/{name}/{version?}/release", "keys/release/action", async (r, p) =>
      ok(await keys.release(r.key, p.name, p.version, r.body())),
    ),
    ...Object.entries(KEY_OPERATIONS).map(([operation, dataAction]) =>
      k("POST", `/keys/{name}/{version?}/${operation}`, dataAction, async (r, p) =>
        ok(await keys.operate(r.key, p.name, p.version, KEY_OPERATION_PATHS[operation], r.body())),
      ),
    ),
    k("PUT", "/keys/{name}", "keys/import/action", async (r, p) => ok(await keys.import(r.key, p.name, r.body()))),
    k(
      "GET",
      "/keys",
      "keys/read/action",
      (r) => ok(keys.list(r.key, r.ex.query)),
      () => "/keys",
    ),
    k("GET", "/keys/{name}/versions", "keys/read/action", (r, p) => ok(keys.listVersions(r.key, p.name, r.ex.query))),
    k("GET", "/keys/{name}/rotationpolicy", "keys/read/action", (r, p) => ok(keys.getRotationPolicy(r.key, p.name))),
    k("PUT", "/keys/{name}/rotationpolicy", "keys/write/action", (r, p) =>
      ok(keys.setRotationPolicy(r.key, p.name, r.body())),
    ),
    k("GET", "/keys/{name}/{version?}/attestation", "keys/read/action", async (r, p) =>
      ok(await keys.attestation(r.key, p.name, p.version)),
    ),
    k("GET", "/keys/{name}/{version?}", "keys/read/action", (r, p) => ok(keys.get(r.key, p.name, p.version))),
    k("PATCH", "/keys/{name}/{version?}", "keys/write/action", (r, p) =>
      ok(keys.update(r.key, p.name, p.version, r.body())),
    ),
    k("DELETE", "/keys/{name}", "keys/delete", (r, p) => ok(keys.delete(r.key, p.name))),
    k(
      "GET",
      "/deletedkeys",
      "keys/deletedKeys/read/action",
      (r) => ok(keys.listDeleted(r.key, r.ex.query)),
      () => "/keys",
    ),
    k("GET", "/deletedkeys/{name}", "keys/deletedKeys/read/action", (r, p) => ok(keys.getDeleted(r.key, p.name))),
    k("DELETE", "/deletedkeys/{name}", "keys/deletedKeys/delete", (r, p) => {
      keys.purge(r.key, p.name);
      return { status: 204 };
    }),
    k("POST", "/deletedkeys/{name}/recover", "keys/deletedKeys/recover/action", (r, p) =>
      ok(keys.recover(r.key, p.name)),
    ),
    k(
      "POST",
      "/rng",
      "rng/action",
      (r) => ok(keys.random(r.body())),
      () => "/",
    ),
    rbacRoute("GET", "roleAssignments", false, "read", (r, p) =>
      ok({ value: rbac.listAssignments(r.hsm, requireScope(p), r.ex.query["$filter"]), nextLink: null }),
    ),
    rbacRoute("GET", "roleAssignments", true, "read", (r, p) => ok(rbac.getAssignment(r.hsm, p.name))),
    rbacRoute("PUT", "roleAssignments", true, "write", (r, p) =>
      ok(rbac.createAssignment(r.hsm, requireScope(p), p.name, r.body(), clock.now()), 201),
    ),
    rbacRoute("DELETE", "roleAssignments", true, "delete", (r, p) => ok(rbac.deleteAssignment(r.hsm, p.name))),
    rbacRoute("GET", "roleDefinitions", false, "read", (r, p) => {
      requireScope(p);
      return ok({ value: rbac.listDefinitions(r.hsm, r.ex.query["$filter"]), nextLink: null });
    }),
    rbacRoute("GET", "roleDefinitions", true, "read", (r, p) => ok(rbac.getDefinition(r.hsm, p.name))),
    rbacRoute("PUT", "roleDefinitions", true, "write", (r, p) => {
      requireScope(p);
      return ok(rbac.putDefinition(r.hsm, p.name, r.body()), 201);
    }),
    rbacRoute("DELETE", "roleDefinitions", true, "delete", (r, p) => ok(rbac.deleteDefinition(r.hsm, p.name))),
  ];
}

/** How many route matches {@link HsmOperations.match} keeps per method. */
const MATCHES_KEPT = 1024;

/**
 * Builds the data plane's services and route table.
 * @returns the operations, with `close()` to stop the crypto worker pool (call it when hsmlink stops)
 */
export function createHsmOperations(opts: HsmOperationsOptions): HsmOperations {
  const master = MasterKey.loadOrCreate(opts.dataDir);
  const hsmStore = new HsmStore(opts.store, master);
  const pool = new CryptoPool(opts.poolSize);
  const keys = new KeyService({ store: hsmStore, pool, master });
  const rbac = new Rbac(hsmStore);
  const table = new RouteTable<DataPlaneRoute>();
  const matches = new Map<string, Map<string, { route: DataPlaneRoute; params: RouteParams } | null>>();
  const securityDomain = new SecurityDomainService(opts.store, master, () => opts.clock.now());
  const blobStorage = new BlobStorage({
    endpoint: opts.blob?.endpoint || undefined,
    dataDir: opts.dataDir,
    inMemory: opts.blob?.inMemory ?? false,
    host: opts.blob?.host ?? "127.0.0.1",
  });
  const backup = new BackupService(opts.store, hsmStore, securityDomain, blobStorage, () => opts.clock.now());
  const features = [
    ...securityDomainRoutes(securityDomain),
    ...backupRoutes(backup),
    ...settingsRoutes(new SettingsService(opts.store)),
  ];
  for (const route of [...(opts.extraRoutes ?? []), ...features, ...builtInRoutes(keys, rbac, opts.clock)])
    table.add(route.method, route.path, route);
  return {
    keys,
    rbac,
    hsmStore,
    securityDomain,
    backup,
    blobStorage,
    match(method, path) {
      // The table does not change once built, so a (method, path) matches the same way every time: matches are
      // kept per method and path (null for none), at most MATCHES_KEPT per method (the set starts over when full).
      let byPath = matches.get(method);
      if (byPath === undefined) matches.set(method, (byPath = new Map()));
      const kept = byPath.get(path);
      if (kept !== undefined) return kept ?? undefined;
      const found = table.match(method, path);
      const match = found && found !== "method" ? { route: found.value, params: found.params } : undefined;
      if (byPath.size >= MATCHES_KEPT) byPath.clear();
      byPath.set(path, match ?? null);
      return match;
    },
    close: async () => {
      await blobStorage.close();
      await pool.close();
    },
  };
}

/** The Key Vault `BadParameter` for a request body that is not JSON; undefined for an empty body. */
export function parseRequestBody(ex: Exchange): unknown {
  if (!ex.body || ex.body.length === 0) return undefined;
  const text = ex.body.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw kvErrors.requestBodyNotJson((e as Error).message);
  }
}

/** The bearer token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(ex: Exchange): string | undefined {
  const h = ex.headers["authorization"];
  if (!h) return undefined;
  // A client sends the same header request after request: comparing it with the last one is cheaper than matching
  // its thousand characters again.
  if (h === lastAuthorization.header) return lastAuthorization.token;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  lastAuthorization = { header: h, token: m ? m[1] : undefined };
  return lastAuthorization.token;
}
let lastAuthorization: { header: string; token: string | undefined } = { header: "", token: undefined };

/** The response headers every data-plane answer carries (data-plane.md §1), except x-ms-request-id and latency. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "content-security-policy": "default-src 'self'",
};
