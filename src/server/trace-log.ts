/**
 * The decision trace of data-plane requests: one {@link RequestTrace} per request, its steps appended by the one
 * decision pipeline (vantage → DNS → route at CONNECT time; network rules, authentication, RBAC and the outcome
 * at request time), kept in an in-memory ring buffer that `hsmlink log` reads through the admin API.
 * `hsmlink explain` builds a trace with the same functions ({@link explainRequest}) without performing the request.
 */
import type { Store } from "../store/db.js";
import type { Exchange } from "./exchange.js";
import { AzureError } from "./errors.js";
import { snapshotFromStore } from "../network/snapshot.js";
import {
  evaluateConnect,
  evaluateNetworkRules,
  evaluateRequestNetwork,
  networkInfoHeader,
  vantageText,
  type CallerInfo,
  type ConnectEvaluation,
  type NetworkRulesOutcome,
  type PipelineStep,
} from "../network/decision.js";
import { findManagedHsmByName, type Vantage } from "../network/topology.js";
import { parseManagedHsmHost } from "../network/dns-view.js";

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
  steps: PipelineStep[];
  outcome?: { status: number; code?: string; innerCode?: string; message?: string };
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
 * `hsmlink explain`: the trace a request would produce, WITHOUT performing it. Same functions as the pipeline
 * (resolve → route → network rules); authentication, activation and RBAC are marked "not evaluated".
 */
export function explainRequest(store: Store, log: TraceLog, vantage: Vantage, method: string, url: string, internetClientAddress: string): RequestTrace {
  const u = new URL(url);
  const host = u.hostname.toLowerCase().replace(/\.$/, "");
  const snapshot = snapshotFromStore(store);
  const t: RequestTrace = {
    seq: log.nextSeq(),
    requestId: "explain",
    time: new Date().toISOString(),
    method: method.toUpperCase(),
    url: u.toString(),
    host,
    vantage: vantage.kind === "vm" ? vantage.vm.name : "internet",
    explained: true,
    steps: [],
  };
  const r = evaluateRequestNetwork(snapshot, vantage, host, undefined, { internetClientAddress });
  t.steps.push(...r.steps);
  if (r.connect.refusal) {
    t.steps.push({ step: "outcome", rule: "connect-refused", detail: `the gateway would refuse the CONNECT (${r.connect.refusal.status}): ${r.connect.refusal.reason}` });
    t.outcome = { status: r.connect.refusal.status, message: r.connect.refusal.reason };
  } else if (r.rules && !r.rules.allowed) {
    t.steps.push({ step: "auth", rule: "not-evaluated", detail: "authentication not evaluated (explain does not send the request); it runs before the network rules" });
    t.steps.push({ step: "outcome", rule: "refused", detail: `403 Forbidden/${r.rules.innerCode}: ${r.rules.error.message.split("\r\n")[0]}` });
    t.outcome = { status: 403, code: "Forbidden", innerCode: r.rules.innerCode, message: r.rules.error.message };
  } else {
    t.steps.push({ step: "auth", rule: "not-evaluated", detail: "authentication not evaluated (explain does not send the request)" });
    t.steps.push({ step: "activation", rule: "not-evaluated", detail: "security domain activation not evaluated" });
    t.steps.push({ step: "rbac", rule: "not-evaluated", detail: "local RBAC not evaluated" });
    t.steps.push({ step: "outcome", rule: r.hsm ? "network-allowed" : "no-such-hsm", detail: r.hsm ? `the network allows ${vantageText(vantage)} to reach ${r.hsm.name}` : `${host} names no existing managed HSM` });
    t.outcome = { status: r.hsm ? 200 : 404 };
  }
  log.push(t);
  return t;
}

/** Renders a trace as text lines (log and explain, table output). */
export function renderTrace(t: RequestTrace): string {
  const head = `#${t.seq} ${t.time} ${t.explained ? "EXPLAIN " : ""}${t.method} ${t.url} from ${t.vantage}` + (t.outcome ? ` → ${t.outcome.status}${t.outcome.code ? ` ${t.outcome.code}` : ""}${t.outcome.innerCode ? `/${t.outcome.innerCode}` : ""}` : "");
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
