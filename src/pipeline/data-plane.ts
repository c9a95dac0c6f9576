/**
 * The managed HSM data plane behind the one decision pipeline: every request to `{name}.managedhsm.azure.net`
 * passes the steps `tls` (the HSM the host names) → `authentication` (401 challenge / token validation) →
 * `network` (the HSM's network rules for the connection's route) → `activation` → `rbac` (local RBAC) →
 * `operation` (api-version, validation, the operation), after the connect steps (vantage → DNS → route) the
 * gateway took for the connection. The runner writes each step into the request's trace; refusals are rendered
 * here, once, as Key Vault envelopes.
 *
 * Every response carries x-ms-request-id, x-ms-server-latency, x-ms-build-version and the security headers of
 * data-plane.md §1; all but 400, 401 and 404 answers also x-ms-keyvault-region and x-ms-keyvault-network-info, as
 * recorded on a real managed HSM.
 */
import type { HsmlinkConfig } from "../config/settings.js";
import type { Store } from "../store/db.js";
import type { Clock } from "../kernel/clock.js";
import { AzureError } from "../kernel/errors.js";
import type { Exchange, ExchangeResult, SurfaceHandler } from "../kernel/exchange.js";
import { MHSM_RESOURCE, managedHsmNameOfHost } from "../kernel/azure-names.js";
import type { RouteParams } from "../kernel/route-table.js";
import { TokenError, type IdentityService, type Principal, type TokenClaims } from "../entra/identity.js";
import { evaluateConnect, networkInfoHeader } from "../network/decision.js";
import { findManagedHsmByName, type ManagedHsm, type NetworkSnapshot } from "../network/topology.js";
import { checkApiVersion } from "../hsm/api-versions.js";
import { isKeyCryptoError } from "../hsm/crypto/index.js";
import { badParameter, kvErrors } from "../hsm/errors.js";
import { findHsm, type HsmInfo } from "../hsm/hsm.js";
import {
  bearerToken,
  challengeHeader,
  challengeResource,
  createHsmOperations,
  externalBaseUrl,
  parseRequestBody,
  SECURITY_HEADERS,
  SERVICE_VERSION,
  type DataPlaneRoute,
  type HsmOperations,
} from "../hsm/surface.js";
import type { KeyContext } from "../hsm/keys/wire.js";
import { pass, refuse, reusable, runPipeline, type PipelineStep, type StepVerdict } from "./runner.js";
import { activationStep, networkStep, rbacStep, tlsStep, type NetworkStepResult } from "./steps.js";
import { refusalOf, renderKeyVault, type Refusal } from "./render.js";
import { TraceLog } from "./trace-log.js";
import { faultStep, type FaultSet } from "./faults.js";

/** What the network step reads: the network model and the address of a client on the internet. */
export interface NetworkView {
  snapshot(): NetworkSnapshot;
  internetClientAddress: string;
}

export interface DataPlaneOptions {
  store: Store;
  identity: IdentityService;
  clock: Clock;
  config: Pick<HsmlinkConfig, "dataDir" | "loose" | "location"> &
    Partial<Pick<HsmlinkConfig, "inMemory" | "host" | "blobEndpoint" | "lenientApiVersions">>;
  /** The network step's view (required: there is no data plane without the network step). */
  network: NetworkView;
  /** Injected fault rules (`hsmlink fault add`) the `fault` step applies; none by default. */
  faults?: FaultSet;
  /** Where request traces go (`hsmlink log`); default: a log of its own. */
  traces?: TraceLog;
  /** More routes (e.g. the security domain), tried before the built-in ones. */
  extraRoutes?: DataPlaneRoute[];
  /** Worker pool size (default: available parallelism, at least 2). */
  poolSize?: number;
}

/** The data plane: a SurfaceHandler plus its services, its trace log and `close()` (stops the worker pool). */
export type DataPlane = SurfaceHandler &
  Pick<HsmOperations, "keys" | "rbac" | "hsmStore" | "securityDomain" | "backup" | "blobStorage"> & {
    traces: TraceLog;
    close(): Promise<void>;
  };

/** The state one request carries through the steps. */
interface RequestState {
  readonly ex: Exchange;
  hsm?: HsmInfo;
  principal?: Principal;
  /** The address the HSM saw (x-ms-keyvault-network-info). */
  sourceAddress: string;
  /** The private endpoint the request came through, when it did (x-ms-keyvault-network-info `conn_type=PrivateLink`). */
  privateEndpointId?: string;
  op?: OperationMatch;
  result?: ExchangeResult;
}

/** A route match of {@link HsmOperations.match}: one object per method and path while the match is kept. */
type OperationMatch = { route: DataPlaneRoute; params: RouteParams };

/**
 * Verdicts a step returns again for the same inputs, built once ({@link reusable}) and kept per input object: the
 * HSM's info and the caller's principal are one object per store version, a gateway connection's network decision
 * one per connection, a route match one per method and path. Keyed weakly, so they go with their inputs.
 */
interface KeptVerdicts {
  /** tls: by HSM info, then host. */
  readonly tls: WeakMap<HsmInfo, Map<string, StepVerdict>>;
  /** authentication (accepted): by principal. */
  readonly authenticated: WeakMap<Principal, StepVerdict>;
  /** network: by the HSM in the network model, the connection's decision, then principal. */
  readonly network: WeakMap<ManagedHsm, WeakMap<object, WeakMap<Principal, NetworkStepResult>>>;
  /** activation: by HSM info, served before activation or not. */
  readonly activation: WeakMap<HsmInfo, { before?: StepVerdict; after?: StepVerdict }>;
  /** rbac: by route match (its data action and scope), then principal, allowed or not. */
  readonly rbac: WeakMap<
    OperationMatch,
    {
      readonly authz: { dataAction: string; scope: string };
      readonly byPrincipal: WeakMap<Principal, { allowed?: StepVerdict; denied?: StepVerdict }>;
    }
  >;
  /** operation (served): by route match, then status. */
  readonly served: WeakMap<OperationMatch, Map<number, StepVerdict>>;
}

/**
 * Builds the managed HSM data plane.
 * @returns the handler, with `close()` to stop its worker pool (call it when hsmlink stops)
 */
export function createDataPlane(opts: DataPlaneOptions): DataPlane {
  const ops = createHsmOperations({
    store: opts.store,
    dataDir: opts.config.dataDir,
    clock: opts.clock,
    blob: { endpoint: opts.config.blobEndpoint, inMemory: opts.config.inMemory, host: opts.config.host },
    extraRoutes: opts.extraRoutes,
    poolSize: opts.poolSize,
  });
  const traces = opts.traces ?? new TraceLog();
  const { identity, clock, network } = opts;

  const unauthorized = (hsm: HsmInfo, ex: Exchange, message: string): Refusal => ({
    status: 401,
    code: "Unauthorized",
    message,
    headers: { "www-authenticate": challengeHeader(hsm.tenantId, challengeResource(ex)) },
  });

  const kept: KeptVerdicts = {
    tls: new WeakMap(),
    authenticated: new WeakMap(),
    network: new WeakMap(),
    activation: new WeakMap(),
    rbac: new WeakMap(),
    served: new WeakMap(),
  };

  /** The audiences a token for the host and port a request addressed may carry; the same four for every request there. */
  const audiencesByHost = new Map<string, Map<number, readonly string[]>>();
  const audiencesOf = (ex: Exchange): readonly string[] => {
    let byPort = audiencesByHost.get(ex.conn.hostName);
    if (byPort === undefined) {
      if (audiencesByHost.size >= 1024) audiencesByHost.clear();
      audiencesByHost.set(ex.conn.hostName, (byPort = new Map()));
    }
    let audiences = byPort.get(ex.conn.port);
    if (audiences === undefined) {
      const resource = challengeResource(ex);
      audiences = Object.freeze([MHSM_RESOURCE, `${MHSM_RESOURCE}/`, resource, `${resource}/`]);
      byPort.set(ex.conn.port, audiences);
    }
    return audiences;
  };

  const steps: readonly PipelineStep<RequestState>[] = [
    {
      name: "tls",
      run(s) {
        const host = s.ex.conn.hostName;
        const name = managedHsmNameOfHost(host);
        const hsm = (s.hsm = name ? findHsm(opts.store, name) : undefined);
        if (!hsm) return tlsStep(host, name, undefined);
        let byHost = kept.tls.get(hsm);
        if (byHost === undefined) kept.tls.set(hsm, (byHost = new Map()));
        let v = byHost.get(host);
        if (v === undefined) {
          v = reusable(
            "tls",
            tlsStep(host, name, { name: hsm.name, id: hsm.resourceId, provisioningState: hsm.provisioningState }),
          );
          byHost.set(host, v);
        }
        return v;
      },
    },
    {
      name: "fault",
      run: (s) => faultStep(opts.faults, s.ex),
    },
    {
      name: "authentication",
      run(s) {
        const hsm = s.hsm!;
        const ex = s.ex;
        const token = bearerToken(ex);
        if (!token) {
          const challenge = {
            status: 401,
            code: "Unauthorized",
            message: "",
            emptyBody: true,
            headers: { "www-authenticate": challengeHeader(hsm.tenantId, challengeResource(ex)) },
          };
          return refuse(
            challenge,
            "no-bearer-token",
            "no bearer token: 401 with the challenge naming the tenant and resource",
          );
        }
        const audiences = audiencesOf(ex);
        const accepted = (v: { claims: TokenClaims; principal: Principal }): StepVerdict => {
          const tid = String(v.claims.tid);
          if (tid.toLowerCase() !== hsm.tenantId.toLowerCase()) {
            return refuse(
              unauthorized(
                hsm,
                ex,
                `AKV10032: Invalid issuer. Expected a token from tenant ${hsm.tenantId}, found tenant ${tid}.`,
              ),
              "wrong-tenant",
              `token from tenant ${tid}; the HSM is in tenant ${hsm.tenantId}`,
            );
          }
          const p = (s.principal = v.principal);
          let verdict = kept.authenticated.get(p);
          if (verdict === undefined) {
            verdict = reusable(
              "authentication",
              pass(
                "authenticated",
                `caller appid=${p.appId};oid=${p.objectId}${p.trustedService ? ` (trusted service ${p.trustedService})` : ""}`,
                { objectId: p.objectId },
              ),
            );
            kept.authenticated.set(p, verdict);
          }
          return verdict;
        };
        const refused = (e: unknown): StepVerdict => {
          if (!(e instanceof TokenError)) throw e;
          const msg =
            e.reason === "audience"
              ? `Found token with aud=${e.detail.aud}, but expected aud=${MHSM_RESOURCE}`
              : e.reason === "expired"
                ? "AKV10000: The access token has expired."
                : e.reason === "tenant"
                  ? `AKV10032: Invalid issuer. The token was not issued by the tenant of this managed HSM (${hsm.tenantId}).`
                  : `AKV10000: The bearer token is invalid: ${e.message}`;
          return refuse(unauthorized(hsm, ex, msg), `token-${e.reason}`, msg);
        };
        // A token seen before is decided without waiting (the same checks); a new one goes through verify.
        let known: { claims: TokenClaims; principal: Principal } | undefined;
        try {
          known = identity.verifyKnown(token, audiences);
        } catch (e) {
          return refused(e);
        }
        if (known) return accepted(known);
        return identity.verify(token, audiences).then(accepted, refused);
      },
    },
    {
      name: "network",
      run(s) {
        const snapshot = network.snapshot();
        const connect =
          s.ex.conn.network ??
          evaluateConnect(snapshot, { kind: "internet" }, s.ex.conn.hostName, {
            internetClientAddress: network.internetClientAddress,
          });
        const p = s.principal!;
        const hsm = findManagedHsmByName(snapshot, s.hsm!.name);
        // The decision of a gateway connection is one object per connection; the direct listener's is new per request.
        const byConnect = hsm && s.ex.conn.network ? kept.network.get(hsm) : undefined;
        const byPrincipal = byConnect?.get(connect);
        let r = byPrincipal?.get(p);
        if (r === undefined) {
          const caller = {
            appId: p.appId,
            objectId: p.objectId,
            issuer: `https://sts.windows.net/${p.tenantId}/`,
            trustedService: p.trustedService,
          };
          r = networkStep(hsm, connect, caller, s.sourceAddress);
          if (hsm && s.ex.conn.network) {
            r = { verdict: reusable("network", r.verdict), sourceAddress: r.sourceAddress };
            let m1 = kept.network.get(hsm);
            if (m1 === undefined) kept.network.set(hsm, (m1 = new WeakMap()));
            let m2 = m1.get(connect);
            if (m2 === undefined) m1.set(connect, (m2 = new WeakMap()));
            m2.set(p, r);
          }
        }
        s.sourceAddress = r.sourceAddress;
        return r.verdict;
      },
    },
    {
      name: "activation",
      run(s) {
        s.op = ops.match(s.ex.method, s.ex.path);
        const hsm = s.hsm!;
        const before = s.op?.route.beforeActivation === true;
        let byHsm = kept.activation.get(hsm);
        if (byHsm === undefined) kept.activation.set(hsm, (byHsm = {}));
        return before
          ? (byHsm.before ??= reusable("activation", activationStep(hsm, true)))
          : (byHsm.after ??= reusable("activation", activationStep(hsm, false)));
      },
    },
    {
      name: "rbac",
      run(s) {
        const op = s.op;
        if (!op) return pass("no-operation", `${s.ex.method} ${s.ex.path} names no operation; nothing to authorize`);
        let byOp = kept.rbac.get(op);
        if (byOp === undefined) {
          byOp = { authz: op.route.authorize(op.params), byPrincipal: new WeakMap() };
          kept.rbac.set(op, byOp);
        }
        const { dataAction, scope } = byOp.authz;
        const p = s.principal!;
        const allowed = ops.rbac.isAllowed(s.hsm!, p.objectId, dataAction, scope);
        let byPrincipal = byOp.byPrincipal.get(p);
        if (byPrincipal === undefined) byOp.byPrincipal.set(p, (byPrincipal = {}));
        const verdict = () => reusable("rbac", rbacStep(allowed, `oid ${p.objectId}`, dataAction, scope));
        return allowed ? (byPrincipal.allowed ??= verdict()) : (byPrincipal.denied ??= verdict());
      },
    },
    {
      name: "operation",
      async run(s) {
        const ex = s.ex;
        try {
          if (!s.op) throw kvErrors.noSuchOperation(ex.method, ex.path);
          const apiVersion = ex.query["api-version"];
          if (apiVersion !== undefined || s.op.route.apiVersionOptional !== true)
            checkApiVersion(apiVersion, opts.config.loose || opts.config.lenientApiVersions === true);
          let parsed: { value: unknown } | undefined;
          const body = () => (parsed ??= { value: parseRequestBody(ex) }).value;
          const key: KeyContext = {
            hsm: s.hsm!,
            baseUrl: externalBaseUrl(ex),
            nowS: Math.floor(clock.now() / 1000),
            apiVersion: apiVersion ?? "",
          };
          const op = s.op;
          const result = (s.result = await op.route.handle(
            { ex, hsm: s.hsm!, principal: s.principal!, key, body },
            op.params,
          ));
          let byStatus = kept.served.get(op);
          if (byStatus === undefined) kept.served.set(op, (byStatus = new Map()));
          let verdict = byStatus.get(result.status);
          if (verdict === undefined) {
            verdict = reusable("operation", pass("served", `${ex.method} ${ex.path} → ${result.status}`));
            byStatus.set(result.status, verdict);
          }
          return verdict;
        } catch (e) {
          let err: AzureError;
          if (e instanceof AzureError) err = e;
          else if (isKeyCryptoError(e) && e.code === "BadParameter") err = badParameter(e.message);
          else throw e;
          return refuse(
            refusalOf(err),
            "failed",
            `${err.status} ${err.code}${err.options.innerCode ? `/${err.options.innerCode}` : ""}: ${err.message.split("\r\n")[0]}`,
          );
        }
      },
    },
  ];

  const handler = async (ex: Exchange): Promise<ExchangeResult> => {
    const trace = traces.begin(ex);
    const route = ex.conn.network?.route;
    const state: RequestState = {
      ex,
      sourceAddress: route && route.path !== "none" ? route.sourceAddress : network.internetClientAddress,
      ...(route?.path === "private" ? { privateEndpointId: route.privateEndpointId } : {}),
    };
    let result: ExchangeResult;
    try {
      const run = await runPipeline(steps, state, trace.steps);
      const fault = trace.steps.find((l) => l.step === "fault" && l.refs?.faultRule);
      if (fault) trace.injectedFault = fault.refs!.faultRule;
      if (run.verdict === "drop") {
        traces.dropped(trace, run.step);
        return { status: 0, dropConnection: true };
      }
      if (run.verdict === "refuse") {
        traces.finish(trace, run.refusal.status, run.refusal);
        result = renderKeyVault(run.refusal, ex.requestId);
      } else {
        result = state.result!;
        traces.finish(trace, result.status);
      }
    } catch (e) {
      traces.finish(trace, 500, { code: "InternalServerError", message: (e as Error).message ?? String(e) });
      throw e;
    }
    const latency = Math.max(0, Date.now() - ex.receivedAt);
    // Recorded on a real managed HSM (Azure/azure-sdk-assets, 2026): 2xx and 403 answers carry x-ms-keyvault-region and
    // x-ms-keyvault-network-info; the 401 challenge and the 400/404 refusals carry neither
    // (ManagedHsmLiveTests/GetKeyNonExisting.json 401+404, ReleaseUpdatedKey.json 400, Administration
    // DeleteNonexistentRoleDefinition.json 404). No answer carries x-ms-keyvault-service-version (a vault header);
    // x-ms-build-version is on every one of them.
    // Built key by key in the order the spread of SECURITY_HEADERS, the common headers and the result's own would
    // give (a later key keeps the earlier position); one object per response.
    const headers: Record<string, string> = {};
    for (const k in SECURITY_HEADERS) headers[k] = SECURITY_HEADERS[k]!;
    headers["x-ms-request-id"] = ex.requestId;
    const withoutRegionHeaders = result.status === 400 || result.status === 401 || result.status === 404;
    if (!withoutRegionHeaders) {
      headers["x-ms-keyvault-region"] = state.hsm?.location || opts.config.location;
      headers["x-ms-keyvault-network-info"] = networkInfoHeader(state.sourceAddress, state.privateEndpointId);
    }
    headers["x-ms-server-latency"] = String(latency);
    headers["x-ms-build-version"] = SERVICE_VERSION;
    if (result.headers) for (const k in result.headers) headers[k] = result.headers[k]!;
    result.headers = headers;
    return result;
  };

  return Object.assign(handler, {
    keys: ops.keys,
    rbac: ops.rbac,
    hsmStore: ops.hsmStore,
    securityDomain: ops.securityDomain,
    backup: ops.backup,
    blobStorage: ops.blobStorage,
    traces,
    close: () => ops.close(),
  });
}
