/**
 * The decision traces of data-plane requests: one {@link RequestTrace} per request, its steps written by the
 * pipeline's runner (src/pipeline/runner.ts: the connect steps the gateway took — vantage → DNS → route — then
 * tls, authentication, network, activation, rbac, operation) and its outcome, kept in an in-memory ring buffer that
 * `hsmlink log` reads through the admin API. Requests the gateway refuses (407 unknown proxy user, 403 not
 * emulated / wrong port / plain http, 502 no resolution or route, 400 malformed target) are traced too
 * ({@link TraceLog.refusal}); `hsmlink explain` traces are pushed here as well (src/pipeline/explain.ts).
 */
import { randomUUID } from "node:crypto";
import type { Exchange } from "../kernel/exchange.js";
import type { PipelineStepName, TraceStep } from "../kernel/trace.js";
import type { GatewayRefusal } from "./connect.js";

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

/**
 * ISO-8601 text of `ms` since the epoch. Requests arrive many to a millisecond under load: the text of the last
 * millisecond is reused (one string for all of them, instead of a Date and a string each).
 */
function isoTime(ms: number): string {
  if (ms !== lastTime.ms) lastTime = { ms, text: new Date(ms).toISOString() };
  return lastTime.text;
}
let lastTime = { ms: Number.NaN, text: "" };

/** `https://{host}{path}`; the text of the last host and path is reused (clients repeat a request). */
function requestUrl(host: string, path: string): string {
  if (host !== lastUrl.host || path !== lastUrl.path) lastUrl = { host, path, text: `https://${host}${path}` };
  return lastUrl.text;
}
let lastUrl = { host: "", path: "", text: "" };

/** The outcome and outcome line of a status without a refusal, by status (see {@link TraceLog.finish}). */
const served = new Map<number, { readonly outcome: RequestTrace["outcome"]; readonly line: TraceStep }>();

/** Bounded, in-memory ring buffer of recent traces. */
export class TraceLog {
  private readonly items: RequestTrace[] = [];
  private seq = 0;

  constructor(private readonly capacity = 500) {}

  /** Starts the trace of a data-plane request, seeded with the connect steps taken for its connection. */
  begin(ex: Exchange): RequestTrace {
    const t: RequestTrace = {
      seq: ++this.seq,
      requestId: ex.requestId,
      time: isoTime(ex.receivedAt),
      method: ex.method,
      url: requestUrl(ex.conn.hostName, ex.path),
      host: ex.conn.hostName,
      vantage: ex.conn.vantage ?? "internet",
      explained: false,
      steps: [...(ex.conn.network?.steps ?? [])],
    };
    this.push(t);
    return t;
  }

  /** Records the outcome (status and, for refusals, codes) of a traced request. */
  finish(t: RequestTrace, status: number, refusal?: { code: string; innerCode?: string; message: string }): void {
    if (!refusal) {
      // A status without a refusal is written the same way every time: one (frozen) outcome and line per status.
      let done = served.get(status);
      if (done === undefined) {
        done = {
          outcome: Object.freeze({ status }),
          line: Object.freeze({ step: "outcome", rule: status < 400 ? "served" : "refused", detail: `${status}` }),
        };
        served.set(status, done);
      }
      t.outcome = done.outcome;
      t.steps.push(done.line);
      return;
    }
    t.outcome = {
      status,
      ...(refusal
        ? {
            code: refusal.code,
            ...(refusal.innerCode ? { innerCode: refusal.innerCode } : {}),
            message: refusal.message,
          }
        : {}),
    };
    const detail = refusal
      ? `${status} ${refusal.code}${refusal.innerCode ? `/${refusal.innerCode}` : ""}${refusal.message ? `: ${refusal.message.split("\r\n")[0]}` : ""}`
      : `${status}`;
    t.steps.push({ step: "outcome", rule: status < 400 ? "served" : "refused", detail });
  }

  /** Records that the step `step` dropped the request's connection (no answer was sent). */
  dropped(t: RequestTrace, step: PipelineStepName): void {
    t.outcome = { status: 0, message: `connection dropped by the ${step} step` };
    t.steps.push({
      step: "outcome",
      rule: "dropped",
      detail: `the ${step} step dropped the connection; the client gets no answer`,
    });
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
    while (this.items.length > this.capacity) this.items.shift();
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

/** Renders a trace as text lines (log and explain, table output). */
export function renderTrace(t: RequestTrace): string {
  const verdict =
    t.outcome?.status === 0
      ? " → connection dropped"
      : t.outcome
        ? ` → ${t.outcome.status}${t.outcome.code ? ` ${t.outcome.code}` : ""}${t.outcome.innerCode ? `/${t.outcome.innerCode}` : ""}${t.gatewayRefused ? " (refused by the gateway)" : ""}`
        : t.explained
          ? t.steps[t.steps.length - 1]?.rule === "rbac-allowed"
            ? " → Azure RBAC allows; the operation not evaluated"
            : ` → ${NETWORK_ALLOWS}`
          : "";
  const fault = t.injectedFault ? ` [INJECTED FAULT ${t.injectedFault}: hsmlink fault add, not a real refusal]` : "";
  const head = `#${t.seq} ${t.time} ${t.explained ? "EXPLAIN " : ""}${t.method} ${t.url} from ${t.vantage}${verdict}${fault}`;
  return `${head}\n${renderSteps(t.steps)}`;
}

/** The step lines of a trace, one per step: `  {step} {rule} {detail}` (log, explain, troubleshoot). */
export function renderSteps(steps: readonly TraceStep[]): string {
  return steps.map((s) => `  ${s.step.padEnd(14)} ${s.rule.padEnd(30)} ${s.detail}\n`).join("");
}
