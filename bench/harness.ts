/**
 * Shared harness of the hsmlink benchmark (bench/run.ts runs the rows in bench/rows/): run options, the hsmlink child
 * process, CPU pinning, HTTP plumbing (a CONNECT-tunnel agent through hsmlink's gateway), the closed-loop load
 * generator, CPU time per operation, and the baselines (node:crypto in a process of its own, a bare https server).
 *
 * Pinning: on a machine with two or more cores (and `taskset` from util-linux), hsmlink and every baseline server
 * run on the "server" cores (all but the last) and this load generator, its threads and the tools it starts
 * (dnsperf) on the last core, so a ratio compares two servers that had the same CPU and the load generator never
 * competes with them. BENCH_PIN=0 turns this off. results.json records the sets used.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions } from "node:https";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect as tlsConnect } from "node:tls";
import type { Duplex } from "node:stream";
import { availableParallelism } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes, webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { ADMIN_SECRET_HEADER, INTERNET_PROXY_USER } from "../src/kernel/instance-secret.js";
import { readInstanceSecret } from "../src/client/endpoints.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const QUICK = process.argv.includes("--quick");
/** `--only=dns,walkthrough`: run just those rows (after the setup), no startup/scale rows; for working on one row. */
export const ONLY = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
export const want = (row: string) => !ONLY || ONLY.includes(row);
export const DURATION_MS = QUICK ? 3_000 : 10_000;
export const WARMUP_MS = QUICK ? 500 : 2_000;
export const CORES = Math.max(1, availableParallelism());

/** The CPU sets hsmlink (and the baselines) and the load generator run on, or undefined when not pinned. */
export const PINNING: { server: string; client: string } | undefined = (() => {
  if (process.env["BENCH_PIN"] === "0" || CORES < 2 || spawnSync("sh", ["-c", "command -v taskset"]).status !== 0)
    return undefined;
  const client = String(CORES - 1);
  const server = CORES === 2 ? "0" : `0-${CORES - 2}`;
  // pin this process and all its threads now, so every worker and child it starts inherits the client core
  const r = spawnSync("taskset", ["-a", "-c", "-p", client, String(process.pid)]);
  return r.status === 0 ? { server, client } : undefined;
})();
/** Cores the server side may use (what hsmlink's worker pool and the crypto baseline's workers size to). */
export const SERVER_CORES = PINNING ? CORES - 1 : CORES;

/** `[cmd, args]` prefixed with `taskset -c <server cores>` when pinning. */
export function onServerCores(cmd: string, args: string[]): [string, string[]] {
  return PINNING ? ["taskset", ["-c", PINNING.server, cmd, ...args]] : [cmd, args];
}
export const CONCURRENCY = 16;
export const CRYPTO_USER = "21dbd100-6940-42c2-9190-5d6cb909625b";
export const HSM = "benchhsm";

export interface Endpoints {
  gatewayUrl: string;
  httpsUrl: string;
  msiEndpoint: string;
  dns: { host: string; port: number };
  caCertPath: string;
  subscriptionId: string;
  tenantId: string;
  principalObjectId: string;
  location: string;
  dataDir: string;
  pid: number;
}

/**
 * The running hsmlink's instance secret (`<data dir>/instance-secret`): the admin API (`/_hsmlink/*`) and the
 * managed identity endpoint refuse requests without it, and it is the proxy password of `hsmlink env`'s proxy URL.
 */
export function instanceSecret(e: Endpoints): string {
  return readInstanceSecret(e.dataDir);
}

// ---------------------------------------------------------------- hsmlink child process

export function hsmlinkCommand(dataDir: string): [string, string[]] {
  const args = [
    "start",
    "--data-dir",
    dataDir,
    "--gateway-port",
    "0",
    "--https-port",
    "0",
    "--msi-port",
    "0",
    "--dns-port",
    "0",
    "--portal-port",
    "0",
    "--log-level",
    "warn",
    "--activate-new-hsms",
  ];
  // BENCH_HSMLINK_NODE_ARGS: extra node flags for the hsmlink process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env["BENCH_HSMLINK_NODE_ARGS"] ?? "").split(/\s+/).filter(Boolean);
  if (existsSync(join(ROOT, "dist/cli/main.js")))
    return onServerCores(process.execPath, [...nodeArgs, join(ROOT, "bin/hsmlink.js"), ...args]);
  return onServerCores(process.execPath, [...nodeArgs, "--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args]);
}

/** Starts `hsmlink start` and resolves once it printed its ready line. */
export function startChild(dataDir: string): Promise<{ child: ChildProcess; ms: number }> {
  const t0 = performance.now();
  const [cmd, args] = hsmlinkCommand(dataDir);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
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

export function stopChild(child: ChildProcess): Promise<void> {
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

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
}

// ---------------------------------------------------------------- HTTP plumbing

/**
 * An https.Agent whose sockets are CONNECT tunnels through hsmlink's gateway (keep-alive, one tunnel per socket).
 * With `secret`, each CONNECT carries the proxy credentials of `hsmlink env`'s proxy URL (user `_internet`, the
 * instance secret as password), as real clients configured by `hsmlink env` send them.
 */
export class TunnelAgent extends HttpsAgent {
  private readonly proxyAuthorization: string | undefined;

  constructor(
    private readonly gateway: URL,
    private readonly caPem: string,
    opts: AgentOptions,
    secret?: string,
  ) {
    super(opts);
    this.proxyAuthorization =
      secret === undefined ? undefined : `Basic ${Buffer.from(`${INTERNET_PROXY_USER}:${secret}`).toString("base64")}`;
  }

  override createConnection(
    options: { host?: string | null; servername?: string },
    cb: (err: Error | null, s?: Duplex) => void,
  ): Duplex | undefined {
    const host = options.servername ?? options.host ?? "";
    const req = httpRequest({
      host: this.gateway.hostname,
      port: Number(this.gateway.port),
      method: "CONNECT",
      path: `${host}:443`,
      headers: {
        host: `${host}:443`,
        ...(this.proxyAuthorization ? { "proxy-authorization": this.proxyAuthorization } : {}),
      },
    });
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

export interface Res {
  status: number;
  text: string;
}

/** One HTTPS request; `secret` sends the instance secret in the admin API's header (for `/_hsmlink/*`). */
export function call(
  url: string,
  method: string,
  opts: { agent?: HttpsAgent; ca?: string; token?: string; body?: unknown; rawBody?: Buffer; secret?: string } = {},
): Promise<Res> {
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
          ...(opts.secret ? { [ADMIN_SECRET_HEADER]: opts.secret } : {}),
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

/** A token from the managed identity endpoint, sending the instance secret as @azure/identity does (IDENTITY_HEADER). */
export async function msiToken(e: Endpoints, resource: string): Promise<string> {
  const r = await fetch(`${e.msiEndpoint}?resource=${encodeURIComponent(resource)}`, {
    headers: { Metadata: "true", "X-IDENTITY-HEADER": instanceSecret(e) },
  });
  if (!r.ok) throw new Error(`MSI token for ${resource}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

export function expect(r: Res, statuses: number[], what: string): any {
  if (!statuses.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text}`);
  return r.text ? JSON.parse(r.text) : undefined;
}

// ---------------------------------------------------------------- load loop

export interface LoadResult {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** CPU milliseconds per successful operation (warm-up included): the server (all threads) and this process. */
  serverCpuMsPerOp?: number;
  clientCpuMsPerOp?: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
export const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
/** CPU time (user + system, all threads) of process `pid`, in ms. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
export const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Closed loop: `concurrency` workers each issue `op` back to back for warm-up + duration; measures the latter.
 * With `serverPid`, also the CPU time per operation of that process and of this one, over the measured window only
 * (CPU read when the warm-up ends and at the end, divided by the operations completed in between), so connection
 * set-up, TLS handshakes and lazy loading during the warm-up are not charged to the row.
 */
export async function load(
  op: () => Promise<number>,
  serverPid?: number,
  concurrency = CONCURRENCY,
): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  let okMeasured = 0;
  let measuring = false;
  const tWarm = performance.now() + WARMUP_MS;
  const tEnd = tWarm + DURATION_MS;
  let firstErr = "";
  let cpu0 = 0;
  let self0 = 0;
  const startMeasuring = setTimeout(() => {
    cpu0 = serverPid ? procCpuMs(serverPid) : 0;
    self0 = selfCpuMs();
    measuring = true;
  }, WARMUP_MS);
  const worker = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= tEnd) return;
      let status = 0;
      try {
        status = await op();
      } catch (e) {
        firstErr ||= String(e);
      }
      if (status === 200 && measuring) okMeasured++;
      if (t0 >= tWarm) {
        if (status === 200) lat.push(performance.now() - t0);
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearTimeout(startMeasuring);
  const n = Math.max(1, okMeasured);
  const cpu =
    serverPid && measuring
      ? {
          serverCpuMsPerOp: round((procCpuMs(serverPid) - cpu0) / n, 3),
          clientCpuMsPerOp: round((selfCpuMs() - self0) / n, 3),
        }
      : {};
  if (errors) console.error(`  ${errors} failed requests${firstErr ? ` (first: ${firstErr})` : ""}`);
  lat.sort((a, b) => a - b);
  return {
    opsPerSec: round(lat.length / (DURATION_MS / 1000), 1),
    p50Ms: round(percentile(lat, 50)),
    p99Ms: round(percentile(lat, 99)),
    errors,
    ...cpu,
  };
}

/** Runs `fn(0..n-1)` with `concurrency` in flight. */
export async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Median and p99 wall time of `runs` sequential calls of `fn`, in ms. */
export async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ medianMs: number; p99Ms: number }> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return { medianMs: round(median(xs), 3), p99Ms: round(percentile(xs, 99), 3) };
}

// ---------------------------------------------------------------- baselines

export type CryptoOp = "rsaSign" | "rsaDecrypt" | "ecSign";

// The baseline process: one worker per server core doing `op` back to back with node:crypto; prints the latencies
// of the measured window and the CPU time the process spent in it (all threads).
const CRYPTO_BASELINE = `
const { Worker } = require("node:worker_threads");
const { warmupMs, durationMs, threads } = JSON.parse(process.env.BENCH_ARGS);
const WORKER = \`
const { parentPort, workerData } = require("node:worker_threads");
const c = require("node:crypto");
const key = c.createPrivateKey(workerData.pem);
const digest = c.randomBytes(32);
const oaep = { key, padding: c.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
const ct = workerData.op === "rsaDecrypt" ? c.publicEncrypt(oaep, c.randomBytes(32)) : undefined;
const op = workerData.op === "rsaSign" ? () => c.sign("sha256", digest, key)
  : workerData.op === "ecSign" ? () => c.sign("sha256", digest, { key, dsaEncoding: "ieee-p1363" })
  : () => c.privateDecrypt(oaep, ct);
const lat = [];
const tWarm = Date.now() + workerData.warmupMs, tEnd = tWarm + workerData.durationMs;
for (;;) {
  const t0 = performance.now();
  const now = Date.now();
  if (now >= tEnd) break;
  op();
  if (now >= tWarm) lat.push(performance.now() - t0);
}
parentPort.postMessage(lat);
\`;
let cpu0;
setTimeout(() => (cpu0 = process.cpuUsage()), warmupMs);
const workerData = { op: process.env.BENCH_OP, pem: process.env.BENCH_PEM, warmupMs, durationMs };
Promise.all(Array.from({ length: threads }, () => new Promise((resolve, reject) => {
  const w = new Worker(WORKER, { eval: true, workerData });
  w.once("message", resolve);
  w.once("error", reject);
}))).then((all) => {
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ lat: all.flat(), cpuMs: (cpu.user + cpu.system) / 1000 }));
});
`;

/**
 * `op` with node:crypto in a process of its own on the server cores (one worker thread per server core), as fast as
 * they go; `serverCpuMsPerOp` is that process's CPU time per operation in the measured window.
 */
export async function cryptoBaseline(op: CryptoOp): Promise<LoadResult> {
  const { generateKeyPairSync } = await import("node:crypto");
  const { privateKey } =
    op === "ecSign"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const [cmd, args] = onServerCores(process.execPath, ["-e", CRYPTO_BASELINE]);
  const out = await new Promise<string>((resolve, reject) => {
    const c = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        BENCH_OP: op,
        BENCH_PEM: pem,
        BENCH_ARGS: JSON.stringify({ warmupMs: WARMUP_MS, durationMs: DURATION_MS, threads: SERVER_CORES }),
      },
    });
    let text = "";
    c.stdout!.on("data", (d) => (text += d));
    c.on("error", reject);
    c.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`crypto baseline exited ${code}`))));
  });
  const { lat, cpuMs } = JSON.parse(out) as { lat: number[]; cpuMs: number };
  lat.sort((a, b) => a - b);
  return {
    opsPerSec: round(lat.length / (DURATION_MS / 1000), 1),
    p50Ms: round(percentile(lat, 50), 3),
    p99Ms: round(percentile(lat, 99), 3),
    errors: 0,
    serverCpuMsPerOp: round(cpuMs / Math.max(1, lat.length), 4),
  };
}

export async function selfSigned(): Promise<{ keyPem: string; certPem: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString("hex"),
    name: "CN=localhost",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
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

export function startBareServer(
  body: string,
  tls: { keyPem: string; certPem: string },
): Promise<{ child: ChildProcess; port: number }> {
  const [cmd, args] = onServerCores(process.execPath, ["-e", BARE_SERVER]);
  const child = spawn(cmd, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: "", BENCH_BODY: body, BENCH_KEY: tls.keyPem, BENCH_CERT: tls.certPem },
  });
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

/** The same request against a bare https server that answers `body` (a sample full-path response). */
export async function bareBaseline(
  tls: { keyPem: string; certPem: string },
  body: string,
  method: string,
  token: string,
  payload?: unknown,
): Promise<LoadResult> {
  const bare = await startBareServer(body, tls);
  try {
    const bareAgent = new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY, ca: tls.certPem });
    const url = `https://localhost:${bare.port}/keys/bench`;
    const raw = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
    const r = await load(
      async () => (await call(url, method, { agent: bareAgent, token, ...(raw ? { rawBody: raw } : {}) })).status,
      bare.child.pid,
    );
    bareAgent.destroy();
    return r;
  } finally {
    await stopChild(bare.child);
  }
}

/** True when `cmd` is on PATH. */
export function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

export const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** One row of results.json. */
export interface Row {
  opsPerSec?: number;
  baselineOpsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  baselineP50Ms?: number;
  baselineP99Ms?: number;
  ratio?: number;
  /** CPU ms per operation: the hsmlink process (all threads), the baseline's server process, this load generator. */
  serverCpuMsPerOp?: number | string;
  baselineCpuMsPerOp?: number | string;
  clientCpuMsPerOp?: number | string;
  skipped?: string;
  [k: string]: unknown;
}

/** The hsmlink CLI (dist when built, else tsx) with `args`, not pinned (a one-shot command). */
export function hsmlinkCliCommand(args: string[]): [string, string[]] {
  if (existsSync(join(ROOT, "dist/cli/main.js"))) return [process.execPath, [join(ROOT, "bin/hsmlink.js"), ...args]];
  return [process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args]];
}

/** A throughput row from hsmlink's and the baseline's load results. */
export function row(r: LoadResult, b: LoadResult): Row {
  return {
    opsPerSec: r.opsPerSec,
    baselineOpsPerSec: b.opsPerSec,
    ratio: round(r.opsPerSec / b.opsPerSec, 3),
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    baselineP50Ms: b.p50Ms,
    baselineP99Ms: b.p99Ms,
    errors: r.errors,
    serverCpuMsPerOp: r.serverCpuMsPerOp,
    baselineCpuMsPerOp: b.serverCpuMsPerOp,
    clientCpuMsPerOp: r.clientCpuMsPerOp,
  };
}

/** What the data-plane rows share: the running hsmlink, a tunnel agent, a token and the bench keys. */
export interface DataPlaneContext {
  pid: number;
  dp: (method: string, path: string, body?: unknown) => Promise<Res>;
  hsmToken: string;
  bareTls: { keyPem: string; certPem: string };
  keys: {
    rsa: { key: { kid: string; n: string; e: string } };
    ec: { key: { kid: string } };
    aes: { key: { kid: string } };
  };
}

/**
 * A full-path row: checks one sample answer, loads hsmlink with the request, then measures the baseline (which may
 * use the sample, e.g. to answer the same bytes).
 */
export async function fullPathRow(
  ctx: DataPlaneContext,
  name: string,
  method: string,
  path: string,
  body: unknown,
  checkSample: (j: any) => void,
  baseline: (sample: Res) => Promise<LoadResult>,
): Promise<Row> {
  const sample = await ctx.dp(method, path, body);
  checkSample(expect(sample, [200], name));
  console.error(`${name}: full path …`);
  const r = await load(async () => (await ctx.dp(method, path, body)).status, ctx.pid);
  console.error(`${name}: baseline …`);
  const b = await baseline(sample);
  return { ...row(r, b), responseBytes: Buffer.byteLength(sample.text) };
}
