/**
 * hsmlink benchmark: `npm run bench [-- --quick]`. Prints a table and writes bench/results.json.
 *
 * hsmlink runs as a child process (`hsmlink start`, through tsx when dist/ is not built); this process is the load
 * generator. Each row keeps the raw figures (opsPerSec, baselineOpsPerSec, p50Ms, p99Ms) next to `ratio`
 * (opsPerSec / baselineOpsPerSec).
 *  - rsa2048Sign: RS256 sign through the full path (gateway CONNECT + TLS, auth, firewall, RBAC), keep-alive,
 *    `concurrency` requests in flight; baseline: the same signatures with node:crypto on worker threads (one per core).
 *  - aes256Wrap: A256KW wrapKey through the full path; baseline: a bare Node https server (child process) answering a
 *    fixed JSON of the same size, same client and concurrency (direct, no tunnel).
 *  - dns: dnsperf vs dnsmasq, when both are installed.
 *  - startupMs: `hsmlink start` to its ready line on an existing data dir, median of 3; idleRssMb: RSS of that process
 *    once ready and idle (median).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect as tlsConnect } from "node:tls";
import type { Duplex } from "node:stream";
import { availableParallelism, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { randomBytes, randomUUID, webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
const DURATION_MS = QUICK ? 3_000 : 10_000;
const WARMUP_MS = QUICK ? 500 : 2_000;
const CORES = Math.max(1, availableParallelism());
const CONCURRENCY = 16;
const CRYPTO_USER = "21dbd100-6940-42c2-9190-5d6cb909625b";
const HSM = "benchhsm";

interface Endpoints {
  gatewayUrl: string;
  httpsUrl: string;
  msiEndpoint: string;
  dns: { host: string; port: number };
  caCertPath: string;
  subscriptionId: string;
  tenantId: string;
  principalObjectId: string;
}

// ---------------------------------------------------------------- hsmlink child process

function hsmlinkCommand(dataDir: string): [string, string[]] {
  const args = ["start", "--data-dir", dataDir, "--gateway-port", "0", "--https-port", "0", "--msi-port", "0", "--dns-port", "0", "--log-level", "warn"];
  if (existsSync(join(ROOT, "dist/cli/main.js"))) return [process.execPath, [join(ROOT, "bin/hsmlink.js"), ...args]];
  return [process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args]];
}

/** Starts `hsmlink start` and resolves once it printed its ready line. */
function startChild(dataDir: string): Promise<{ child: ChildProcess; ms: number }> {
  const t0 = performance.now();
  const [cmd, args] = hsmlinkCommand(dataDir);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("hsmlink ready")) resolve({ child, ms: performance.now() - t0 });
    });
    child.on("exit", (code) => reject(new Error(`hsmlink exited (${code}) before ready: ${err}${out}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
}

// ---------------------------------------------------------------- HTTP plumbing

/** An https.Agent whose sockets are CONNECT tunnels through hsmlink's gateway (keep-alive, one tunnel per socket). */
class TunnelAgent extends HttpsAgent {
  constructor(
    private readonly gateway: URL,
    private readonly caPem: string,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(options: { host?: string | null; servername?: string }, cb: (err: Error | null, s?: Duplex) => void): Duplex | undefined {
    const host = options.servername ?? options.host ?? "";
    const req = httpRequest({ host: this.gateway.hostname, port: Number(this.gateway.port), method: "CONNECT", path: `${host}:443`, headers: { host: `${host}:443` } });
    req.on("connect", (res: IncomingMessage, socket) => {
      if (res.statusCode !== 200) return cb(new Error(`CONNECT ${host}: ${res.statusCode}`));
      socket.setNoDelay(true);
      cb(null, tlsConnect({ socket, servername: host, ca: this.caPem }));
    });
    req.on("error", (e) => cb(e));
    req.end();
    return undefined;
  }
}

interface Res {
  status: number;
  text: string;
}

function call(url: string, method: string, opts: { agent?: HttpsAgent; ca?: string; token?: string; body?: unknown; rawBody?: Buffer } = {}): Promise<Res> {
  const payload = opts.rawBody ?? (opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body)));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        agent: opts.agent,
        ca: opts.ca,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          "content-type": "application/json",
          "content-length": String(payload?.length ?? 0),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function msiToken(e: Endpoints, resource: string): Promise<string> {
  const r = await fetch(`${e.msiEndpoint}?resource=${encodeURIComponent(resource)}`, { headers: { Metadata: "true" } });
  if (!r.ok) throw new Error(`MSI token for ${resource}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

function expect(r: Res, statuses: number[], what: string): any {
  if (!statuses.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text) : undefined;
}

// ---------------------------------------------------------------- load loop

interface LoadResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** Closed loop: `concurrency` workers each issue `op` back to back for warm-up + duration; measures the latter. */
async function load(op: () => Promise<number>, concurrency = CONCURRENCY): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  let measuring = false;
  const tWarm = performance.now() + WARMUP_MS;
  const tEnd = tWarm + DURATION_MS;
  let firstErr = "";
  const worker = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= tEnd) return;
      if (!measuring && t0 >= tWarm) measuring = true;
      let status = 0;
      try {
        status = await op();
      } catch (e) {
        firstErr ||= String(e);
      }
      if (t0 >= tWarm) {
        if (status === 200) lat.push(performance.now() - t0);
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (errors) console.error(`  ${errors} failed requests${firstErr ? ` (first: ${firstErr})` : ""}`);
  lat.sort((a, b) => a - b);
  return { opsPerSec: round(lat.length / (DURATION_MS / 1000), 1), p50Ms: round(percentile(lat, 50)), p99Ms: round(percentile(lat, 99)), errors };
}

// ---------------------------------------------------------------- baselines

const SIGN_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createPrivateKey, sign, randomBytes } = require("node:crypto");
const key = createPrivateKey(workerData.pem);
const data = randomBytes(32);
const lat = [];
const tWarm = Date.now() + workerData.warmupMs, tEnd = tWarm + workerData.durationMs;
for (;;) {
  const t0 = performance.now();
  const now = Date.now();
  if (now >= tEnd) break;
  sign("sha256", data, key);
  if (now >= tWarm) lat.push(performance.now() - t0);
}
parentPort.postMessage(lat);
`;

async function signBaseline(): Promise<LoadResult> {
  const { generateKeyPairSync } = await import("node:crypto");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" });
  const all = await Promise.all(
    Array.from({ length: CORES }, () => new Promise<number[]>((resolve, reject) => {
      const w = new Worker(SIGN_WORKER, { eval: true, workerData: { pem, warmupMs: WARMUP_MS, durationMs: DURATION_MS } });
      w.once("message", resolve);
      w.once("error", reject);
    })),
  );
  const lat = all.flat().sort((a, b) => a - b);
  return { opsPerSec: round(lat.length / (DURATION_MS / 1000), 1), p50Ms: round(percentile(lat, 50), 3), p99Ms: round(percentile(lat, 99), 3), errors: 0 };
}

async function selfSigned(): Promise<{ keyPem: string; certPem: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString("hex"),
    name: "CN=localhost",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "localhost" }, { type: "ip", value: "127.0.0.1" }])],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString("pem") + "\n" };
}

const BARE_SERVER = `
const https = require("node:https");
const body = Buffer.from(process.env.BENCH_BODY);
const s = https.createServer({ key: process.env.BENCH_KEY, cert: process.env.BENCH_CERT, keepAliveTimeout: 60000 }, (req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length }); res.end(body); });
});
s.listen(0, "127.0.0.1", () => console.log("port " + s.address().port));
`;

function startBareServer(body: string, tls: { keyPem: string; certPem: string }): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["-e", BARE_SERVER], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_OPTIONS: "", BENCH_BODY: body, BENCH_KEY: tls.keyPem, BENCH_CERT: tls.certPem } });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (c) => reject(new Error(`bare server exited ${c}`)));
  });
}

// ---------------------------------------------------------------- DNS

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

// ---------------------------------------------------------------- main

interface Row {
  opsPerSec?: number;
  baselineOpsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  baselineP50Ms?: number;
  baselineP99Ms?: number;
  ratio?: number;
  skipped?: string;
  [k: string]: unknown;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { quick: QUICK, cores: CORES, concurrency: CONCURRENCY, durationMs: DURATION_MS, node: process.version, date: new Date().toISOString() };
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-bench-"));
  let server: ChildProcess | undefined;
  try {
    console.error(`bench: ${QUICK ? "quick" : "full"} run, ${CORES} cores, data dir ${dataDir}`);
    server = (await startChild(dataDir)).child;
    const e = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
    const ca = readFileSync(e.caCertPath, "utf8");

    // --- setup through ARM and the data plane
    const armToken = await msiToken(e, "https://management.azure.com/");
    const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
    expect(await call(`${e.httpsUrl}${rg}?api-version=2021-04-01`, "PUT", { ca, token: armToken, body: { location: "westeurope" } }), [200, 201], "create resource group");
    const hsmBody = {
      location: "westeurope",
      sku: { family: "B", name: "Standard_B1" },
      properties: { tenantId: e.tenantId, initialAdminObjectIds: [e.principalObjectId], enableSoftDelete: true, softDeleteRetentionInDays: 7, networkAcls: { bypass: "AzureServices", defaultAction: "Allow" } },
    };
    const hsmUrl = `${e.httpsUrl}${rg}/providers/Microsoft.KeyVault/managedHSMs/${HSM}?api-version=2022-07-01`;
    expect(await call(hsmUrl, "PUT", { ca, token: armToken, body: hsmBody }), [200, 201, 202], "create managed HSM");
    // The PUT may answer 202 (a long-running operation): poll the resource until it is provisioned.
    for (let i = 0; ; i++) {
      const got = expect(await call(hsmUrl, "GET", { ca, token: armToken }), [200, 404], "get managed HSM");
      if (got?.properties?.provisioningState === "Succeeded") break;
      if (i > 100) throw new Error(`managed HSM not provisioned: ${JSON.stringify(got)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const agent = new TunnelAgent(new URL(e.gatewayUrl), ca, { keepAlive: true, maxSockets: CONCURRENCY });
    const hsmToken = await msiToken(e, "https://managedhsm.azure.net");
    const base = `https://${HSM}.managedhsm.azure.net`;
    const dp = (method: string, path: string, body?: unknown) => call(`${base}${path}${path.includes("?") ? "&" : "?"}api-version=7.4`, method, { agent, token: hsmToken, body });
    expect(await dp("PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`, principalId: e.principalObjectId } }), [201], "role assignment");
    const rsa = expect(await dp("POST", "/keys/bench-rsa/create", { kty: "RSA-HSM", key_size: 2048 }), [200], "create RSA key");
    const aes = expect(await dp("POST", "/keys/bench-aes/create", { kty: "oct-HSM", key_size: 256 }), [200], "create AES key");

    // --- rsa2048Sign
    const digest = randomBytes(32).toString("base64url");
    const signPath = `${new URL(rsa.key.kid).pathname}/sign`;
    const check = expect(await dp("POST", signPath, { alg: "RS256", value: digest }), [200], "sign");
    if (Buffer.from(check.value, "base64url").length !== 256) throw new Error("sign: unexpected signature length");
    console.error("rsa2048Sign: full path …");
    const sign = await load(async () => (await dp("POST", signPath, { alg: "RS256", value: digest })).status);
    console.error("rsa2048Sign: node:crypto baseline …");
    const signBase = await signBaseline();
    results["rsa2048Sign"] = row(sign, signBase);

    // --- aes256Wrap
    const cek = randomBytes(32).toString("base64url");
    const wrapPath = `${new URL(aes.key.kid).pathname}/wrapkey`;
    const sample = await dp("POST", wrapPath, { alg: "A256KW", value: cek });
    expect(sample, [200], "wrapKey");
    console.error("aes256Wrap: full path …");
    const wrap = await load(async () => (await dp("POST", wrapPath, { alg: "A256KW", value: cek })).status);
    console.error("aes256Wrap: bare https baseline …");
    const bareTls = await selfSigned();
    const bare = await startBareServer(sample.text, bareTls);
    try {
      const bareAgent = new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY, ca: bareTls.certPem });
      const bareUrl = `https://localhost:${bare.port}/keys/bench-aes/wrapkey`;
      const payload = Buffer.from(JSON.stringify({ alg: "A256KW", value: cek }));
      const wrapBase = await load(async () => (await call(bareUrl, "POST", { agent: bareAgent, token: hsmToken, rawBody: payload })).status);
      bareAgent.destroy();
      results["aes256Wrap"] = { ...row(wrap, wrapBase), responseBytes: Buffer.byteLength(sample.text) };
    } finally {
      await stopChild(bare.child);
    }
    agent.destroy();

    // --- dns
    if (which("dnsperf") && which("dnsmasq")) {
      results["dns"] = { skipped: "dnsperf/dnsmasq comparison not implemented in this version" };
    } else {
      results["dns"] = { skipped: "dnsperf/dnsmasq not installed" };
    }

    await stopChild(server);
    server = undefined;

    // --- startupMs / idleRssMb on the existing data dir
    console.error("startup: 3 runs …");
    const startups: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { child, ms } = await startChild(dataDir);
      startups.push(round(ms, 1));
      await new Promise((r) => setTimeout(r, 1_000));
      rss.push(rssMb(child.pid!));
      await stopChild(child);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    results["startupMs"] = median(startups);
    results["startupRunsMs"] = startups;
    results["startupVia"] = existsSync(join(ROOT, "dist/cli/main.js")) ? "bin/hsmlink.js (dist)" : "node --import tsx src/cli/main.ts (dist not built; includes tsx compile time)";
    results["idleRssMb"] = median(rss);
  } finally {
    if (server) await stopChild(server);
    rmSync(dataDir, { recursive: true, force: true });
  }

  writeFileSync(join(ROOT, "bench/results.json"), JSON.stringify(results, null, 2) + "\n");
  printTable(results);
}

function row(r: LoadResult, b: LoadResult): Row {
  return { opsPerSec: r.opsPerSec, baselineOpsPerSec: b.opsPerSec, ratio: round(r.opsPerSec / b.opsPerSec, 3), p50Ms: r.p50Ms, p99Ms: r.p99Ms, baselineP50Ms: b.p50Ms, baselineP99Ms: b.p99Ms, errors: r.errors };
}

function printTable(results: Record<string, unknown>): void {
  const lines = ["| metric | ops/s | baseline ops/s | ratio | p50 ms | p99 ms | baseline p50/p99 ms |", "|---|---|---|---|---|---|---|"];
  for (const k of ["rsa2048Sign", "aes256Wrap", "dns"]) {
    const r = results[k] as Row | undefined;
    if (!r) continue;
    if (r.skipped) lines.push(`| ${k} | skipped: ${r.skipped} | | | | | |`);
    else lines.push(`| ${k} | ${r.opsPerSec} | ${r.baselineOpsPerSec} | ${r.ratio} | ${r.p50Ms} | ${r.p99Ms} | ${r.baselineP50Ms} / ${r.baselineP99Ms} |`);
  }
  lines.push(`| startupMs (median of 3) | ${results["startupMs"]} | | | | | |`, `| idleRssMb | ${results["idleRssMb"]} | | | | | |`);
  console.log(lines.join("\n"));
  console.log(`(written to bench/results.json; ${results["quick"] ? "quick" : "full"} run, ${results["cores"]} cores, concurrency ${results["concurrency"]})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
