// The installed CLI runs from the one-file bundle `npm run build` writes (dist/cli/hsmlink.mjs, scripts/bundle.mjs):
// `node bin/hsmlink.js` starts it, and the paths its sources take relative to their own module — package.json for
// --version, the crypto worker pool's worker file, the portal's client — must resolve from the bundle as they do
// from dist/. Proved with the unmodified @azure/keyvault-keys SDK (RSA through the worker pool, EC, AES) against a
// seeded managed HSM, and the portal page and its client script.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runNodeClient } from "../support/node-client.js";
import { clientEnvironment } from "../../src/cli/env.js";
import type { Endpoints } from "../../src/client/endpoints.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/hsmlink.js");
const BUNDLE = join(ROOT, "dist/cli/hsmlink.mjs");
const MAIN = join(ROOT, "dist/cli/main.js");
const SCRIPT = fileURLToPath(new URL("./sdk/keyvault-keys-hsm.ts", import.meta.url));
const fresh = existsSync(BUNDLE) && existsSync(MAIN) && statSync(BUNDLE).mtimeMs >= statSync(MAIN).mtimeMs;
const skip = fresh
  ? false
  : "dist/cli/hsmlink.mjs is missing or older than dist/cli/main.js (npm run build writes it): the bundle test needs it";
if (skip) console.error(`SKIPPED tests/clients/bundle.test.ts: ${skip}`);

const SEED = `hsmlinkSeed: 1
resourceGroups:
  - name: rg-bundle
    location: westeurope
managedHsms:
  - name: bundlehsm
    resourceGroup: rg-bundle
    location: westeurope
    administrators: [default]
    retentionDays: 7
    activated: true
    roleAssignments:
      - role: Managed HSM Crypto User
        principal: default
`;

let dir: string;
let child: ChildProcess | undefined;
let ready = "";

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "hsmlink-bundle-"));
  writeFileSync(join(dir, "world.seed.yaml"), SEED);
  const ports = ["--gateway-port", "--https-port", "--msi-port", "--dns-port", "--portal-port"].flatMap((p) => [
    p,
    "0",
  ]);
  child = spawn(
    process.execPath,
    [
      BIN,
      "start",
      "--data-dir",
      join(dir, "data"),
      ...ports,
      "--log-level",
      "warn",
      "--seed",
      join(dir, "world.seed.yaml"),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } },
  );
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 60 s: ${err}`)), 60_000);
    child!.stdout!.on("data", (d) => {
      ready += d;
      if (ready.includes("hsmlink ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.on("exit", (code) => reject(new Error(`hsmlink exited (${code}): ${err}`)));
  });
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.on("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("bin/hsmlink.js runs the bundle: --version reads package.json from it", { skip }, () => {
  const r = spawnSync(process.execPath, [BIN, "--version"], { encoding: "utf8" });
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("the bundled server signs, decrypts (worker pool) and wraps through the official SDK", { skip }, async () => {
  const data = join(dir, "data");
  const e = JSON.parse(readFileSync(join(data, "endpoints.json"), "utf8")) as Endpoints;
  const secret = readFileSync(join(data, "instance-secret"), "utf8").trim();
  const env: NodeJS.ProcessEnv = { HSMLINK_RSA_SIZES: "2048" };
  for (const k of ["PATH", "HOME", "LANG", "TMPDIR"]) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of clientEnvironment(e, undefined, secret)) env[k] = v;
  const r = await runNodeClient(SCRIPT, env, ["crypto", "bundlehsm"]);
  assert.ok(r.json, `no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const j = r.json;
  assert.equal(j.ok, true, JSON.stringify(j).slice(0, 3000));
  for (const alg of ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"]) assert.equal(j.rsa["2048"][alg], true, `RSA ${alg}`);
  assert.deepEqual(j.ec["P-256"], { keyType: "EC-HSM", crv: "P-256", ok: true, sigBytes: 64 });
  assert.equal(j.oct[256]["A256GCM"], true);
});

test("the bundled portal serves its page, the prebuilt client and the layout worker", { skip }, async () => {
  const e = JSON.parse(readFileSync(join(dir, "data", "endpoints.json"), "utf8")) as Endpoints;
  assert.ok(e.portalUrl, "endpoints.json names the portal");
  const page = await fetch(new URL("/", e.portalUrl));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const app = await fetch(new URL("/assets/app.js", e.portalUrl));
  assert.equal(app.status, 200);
  assert.equal(await app.text(), readFileSync(join(ROOT, "dist/portal/web/app.js"), "utf8"));
  const elk = await fetch(new URL("/assets/elk-worker.min.js", e.portalUrl));
  assert.equal(elk.status, 200);
  assert.ok((await elk.arrayBuffer()).byteLength > 1000);
});
