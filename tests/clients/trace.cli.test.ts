// The one decision trace through the real `hsmlink` CLI: `hsmlink log` shows every pipeline step a data-plane
// request passed, up to the one that refused it (local RBAC, authentication), and `hsmlink explain` and
// `hsmlink troubleshoot` print the same steps for the same request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import { API, grant, hsmCall, hsmToken, ROLE, seedHsm } from "../http/hsm/support.js";
import { createVm, seedHowTo } from "../http/network-isolation/topology.js";
import { PIPELINE_STEPS } from "../../src/kernel/trace.js";
import type { RequestTrace } from "../../src/pipeline/trace-log.js";

let h: TestHsmlink;
const cli = (...args: string[]) => runHsmlinkCli(args, { ...process.env, HSMLINK_HOME: h.config.dataDir });

/** The traces `hsmlink log -o json` prints (one JSON object per line). */
async function logTraces(): Promise<RequestTrace[]> {
  const r = await cli("log", "-n", "50", "-o", "json");
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RequestTrace);
}

/** The pipeline step names of a trace, in order, without repeats (a step may write several lines). */
function stepNames(t: RequestTrace): string[] {
  return t.steps.map((s) => s.step).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

before(async () => {
  h = await startTestHsmlink();
  seedHsm(h, "tracehsm");
  await grant(h, "tracehsm", h.endpoints.principalObjectId, ROLE.cryptoUser);
  seedHowTo(h);
  await createVm(h, "vm1", "vnet1");
});
after(async () => h?.dispose());

test("a request refused by local RBAC: hsmlink log shows every step through rbac, with the rbac rule and the refusal", async () => {
  const { principal } = h.identity.createServicePrincipal("trace-no-role");
  const r = await hsmCall(h, "tracehsm", "GET", `/keys?${API}`, { token: await hsmToken(h, principal) });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "AccessDenied");
  const t = (await logTraces()).find((x) => x.requestId === r.headers["x-ms-request-id"]);
  assert.ok(t, "the request is in hsmlink log");
  assert.deepEqual(stepNames(t), [
    "vantage",
    "dns",
    "route",
    "tls",
    "fault",
    "authentication",
    "network",
    "activation",
    "rbac",
    "outcome",
  ]);
  const rbac = t.steps.find((s) => s.step === "rbac")!;
  assert.equal(rbac.rule, "no-role-assignment");
  assert.match(rbac.detail, /Microsoft\.KeyVault\/managedHsm\/keys\/read\/action/);
  assert.equal(t.steps.find((s) => s.step === "authentication")!.rule, "authenticated");
  assert.deepEqual(t.outcome, {
    status: 403,
    code: "AccessDenied",
    message: "Not authorized to access Microsoft.KeyVault/managedHsm/keys/read/action on /keys",
  });
  const table = await cli("log", "-n", "50");
  assert.match(table.stdout, /\n {2}rbac +no-role-assignment +no role assignment at \/keys or above grants oid /);
});

test("a 401 (no bearer token): hsmlink log shows the authentication step that refused it and nothing after it", async () => {
  const r = await hsmCall(h, "tracehsm", "GET", `/keys?${API}`, { token: false });
  assert.equal(r.status, 401);
  const t = (await logTraces()).find((x) => x.requestId === r.headers["x-ms-request-id"]);
  assert.ok(t, "the request is in hsmlink log");
  assert.deepEqual(stepNames(t), ["vantage", "dns", "route", "tls", "fault", "authentication", "outcome"]);
  assert.equal(t.steps.find((s) => s.step === "authentication")!.rule, "no-bearer-token");
  assert.equal(t.outcome?.status, 401);
});

test("a request that is served: its trace passes every pipeline step in the pipeline's order", async () => {
  const r = await hsmCall(h, "tracehsm", "GET", `/keys?${API}`);
  assert.equal(r.status, 200, r.text);
  const t = (await logTraces()).find((x) => x.requestId === r.headers["x-ms-request-id"])!;
  assert.deepEqual(stepNames(t), [...PIPELINE_STEPS, "outcome"]);
  assert.equal(t.steps.find((s) => s.step === "operation")!.rule, "served");
});

test("hsmlink explain and hsmlink troubleshoot print the same steps for the same request", async () => {
  const url = "https://hsm1.managedhsm.azure.net/keys";
  const explained = await cli("explain", "--vm", "vm1", "GET", url, "-o", "json");
  assert.equal(explained.code, 0, explained.stderr);
  const e = JSON.parse(explained.stdout) as RequestTrace;
  assert.ok(e.steps.some((s) => s.step === "network" && s.rule === "private-endpoint-approved"));
  const ts = await cli("troubleshoot", "--hsm", "hsm1", "-g", "rg1", "--vm", "vm1", "-o", "json");
  const report = JSON.parse(ts.stdout) as {
    trace: { method: string; url: string; vantage: string; steps: RequestTrace["steps"] };
  };
  assert.equal(report.trace.url, url);
  assert.equal(report.trace.vantage, "vm1");
  assert.deepEqual(report.trace.steps, e.steps);
  const table = await cli("troubleshoot", "--hsm", "hsm1", "-g", "rg1", "--vm", "vm1");
  const explainTable = await cli("explain", "--vm", "vm1", "GET", url);
  const stepLines = (text: string) => text.split("\n").filter((l) => /^ {2}\S/.test(l));
  assert.ok(stepLines(explainTable.stdout).length >= 8);
  assert.deepEqual(stepLines(table.stdout), stepLines(explainTable.stdout));
});
