/**
 * The Managed HSM data plane as one `SurfaceHandler` (`createDataPlane`), served for `{name}.managedhsm.azure.net`.
 * Every request runs the pipeline of data-plane.md §0.11, in this order:
 *
 *   resolve the HSM from the host name (live, provisioned; else 404 NotFound)
 *   → 401 challenge when there is no bearer token (empty body, exact `WWW-Authenticate`)
 *   → token validation (audience https://managedhsm.azure.net ± "/", tenant of the HSM; else 401 + challenge)
 *   → network check (seam for the network-isolation layer: `networkCheck`, allows everything by default)
 *   → activation (security domain `activationStatus` must be Active; else 403 Forbidden / HsmNotActivated —
 *     403 rather than 503 so SDKs fail at once instead of retrying for a minute)
 *   → local RBAC (403 AccessDenied "Not authorized to access {dataAction} on {scope}")
 *   → api-version (whitelist, `config.loose` accepts any; else 400 BadParameter)
 *   → request validation → the operation.
 *
 * Every response carries x-ms-request-id, x-ms-keyvault-region, x-ms-keyvault-network-info, x-ms-server-latency,
 * x-ms-keyvault-service-version, x-ms-build-version and the security headers of data-plane.md §1.
 */
import type { HsmlinkConfig } from "../config/settings.js";
import type { Store } from "../store/db.js";
import type { Clock } from "../util/clock.js";
import type { Exchange, ExchangeResult, SurfaceHandler } from "../server/exchange.js";
import { AzureError } from "../server/errors.js";
import { networkInfoHeader } from "../network/decision.js";
import { TokenError, type IdentityService, type Principal } from "../server/identity.js";
import { isKeyCryptoError } from "./crypto/index.js";
import { checkApiVersion } from "./api-versions.js";
import { badParameter, kvError } from "./errors.js";
import { findHsm, type HsmInfo } from "./hsm.js";
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

export const HSM_HOST_SUFFIX = ".managedhsm.azure.net";
export const MHSM_RESOURCE = "https://managedhsm.azure.net";
export const SERVICE_VERSION = "1.9.1331.1";

/** Outcome of the network seam: `"allow"`, or the AzureError (Key Vault envelope) to answer with. */
export type NetworkVerdict = "allow" | AzureError;

/**
 * The network-isolation seam: decides whether `principal` may reach `hsm` over the connection of `ex`
 * (private endpoint connection state, publicNetworkAccess, network ACLs). Runs after authentication.
 */
export type NetworkCheck = (ex: Exchange, hsm: HsmInfo, principal: Principal) => NetworkVerdict | Promise<NetworkVerdict>;

/** The default network check: everything is allowed (until the network-isolation layer plugs in). */
export const allowAllNetworks: NetworkCheck = () => "allow";

/** Everything a handler sees once the pipeline has admitted the request. */
export interface DataPlaneRequest {
  ex: Exchange;
  hsm: HsmInfo;
  principal: Principal;
  key: KeyContext;
  /** The parsed JSON body (undefined when empty). */
  body: () => unknown;
}

/** One data-plane route. `path` is matched case-insensitively against the collapsed path. */
export interface DataPlaneRoute {
  method: string;
  path: RegExp;
  /** The local-RBAC data action (full name) and scope the request needs. */
  authorize: (m: RegExpExecArray) => { dataAction: string; scope: string };
  handle: (r: DataPlaneRequest, m: RegExpExecArray) => ExchangeResult | Promise<ExchangeResult>;
  /** Served before the security domain activates the HSM (security-domain routes). */
  beforeActivation?: boolean;
}

export interface DataPlaneOptions {
  store: Store;
  identity: IdentityService;
  clock: Clock;
  config: Pick<HsmlinkConfig, "dataDir" | "loose" | "location"> & Partial<Pick<HsmlinkConfig, "internetClientAddress" | "inMemory" | "host" | "blobEndpoint">>;
  /** Network-isolation seam (default: allow everything). */
  networkCheck?: NetworkCheck;
  /** The client address the HSM sees (x-ms-keyvault-network-info); default: `config.internetClientAddress`, else 127.0.0.1. */
  clientAddress?: (ex: Exchange) => string;
  /** More routes (e.g. the security domain), tried before the built-in ones. */
  extraRoutes?: DataPlaneRoute[];
  /** Worker pool size (default: available parallelism, at least 2). */
  poolSize?: number;
}

/** The data plane: a SurfaceHandler plus its services and `close()` (stops the worker pool). */
export type DataPlane = SurfaceHandler & {
  keys: KeyService;
  rbac: Rbac;
  hsmStore: HsmStore;
  securityDomain: SecurityDomainService;
  backup: BackupService;
  /** Azure Blob Storage (Azurite) for full backups and the gateway's `{account}.blob.core.windows.net`. */
  blobStorage: BlobStorage;
  close(): Promise<void>;
};

/** The HSM name of a data-plane host, `{name}.managedhsm.azure.net`, or undefined. */
export function hsmNameFromHost(host: string): string | undefined {
  const h = host.toLowerCase();
  if (!h.endsWith(HSM_HOST_SUFFIX)) return undefined;
  const label = h.slice(0, -HSM_HOST_SUFFIX.length);
  return /^[a-z0-9-]{1,63}$/.test(label) ? label : undefined;
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

const SECURITY_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "content-security-policy": "default-src 'self'",
};

const ok = (body: unknown, status = 200): ExchangeResult => ({ status, body });

const KEY = "([^/]+)";
const OPT_VERSION = "(?:/([^/]+))?";
const re = (s: string) => new RegExp(`^${s}$`, "i");
const keyScope = (name: string) => `/keys/${name}`;
const OP_ACTIONS: Record<string, string> = { encrypt: "keys/encrypt/action", decrypt: "keys/decrypt/action", wrapkey: "keys/wrap/action", unwrapkey: "keys/unwrap/action", sign: "keys/sign/action", verify: "keys/verify/action" };
/** `{scope}/providers/Microsoft.Authorization/{kind}[/{name}]`: m[1] scope, m[2] kind, m[3] name. */
const rbacPath = (kind: string, named: boolean) => new RegExp(`^(.*?)/providers/Microsoft\\.Authorization/(${kind})${named ? "/([^/]+)" : ""}$`, "i");

/** The built-in routes: keys (§2), rng, local RBAC (§6.3). */
function builtInRoutes(keys: KeyService, rbac: Rbac, clock: Clock): DataPlaneRoute[] {
  const k = (method: string, path: string, suffix: string, handle: DataPlaneRoute["handle"], scope: (m: RegExpExecArray) => string = (m) => keyScope(m[1])): DataPlaneRoute => ({
    method,
    path: re(path),
    authorize: (m) => ({ dataAction: action(suffix), scope: scope(m) }),
    handle,
  });
  const rbacScope = (m: RegExpExecArray): string => normaliseScope(m[1]) ?? m[1];
  const requireScope = (m: RegExpExecArray): string => {
    const s = normaliseScope(m[1]);
    if (!s) throw badParameter(`The scope '${m[1] || "/"}' is invalid; Managed HSM scopes are /, /keys and /keys/{key name}.`);
    return s;
  };
  const rbacRoute = (method: string, kind: "roleAssignments" | "roleDefinitions", named: boolean, verb: "read" | "write" | "delete", handle: DataPlaneRoute["handle"]): DataPlaneRoute => ({
    method,
    path: rbacPath(kind, named),
    authorize: (m) => ({ dataAction: action(`${kind}/${verb}/action`), scope: rbacScope(m) }),
    handle,
    // Role management works before activation (Microsoft Learn "Managed HSM local RBAC": assign roles, then
    // download the security domain).
    beforeActivation: true,
  });
  return [
    k("POST", `/keys/${KEY}/create`, "keys/create", async (r, m) => ok(await keys.create(r.key, m[1], r.body()))),
    k("POST", "/keys/restore", "keys/restore/action", (r) => ok(keys.restore(r.key, r.body())), () => "/keys"),
    k("POST", `/keys/${KEY}/backup`, "keys/backup/action", (r, m) => ok(keys.backup(r.key, m[1]))),
    k("POST", `/keys/${KEY}/rotate`, "keys/rotate/action", async (r, m) => ok(await keys.rotate(r.key, m[1]))),
    k("POST", `/keys/${KEY}${OPT_VERSION}/release`, "keys/release/action", async (r, m) => ok(await keys.release(r.key, m[1], m[2], r.body()))),
    {
      method: "POST",
      path: re(`/keys/${KEY}${OPT_VERSION}/(encrypt|decrypt|wrapkey|unwrapkey|sign|verify)`),
      authorize: (m) => ({ dataAction: action(OP_ACTIONS[m[3].toLowerCase()]), scope: keyScope(m[1]) }),
      handle: async (r, m) => ok(await keys.operate(r.key, m[1], m[2], KEY_OPERATION_PATHS[m[3].toLowerCase()], r.body())),
    },
    k("PUT", `/keys/${KEY}`, "keys/import/action", async (r, m) => ok(await keys.import(r.key, m[1], r.body()))),
    k("GET", "/keys", "keys/read/action", (r) => ok(keys.list(r.key, r.ex.query)), () => "/keys"),
    k("GET", `/keys/${KEY}/versions`, "keys/read/action", (r, m) => ok(keys.listVersions(r.key, m[1], r.ex.query))),
    k("GET", `/keys/${KEY}/rotationpolicy`, "keys/read/action", (r, m) => ok(keys.getRotationPolicy(r.key, m[1]))),
    k("PUT", `/keys/${KEY}/rotationpolicy`, "keys/write/action", (r, m) => ok(keys.setRotationPolicy(r.key, m[1], r.body()))),
    k("GET", `/keys/${KEY}${OPT_VERSION}/attestation`, "keys/read/action", async (r, m) => ok(await keys.attestation(r.key, m[1], m[2]))),
    k("GET", `/keys/${KEY}${OPT_VERSION}`, "keys/read/action", (r, m) => ok(keys.get(r.key, m[1], m[2]))),
    k("PATCH", `/keys/${KEY}${OPT_VERSION}`, "keys/write/action", (r, m) => ok(keys.update(r.key, m[1], m[2], r.body()))),
    k("DELETE", `/keys/${KEY}`, "keys/delete", (r, m) => ok(keys.delete(r.key, m[1]))),
    k("GET", "/deletedkeys", "keys/deletedKeys/read/action", (r) => ok(keys.listDeleted(r.key, r.ex.query)), () => "/keys"),
    k("GET", `/deletedkeys/${KEY}`, "keys/deletedKeys/read/action", (r, m) => ok(keys.getDeleted(r.key, m[1]))),
    k("DELETE", `/deletedkeys/${KEY}`, "keys/deletedKeys/delete", (r, m) => {
      keys.purge(r.key, m[1]);
      return { status: 204 };
    }),
    k("POST", `/deletedkeys/${KEY}/recover`, "keys/deletedKeys/recover/action", (r, m) => ok(keys.recover(r.key, m[1]))),
    k("POST", "/rng", "rng/action", (r) => ok(keys.random(r.body())), () => "/"),
    // Local RBAC (§6.3). Scope = everything before /providers/Microsoft.Authorization/ ("" → /).
    rbacRoute("GET", "roleAssignments", false, "read", (r, m) => ok({ value: rbac.listAssignments(r.hsm, requireScope(m), r.ex.query["$filter"]), nextLink: null })),
    rbacRoute("GET", "roleAssignments", true, "read", (r, m) => ok(rbac.getAssignment(r.hsm, m[3]))),
    rbacRoute("PUT", "roleAssignments", true, "write", (r, m) => ok(rbac.createAssignment(r.hsm, requireScope(m), m[3], r.body(), clock.now()), 201)),
    rbacRoute("DELETE", "roleAssignments", true, "delete", (r, m) => ok(rbac.deleteAssignment(r.hsm, m[3]))),
    rbacRoute("GET", "roleDefinitions", false, "read", (r, m) => {
      requireScope(m);
      return ok({ value: rbac.listDefinitions(r.hsm, r.ex.query["$filter"]), nextLink: null });
    }),
    rbacRoute("GET", "roleDefinitions", true, "read", (r, m) => ok(rbac.getDefinition(r.hsm, m[3]))),
    rbacRoute("PUT", "roleDefinitions", true, "write", (r, m) => {
      requireScope(m);
      return ok(rbac.putDefinition(r.hsm, m[3], r.body()), 201);
    }),
    rbacRoute("DELETE", "roleDefinitions", true, "delete", (r, m) => ok(rbac.deleteDefinition(r.hsm, m[3]))),
  ];
}

function notFoundRoute(ex: Exchange): never {
  throw kvError(404, "NotFound", `The managed HSM has no operation ${ex.method} ${ex.path}.`);
}

function bearerToken(ex: Exchange): string | undefined {
  const h = ex.headers["authorization"];
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/**
 * Builds the Managed HSM data plane.
 * @returns the handler, with `close()` to stop its worker pool (call it when hsmlink stops)
 */
export function createDataPlane(opts: DataPlaneOptions): DataPlane {
  const master = MasterKey.loadOrCreate(opts.config.dataDir);
  const hsmStore = new HsmStore(opts.store, master);
  const pool = new CryptoPool(opts.poolSize);
  const keys = new KeyService({ store: hsmStore, pool, master });
  const rbac = new Rbac(hsmStore);
  const securityDomain = new SecurityDomainService(opts.store, master, () => opts.clock.now());
  const blobStorage = new BlobStorage({ endpoint: opts.config.blobEndpoint || undefined, dataDir: opts.config.dataDir, inMemory: opts.config.inMemory ?? false, host: opts.config.host ?? "127.0.0.1" });
  const backup = new BackupService(opts.store, hsmStore, securityDomain, blobStorage, () => opts.clock.now());
  const routes = [...(opts.extraRoutes ?? []), ...securityDomainRoutes(securityDomain), ...backupRoutes(backup), ...settingsRoutes(new SettingsService(opts.store)), ...builtInRoutes(keys, rbac, opts.clock)];
  const networkCheck = opts.networkCheck ?? allowAllNetworks;
  const clientAddress = opts.clientAddress ?? (() => opts.config.internetClientAddress || "127.0.0.1");
  const { identity, clock } = opts;

  const unauthorized = (hsm: HsmInfo, ex: Exchange, message: string) =>
    kvError(401, "Unauthorized", message, undefined, { "www-authenticate": challengeHeader(hsm.tenantId, challengeResource(ex)) });

  async function pipeline(ex: Exchange, seen: { hsm?: HsmInfo }): Promise<ExchangeResult> {
    // 1. The HSM the host names.
    const name = hsmNameFromHost(ex.conn.hostName);
    const hsm = name ? findHsm(opts.store, name) : undefined;
    if (!hsm) {
      throw kvError(404, "NotFound", `There is no managed HSM named '${name ?? ex.conn.hostName}' in this emulated cloud (in Azure its host name would not resolve). Create it with 'az keyvault create --hsm-name'.`);
    }
    seen.hsm = hsm;
    if (!["succeeded", "updating", "activated"].includes(hsm.provisioningState.toLowerCase())) {
      throw kvError(404, "NotFound", `The managed HSM '${name}' is not provisioned (provisioningState ${hsm.provisioningState || "unknown"}).`);
    }
    // 2. Challenge: no bearer token → 401, empty body.
    const token = bearerToken(ex);
    if (!token) return { status: 401, headers: { "www-authenticate": challengeHeader(hsm.tenantId, challengeResource(ex)) } };
    // 3. Token validation.
    const resource = challengeResource(ex);
    let principal: Principal;
    let tid: string;
    try {
      const v = await identity.verify(token, [MHSM_RESOURCE, `${MHSM_RESOURCE}/`, resource, `${resource}/`]);
      principal = v.principal;
      tid = String(v.claims.tid);
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      const msg =
        e.reason === "audience" ? `Found token with aud=${e.detail.aud}, but expected aud=${MHSM_RESOURCE}` :
        e.reason === "expired" ? "AKV10000: The access token has expired." :
        e.reason === "tenant" ? `AKV10032: Invalid issuer. The token was not issued by the tenant of this managed HSM (${hsm.tenantId}).` :
        `AKV10000: The bearer token is invalid: ${e.message}`;
      throw unauthorized(hsm, ex, msg);
    }
    if (tid.toLowerCase() !== hsm.tenantId.toLowerCase()) {
      throw unauthorized(hsm, ex, `AKV10032: Invalid issuer. Expected a token from tenant ${hsm.tenantId}, found tenant ${tid}.`);
    }
    // 4. Network (seam).
    const verdict = await networkCheck(ex, hsm, principal);
    if (verdict !== "allow") throw verdict;
    // Route lookup (pure) for activation, RBAC and dispatch.
    let route: DataPlaneRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const r of routes) {
      if (r.method !== ex.method) continue;
      match = r.path.exec(ex.path);
      if (match) {
        route = r;
        break;
      }
    }
    // 5. Activation.
    if (hsm.activationStatus !== "Active" && !route?.beforeActivation) {
      throw kvError(403, "Forbidden", `The managed HSM '${name}' is not activated (activationStatus ${hsm.activationStatus}). Download its security domain first ('az keyvault security-domain download') to activate it.`, "HsmNotActivated");
    }
    if (!route || !match) notFoundRoute(ex);
    // 6. Local RBAC.
    const { dataAction, scope } = route.authorize(match);
    if (!rbac.isAllowed(hsm, principal.objectId, dataAction, scope)) {
      throw kvError(403, "AccessDenied", `Not authorized to access ${dataAction} on ${scope}`);
    }
    // 7. api-version.
    const apiVersion = ex.query["api-version"];
    checkApiVersion(apiVersion, opts.config.loose);
    // 8/9. Validation and the operation.
    let parsed: { value: unknown } | undefined;
    const body = () => {
      if (!parsed) {
        let value: unknown;
        if (ex.body && ex.body.length > 0 && ex.body.toString("utf8").trim() !== "") {
          try {
            value = JSON.parse(ex.body.toString("utf8"));
          } catch (e) {
            throw badParameter(`The request body is not valid JSON: ${(e as Error).message}`);
          }
        }
        parsed = { value };
      }
      return parsed.value;
    };
    const key: KeyContext = { hsm, baseUrl: externalBaseUrl(ex), nowS: Math.floor(clock.now() / 1000), apiVersion: apiVersion ?? "" };
    return await route.handle({ ex, hsm, principal, key, body }, match);
  }

  const handler = async (ex: Exchange): Promise<ExchangeResult> => {
    const seen: { hsm?: HsmInfo } = {};
    let result: ExchangeResult;
    try {
      result = await pipeline(ex, seen);
    } catch (e) {
      let err: AzureError;
      if (e instanceof AzureError) err = e.surface === "keyvault" ? e : new AzureError(e.status, e.code, e.message, { ...e.options, surface: "keyvault" });
      else if (isKeyCryptoError(e) && e.code === "BadParameter") err = badParameter(e.message);
      else throw e;
      result = { status: err.status, headers: err.options.headers, body: err.toBody(ex.requestId) };
    }
    const latency = Math.max(0, Date.now() - ex.receivedAt);
    result.headers = {
      ...SECURITY_HEADERS,
      "x-ms-request-id": ex.requestId,
      "x-ms-keyvault-region": seen.hsm?.location || opts.config.location,
      "x-ms-keyvault-network-info": networkInfoHeader(clientAddress(ex)),
      "x-ms-server-latency": String(latency),
      "x-ms-keyvault-service-version": SERVICE_VERSION,
      "x-ms-build-version": SERVICE_VERSION,
      ...(result.headers ?? {}),
    };
    return result;
  };

  return Object.assign(handler, {
    keys,
    rbac,
    hsmStore,
    securityDomain,
    backup,
    blobStorage,
    close: async () => {
      await blobStorage.close();
      await pool.close();
    },
  });
}
