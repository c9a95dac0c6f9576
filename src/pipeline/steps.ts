/**
 * The decisions of the pipeline's request-time steps, as pure functions of what each step looks at. The data
 * plane (data-plane.ts) and `hsmlink explain` / the troubleshooter (explain.ts) call the same functions, so a
 * request and its explanation cannot disagree.
 */
import type { TraceRefs } from "../kernel/trace.js";
import {
  evaluateNetworkRules,
  networkInfoHeader,
  type CallerInfo,
  type ConnectEvaluation,
} from "../network/decision.js";
import type { ManagedHsm } from "../network/topology.js";
import { pass, refuse, type StepVerdict } from "./runner.js";
import { refusalOf, type Refusal } from "./render.js";
import { kvErrors } from "../hsm/errors.js";

/** Provisioning states in which the data plane serves an HSM. */
const SERVED_STATES = ["succeeded", "updating", "activated"];

/** What the TLS step needs to know of the HSM a host names. */
export interface HsmIdentity {
  readonly name: string;
  readonly id: string;
  readonly provisioningState: string;
}

/**
 * The `tls` step: TLS for `host` is terminated by hsmlink (a leaf certificate from its local CA), and the host
 * must name a provisioned managed HSM. In Azure the host of a missing HSM would not resolve; hsmlink's direct
 * listener can still be asked, so it answers the Key Vault 404 `NotFound` (hsmlink's choice, data-plane.md §3).
 */
export function tlsStep(host: string, hsmName: string | undefined, hsm: HsmIdentity | undefined): StepVerdict {
  if (!hsm) {
    return refuse(
      refusalOf(kvErrors.noSuchHsm(hsmName ?? host)),
      "no-such-hsm",
      `${host} names no existing managed HSM`,
    );
  }
  const refs: TraceRefs = { hsmId: hsm.id };
  if (!SERVED_STATES.includes(hsm.provisioningState.toLowerCase())) {
    return refuse(
      refusalOf(kvErrors.hsmNotProvisioned(hsm.name, hsm.provisioningState)),
      "not-provisioned",
      `managed HSM ${hsm.name} is ${hsm.provisioningState || "not provisioned"}`,
      refs,
    );
  }
  return pass(
    "managed-hsm",
    `TLS for ${host} terminated by hsmlink (leaf certificate from its local CA); managed HSM ${hsm.name}`,
    refs,
  );
}

/** The network step's verdict plus the address the service saw. */
export interface NetworkStepResult {
  readonly verdict: StepVerdict;
  readonly sourceAddress: string;
}

/**
 * The `network` step: the HSM's network rules for the route the connection took (network/decision.ts). A
 * refusal is rendered as Azure's 403 `Forbidden` with the inner code and the `x-ms-keyvault-network-info` header.
 * `connect` without a usable route (the direct HTTPS listener when no route exists) passes with that said.
 */
export function networkStep(
  hsm: ManagedHsm | undefined,
  connect: ConnectEvaluation,
  caller: CallerInfo | undefined,
  fallbackAddress: string,
): NetworkStepResult {
  if (!hsm || !connect.route || connect.route.path === "none") {
    const detail = !hsm
      ? "the HSM is not in the network model; no network rules apply"
      : "no route was decided for this connection; no network rules apply";
    return { verdict: pass("no-network-path", detail), sourceAddress: fallbackAddress };
  }
  const outcome = evaluateNetworkRules({ hsm, route: connect.route, caller });
  const lines = outcome.steps.map((s) => ({ rule: s.rule, detail: s.detail, ...(s.refs ? { refs: s.refs } : {}) }));
  if (outcome.allowed) return { verdict: { verdict: "pass", lines }, sourceAddress: outcome.sourceAddress };
  const r = outcome.refusal;
  switch (r.action) {
    case "forbid": {
      const pe = connect.route.path === "private" ? connect.route.privateEndpointId : undefined;
      const refusal: Refusal = {
        status: 403,
        code: "Forbidden",
        innerCode: r.innerCode,
        message: r.message,
        headers: { "x-ms-keyvault-network-info": networkInfoHeader(r.sourceAddress, pe) },
      };
      return { verdict: { verdict: "refuse", lines, refusal }, sourceAddress: r.sourceAddress };
    }
    case "drop":
      // Normally decided at CONNECT time (the gateway never opens the tunnel); here when the connection state changed
      // under an open tunnel: the request gets no answer, the connection is closed.
      return {
        verdict: { verdict: "drop", lines: [...lines, { rule: "dropped", detail: r.reason }] },
        sourceAddress: r.sourceAddress,
      };
  }
}

/**
 * The `activation` step (data-plane.md §0.11): an HSM whose security domain is not active serves only the routes
 * marked `beforeActivation` (the security domain's own); everything else gets 403 `Forbidden` / `HsmNotActivated`
 * (403 rather than 503 so SDKs fail at once instead of retrying for a minute). This is the step the security
 * domain's activation plugs into.
 */
export function activationStep(
  hsm: { readonly name: string; readonly activationStatus: string },
  servedBeforeActivation: boolean,
): StepVerdict {
  if (hsm.activationStatus === "Active") return pass("active", `managed HSM ${hsm.name} is activated`);
  if (servedBeforeActivation)
    return pass(
      "before-activation",
      `managed HSM ${hsm.name} is ${hsm.activationStatus}; this operation is served before activation`,
    );
  return refuse(
    refusalOf(kvErrors.hsmNotActivated(hsm.name, hsm.activationStatus)),
    "not-activated",
    `managed HSM ${hsm.name} is ${hsm.activationStatus} (HsmNotActivated)`,
  );
}

/** The `rbac` step: local RBAC allows `objectId` the `dataAction` at `scope`, or 403 `AccessDenied` (data-plane.md §6). */
export function rbacStep(allowed: boolean, who: string, dataAction: string, scope: string): StepVerdict {
  if (allowed)
    return pass("allowed", `a role assignment grants ${who} ${dataAction} on ${scope}`, { dataAction, scope });
  return refuse(
    refusalOf(kvErrors.accessDenied(dataAction, scope)),
    "no-role-assignment",
    `no role assignment at ${scope} or above grants ${who} ${dataAction} (AccessDenied)`,
    { dataAction, scope },
  );
}

/** The line of a step that `hsmlink explain` does not evaluate (it sends nothing). */
export function notEvaluated(what: string): StepVerdict {
  return pass("not-evaluated", `${what} not evaluated (explain does not send the request)`);
}
