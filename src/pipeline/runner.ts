/**
 * The runner of the decision pipeline: takes the steps in their order (kernel/trace.ts {@link PIPELINE_STEPS}),
 * runs each on the request's state, writes every step's lines into the trace, and stops at the first step that
 * refuses or drops the request. Nothing else writes a request's trace.
 */
import type { PipelineStepName, TraceRefs, TraceStep } from "../kernel/trace.js";
import type { Refusal } from "./render.js";

/** One trace line a step writes; the runner fills in the step's name. */
export interface StepLine {
  readonly rule: string;
  readonly detail: string;
  readonly refs?: TraceRefs;
}

/**
 * What a step decided: `pass` (the next step runs), `refuse` (the surface renders `refusal`), or `drop` (the
 * connection is closed without an answer, as Azure does for traffic it discards). Every verdict carries the
 * lines the step writes into the trace (at least one).
 */
export type StepVerdict = (
  | { readonly verdict: "pass"; readonly lines: readonly StepLine[] }
  | { readonly verdict: "refuse"; readonly lines: readonly StepLine[]; readonly refusal: Refusal }
  | { readonly verdict: "drop"; readonly lines: readonly StepLine[] }
) & {
  /** The lines as the runner writes them into a trace, when built once ({@link reusable}). */
  readonly traced?: readonly TraceStep[];
};

/** A named step of the pipeline over request state `S`. */
export interface PipelineStep<S> {
  readonly name: PipelineStepName;
  run(state: S): StepVerdict | Promise<StepVerdict>;
}

/** How a run ended: every step passed, or the step that refused (with its refusal) or dropped. */
export type RunResult =
  | { readonly verdict: "pass" }
  | { readonly verdict: "refuse"; readonly step: PipelineStepName; readonly refusal: Refusal }
  | { readonly verdict: "drop"; readonly step: PipelineStepName };

/** A passing verdict with one line. */
export function pass(rule: string, detail: string, refs?: TraceRefs): StepVerdict {
  return { verdict: "pass", lines: [refs ? { rule, detail, refs } : { rule, detail }] };
}

/** A refusing verdict with one line. */
export function refuse(refusal: Refusal, rule: string, detail: string, refs?: TraceRefs): StepVerdict {
  return { verdict: "refuse", refusal, lines: [refs ? { rule, detail, refs } : { rule, detail }] };
}

/**
 * `v` with its trace lines built once, as the runner writes them for step `name`: for a verdict a step keeps and
 * returns again for the same inputs, so that the traces of many requests share one set of (frozen) lines rather than
 * each holding a copy (a trace log of recent requests is what the garbage collector has to carry).
 */
export function reusable(name: PipelineStepName, v: StepVerdict): StepVerdict {
  const traced: TraceStep[] = [];
  appendLines(traced, name, v);
  for (const l of traced) Object.freeze(l);
  return { ...v, traced: Object.freeze(traced) };
}

/** Appends the trace lines of a verdict to `trace`, as steps named `name` (a line `{verdict}` when it has none). */
function appendLines(trace: TraceStep[], name: PipelineStepName, v: StepVerdict): void {
  if (v.traced !== undefined && v.traced[0]?.step === name) {
    for (const l of v.traced) trace.push(l);
    return;
  }
  if (v.lines.length === 0) {
    trace.push({ step: name, rule: v.verdict, detail: "" });
    return;
  }
  for (const l of v.lines)
    trace.push(
      l.refs
        ? { step: name, rule: l.rule, detail: l.detail, refs: l.refs }
        : { step: name, rule: l.rule, detail: l.detail },
    );
}

/**
 * Runs `steps` in order on `state`, appending each step's lines to `trace`.
 * @returns how the run ended; exceptions of a step propagate (a bug: the surface answers 500)
 */
export async function runPipeline<S>(
  steps: readonly PipelineStep<S>[],
  state: S,
  trace: TraceStep[],
): Promise<RunResult> {
  for (const step of steps) {
    // Awaiting only a promise keeps a synchronous step's verdict off the microtask queue.
    const r = step.run(state);
    const v = r instanceof Promise ? await r : r;
    appendLines(trace, step.name, v);
    if (v.verdict === "refuse") return { verdict: "refuse", step: step.name, refusal: v.refusal };
    if (v.verdict === "drop") return { verdict: "drop", step: step.name };
  }
  return { verdict: "pass" };
}

/** A step whose decision needs no I/O (explain, the troubleshooter). */
export interface SyncPipelineStep<S> extends PipelineStep<S> {
  run(state: S): StepVerdict;
}

/** {@link runPipeline} for steps that decide synchronously. */
export function runPipelineSync<S>(steps: readonly SyncPipelineStep<S>[], state: S, trace: TraceStep[]): RunResult {
  for (const step of steps) {
    const v = step.run(state);
    appendLines(trace, step.name, v);
    if (v.verdict === "refuse") return { verdict: "refuse", step: step.name, refusal: v.refusal };
    if (v.verdict === "drop") return { verdict: "drop", step: step.name };
  }
  return { verdict: "pass" };
}
