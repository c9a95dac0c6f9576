/**
 * The decision trace of data-plane requests: one {@link RequestTrace} per request, its steps appended by the one
 * decision pipeline (gateway policy, vantage → DNS → route at CONNECT time; network rules, authentication, RBAC
 * and the outcome at request time), kept in an in-memory ring buffer that `hsmlink log` reads through the admin
 * API. Requests the gateway refuses (407 unknown proxy user, 403 not emulated / wrong port / plain http, 502 no
 * resolution or route, 400 malformed target) are traced too ({@link TraceLog.refusal}).
 * `hsmlink explain` builds a trace with the same functions ({@link explainRequest}: the gateway's
 * {@link decideProxy}, then the network rules) without performing the request.
 */
import type { Store } from "../store/db.js";
import type { Exchange } from "./exchange.js";
import { AzureError } from "./errors.js";
import { snapshotFromStore } from "../network/snapshot.js";
import { randomUUID } from "node:crypto";
import {
  evaluateConnect,
  evaluateNetworkRules,
  networkInfoHeader,
  vantageText,
  type CallerInfo,
  type ConnectEvaluation,
  type NetworkRulesOutcome,
  type PipelineStep,
} from "../network/decision.js";
import { findManagedHsmByName, type Vantage } from "../network/topology.js";
import { parseManagedHsmHost } from "../network/dns-view.js";
import { decideProxy, type GatewayRefusal, type TraceStep } from "./gateway.js";

/** Methods `hsmlink explain` accepts. */
export const EXPLAIN_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"] as const;

/** What explain says when the network lets a request through (it never sends it, so nothing else is known). */
export const NETWORK_ALLOWS = "network allows; authentication and RBAC not evaluated";

/** One request's decision trace. */
export interface RequestTrace {
  /** Increasing sequence number (for `log --follow`). */
  seq: number;
  requestId: string;
  /** ISO-8601 time the request arrived. */
  time: string;
  method: string;
  url: string;
  host: string;
  /** `internet` or the VM name. */
  vantage: string;
  /** True for `hsmlink explain` traces (nothing was performed). */
  explained: boolean;
  /** True for requests the gateway refused before any TLS (CONNECT or absolute-form). */
  gatewayRefused?: boolean;
  /**
   * Explain only: `refused` (then `outcome` holds the status the client would get) or `network-allows` (no
   * `outcome`: authentication and RBAC were not evaluated, so no status is claimed).
   */
  verdict?: "refused" | "network-allows";
  steps: TraceStep[];
  outcome?: { status: number; code?: string; innerCode?: string; message?: string };
  /** Set when an injected fault (`hsmlink fault add`) shaped this request: the rule's id. Not a real refusal. */
  injectedFault?: string;
}

const current = new WeakMap<Exchange, RequestTrace>();

/** Bounded, in-memory ring buffer of recent traces. */
export class TraceLog {
  private readonly items: RequestTrace[] = [];
  private seq = 0;

  constructor(private readonly capacity = 500) {}

  /** Starts the trace of a data-plane request, seeded with the CONNECT-time steps on its connection. */
  begin(ex: Exchange): RequestTrace {
    const t: RequestTrace = {
      seq: ++this.seq,
      requestId: ex.requestId,
      time: new Date(ex.receivedAt).toISOString(),
      method: ex.method,
      url: `https://${ex.conn.hostName}${ex.path}`,
      host: ex.conn.hostName,
      vantage: ex.conn.vantage ?? "internet",
      explained: false,
      steps: [...(ex.conn.network?.steps ?? [])],
    };
    current.set(ex, t);
    this.push(t);
    return t;
  }

  /** Records the outcome (status and, for errors, codes) of a traced request. */
  finish(ex: Exchange, status: number, err?: AzureError | { code: string; innerCode?: string; message: string }): void {
    const t = current.get(ex);
    if (!t) return;
    const e = err && !(err instanceof AzureError) ? new AzureError(status, err.code, err.message, { innerCode: err.innerCode }) : err;
    t.outcome = { status, ...(e ? { code: e.code, ...(e.options.innerCode ? { innerCode: e.options.innerCode } : {}), message: e.message } : {}) };
    t.steps.push({ step: "outcome", rule: status < 400 ? "served" : "refused", detail: e ? `${status} ${e.code}${e.options.innerCode ? `/${e.options.innerCode}` : ""}: ${e.message.split("\r\n")[0]}` : `${status}` });
  }

  /** Records a request the gateway refused (never reached TLS or the data plane). */
  refusal(r: GatewayRefusal): RequestTrace {
    const t: RequestTrace = {
      seq: ++this.seq,
      requestId: randomUUID(),
      time: new Date().toISOString(),
      method: r.method,
      url: r.url,
      host: r.hostName,
      vantage: r.vantage ?? "internet",
      explained: false,
      gatewayRefused: true,
      steps: [...r.steps, { step: "outcome", rule: "gateway-refused", detail: `${r.status}: ${r.reason}` }],
      outcome: { status: r.status, message: r.reason },
    };
    this.push(t);
    return t;
  }

  /** Adds a finished trace (explain). */
  push(t: RequestTrace): void {
    this.items.push(t);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Next sequence number (for explain traces). */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Traces with `seq > after`, oldest first, at most `limit` (the newest ones). */
  recent(after = 0, limit = 50): RequestTrace[] {
    const list = this.items.filter((t) => t.seq > after);
    return list.slice(Math.max(0, list.length - limit));
  }
}

/** Appends a step to the trace of the request `ex`, if it is traced (data plane steps: auth, RBAC, …). */
export function traceStep(ex: Exchange, step: PipelineStep): void {
  current.get(ex)?.steps.push(step);
}

/** The trace being built for `ex`, if any. */
export function traceOf(ex: Exchange): RequestTrace | undefined {
  return current.get(ex);
}

/**
 * The network-rules step of the data-plane pipeline for request `ex` (call it after authentication, before
 * activation and RBAC; data-plane.md §0.11). Uses the route the gateway decided at CONNECT time (or, for the
 * direct HTTPS listener, the internet's route now) and the HSM's current settings. Appends its steps to the trace.
 * @returns the source address the service saw and the `x-ms-keyvault-network-info` header value to send
 * @throws AzureError 403 `Forbidden` (inner `ForbiddenByFirewall` | `ForbiddenByConnection`) when refused
 */
export function enforceNetworkRules(store: Store, ex: Exchange, caller: CallerInfo | undefined, internetClientAddress: string): { sourceAddress: string; networkInfo: string } {
  const snapshot = snapshotFromStore(store);
  const connect: ConnectEvaluation = ex.conn.network ?? evaluateConnect(snapshot, { kind: "internet" }, ex.conn.hostName, { internetClientAddress });
  const parsed = parseManagedHsmHost(ex.conn.hostName);
  const hsm = parsed ? findManagedHsmByName(snapshot, parsed.hsmName) : undefined;
  if (!hsm || !connect.route || connect.route.path === "none") {
    const source = ex.conn.network?.route && ex.conn.network.route.path !== "none" ? ex.conn.network.route.sourceAddress : internetClientAddress;
    return { sourceAddress: source, networkInfo: networkInfoHeader(source) };
  }
  const outcome: NetworkRulesOutcome = evaluateNetworkRules({ hsm, route: connect.route, caller });
  for (const s of outcome.steps) traceStep(ex, s);
  if (!outcome.allowed) throw outcome.error;
  return { sourceAddress: outcome.sourceAddress, networkInfo: networkInfoHeader(outcome.sourceAddress) };
}

/**
 * `hsmlink explain`: the trace a request would produce, WITHOUT performing it. Same functions as real requests:
 * the gateway's policy ({@link decideProxy}: proxy user, emulated host, scheme and port, then for a managed HSM
 * host vantage → DNS → route), then, for a managed HSM host, the network rules. Authentication, activation and
 * RBAC are marked "not evaluated", so an allowed request claims no status.
 * @throws AzureError 400 for a method outside {@link EXPLAIN_METHODS} or a URL that is not http(s)
 */
export function explainRequest(store: Store, log: TraceLog, vantage: Vantage, method: string, url: string, internetClientAddress: string): RequestTrace {
  const m = method.toUpperCase();
  if (!(EXPLAIN_METHODS as readonly string[]).includes(m)) throw new AzureError(400, "BadRequest", `'${method}' is not a method explain knows; use one of ${EXPLAIN_METHODS.join(", ")}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AzureError(400, "BadRequest", `'${url}' is not an absolute URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new AzureError(400, "BadRequest", `'${url}': only http and https URLs go through the gateway`);
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const vmName = vantage.kind === "vm" ? vantage.vm.name : undefined;
  const t: RequestTrace = {
    seq: log.nextSeq(),
    requestId: "explain",
    time: new Date().toISOString(),
    method: m,
    url: u.toString(),
    host,
    vantage: vmName ?? "internet",
    explained: true,
    steps: [],
  };
  let snapshot: ReturnType<typeof snapshotFromStore> | undefined;
  const snap = () => (snapshot ??= snapshotFromStore(store));
  const https = u.protocol === "https:";
  const decision = decideProxy(
    { vantageOf: (name) => (vmName !== undefined && name.toLowerCase() === vmName.toLowerCase() ? vantage : undefined), snapshot: snap, internetClientAddress },
    { hostName: host, port: Number(u.port || (https ? 443 : 80)), kind: https ? "connect" : "absolute", method: https ? "CONNECT" : m, url: u.toString() },
    vmName,
  );
  t.steps.push(...(decision.steps ?? []));
  const refuse = (outcome: NonNullable<RequestTrace["outcome"]>) => {
    t.verdict = "refused";
    t.outcome = outcome;
  };
  if (!decision.ok) {
    t.steps.push({ step: "outcome", rule: "connect-refused", detail: `the gateway would refuse the ${https ? "CONNECT" : "request"} (${decision.status}): ${decision.reason}` });
    refuse({ status: decision.status, message: decision.reason });
    log.push(t);
    return t;
  }
  const connect = decision.conn.network;
  if (connect?.route && connect.route.path !== "none") {
    const parsed = parseManagedHsmHost(host);
    const hsm = parsed ? findManagedHsmByName(snap(), parsed.hsmName) : undefined;
    if (!hsm) {
      t.steps.push({ step: "network", rule: "no-such-hsm", detail: `${host} names no existing managed HSM` });
      t.steps.push({ step: "outcome", rule: "no-such-hsm", detail: `${host} names no existing managed HSM` });
      refuse({ status: 404, message: `${host} names no existing managed HSM` });
      log.push(t);
      return t;
    }
    const rules = evaluateNetworkRules({ hsm, route: connect.route, caller: undefined });
    t.steps.push(...rules.steps);
    if (!rules.allowed) {
      t.steps.push({ step: "auth", rule: "not-evaluated", detail: "authentication not evaluated (explain does not send the request); it runs before the network rules" });
      t.steps.push({ step: "outcome", rule: "refused", detail: `403 Forbidden/${rules.innerCode}: ${rules.error.message.split("\r\n")[0]}` });
      refuse({ status: 403, code: "Forbidden", innerCode: rules.innerCode, message: rules.error.message });
      log.push(t);
      return t;
    }
    t.steps.push({ step: "auth", rule: "not-evaluated", detail: "authentication not evaluated (explain does not send the request)" });
    t.steps.push({ step: "activation", rule: "not-evaluated", detail: "security domain activation not evaluated" });
    t.steps.push({ step: "rbac", rule: "not-evaluated", detail: "local RBAC not evaluated" });
    t.steps.push({ step: "outcome", rule: "network-allowed", detail: `the network allows ${vantageText(vantage)} to reach ${hsm.name}; authentication and RBAC not evaluated` });
  } else {
    t.steps.push({ step: "auth", rule: "not-evaluated", detail: "authentication and authorization not evaluated (explain does not send the request)" });
    t.steps.push({ step: "outcome", rule: "network-allowed", detail: `the gateway lets ${vantageText(vantage)} reach ${host}; ${NETWORK_ALLOWS}` });
  }
  t.verdict = "network-allows";
  log.push(t);
  return t;
}

/** Renders a trace as text lines (log and explain, table output). */
export function renderTrace(t: RequestTrace): string {
  const verdict = t.outcome
    ? ` → ${t.outcome.status}${t.outcome.code ? ` ${t.outcome.code}` : ""}${t.outcome.innerCode ? `/${t.outcome.innerCode}` : ""}${t.gatewayRefused ? " (refused by the gateway)" : ""}`
    : t.explained
      ? ` → ${NETWORK_ALLOWS}`
      : "";
  const fault = t.injectedFault ? ` [INJECTED FAULT ${t.injectedFault}: hsmlink fault add, not a real refusal]` : "";
  const head = `#${t.seq} ${t.time} ${t.explained ? "EXPLAIN " : ""}${t.method} ${t.url} from ${t.vantage}${verdict}${fault}`;
  return [head, ...t.steps.map((s) => `  ${s.step.padEnd(10)} ${s.rule.padEnd(30)} ${s.detail}`)].join("\n") + "\n";
}

/**
 * Adapters for the data plane's seams (src/hsm/surface.ts `DataPlaneOptions.networkCheck` / `clientAddress`):
 * pass `networkCheck: networkCheckFor(store, config.internetClientAddress)` and
 * `clientAddress: clientAddressFor(store, config.internetClientAddress)` to the data plane when wiring it in
 * hsmlink.ts. The check appends the authentication step and the network-rules steps to the request's trace and
 * returns `"allow"` or the 403 AzureError (the surface throws it).
 */
export function networkCheckFor(
  store: Store,
  internetClientAddress: string,
): (ex: Exchange, hsm: unknown, principal: { appId: string; objectId: string; tenantId: string; trustedService?: string }) => "allow" | AzureError {
  return (ex, _hsm, principal) => {
    traceStep(ex, { step: "auth", rule: "authenticated", detail: `caller appid=${principal.appId};oid=${principal.objectId}${principal.trustedService ? ` (trusted service ${principal.trustedService})` : ""}` });
    try {
      enforceNetworkRules(store, ex, { appId: principal.appId, objectId: principal.objectId, issuer: `https://sts.windows.net/${principal.tenantId}/`, trustedService: principal.trustedService }, internetClientAddress);
      return "allow";
    } catch (e) {
      return e as AzureError;
    }
  };
}

/** The source address the HSM saw for request `ex`: the VM's private IP (private path), its SNAT IP (public), or the internet address. */
export function clientAddressFor(_store: Store, internetClientAddress: string): (ex: Exchange) => string {
  return (ex) => {
    const r = ex.conn.network?.route;
    return r && r.path !== "none" ? r.sourceAddress : internetClientAddress;
  };
}
