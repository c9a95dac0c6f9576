// What a new user trips over, through the real `hsmlink` CLI: a mistyped --vm, a stale endpoints.json after
// kill -9, explain's exit codes and wording, the gateway's refusals in `hsmlink log`, --version, an unknown
// --location, a taken port, and a quiet foreground at the default log level.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:https";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { EPHEMERAL_PORTS, runHsmlinkCli, startHsmlinkProcess } from "../support/hsmlink-cli.js";
import { seedHowTo, createVm } from "../http/network-isolation/topology.js";

const scratch = mkdtempSync(join(tmpdir(), "hsmlink-cli-usability-"));
let h: TestHsmlink;

before(async () => {
  h = await startTestHsmlink();
  seedHowTo(h);
  await createVm(h, "vm1", "vnet1");
});
after(async () => {
  await h?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs the CLI against this file's hsmlink (asynchronously: hsmlink runs in this process and must keep answering). */
async function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  const r = await runHsmlinkCli(args, { ...process.env, HSMLINK_HOME: h.config.dataDir, ...env });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

test("--version prints the package version", async () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  const r = await cli(["--version"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("env --vm with a VM that does not exist: exit 1 and the list of VMs; an existing VM works", async () => {
  const bad = await cli(["env", "--vm", "nosuchvm"]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, "", "nothing to eval");
  assert.match(bad.stderr, /VM 'nosuchvm' does not exist in the running hsmlink; VMs: vm1/);
  const good = await cli(["env", "--vm", "vm1"]);
  assert.equal(good.status, 0, good.stderr);
  assert.ok(good.stdout.includes(`HTTPS_PROXY='http://vm1:${h.secret}@`), good.stdout);
});

test("a stale endpoints.json (its pid is gone, as after kill -9) is reported as not running, exit 1", async () => {
  const dead = spawn(process.execPath, ["-e", ""]);
  const pid = dead.pid!;
  await new Promise((r) => dead.once("exit", r));
  const dir = join(scratch, "stale");
  mkdirSync(dir, { recursive: true });
  const stale = { ...h.endpoints, dataDir: dir, pid };
  writeFileSync(join(dir, "endpoints.json"), JSON.stringify(stale));
  for (const args of [["env"], ["vm", "list"], ["log"], ["explain", "GET", "https://management.azure.com/"]]) {
    const r = await cli([...args, "--data-dir", dir]);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`hsmlink is not running .*stale endpoints\\.json from pid ${pid}`));
  }
});

test("explain: refusals exit 1, allowed requests exit 0 without claiming a 200, a bad method is a usage error", async () => {
  const arm = await cli(["explain", "GET", "https://management.azure.com/subscriptions"]);
  assert.equal(arm.status, 0, arm.stderr);
  assert.match(
    arm.stdout,
    /EXPLAIN GET https:\/\/management\.azure\.com\/subscriptions from internet → Azure RBAC allows; the operation not evaluated/,
  );
  assert.match(arm.stdout, /rbac\s+unchecked/);
  assert.doesNotMatch(arm.stdout, /→ 200|NXDOMAIN/);
  const google = await cli(["explain", "GET", "https://www.google.com/"]);
  assert.equal(google.status, 1);
  assert.match(google.stdout, /→ 403/);
  assert.match(google.stdout, /not an emulated Azure host/);
  const plain = await cli(["explain", "GET", "http://hsm1.managedhsm.azure.net/keys"]);
  assert.equal(plain.status, 1);
  assert.match(plain.stdout, /refusing plain-http request/);
  const foo = await cli(["explain", "FOO", "https://hsm1.managedhsm.azure.net/keys"]);
  assert.equal(foo.status, 2);
  assert.match(foo.stderr, /'FOO' is not a method explain knows; use one of GET, PUT, POST, PATCH, DELETE, HEAD/);
});

test("hsmlink log shows the gateway's refusals (vantage, host, reason)", async () => {
  const gw = new URL(h.endpoints.gatewayUrl);
  await new Promise<void>((resolve, reject) => {
    const s = connect(Number(gw.port), gw.hostname, () =>
      s.write(
        `CONNECT hsm1.managedhsm.azure.net:443 HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic ${Buffer.from("nosuchvm:x").toString("base64")}\r\n\r\n`,
      ),
    );
    s.on("data", () => undefined);
    s.on("end", () => resolve());
    s.on("error", reject);
  });
  const r = await cli(["log", "-n", "500"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /CONNECT hsm1\.managedhsm\.azure\.net:443 from nosuchvm → 407 \(refused by the gateway\)/);
  assert.match(r.stdout, /gateway\s+unknown-proxy-user\s+proxy user 'nosuchvm' names no VM/);
});

test("start --location with an unknown region exits 2 naming the known regions", async () => {
  const r = await cli([
    "start",
    "--data-dir",
    join(scratch, "loc"),
    "--in-memory",
    ...EPHEMERAL_PORTS,
    "--location",
    "marsnorth",
  ]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--location: 'marsnorth' is not an Azure region hsmlink knows; use one of .*westeurope/);
});

test("a taken port: the message names the flag that asked for it", async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const r = await cli([
      "start",
      "--data-dir",
      join(scratch, "busy"),
      "--in-memory",
      ...EPHEMERAL_PORTS,
      "--msi-port",
      String(port),
    ]);
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `port ${port} on 127\\.0\\.0\\.1 is already in use; it was asked for by --msi-port \\(env HSMLINK_MSI_PORT\\)`,
      ),
    );
  } finally {
    blocker.close();
  }
});

/** Starts a foreground hsmlink at `level`, sends 5 requests, stops it; returns what it printed (stdout and stderr). */
async function foregroundOutput(level: string): Promise<string> {
  const dir = join(scratch, `log-${level}`);
  const hsmlink = await startHsmlinkProcess(dir, { args: ["--in-memory"], logLevel: level });
  const e = hsmlink.endpoints;
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve, reject) => {
      request(new URL("/healthz", e.httpsUrl), { ca: readFileSync(e.caCertPath) }, (res) => {
        res.resume();
        res.on("end", () => resolve());
      })
        .on("error", reject)
        .end();
    });
  }
  await hsmlink.stop();
  return hsmlink.output();
}

test("the default log level prints no line per request; --log-level debug does", async () => {
  const info = await foregroundOutput("info");
  assert.doesNotMatch(info, /incoming request|request completed/);
  const debug = await foregroundOutput("debug");
  assert.match(debug, /incoming request/);
  assert.ok((debug.match(/request completed/g) ?? []).length >= 5);
});
