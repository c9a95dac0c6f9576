// The last-resort guard `hsmlink start` installs (issue 17, item 1): an exception thrown outside any handler and a
// promise rejection nobody handles are logged, and the process keeps running (Node 20 exits on either otherwise).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

function runChild(code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (c) => (clearTimeout(t), resolve({ code: c, stdout, stderr })));
  });
}

const ESCAPES = `
setTimeout(() => { throw new Error("boom from a timer"); }, 10);
Promise.reject(new Error("nobody handles this"));
setTimeout(() => { console.log("still alive"); process.exit(0); }, 300);
`;

test("with the guard, an uncaught exception and an unhandled rejection are logged and the process keeps running", async () => {
  const r = await runChild(
    `import { installLastResortGuard } from "./src/server/last-resort.ts"; installLastResortGuard();${ESCAPES}`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /still alive/);
  assert.match(r.stderr, /hsmlink: uncaught exception \(kept serving; please report it\): Error: boom from a timer/);
  assert.match(
    r.stderr,
    /hsmlink: unhandled promise rejection \(kept serving; please report it\): Error: nobody handles this/,
  );
});

test("without it the same process dies (what the guard prevents)", async () => {
  const r = await runChild(ESCAPES);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stdout, /still alive/);
});

test("hsmlink start installs the guard before it starts listening", () => {
  const main = readFileSync(join(ROOT, "src/cli/main.ts"), "utf8");
  const install = main.indexOf("installLastResortGuard();");
  assert.ok(
    install > 0 && install < main.indexOf("await startHsmlink(config)"),
    "hsmlink start does not install the guard first",
  );
});
