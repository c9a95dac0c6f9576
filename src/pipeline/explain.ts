/**
 * `hsmlink explain`: the trace a request would produce, WITHOUT performing it. It runs the same pipeline code as a
 * real request: the gateway's {@link decideProxy} (proxy user, emulated host, scheme and port, then vantage → DNS →
 * route), then for a managed HSM host the same step functions (steps.ts) the data plane runs — `tls`, `network` —
 * in the same order, with `fault`, `authentication`, `activation`, `rbac` and `operation` written as "not evaluated" (no
 * caller, nothing sent), so an allowed request claims no status. The troubleshooter calls this function on its
 * snapshot, so `hsmlink troubleshoot` prints the steps `hsmlink explain` prints for the same request.
 */
import { AzureError } from "../kernel/errors.js";
import { managedHsmNameOfHost } from "../kernel/azure-names.js";
import type { TraceStep } from "../kernel/trace.js";
import { vantageText, type ConnectEvaluation } from "../network/decision.js";
import { findManagedHsmByName, type ManagedHsm, type NetworkSnapshot, type Vantage } from "../network/topology.js";
import { decideProxy } from "./connect.js";
import { ARM_HOST } from "../kernel/azure-names.js";
import type { Db } from "../store/db.js";
import { armRbacStep, type ArmCaller } from "./arm-authorization.js";
import { runPipelineSync, type SyncPipelineStep } from "./runner.js";
import { networkStep, notEvaluated, tlsStep } from "./steps.js";

/** Methods `hsmlink explain` accepts. */
export const EXPLAIN_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE", "HEAD"] as const;

/** What explain says when the network lets a request through (it never sends it, so nothing else is known). */
export const NETWORK_ALLOWS = "network allows; authentication and RBAC not evaluated";

/** What explain needs of the emulated world. */
export interface ExplainContext {
  snapshot(): NetworkSnapshot;
  internetClientAddress: string;
  /** For Azure Resource Manager URLs: the store's role assignments and the caller whose rights the `rbac` step judges. */
  arm?: { db: Db; caller: ArmCaller };
}

/** An explained request: its steps and verdict (`refused` with the `outcome` the client would get, or `network-allows`). */
export interface Explanation {
  method: string;
  url: string;
  host: string;
  /** `internet` or the VM name. */
  vantage: string;
  verdict: "refused" | "network-allows";
  steps: TraceStep[];
  outcome?: { status: number; code?: string; innerCode?: string; message?: string };
}

interface ExplainState {
  readonly host: string;
  readonly snapshot: NetworkSnapshot;
  readonly connect: ConnectEvaluation;
  hsm?: ManagedHsm;
}

const EXPLAIN_STEPS: readonly SyncPipelineStep<ExplainState>[] = [
  {
    name: "tls",
    run(s) {
      const name = managedHsmNameOfHost(s.host);
      s.hsm = name ? findManagedHsmByName(s.snapshot, name) : undefined;
      return tlsStep(
        s.host,
        name,
        s.hsm && {
          name: s.hsm.name,
          id: s.hsm.id,
          provisioningState: s.hsm.properties.provisioningState ?? "Succeeded",
        },
      );
    },
  },
  { name: "fault", run: () => notEvaluated("injected faults (hsmlink fault list shows the rules)") },
  { name: "authentication", run: () => notEvaluated("authentication") },
  {
    name: "network",
    run: (s) =>
      networkStep(
        s.hsm,
        s.connect,
        undefined,
        s.connect.route?.path === "none" ? "" : (s.connect.route?.sourceAddress ?? ""),
      ).verdict,
  },
  { name: "activation", run: () => notEvaluated("security domain activation") },
  { name: "rbac", run: () => notEvaluated("local RBAC") },
  { name: "operation", run: () => notEvaluated("the operation") },
];

/**
 * Explains `method url` as sent from `vantage`.
 * @throws AzureError 400 `BadRequest` for a method outside {@link EXPLAIN_METHODS} or a URL that is not http(s)
 */
export function explainRequest(ctx: ExplainContext, vantage: Vantage, method: string, url: string): Explanation {
  const m = method.toUpperCase();
  if (!(EXPLAIN_METHODS as readonly string[]).includes(m))
    throw new AzureError(
      400,
      "BadRequest",
      `'${method}' is not a method explain knows; use one of ${EXPLAIN_METHODS.join(", ")}`,
    );
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AzureError(400, "BadRequest", `'${url}' is not an absolute URL`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new AzureError(400, "BadRequest", `'${url}': only http and https URLs go through the gateway`);
  const host = u.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  const vmName = vantage.kind === "vm" ? vantage.vm.name : undefined;
  const t: Explanation = {
    method: m,
    url: u.toString(),
    host,
    vantage: vmName ?? "internet",
    verdict: "network-allows",
    steps: [],
  };
  let snapshot: NetworkSnapshot | undefined;
  const snap = () => (snapshot ??= ctx.snapshot());
  const https = u.protocol === "https:";
  const decision = decideProxy(
    {
      vantageOf: (name) => (vmName !== undefined && name.toLowerCase() === vmName.toLowerCase() ? vantage : undefined),
      snapshot: snap,
      internetClientAddress: ctx.internetClientAddress,
    },
    {
      hostName: host,
      port: Number(u.port || (https ? 443 : 80)),
      kind: https ? "connect" : "absolute",
      method: https ? "CONNECT" : m,
      url: u.toString(),
    },
    vmName,
  );
  t.steps.push(...(decision.steps ?? []));
  if (!decision.ok) {
    t.steps.push({
      step: "outcome",
      rule: "connect-refused",
      detail: `the gateway would refuse the ${https ? "CONNECT" : "request"} (${decision.status}): ${decision.reason}`,
    });
    t.verdict = "refused";
    t.outcome = { status: decision.status, message: decision.reason };
    return t;
  }
  const connect = decision.conn.network;
  if (!connect && host === ARM_HOST && ctx.arm) return explainArm(t, ctx.arm, m, u.pathname);
  if (!connect) {
    t.steps.push({
      step: "authentication",
      rule: "not-evaluated",
      detail: "authentication and authorization not evaluated (explain does not send the request)",
    });
    t.steps.push({
      step: "outcome",
      rule: "network-allowed",
      detail: `the gateway lets ${vantageText(vantage)} reach ${host}; ${NETWORK_ALLOWS}`,
    });
    return t;
  }
  const state: ExplainState = { host, connect, snapshot: snap() };
  const run = runPipelineSync(EXPLAIN_STEPS, state, t.steps);
  if (run.verdict === "refuse") {
    const r = run.refusal;
    t.steps.push({
      step: "outcome",
      rule: "refused",
      detail: `${r.status} ${r.code}${r.innerCode ? `/${r.innerCode}` : ""}: ${r.message.split("\r\n")[0]}`,
    });
    t.verdict = "refused";
    t.outcome = {
      status: r.status,
      code: r.code,
      ...(r.innerCode ? { innerCode: r.innerCode } : {}),
      message: r.message,
    };
    return t;
  }
  if (run.verdict === "drop") {
    t.steps.push({
      step: "outcome",
      rule: "dropped",
      detail: `the ${run.step} step would drop the connection; the client gets no answer (it times out)`,
    });
    t.verdict = "refused";
    t.outcome = { status: 0, message: `connection dropped by the ${run.step} step` };
    return t;
  }
  t.steps.push({
    step: "outcome",
    rule: "network-allowed",
    detail: `the network allows ${vantageText(vantage)} to reach ${state.hsm?.name ?? host}; authentication and RBAC not evaluated`,
  });
  return t;
}

/**
 * The ARM part of an explanation: the `rbac` step a real ARM request runs (src/pipeline/arm-authorization.ts) for
 * `arm.caller`, without sending anything: which action the request performs over which scope and which role
 * assignment grants it, or the 403 AuthorizationFailed the caller would get. Subscription and resource existence,
 * linked checks and the operation itself are not evaluated.
 */
function explainArm(t: Explanation, arm: { db: Db; caller: ArmCaller }, method: string, path: string): Explanation {
  t.steps.push({
    step: "authentication",
    rule: "as-principal",
    detail: `explained as object id ${arm.caller.objectId} (no token is checked)`,
  });
  const run = runPipelineSync(
    [{ name: "rbac", run: () => armRbacStep(arm.db, arm.caller, method, path) }],
    null,
    t.steps,
  );
  if (run.verdict === "refuse") {
    const r = run.refusal;
    t.steps.push({ step: "outcome", rule: "refused", detail: `${r.status} ${r.code}: ${r.message}` });
    t.verdict = "refused";
    t.outcome = { status: r.status, code: r.code, message: r.message };
    return t;
  }
  t.steps.push({
    step: "outcome",
    rule: "rbac-allowed",
    detail:
      "Azure RBAC lets the caller make this request; whether the resource exists and the operation itself are not evaluated",
  });
  return t;
}
