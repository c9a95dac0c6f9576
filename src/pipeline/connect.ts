/**
 * The connect half of the decision pipeline: what the gateway decides when a client sends `CONNECT host:443`
 * (or an absolute-form `http://` request) — the gateway's own checks (proxy user → vantage, emulated host, scheme,
 * port), then for a managed HSM host the network's vantage → DNS → route steps. Real proxy requests (through
 * src/listeners/gateway.ts), `hsmlink explain` and the troubleshooter all call {@link decideProxy}.
 */
import type { ConnectionInfo } from "../kernel/exchange.js";
import type { TraceStep } from "../kernel/trace.js";
import {
  ARM_HOST,
  BLOB_HOST_PATTERN,
  GRAPH_HOST,
  IMDS_HOST,
  LOGIN_HOST,
  managedHsmNameOfHost,
} from "../kernel/azure-names.js";
import { evaluateConnect, vantageText, type ConnectEvaluation } from "../network/decision.js";
import type { NetworkSnapshot, Vantage } from "../network/topology.js";

declare module "../kernel/exchange.js" {
  /** The connect decision of a managed HSM connection is the network model's evaluation. */
  interface ConnectionNetwork extends ConnectEvaluation {}
}

/** Decision on a proxy request: go ahead (possibly with more connection facts) or refuse with a reason. */
export type ProxyDecision =
  | { ok: true; conn: ConnectionInfo; steps?: readonly TraceStep[] }
  | {
      ok: false;
      status: number;
      reason: string;
      headers?: Record<string, string>;
      steps?: readonly TraceStep[];
      /** A drop (non-approved private endpoint): hold the CONNECT this long, in ms, before failing it. */
      holdMs?: number;
    };

/** What a client asked the gateway for: a CONNECT tunnel or an absolute-form (plain http) request. */
export interface ProxyTarget {
  hostName: string;
  port: number;
  kind: "connect" | "absolute";
  /** Request method (`CONNECT` for tunnels) and target as sent, for the trace of a refusal. */
  method?: string;
  url?: string;
}

/**
 * Decides whether a CONNECT or absolute-form request may proceed. `vantage` is the proxy user name, if any;
 * `password` the proxy password (the instance secret, for what needs it).
 */
export type ProxyPolicy = (
  target: ProxyTarget,
  vantage: string | undefined,
  password?: string,
) => Promise<ProxyDecision>;

/** A refusal the gateway sent (policy or parse), for the decision trace log. */
export interface GatewayRefusal {
  method: string;
  url: string;
  hostName: string;
  /** The proxy user name as sent (undefined = the internet). */
  vantage?: string;
  status: number;
  reason: string;
  steps: readonly TraceStep[];
}

/** What the gateway's policy needs to know about the emulated world. */
export interface GatewayPolicyContext {
  /** The VM a proxy user name names, if any. */
  vantageOf(name: string): Vantage | undefined;
  /** The current network snapshot (only read for managed HSM hosts). */
  snapshot(): NetworkSnapshot;
  internetClientAddress: string;
  /** How long a dropped CONNECT is held before it fails, in ms (the `--drop-after` setting); default 0. */
  dropAfterMs?: number;
  /**
   * Checks a proxy password against the instance secret. Absent (as for `hsmlink explain`, which sends nothing)
   * means no secret step is evaluated.
   */
  secretMatches?: (password: string | undefined) => boolean;
  /** The instance secret is needed for every request (hsmlink was started with `--expose`). */
  secretEverywhere?: boolean;
}

/**
 * THE gateway policy: the instance secret as proxy password where it is needed (407), proxy user → VM (407),
 * emulated host (403), scheme and port (403), then for a managed HSM host the network's connect decision
 * (vantage → DNS → route; 502 when it cannot resolve or has no route; 504 after `dropAfterMs` when the route is a
 * private endpoint whose connection is not Approved — Azure drops that traffic).
 * Real proxy requests and `hsmlink explain` both call this. Pure apart from reading `ctx`.
 */
export function decideProxy(
  ctx: GatewayPolicyContext,
  target: ProxyTarget,
  vantage: string | undefined,
  password?: string,
): ProxyDecision {
  const steps: TraceStep[] = [];
  // The instance secret as proxy password: for the managed identity endpoint (IMDS) always, for everything when
  // hsmlink is exposed (--expose). 407 asks for proxy credentials (RFC 9110 §15.5.8). hsmlink's choice.
  if (
    ctx.secretMatches &&
    (ctx.secretEverywhere || (target.kind === "absolute" && target.hostName === IMDS_HOST)) &&
    !ctx.secretMatches(password)
  ) {
    const what = ctx.secretEverywhere
      ? "this hsmlink was started with --expose, so every proxy request"
      : `the managed identity endpoint ${IMDS_HOST}`;
    const reason = `${what} needs hsmlink's instance secret as the proxy password; use the proxy URL 'hsmlink env' prints (http://USER:SECRET@host:port)`;
    steps.push({ step: "gateway", rule: "instance-secret-required", detail: reason });
    return { ok: false, status: 407, reason, headers: { "Proxy-Authenticate": 'Basic realm="hsmlink"' }, steps };
  }
  let vantagePoint: Vantage = { kind: "internet" };
  if (vantage !== undefined) {
    const v = ctx.vantageOf(vantage);
    if (!v) {
      const reason = `proxy user '${vantage}' names no VM; see 'hsmlink vm list' (create one with 'hsmlink vm create', or send no proxy user to act from the internet)`;
      steps.push({ step: "gateway", rule: "unknown-proxy-user", detail: reason });
      return { ok: false, status: 407, reason, headers: { "Proxy-Authenticate": 'Basic realm="hsmlink"' }, steps };
    }
    vantagePoint = v;
  }
  const hostPort = `${target.hostName}:${target.port}`;
  const isHsm = managedHsmNameOfHost(target.hostName) !== undefined;
  const isBlob = BLOB_HOST_PATTERN.test(target.hostName);
  const known =
    target.hostName === ARM_HOST || target.hostName === LOGIN_HOST || target.hostName === GRAPH_HOST || isHsm || isBlob;
  if (target.kind === "absolute") {
    if (target.hostName === IMDS_HOST) {
      steps.push({
        step: "gateway",
        rule: "imds",
        detail: `plain-http request to the IMDS endpoint ${IMDS_HOST}: served by hsmlink's managed identity endpoint`,
      });
      return { ok: true, conn: { listener: "gateway", hostName: IMDS_HOST, port: target.port, vantage }, steps };
    }
    const reason = `refusing plain-http request to ${target.hostName}: only the IMDS endpoint ${IMDS_HOST} is served over http${known ? `; use https://${target.hostName}/ (port 443)` : ""}; nothing is forwarded off this machine`;
    steps.push({ step: "gateway", rule: "plain-http-refused", detail: reason });
    return { ok: false, status: 403, reason, steps };
  }
  if (!known) {
    const reason = `refusing CONNECT to ${hostPort}: not an emulated Azure host (management.azure.com, login.microsoftonline.com, {name}.managedhsm.azure.net); nothing is forwarded off this machine`;
    steps.push({ step: "gateway", rule: "not-emulated", detail: reason });
    return { ok: false, status: 403, reason, steps };
  }
  if (target.port !== 443) {
    const reason = `refusing CONNECT to ${hostPort}: Azure serves this host on port 443 only`;
    steps.push({ step: "gateway", rule: "wrong-port", detail: reason });
    return { ok: false, status: 403, reason, steps };
  }
  if (isHsm) {
    steps.push({
      step: "gateway",
      rule: "emulated-host",
      detail: `CONNECT ${hostPort}: a managed HSM host; the network decides from ${vantageText(vantagePoint)}`,
    });
    const network = evaluateConnect(ctx.snapshot(), vantagePoint, target.hostName, {
      internetClientAddress: ctx.internetClientAddress,
    });
    steps.push(...network.steps);
    // A name that does not resolve or an address without a path: the proxy cannot connect upstream (502, RFC 9110
    // §15.6.3). A drop (non-approved private endpoint): nothing answers upstream, so after holding the CONNECT for
    // `dropAfterMs` the gateway reports a timeout (504, RFC 9110 §15.6.5).
    if (network.refusal) {
      if (network.refusal.kind === "dropped")
        return { ok: false, status: 504, reason: network.refusal.reason, steps, holdMs: ctx.dropAfterMs ?? 0 };
      return { ok: false, status: 502, reason: network.refusal.reason, steps };
    }
    return {
      ok: true,
      conn: { listener: "gateway", hostName: target.hostName, port: target.port, vantage, network },
      steps,
    };
  }
  const served =
    target.hostName === ARM_HOST
      ? "Azure Resource Manager"
      : isBlob
        ? "Azure Blob Storage (Azurite)"
        : target.hostName === GRAPH_HOST
          ? "Microsoft Graph stand-in (it answers that Graph is not emulated)"
          : "Entra ID login endpoint";
  steps.push({
    step: "gateway",
    rule: "emulated-host",
    detail: `CONNECT ${hostPort}: served by hsmlink's emulated ${served} (no network isolation applies)`,
  });
  return { ok: true, conn: { listener: "gateway", hostName: target.hostName, port: target.port, vantage }, steps };
}
