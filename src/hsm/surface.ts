/**
 * The Managed HSM data plane's operations: the route table of its REST API (keys §2, rng, local RBAC §6.3), each
 * route with the local-RBAC data action and scope it needs, and the services behind them (keys, RBAC, the HSM
 * store, the crypto worker pool). The decision pipeline (src/pipeline/data-plane.ts) runs every request through
 * its steps (TLS/HSM, authentication, network rules, activation, RBAC) before it calls an operation here.
 */
import type { Store } from "../store/db.js";
import type { Clock } from "../kernel/clock.js";
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import type { Principal } from "../entra/identity.js";
import { badParameter, kvError } from "./errors.js";
import type { HsmInfo } from "./hsm.js";
import { MasterKey } from "./master-key.js";
import { HsmStore } from "./store.js";
import { CryptoPool } from "./crypto-pool.js";
import { KeyService, KEY_OPERATION_PATHS } from "./keys/service.js";
import type { KeyContext } from "./keys/wire.js";
import { Rbac } from "./rbac/service.js";
import { action, normaliseScope } from "./rbac/roles.js";

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

/** What {@link createHsmOperations} needs. */
export interface HsmOperationsOptions {
  store: Store;
  /** The data dir (holds the master key that wraps key material at rest). */
  dataDir: string;
  clock: Clock;
  /** More routes (e.g. the security domain), tried before the built-in ones. */
  extraRoutes?: DataPlaneRoute[];
  /** Worker pool size (default: available parallelism, at least 2). */
  poolSize?: number;
}

/** The data plane's operations: its services, its route table, and `close()` (stops the worker pool). */
export interface HsmOperations {
  keys: KeyService;
  rbac: Rbac;
  hsmStore: HsmStore;
  /** The route for `method` and `path` (first match in table order), or undefined. */
  match(method: string, path: string): { route: DataPlaneRoute; m: RegExpExecArray } | undefined;
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
  const routes = [...(opts.extraRoutes ?? []), ...builtInRoutes(keys, rbac, opts.clock)];
  return {
    keys,
    rbac,
    hsmStore,
    match(method, path) {
      for (const route of routes) {
        if (route.method !== method) continue;
        const m = route.path.exec(path);
        if (m) return { route, m };
      }
      return undefined;
    },
    close: () => pool.close(),
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
    throw badParameter(`The request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** The bearer token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(ex: Exchange): string | undefined {
  const h = ex.headers["authorization"];
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

/** The response headers every data-plane answer carries (data-plane.md §1), except x-ms-request-id and latency. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "content-security-policy": "default-src 'self'",
};
