/**
 * The decision trace's vocabulary: the ordered, named steps of the one decision pipeline (src/pipeline/) and the
 * record each step writes. Layers below the pipeline (network/) produce steps of this shape; the pipeline's
 * runner appends them to a request's trace; `hsmlink explain`, `hsmlink log` and `hsmlink troubleshoot` print them.
 */

/**
 * The pipeline's steps in the order every data-plane request passes them (design: architecture.md "decision
 * pipeline"): where the client stands, what its DNS answers, which path the packets take, the TLS endpoint and
 * the HSM it names, injected faults (`hsmlink fault`, a test fixture's throttling and outages), who the caller is, the HSM's network rules, security domain activation, local RBAC, and the
 * operation itself.
 */
export const PIPELINE_STEPS = [
  "vantage",
  "dns",
  "route",
  "tls",
  "fault",
  "authentication",
  "network",
  "activation",
  "rbac",
  "operation",
] as const;

/** One of {@link PIPELINE_STEPS}. */
export type PipelineStepName = (typeof PIPELINE_STEPS)[number];

/**
 * Every name a trace line can carry: the pipeline's steps, `gateway` (the proxy's own checks before the network
 * steps: proxy user, emulated host, port, scheme) and `outcome` (the status the client got, last).
 */
export type TraceStepName = "gateway" | PipelineStepName | "outcome";

/** Ids and addresses a step looked at, e.g. `{ zoneId, linkId, vnetId }`. Values are as stored (canonical casing). */
export type TraceRefs = Readonly<Record<string, string>>;

/**
 * One line of a decision trace. `rule` is stable and machine-readable (switch on it); `detail` is the human
 * sentence; `refs` the resources the rule looked at.
 */
export interface TraceStep {
  readonly step: TraceStepName;
  readonly rule: string;
  readonly detail: string;
  readonly refs?: TraceRefs;
}
