// The pipeline's runner: steps run in order, each writes its lines under its own name, the first refusal or drop
// ends the run; and a data plane cannot be built without its network step (checked by the type checker).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  pass,
  refuse,
  reusable,
  runPipeline,
  runPipelineSync,
  type SyncPipelineStep,
} from "../../../src/pipeline/runner.js";
import { createDataPlane } from "../../../src/pipeline/data-plane.js";
import { renderKeyVault } from "../../../src/pipeline/render.js";
import type { TraceStep } from "../../../src/kernel/trace.js";

interface State {
  seen: string[];
}

const step = (name: SyncPipelineStep<State>["name"], verdict: "pass" | "refuse" | "drop"): SyncPipelineStep<State> => ({
  name,
  run(s) {
    s.seen.push(name);
    if (verdict === "pass") return pass(`${name}-ok`, `${name} passed`);
    if (verdict === "refuse")
      return refuse({ status: 403, code: "AccessDenied", message: "Not authorized" }, `${name}-no`, `${name} refused`, {
        scope: "/keys",
      });
    return { verdict: "drop", lines: [{ rule: `${name}-drop`, detail: `${name} dropped the connection` }] };
  },
});

test("every step runs in order and writes its lines under its own name", async () => {
  const trace: TraceStep[] = [];
  const s: State = { seen: [] };
  const r = await runPipeline([step("tls", "pass"), step("authentication", "pass"), step("network", "pass")], s, trace);
  assert.deepEqual(r, { verdict: "pass" });
  assert.deepEqual(s.seen, ["tls", "authentication", "network"]);
  assert.deepEqual(
    trace.map((t) => `${t.step}:${t.rule}`),
    ["tls:tls-ok", "authentication:authentication-ok", "network:network-ok"],
  );
});

test("a refusal ends the run at its step, with its refusal and refs in the trace", async () => {
  const trace: TraceStep[] = [];
  const s: State = { seen: [] };
  const r = await runPipeline([step("tls", "pass"), step("rbac", "refuse"), step("operation", "pass")], s, trace);
  assert.equal(r.verdict, "refuse");
  assert.equal(r.verdict === "refuse" && r.step, "rbac");
  assert.deepEqual(s.seen, ["tls", "rbac"]);
  assert.deepEqual(trace.at(-1), { step: "rbac", rule: "rbac-no", detail: "rbac refused", refs: { scope: "/keys" } });
  const rendered = renderKeyVault(r.verdict === "refuse" ? r.refusal : assert.fail(), "req-1");
  assert.deepEqual(rendered, {
    status: 403,
    body: { error: { code: "AccessDenied", message: "Not authorized (Activity ID: req-1)" } },
  });
});

test("a drop ends the run without a refusal (the surface closes the connection)", () => {
  const trace: TraceStep[] = [];
  const s: State = { seen: [] };
  const r = runPipelineSync([step("network", "drop"), step("activation", "pass")], s, trace);
  assert.deepEqual(r, { verdict: "drop", step: "network" });
  assert.deepEqual(s.seen, ["network"]);
  assert.equal(trace[0].rule, "network-drop");
});

test("a data plane without the network step does not type-check", () => {
  // Never called: the type checker (npm run typecheck) is the test.
  const build = (o: Omit<Parameters<typeof createDataPlane>[0], "network">) =>
    // @ts-expect-error `network` is required: there is no data plane that allows every network
    createDataPlane(o);
  assert.equal(typeof build, "function");
});

test("a reusable verdict writes the same lines as the verdict it was built from, shared and frozen", () => {
  const verdicts = [
    pass("ok", "passed", { hsmId: "/x" }),
    refuse({ status: 403, code: "AccessDenied", message: "no" }, "no", "refused", { scope: "/" }),
    {
      verdict: "drop" as const,
      lines: [
        { rule: "a", detail: "first" },
        { rule: "b", detail: "second" },
      ],
    },
    { verdict: "pass" as const, lines: [] },
  ];
  for (const v of verdicts) {
    const plain: TraceStep[] = [];
    const kept: TraceStep[] = [];
    const r = reusable("rbac", v);
    runPipelineSync([{ name: "rbac", run: () => v }], {}, plain);
    runPipelineSync([{ name: "rbac", run: () => r }], {}, kept);
    runPipelineSync([{ name: "rbac", run: () => r }], {}, kept);
    assert.deepEqual(kept, [...plain, ...plain]);
    assert.equal(kept[0], kept[plain.length]);
    assert.ok(Object.isFrozen(kept[0]));
    assert.equal(r.verdict, v.verdict);
  }
});
