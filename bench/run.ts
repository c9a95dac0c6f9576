/**
 * hsmlink benchmark: `npm run bench [-- --quick]`. Prints a table and writes bench/results.json.
 *
 * hsmlink runs as a child process (`node bin/hsmlink.js start` when dist/ is built — run `npm run build` first —
 * else through tsx); this process is the load generator. Each throughput row keeps the raw figures (opsPerSec,
 * baselineOpsPerSec, p50Ms, p99Ms) next to `ratio` (opsPerSec / baselineOpsPerSec), plus the CPU time per
 * operation of the hsmlink process (all threads) and of this load generator.
 *  - rsa2048Sign / rsa2048Decrypt / ecP256Sign: RS256 sign, RSA-OAEP-256 decrypt and ES256 sign through the full
 *    path (gateway CONNECT + TLS, auth, firewall, RBAC), keep-alive, `concurrency` requests in flight; baseline:
 *    the same operation with node:crypto on worker threads (one per core).
 *  - aes256Wrap / getKey: A256KW wrapKey and GET /keys/{name} through the full path; baseline: a bare Node https
 *    server (child process) answering a fixed JSON of the same size, same client and concurrency (no tunnel).
 *  - dns: dnsperf vs dnsmasq, when both are installed.
 *  - startupMs: `hsmlink start` to its ready line on an existing data dir, median of 3; idleRssMb: RSS of that
 *    process once ready and idle (median).
 *  - scale (after the rows above): `keys` keys in one HSM (create rate, RSS after, time to list them all page by
 *    page), `privateEndpoints` private endpoints on that HSM (ARM list times, DNS resolve from a VM), `vnets` VNets
 *    linked to the private DNS zone (DNS resolve, explain, `hsmlink troubleshoot` CLI time). --quick runs the
 *    same scale unless BENCH_SCALE_KEYS / BENCH_SCALE_VNETS say otherwise; results.json records the sizes.
 * Profiling: BENCH_HSMLINK_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes flags to the hsmlink process.
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
import { constants as cryptoConstants, createPublicKey, publicEncrypt, randomBytes, randomUUID, webcrypto } from "node:crypto";
import { Resolver } from "node:dns/promises";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const QUICK = process.argv.includes("--quick");
/** `--only=dns,walkthrough`: run just those rows (after the setup), no startup/scale rows; for working on one row. */
const ONLY = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const want = (row: string) => !ONLY || ONLY.includes(row);
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
  const args = ["start", "--data-dir", dataDir, "--gateway-port", "0", "--https-port", "0", "--msi-port", "0", "--dns-port", "0", "--log-level", "warn", "--activate-new-hsms"];
  // BENCH_HSMLINK_NODE_ARGS: extra node flags for the hsmlink process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env["BENCH_HSMLINK_NODE_ARGS"] ?? "").split(/\s+/).filter(Boolean);
  if (existsSync(join(ROOT, "dist/cli/main.js"))) return [process.execPath, [...nodeArgs, join(ROOT, "bin/hsmlink.js"), ...args]];
  return [process.execPath, [...nodeArgs, "--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args]];
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
  /** CPU milliseconds per successful operation (warm-up included): hsmlink (all threads) and this process. */
  serverCpuMsPerOp?: number;
  clientCpuMsPerOp?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
/** CPU time (user + system, all threads) of process `pid`, in ms. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Closed loop: `concurrency` workers each issue `op` back to back for warm-up + duration; measures the latter.
 * With `serverPid`, also the CPU time per operation of that process and of this one.
 */
async function load(op: () => Promise<number>, serverPid?: number, concurrency = CONCURRENCY): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  let okAll = 0;
  const tWarm = performance.now() + WARMUP_MS;
  const tEnd = tWarm + DURATION_MS;
  let firstErr = "";
  const cpu0 = serverPid ? procCpuMs(serverPid) : 0;
  const self0 = selfCpuMs();
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
      if (status === 200) okAll++;
      if (t0 >= tWarm) {
        if (status === 200) lat.push(performance.now() - t0);
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = serverPid ? { serverCpuMsPerOp: round((procCpuMs(serverPid) - cpu0) / okAll, 3), clientCpuMsPerOp: round((selfCpuMs() - self0) / okAll, 3) } : {};
  if (errors) console.error(`  ${errors} failed requests${firstErr ? ` (first: ${firstErr})` : ""}`);
  lat.sort((a, b) => a - b);
  return { opsPerSec: round(lat.length / (DURATION_MS / 1000), 1), p50Ms: round(percentile(lat, 50)), p99Ms: round(percentile(lat, 99)), errors, ...cpu };
}

/** Runs `fn(0..n-1)` with `concurrency` in flight. */
async function parallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) await fn(next++);
  }));
}

/** Median and p99 wall time of `runs` sequential calls of `fn`, in ms. */
async function timed(runs: number, fn: () => Promise<unknown>): Promise<{ medianMs: number; p99Ms: number }> {
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

type CryptoOp = "rsaSign" | "rsaDecrypt" | "ecSign";

const CRYPTO_WORKER = `
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
`;

/** `op` with node:crypto on one worker thread per core, as fast as they go. */
async function cryptoBaseline(op: CryptoOp): Promise<LoadResult> {
  const { generateKeyPairSync } = await import("node:crypto");
  const { privateKey } = op === "ecSign" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" });
  const all = await Promise.all(
    Array.from({ length: CORES }, () => new Promise<number[]>((resolve, reject) => {
      const w = new Worker(CRYPTO_WORKER, { eval: true, workerData: { op, pem, warmupMs: WARMUP_MS, durationMs: DURATION_MS } });
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

/** The same request against a bare https server that answers `body` (a sample full-path response). */
async function bareBaseline(tls: { keyPem: string; certPem: string }, body: string, method: string, token: string, payload?: unknown): Promise<LoadResult> {
  const bare = await startBareServer(body, tls);
  try {
    const bareAgent = new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY, ca: tls.certPem });
    const url = `https://localhost:${bare.port}/keys/bench`;
    const raw = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
    const r = await load(async () => (await call(url, method, { agent: bareAgent, token, ...(raw ? { rawBody: raw } : {}) })).status);
    bareAgent.destroy();
    return r;
  } finally {
    await stopChild(bare.child);
  }
}

// ---------------------------------------------------------------- DNS

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** One A query to the DNS server at host:port; resolves with the addresses. */
function resolverAt(host: string, port: number): (name: string) => Promise<string[]> {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`${host}:${port}`]);
  return (name) => r.resolve4(name);
}

const DNSPERF_SECONDS = QUICK ? 10 : 20;

/** Figures from dnsperf's summary. */
interface DnsperfResult {
  qps: number;
  sent: number;
  completed: number;
  lost: number;
  avgLatencyMs: number;
  latencyStdDevMs: number;
}

/** Runs dnsperf against host:port (loopback only) with one query for `name` A, for DNSPERF_SECONDS. */
async function dnsperf(host: string, port: number, name: string): Promise<DnsperfResult> {
  if (!host.startsWith("127.")) throw new Error(`refusing to query ${host}: not a loopback address`);
  const dir = mkdtempSync(join(tmpdir(), "hsmlink-dnsperf-"));
  try {
    const file = join(dir, "queries.txt");
    writeFileSync(file, `${name} A\n`);
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn("dnsperf", ["-s", host, "-p", String(port), "-d", file, "-l", String(DNSPERF_SECONDS), "-t", "2"], { stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      c.stdout!.on("data", (d) => (text += d));
      c.stderr!.on("data", (d) => (text += d));
      c.on("error", reject);
      c.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`dnsperf exited ${code}: ${text}`))));
    });
    const num = (re: RegExp) => {
      const m = re.exec(out);
      if (!m) throw new Error(`dnsperf output without ${re}: ${out}`);
      return Number(m[1]);
    };
    return {
      qps: round(num(/Queries per second:\s+([\d.]+)/), 1),
      sent: num(/Queries sent:\s+(\d+)/),
      completed: num(/Queries completed:\s+(\d+)/),
      lost: num(/Queries lost:\s+(\d+)/),
      avgLatencyMs: round(num(/Average Latency \(s\):\s+([\d.]+)/) * 1000, 3),
      latencyStdDevMs: round(num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1000, 3),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The answer for `name` at a DNS server: the CNAME chain and the final A addresses. */
async function dnsAnswer(host: string, port: number, name: string): Promise<{ cnames: string[]; a: string[]; ttl: number }> {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers([`${host}:${port}`]);
  const cnames: string[] = [];
  let cur = name;
  for (let i = 0; i < 8; i++) {
    const next = await r.resolveCname(cur).then((x) => x[0], () => undefined);
    if (!next) break;
    cnames.push(next);
    cur = next;
  }
  const a = await r.resolve4(name, { ttl: true });
  return { cnames, a: a.map((x) => x.address).sort(), ttl: Math.min(...a.map((x) => x.ttl)) };
}

/** A loopback port free for both UDP and TCP right now. */
async function freeDnsPort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const { createServer } = await import("node:net");
  for (let i = 0; i < 20; i++) {
    const u = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      u.once("error", reject);
      u.bind(0, "127.0.0.1", () => resolve(u.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    u.close();
    if (tcpFree) return port;
  }
  throw new Error("no free loopback port for dnsmasq");
}

/**
 * The `dns` row: dnsperf queries for the HSM name from a VM's view (a VM created through the admin API, its DNS
 * listener), then dnsperf against dnsmasq on loopback serving the same answer (the same CNAME chain and A record,
 * same TTL). The HSM has no private endpoint here (the scale part adds them later), so the VM's answer is the public A
 * record; with a private endpoint it would be the privatelink CNAME chain, which dnsmasq mirrors with --cname.
 */
async function dnsRow(e: Endpoints, ca: string, pid: number): Promise<Row> {
  const armToken = await msiToken(e, "https://management.azure.com/");
  const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
  const vnetId = `${rg}/providers/Microsoft.Network/virtualNetworks/vnet-dns`;
  expect(await call(`${e.httpsUrl}${vnetId}?api-version=2022-01-01`, "PUT", { ca, token: armToken, body: { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["10.250.0.0/16"] }, subnets: [{ name: "vms", properties: { addressPrefix: "10.250.1.0/24" } }] } } }), [200, 201], "create vnet-dns");
  const vm = expect(await call(`${e.httpsUrl}/_hsmlink/vms`, "POST", { ca, body: { name: "dnsvm", resourceGroup: "rg-bench", vnet: "vnet-dns", subnet: "vms" } }), [201], "create VM") as { dns: { host: string; port: number | null } };
  if (!vm.dns.port) throw new Error("VM has no DNS listener");
  const name = `${HSM}.managedhsm.azure.net`;
  const answer = await dnsAnswer(vm.dns.host, vm.dns.port, name);
  if (answer.a.length === 0) throw new Error(`no A record for ${name} from the VM`);
  const cpu0 = procCpuMs(pid);
  const h = await dnsperf(vm.dns.host, vm.dns.port, name);
  const serverCpuMsPerQuery = round((procCpuMs(pid) - cpu0) / Math.max(1, h.completed), 4);

  // dnsmasq: the same chain, from --cname (each link) and --host-record (the last name → the A addresses)
  const port = await freeDnsPort();
  const chain = [name, ...answer.cnames];
  const args = ["--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=", "--listen-address=127.0.0.1", "--bind-interfaces", `--port=${port}`, "--user=", "--group=", `--local-ttl=${answer.ttl}`];
  for (let i = 0; i + 1 < chain.length; i++) args.push(`--cname=${chain[i]},${chain[i + 1]}`);
  args.push(`--host-record=${chain[chain.length - 1]},${answer.a.join(",")}`);
  const dm = spawn("dnsmasq", args, { stdio: ["ignore", "ignore", "pipe"] });
  let dmErr = "";
  dm.stderr!.on("data", (d) => (dmErr += d));
  try {
    let dmAnswer: { cnames: string[]; a: string[]; ttl: number } | undefined;
    for (let i = 0; i < 50 && !dmAnswer; i++) {
      if (dm.exitCode !== null) throw new Error(`dnsmasq exited ${dm.exitCode}: ${dmErr}`);
      dmAnswer = await dnsAnswer("127.0.0.1", port, name).catch(() => undefined);
      if (!dmAnswer) await new Promise((r) => setTimeout(r, 100));
    }
    if (!dmAnswer) throw new Error(`dnsmasq did not answer: ${dmErr}`);
    const sameAnswer = JSON.stringify(dmAnswer) === JSON.stringify(answer);
    const d = await dnsperf("127.0.0.1", port, name);
    return {
      opsPerSec: h.qps,
      baselineOpsPerSec: d.qps,
      ratio: round(h.qps / d.qps, 3),
      p50Ms: h.avgLatencyMs,
      baselineP50Ms: d.avgLatencyMs,
      latencyNote: "dnsperf reports mean and std dev, not percentiles: p50Ms/baselineP50Ms hold the mean latency",
      seconds: DNSPERF_SECONDS,
      query: `${name} A`,
      answer,
      dnsmasqAnswer: dmAnswer,
      sameAnswer,
      hsmlink: h,
      dnsmasq: d,
      serverCpuMsPerOp: serverCpuMsPerQuery,
      clientCpuMsPerOp: "n/a (dnsperf)",
    };
  } finally {
    dm.kill("SIGTERM");
    await new Promise((r) => (dm.exitCode !== null || dm.signalCode !== null ? r(undefined) : dm.once("exit", r)));
  }
}

// ---------------------------------------------------------------- main

// ---------------------------------------------------------------- walkthrough overhead (az against hsmlink vs a null stub)

const AZ_SHIM = join(ROOT, "tests/support/azshim");
const WALKTHROUGH_ROUNDS = QUICK ? 1 : 3;

/**
 * A null stub for az: a plain HTTP server that is an HTTPS proxy (CONNECT terminated with a leaf certificate for
 * the Azure host names, issued by hsmlink's CA from the bench's data dir) and an MSI endpoint. Every ARM/data-plane
 * request gets 200 (201 for a PUT) and a minimal valid body: the request body echoed with id, name, type and
 * provisioningState Succeeded. MSI answers are taken from hsmlink once per distinct query (the warm-up command
 * fills that cache) and replayed after.
 */
async function startNullStub(dataDir: string, msiEndpoint: string): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  const { createServer: createHttpServer } = await import("node:http");
  const { createServer: createHttpsServer } = await import("node:https");
  const caPem = readFileSync(join(dataDir, "ca.pem"), "utf8");
  const caKeyPem = readFileSync(join(dataDir, "ca-key.pem"), "utf8");
  const { createPrivateKey } = await import("node:crypto");
  const caCert = new x509.X509Certificate(caPem);
  const caKeyDer = createPrivateKey(caKeyPem).export({ type: "pkcs8", format: "der" });
  const caAlg = caCert.publicKey.algorithm as { name: string; namedCurve?: string };
  const signAlg = caAlg.name === "ECDSA" ? { name: "ECDSA", namedCurve: caAlg.namedCurve, hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const caKey = await webcrypto.subtle.importKey("pkcs8", caKeyDer, signAlg, false, ["sign"]);
  const leafAlg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const leafKeys = (await webcrypto.subtle.generateKey(leafAlg, true, ["sign", "verify"])) as CryptoKeyPair;
  const names = ["management.azure.com", "*.managedhsm.azure.net", "login.microsoftonline.com", "graph.microsoft.com", "*.vault.azure.net"];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString("hex"),
    subject: "CN=management.azure.com",
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: leafKeys.publicKey,
    signingKey: caKey,
    signingAlgorithm: signAlg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: "dns" as const, value }))),
      new x509.BasicConstraintsExtension(false),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
    ],
  });
  const leafKeyDer = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey));
  const leafKeyPem = `-----BEGIN PRIVATE KEY-----\n${leafKeyDer.toString("base64").replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END PRIVATE KEY-----\n`;
  let count = 0;
  const armBody = (path: string, reqBody: any) => {
    const segs = path.split("/").filter(Boolean);
    const iProv = segs.map((x) => x.toLowerCase()).lastIndexOf("providers");
    const type = iProv >= 0 ? [segs[iProv + 1], ...segs.slice(iProv + 2).filter((_, i) => i % 2 === 0)].join("/") : "Microsoft.Resources/resourceGroups";
    const body = reqBody && typeof reqBody === "object" ? reqBody : {};
    return { location: "westeurope", ...body, id: path, name: segs[segs.length - 1] ?? "", type, properties: { ...(body.properties ?? {}), provisioningState: "Succeeded" } };
  };
  const tlsServer = createHttpsServer({ key: leafKeyPem, cert: leaf.toString("pem") + "\n" + caPem, keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      count++;
      const path = (req.url ?? "/").split("?")[0]!;
      let reqBody: unknown;
      try {
        reqBody = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      } catch {
        reqBody = undefined;
      }
      const listing = req.method === "GET" && /\/(resourceGroups|virtualNetworks|privateDnsZones|managedHSMs|privateEndpoints|A|subscriptions)$/i.test(path);
      const body = listing ? { value: [] } : req.method === "GET" || req.method === "PUT" || req.method === "PATCH" ? armBody(path, reqBody) : {};
      const text = JSON.stringify(body);
      res.writeHead(req.method === "PUT" ? 201 : 200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "x-ms-request-id": randomUUID() });
      res.end(text);
    });
  });
  const msiCache = new Map<string, { status: number; text: string }>();
  const front = createHttpServer(async (req, res) => {
    // the MSI endpoint (az POSTs the resource as a form, possibly in proxy form through HTTP_PROXY): replay
    // hsmlink's answer for the same method, query and body (fetched once)
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const q = new URL(req.url ?? "/", "http://stub").search;
    const key = `${req.method} ${q} ${body.toString("utf8")}`;
    let hit = msiCache.get(key);
    if (!hit) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && !["host", "connection", "content-length", "proxy-connection", "keep-alive"].includes(k)) headers[k] = v;
      const r = await fetch(`${msiEndpoint}${q}`, { method: req.method, headers, ...(body.length ? { body } : {}) });
      hit = { status: r.status, text: await r.text() };
      if (r.ok) msiCache.set(key, hit);
      else console.error(`null stub: MSI ${req.method} ${req.url} → hsmlink ${r.status} ${hit.text.slice(0, 300)}`);
    }
    res.writeHead(hit.status, { "content-type": "application/json" });
    res.end(hit.text);
  });
  front.on("connect", (_req, socket, head) => {
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length) socket.unshift(head);
    tlsServer.emit("connection", socket);
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const port = (front.address() as { port: number }).port;
  return {
    port,
    requests: () => count,
    close: () => new Promise<void>((resolve) => {
      front.closeAllConnections();
      tlsServer.closeAllConnections();
      front.close(() => resolve());
    }),
  };
}

/** Runs az with `env`; resolves with its wall time (ms), exit code and stderr. */
function azTimed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn("az", [...args, "-o", "json"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => c.kill("SIGKILL"), 120_000);
    c.on("error", reject);
    c.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code: code ?? -1, stderr });
    });
  });
}

/**
 * The `walkthrough` row: a representative subset of the how-to's az commands (group create, vnet create, private-dns
 * zone create, record-set a add-record, keyvault show for the HSM), timed against hsmlink and against the null stub
 * (same az, same login, same CA trust); the difference is hsmlink's own overhead.
 */
async function walkthroughRow(e: Endpoints, dataDir: string): Promise<Row> {
  const { cpSync } = await import("node:fs");
  const cfgH = mkdtempSync(join(tmpdir(), "hsmlink-bench-az-"));
  const cfgS = mkdtempSync(join(tmpdir(), "hsmlink-bench-az-stub-"));
  const base: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    LANG: process.env["LANG"] ?? "C.UTF-8",
    PYTHONPATH: AZ_SHIM,
    REQUESTS_CA_BUNDLE: e.caCertPath,
    SSL_CERT_FILE: e.caCertPath,
    CURL_CA_BUNDLE: e.caCertPath,
    AZURE_CORE_COLLECT_TELEMETRY: "false",
    AZURE_CORE_ERROR_RECOMMENDATION: "off",
    AZURE_CORE_NO_COLOR: "true",
    AZURE_CORE_SURVEY_MESSAGE: "false",
  };
  const gw = new URL(e.gatewayUrl);
  const envH: NodeJS.ProcessEnv = { ...base, HTTPS_PROXY: `http://${gw.host}`, HTTP_PROXY: `http://${gw.host}`, NO_PROXY: `${gw.hostname},localhost`, MSI_ENDPOINT: e.msiEndpoint, AZURE_CONFIG_DIR: cfgH };
  const stub = await startNullStub(dataDir, e.msiEndpoint);
  const sp = `http://127.0.0.1:${stub.port}`;
  const envS: NodeJS.ProcessEnv = { ...base, HTTPS_PROXY: sp, HTTP_PROXY: sp, NO_PROXY: "localhost", MSI_ENDPOINT: `${sp}/msi/token`, AZURE_CONFIG_DIR: cfgS };
  try {
    const login = await azTimed(["login", "--identity"], envH);
    if (login.code !== 0) throw new Error(`az login --identity: ${login.stderr}`);
    cpSync(cfgH, cfgS, { recursive: true }); // the same login (the identity's tokens come from MSI_ENDPOINT per command)
    const zone = "privatelink.managedhsm.azure.net";
    const commands = (round: number): string[][] => {
      const rg = `rg-wt${round}`;
      return [
        ["group", "create", "-n", rg, "-l", "westeurope"],
        ["network", "vnet", "create", "-g", rg, "-n", "vnet-app", "--location", "westeurope"],
        ["network", "private-dns", "zone", "create", "--resource-group", rg, "--name", zone],
        ["network", "private-dns", "record-set", "a", "add-record", "-g", rg, "-z", zone, "-n", HSM, "-a", "10.0.1.4"],
        ["keyvault", "show", "--hsm-name", HSM, "-g", "rg-bench"],
      ];
    };
    // warm-up, untimed: one command each way (fills the stub's MSI cache, warms az's files in the page cache)
    for (const env of [envH, envS]) {
      const w = await azTimed(["group", "show", "-n", "rg-bench"], env);
      if (w.code !== 0) throw new Error(`az warm-up: ${w.stderr}`);
    }
    const per: Record<string, { hsmlinkMs: number[]; stubMs: number[] }> = {};
    let hsmlinkMs = 0;
    let stubMs = 0;
    let n = 0;
    for (let round = 0; round < WALKTHROUGH_ROUNDS; round++) {
      for (const cmd of commands(round)) {
        const key = cmd.slice(0, cmd.findIndex((x) => x.startsWith("-"))).join(" ");
        const entry = (per[key] ??= { hsmlinkMs: [], stubMs: [] });
        // alternate which side goes first, so neither always runs on a warmer machine
        const order = (round + n) % 2 === 0 ? (["h", "s"] as const) : (["s", "h"] as const);
        for (const side of order) {
          const r = await azTimed(cmd, side === "h" ? envH : envS);
          if (r.code !== 0) throw new Error(`az ${cmd.join(" ")} against ${side === "h" ? "hsmlink" : "the null stub"} exited ${r.code}: ${r.stderr}`);
          if (side === "h") {
            entry.hsmlinkMs.push(round3(r.ms));
            hsmlinkMs += r.ms;
          } else {
            entry.stubMs.push(round3(r.ms));
            stubMs += r.ms;
          }
        }
        n++;
      }
    }
    return {
      subset: "representative subset of the how-to's az commands, not all of them: group create, network vnet create, network private-dns zone create, network private-dns record-set a add-record, keyvault show --hsm-name (after an untimed az login --identity, shared by both sides)",
      rounds: WALKTHROUGH_ROUNDS,
      commands: n,
      hsmlinkSeconds: round(hsmlinkMs / 1000, 2),
      stubSeconds: round(stubMs / 1000, 2),
      overheadSeconds: round((hsmlinkMs - stubMs) / 1000, 2),
      overheadMsPerCommand: round((hsmlinkMs - stubMs) / n, 1),
      hsmlinkMsPerCommand: round(hsmlinkMs / n, 1),
      stubMsPerCommand: round(stubMs / n, 1),
      stubRequests: stub.requests(),
      perCommand: per,
    };
  } finally {
    await stub.close();
    rmSync(cfgH, { recursive: true, force: true });
    rmSync(cfgS, { recursive: true, force: true });
  }
}
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Thrown to end the run early after the rows `--only` asked for. */
class OnlyDone extends Error {}

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

const THROUGHPUT_ROWS = ["rsa2048Sign", "rsa2048Decrypt", "ecP256Sign", "aes256Wrap", "getKey", "dns"];
const SCALE_KEYS = Number(process.env["BENCH_SCALE_KEYS"] ?? 10_000);
const SCALE_PES = Number(process.env["BENCH_SCALE_PES"] ?? 64);
const SCALE_VNETS = Number(process.env["BENCH_SCALE_VNETS"] ?? 1_000);

async function main(): Promise<void> {
  const results: Record<string, unknown> = { quick: QUICK, cores: CORES, concurrency: CONCURRENCY, durationMs: DURATION_MS, node: process.version, date: new Date().toISOString() };
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-bench-"));
  let server: ChildProcess | undefined;
  const tStart = performance.now();
  try {
    console.error(`bench: ${QUICK ? "quick" : "full"} run, ${CORES} cores, data dir ${dataDir}`);
    results["hsmlinkVia"] = existsSync(join(ROOT, "dist/cli/main.js")) ? "bin/hsmlink.js (dist)" : "node --import tsx src/cli/main.ts (dist not built; run npm run build)";
    server = (await startChild(dataDir)).child;
    const e = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
    const ca = readFileSync(e.caCertPath, "utf8");

    // --- setup through ARM and the data plane
    const armToken = await msiToken(e, "https://management.azure.com/");
    const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
    const arm = (method: string, path: string, body?: unknown) => call(`${e.httpsUrl}${path}`, method, { ca, token: armToken, body });
    expect(await arm("PUT", `${rg}?api-version=2021-04-01`, { location: "westeurope" }), [200, 201], "create resource group");
    const hsmBody = {
      location: "westeurope",
      sku: { family: "B", name: "Standard_B1" },
      properties: { tenantId: e.tenantId, initialAdminObjectIds: [e.principalObjectId], enableSoftDelete: true, softDeleteRetentionInDays: 7, networkAcls: { bypass: "AzureServices", defaultAction: "Allow" } },
    };
    const hsmId = `${rg}/providers/Microsoft.KeyVault/managedHSMs/${HSM}`;
    const hsmUrl = `${hsmId}?api-version=2022-07-01`;
    expect(await arm("PUT", hsmUrl, hsmBody), [200, 201, 202], "create managed HSM");
    // The PUT may answer 202 (a long-running operation): poll the resource until it is provisioned.
    for (let i = 0; ; i++) {
      const got = expect(await arm("GET", hsmUrl), [200, 404], "get managed HSM");
      if (got?.properties?.provisioningState === "Succeeded") break;
      if (i > 100) throw new Error(`managed HSM not provisioned: ${JSON.stringify(got)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const agent = new TunnelAgent(new URL(e.gatewayUrl), ca, { keepAlive: true, maxSockets: CONCURRENCY });
    const hsmToken = await msiToken(e, "https://managedhsm.azure.net");
    const base = `https://${HSM}.managedhsm.azure.net`;
    const dpUrl = (path: string) => `${base}${path}${path.includes("?") ? "&" : "?"}api-version=7.4`;
    const dp = (method: string, path: string, body?: unknown) => call(dpUrl(path), method, { agent, token: hsmToken, body });
    expect(await dp("PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, { properties: { roleDefinitionId: `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`, principalId: e.principalObjectId } }), [201], "role assignment");
    const rsa = expect(await dp("POST", "/keys/bench-rsa/create", { kty: "RSA-HSM", key_size: 2048 }), [200], "create RSA key");
    const ec = expect(await dp("POST", "/keys/bench-ec/create", { kty: "EC-HSM", crv: "P-256" }), [200], "create EC key");
    const aes = expect(await dp("POST", "/keys/bench-aes/create", { kty: "oct-HSM", key_size: 256 }), [200], "create AES key");
    const pid = server.pid!;
    const bareTls = await selfSigned();

    /** A full-path row: checks one sample, loads, then measures the baseline. */
    const fullPath = async (name: string, method: string, path: string, body: unknown, checkSample: (j: any) => void, baseline: (sample: Res) => Promise<LoadResult>) => {
      if (!want(name)) return;
      const sample = await dp(method, path, body);
      checkSample(expect(sample, [200], name));
      console.error(`${name}: full path …`);
      const r = await load(async () => (await dp(method, path, body)).status, pid);
      console.error(`${name}: baseline …`);
      const b = await baseline(sample);
      results[name] = { ...row(r, b), responseBytes: Buffer.byteLength(sample.text) };
    };

    const digest = randomBytes(32).toString("base64url");
    await fullPath("rsa2048Sign", "POST", `${new URL(rsa.key.kid).pathname}/sign`, { alg: "RS256", value: digest }, (j) => {
      if (Buffer.from(j.value, "base64url").length !== 256) throw new Error("sign: unexpected signature length");
    }, () => cryptoBaseline("rsaSign"));
    const rsaPublic = createPublicKey({ key: { kty: "RSA", n: rsa.key.n, e: rsa.key.e }, format: "jwk" });
    const secret = randomBytes(32);
    const ciphertext = publicEncrypt({ key: rsaPublic, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, secret).toString("base64url");
    await fullPath("rsa2048Decrypt", "POST", `${new URL(rsa.key.kid).pathname}/decrypt`, { alg: "RSA-OAEP-256", value: ciphertext }, (j) => {
      if (!Buffer.from(j.value, "base64url").equals(secret)) throw new Error("decrypt: wrong plaintext");
    }, () => cryptoBaseline("rsaDecrypt"));
    await fullPath("ecP256Sign", "POST", `${new URL(ec.key.kid).pathname}/sign`, { alg: "ES256", value: digest }, (j) => {
      if (Buffer.from(j.value, "base64url").length !== 64) throw new Error("ES256: unexpected signature length");
    }, () => cryptoBaseline("ecSign"));
    const cek = randomBytes(32).toString("base64url");
    const wrapBody = { alg: "A256KW", value: cek };
    await fullPath("aes256Wrap", "POST", `${new URL(aes.key.kid).pathname}/wrapkey`, wrapBody, () => {}, (sample) => bareBaseline(bareTls, sample.text, "POST", hsmToken, wrapBody));
    await fullPath("getKey", "GET", "/keys/bench-rsa", undefined, (j) => {
      if (j.key?.kid !== rsa.key.kid) throw new Error("getKey: wrong key");
    }, (sample) => bareBaseline(bareTls, sample.text, "GET", hsmToken));
    agent.destroy();

    // --- dns
    if (!want("dns")) {
      // --only without dns
    } else if (which("dnsperf") && which("dnsmasq")) {
      console.error("dns: dnsperf against a VM's DNS listener, then against dnsmasq …");
      results["dns"] = await dnsRow(e, ca, pid);
    } else results["dns"] = { skipped: "dnsperf/dnsmasq not installed (apt-get install -y dnsperf dnsmasq)" };

    // --- walkthrough overhead (az against hsmlink vs a null stub)
    if (want("walkthrough")) {
      if (!which("az")) results["walkthrough"] = { skipped: "az not installed (Debian: apt-get install azure-cli)" };
      else {
        console.error(`walkthrough: az commands against hsmlink and a null stub, ${QUICK ? 1 : 3} round(s) …`);
        results["walkthrough"] = await walkthroughRow(e, dataDir);
      }
    }

    if (ONLY) {
      results["only"] = ONLY;
      throw new OnlyDone();
    }

    // --- startupMs / idleRssMb on the data dir as it is now (one HSM, three keys)
    await stopChild(server);
    server = undefined;
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
    results["startupMs"] = median(startups);
    results["startupRunsMs"] = startups;
    results["startupVia"] = results["hsmlinkVia"];
    results["idleRssMb"] = median(rss);

    // --- scale
    server = (await startChild(dataDir)).child;
    const e2 = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints; // new ports
    results["scale"] = await scale(e2, server.pid!, ca, dataDir);
    await stopChild(server);
    server = undefined;
    const { ms } = await startChild(dataDir).then(async (r) => {
      await stopChild(r.child);
      return r;
    });
    (results["scale"] as Record<string, unknown>)["startupMsAfterScale"] = round(ms, 1);
  } catch (err) {
    if (!(err instanceof OnlyDone)) throw err;
  } finally {
    if (server) await stopChild(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
  results["benchSeconds"] = round((performance.now() - tStart) / 1000, 1);

  // --only runs go to their own file so they never replace a complete results.json
  writeFileSync(join(ROOT, ONLY ? "bench/results-only.json" : "bench/results.json"), JSON.stringify(results, null, 2) + "\n");
  printTable(results);
}

/** The scale rows on a running hsmlink (fresh tokens and agent; the HSM of main() exists). */
async function scale(e: Endpoints, pid: number, ca: string, dataDir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { keys: SCALE_KEYS, privateEndpoints: SCALE_PES, vnets: SCALE_VNETS };
  const armToken = await msiToken(e, "https://management.azure.com/");
  const hsmToken = await msiToken(e, "https://managedhsm.azure.net");
  const agent = new TunnelAgent(new URL(e.gatewayUrl), ca, { keepAlive: true, maxSockets: CONCURRENCY });
  const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
  const arm = (method: string, path: string, body?: unknown) => call(`${e.httpsUrl}${path}`, method, { ca, token: armToken, body });
  const admin = (method: string, path: string, body?: unknown) => call(`${e.httpsUrl}${path}`, method, { ca, body });
  const base = `https://${HSM}.managedhsm.azure.net`;
  const dp = (method: string, url: string, body?: unknown) => call(url.startsWith("https://") ? url : `${base}${url}${url.includes("?") ? "&" : "?"}api-version=7.4`, method, { agent, token: hsmToken, body });
  try {
    // keys: create, RSS, list every page
    console.error(`scale: ${SCALE_KEYS} keys …`);
    let t0 = performance.now();
    await parallel(SCALE_KEYS, CONCURRENCY, async (i) => {
      expect(await dp("POST", `/keys/k${i}/create`, { kty: "oct-HSM", key_size: 256 }), [200], `create key k${i}`);
    });
    const createMs = performance.now() - t0;
    out["keysCreatePerSec"] = round(SCALE_KEYS / (createMs / 1000), 1);
    out["rssMbAfterKeys"] = rssMb(pid);
    const listAll = async () => {
      let url: string | null = "/keys?maxresults=25";
      let pages = 0;
      let n = 0;
      while (url) {
        const page: { value: unknown[]; nextLink: string | null } = expect(await dp("GET", url), [200], "list keys");
        pages++;
        n += page.value.length;
        url = page.nextLink;
      }
      return { pages, n };
    };
    t0 = performance.now();
    const listed = await listAll();
    out["keysListAllMs"] = round(performance.now() - t0, 1);
    out["keysListPages"] = listed.pages;
    if (listed.n < SCALE_KEYS) throw new Error(`listed ${listed.n} keys, expected at least ${SCALE_KEYS}`);
    out["keysListFirstPage"] = await timed(20, () => dp("GET", "/keys?maxresults=25"));
    out["keysGetOne"] = await timed(50, () => dp("GET", `/keys/k${SCALE_KEYS >> 1}`));

    // private endpoints on the HSM, with a zone group each, and a VM in their subnet
    console.error(`scale: ${SCALE_PES} private endpoints …`);
    const zone = "privatelink.managedhsm.azure.net";
    const zoneId = `${rg}/providers/Microsoft.Network/privateDnsZones/${zone}`;
    const hsmId = `${rg}/providers/Microsoft.KeyVault/managedHSMs/${HSM}`;
    const vnetId = `${rg}/providers/Microsoft.Network/virtualNetworks/vnet-pe`;
    expect(await arm("PUT", `${vnetId}?api-version=2022-01-01`, { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] }, subnets: [{ name: "pe", properties: { addressPrefix: "10.0.1.0/24", privateEndpointNetworkPolicies: "Disabled" } }, { name: "vms", properties: { addressPrefix: "10.0.2.0/24" } }] } }), [200, 201], "create vnet-pe");
    expect(await arm("PUT", `${zoneId}?api-version=2020-06-01`, { location: "global" }), [200, 201, 202], "create zone");
    expect(await arm("PUT", `${zoneId}/virtualNetworkLinks/link-pe?api-version=2020-06-01`, { location: "global", properties: { virtualNetwork: { id: vnetId }, registrationEnabled: false } }), [200, 201, 202], "link vnet-pe");
    t0 = performance.now();
    for (let i = 0; i < SCALE_PES; i++) {
      const pe = `${rg}/providers/Microsoft.Network/privateEndpoints/pe${i}`;
      expect(await arm("PUT", `${pe}?api-version=2022-01-01`, {
        location: "westeurope",
        properties: { subnet: { id: `${vnetId}/subnets/pe` }, privateLinkServiceConnections: [{ name: `c${i}`, properties: { groupIds: ["managedhsm"], privateLinkServiceId: hsmId } }] },
      }), [200, 201], `create pe${i}`);
      expect(await arm("PUT", `${pe}/privateDnsZoneGroups/default?api-version=2022-01-01`, { properties: { privateDnsZoneConfigs: [{ name: "mhsm", properties: { privateDnsZoneId: zoneId } }] } }), [200, 201], `zone group pe${i}`);
    }
    out["pesCreateMs"] = round(performance.now() - t0, 1);
    out["pesList"] = await timed(10, async () => expect(await arm("GET", `${rg}/providers/Microsoft.Network/privateEndpoints?api-version=2022-01-01`), [200], "list PEs"));
    out["pesHsmGet"] = await timed(10, async () => expect(await arm("GET", `${hsmId}?api-version=2022-07-01`), [200], "GET HSM"));
    const vm = expect(await admin("POST", "/_hsmlink/vms", { name: "benchvm", resourceGroup: "rg-bench", vnet: "vnet-pe", subnet: "vms" }), [201], "create VM") as { dns: { host: string; port: number | null } };
    if (!vm.dns.port) throw new Error("VM has no DNS listener");
    const vmResolve = resolverAt(vm.dns.host, vm.dns.port);
    const internetResolve = resolverAt(e.dns.host, e.dns.port);
    const host = `${HSM}.managedhsm.azure.net`;
    const privateAnswer = await vmResolve(host);
    if (!privateAnswer.every((a) => a.startsWith("10.0.1."))) throw new Error(`resolve from the VM: ${privateAnswer.join(", ")}`);
    out["pesResolveFromVm"] = await timed(200, () => vmResolve(host));
    out["pesResolveFromInternet"] = await timed(200, () => internetResolve(host));

    // VNets linked to the zone
    console.error(`scale: ${SCALE_VNETS} VNets with zone links …`);
    t0 = performance.now();
    await parallel(SCALE_VNETS, 8, async (i) => {
      const id = `${rg}/providers/Microsoft.Network/virtualNetworks/vnet${i}`;
      expect(await arm("PUT", `${id}?api-version=2022-01-01`, { location: "westeurope", properties: { addressSpace: { addressPrefixes: [`10.${1 + (i >> 8)}.${i & 255}.0/24`] }, subnets: [{ name: "default", properties: { addressPrefix: `10.${1 + (i >> 8)}.${i & 255}.0/26` } }] } }), [200, 201], `create vnet${i}`);
      expect(await arm("PUT", `${zoneId}/virtualNetworkLinks/link${i}?api-version=2020-06-01`, { location: "global", properties: { virtualNetwork: { id }, registrationEnabled: false } }), [200, 201, 202], `link vnet${i}`);
    });
    out["vnetsCreateMs"] = round(performance.now() - t0, 1);
    out["vnetsList"] = await timed(5, async () => expect(await arm("GET", `${rg}/providers/Microsoft.Network/virtualNetworks?api-version=2022-01-01`), [200], "list VNets"));
    out["vnetsLinksList"] = await timed(5, async () => expect(await arm("GET", `${zoneId}/virtualNetworkLinks?api-version=2020-06-01`), [200], "list links"));
    // The first query after the writes rebuilds the network snapshot; the rest reuse it.
    t0 = performance.now();
    await vmResolve(host);
    out["vnetsResolveFirstMs"] = round(performance.now() - t0, 3);
    out["vnetsResolveFromVm"] = await timed(200, () => vmResolve(host));
    out["vnetsExplain"] = await timed(20, async () => expect(await admin("POST", "/_hsmlink/explain", { method: "GET", url: `${base}/keys`, vm: "benchvm" }), [200], "explain"));
    const [cmd, args] = hsmlinkCliCommand(["troubleshoot", "--hsm", HSM, "-g", "rg-bench", "--vnet", "vnet-pe", "--data-dir", dataDir, "-o", "json"]);
    out["vnetsTroubleshootCli"] = await timed(3, () => new Promise<void>((resolve, reject) => {
      const c = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
      let err = "";
      c.stderr!.on("data", (d) => (err += d));
      c.on("exit", (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`troubleshoot exited ${code}: ${err}`))));
    }));
    out["rssMbAfterScale"] = rssMb(pid);
  } finally {
    agent.destroy();
  }
  return out;
}

function hsmlinkCliCommand(args: string[]): [string, string[]] {
  if (existsSync(join(ROOT, "dist/cli/main.js"))) return [process.execPath, [join(ROOT, "bin/hsmlink.js"), ...args]];
  return [process.execPath, ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args]];
}

function row(r: LoadResult, b: LoadResult): Row {
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
    clientCpuMsPerOp: r.clientCpuMsPerOp,
  };
}

function printTable(results: Record<string, unknown>): void {
  const lines = ["| metric | ops/s | baseline ops/s | ratio | p50 ms | p99 ms | baseline p50/p99 ms | hsmlink / client CPU ms per op |", "|---|---|---|---|---|---|---|---|"];
  for (const k of THROUGHPUT_ROWS) {
    const r = results[k] as Row | undefined;
    if (!r) continue;
    if (r.skipped) lines.push(`| ${k} | skipped: ${r.skipped} | | | | | | |`);
    else lines.push(`| ${k} | ${r.opsPerSec} | ${r.baselineOpsPerSec} | ${r.ratio} | ${r.p50Ms} | ${r.p99Ms ?? "—"} | ${r.baselineP50Ms} / ${r.baselineP99Ms ?? "—"} | ${r["serverCpuMsPerOp"]} / ${r["clientCpuMsPerOp"]} |`);
  }
  if (results["startupMs"] !== undefined) lines.push(`| startupMs (median of 3) | ${results["startupMs"]} | | | | | | |`, `| idleRssMb | ${results["idleRssMb"]} | | | | | | |`);
  console.log(lines.join("\n"));
  const wt = results["walkthrough"] as Record<string, unknown> | undefined;
  if (wt?.["skipped"]) console.log(`\nwalkthrough: skipped: ${wt["skipped"]}`);
  else if (wt)
    console.log(`\nwalkthrough (${wt["commands"]} az commands, subset): hsmlink ${wt["hsmlinkSeconds"]} s, null stub ${wt["stubSeconds"]} s, overhead ${wt["overheadSeconds"]} s (${wt["overheadMsPerCommand"]} ms per command; ${wt["hsmlinkMsPerCommand"]} vs ${wt["stubMsPerCommand"]} ms mean)`);
  const sc = results["scale"] as Record<string, unknown> | undefined;
  if (sc) {
    const fmt = (v: unknown) => (v && typeof v === "object" ? `${(v as { medianMs: number }).medianMs} ms median (p99 ${(v as { p99Ms: number }).p99Ms})` : String(v));
    console.log(["", "| scale | value |", "|---|---|", ...Object.entries(sc).map(([k, v]) => `| ${k} | ${fmt(v)} |`)].join("\n"));
  }
  console.log(`(written to bench/${ONLY ? "results-only" : "results"}.json; ${results["quick"] ? "quick" : "full"} run, ${results["cores"]} cores, concurrency ${results["concurrency"]}, ${results["benchSeconds"]} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
