// The `dns` row: dnsperf against a VM's DNS listener (the hot path: an A query for the managed HSM name) and against
// dnsmasq serving the same answer, both on the server cores, dnsperf on the load generator's core.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resolver } from "node:dns/promises";
import {
  call,
  expect,
  HSM,
  instanceSecret,
  msiToken,
  onServerCores,
  procCpuMs,
  QUICK,
  round,
  type Endpoints,
  type Row,
} from "../harness.js";

/** One A query to the DNS server at host:port; resolves with the addresses. */
export function resolverAt(host: string, port: number): (name: string) => Promise<string[]> {
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
      const c = spawn(
        "dnsperf",
        ["-s", host, "-p", String(port), "-d", file, "-l", String(DNSPERF_SECONDS), "-t", "2"],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
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
async function dnsAnswer(
  host: string,
  port: number,
  name: string,
): Promise<{ cnames: string[]; a: string[]; ttl: number }> {
  const r = new Resolver({ timeout: 2000, tries: 2 });
  r.setServers([`${host}:${port}`]);
  const cnames: string[] = [];
  let cur = name;
  for (let i = 0; i < 8; i++) {
    const next = await r.resolveCname(cur).then(
      (x) => x[0],
      () => undefined,
    );
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
 * listener) and from the internet's (hsmlink's public listener; `internet` in the row), then dnsperf against dnsmasq on loopback serving the same answer (the same CNAME chain and A record,
 * same TTL). The HSM has no private endpoint here (the scale part adds them later), so the VM's answer is the public A
 * record; with a private endpoint it would be the privatelink CNAME chain, which dnsmasq mirrors with --cname.
 */
export async function dnsRow(e: Endpoints, ca: string, pid: number): Promise<Row> {
  const armToken = await msiToken(e, "https://management.azure.com/");
  const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
  const vnetId = `${rg}/providers/Microsoft.Network/virtualNetworks/vnet-dns`;
  expect(
    await call(`${e.httpsUrl}${vnetId}?api-version=2022-01-01`, "PUT", {
      ca,
      token: armToken,
      body: {
        location: "westeurope",
        properties: {
          addressSpace: { addressPrefixes: ["10.250.0.0/16"] },
          subnets: [{ name: "vms", properties: { addressPrefix: "10.250.1.0/24" } }],
        },
      },
    }),
    [200, 201],
    "create vnet-dns",
  );
  const vm = expect(
    await call(`${e.httpsUrl}/_hsmlink/vms`, "POST", {
      ca,
      secret: instanceSecret(e),
      body: { name: "dnsvm", resourceGroup: "rg-bench", vnet: "vnet-dns", subnet: "vms" },
    }),
    [201],
    "create VM",
  ) as { dns: { host: string; port: number | null } };
  if (!vm.dns.port) throw new Error("VM has no DNS listener");
  const name = `${HSM}.managedhsm.azure.net`;
  const answer = await dnsAnswer(vm.dns.host, vm.dns.port, name);
  if (answer.a.length === 0) throw new Error(`no A record for ${name} from the VM`);
  const cpu0 = procCpuMs(pid);
  const h = await dnsperf(vm.dns.host, vm.dns.port, name);
  const serverCpuMsPerQuery = round((procCpuMs(pid) - cpu0) / Math.max(1, h.completed), 4);
  // the same question from the internet's view (hsmlink's public listener)
  const internetAnswer = await dnsAnswer(e.dns.host, e.dns.port, name);
  if (internetAnswer.a.length === 0) throw new Error(`no A record for ${name} from the internet`);
  const cpuI = procCpuMs(pid);
  const hi = await dnsperf(e.dns.host, e.dns.port, name);
  const internetCpuMsPerQuery = round((procCpuMs(pid) - cpuI) / Math.max(1, hi.completed), 4);

  // dnsmasq: the same chain, from --cname (each link) and --host-record (the last name → the A addresses)
  const port = await freeDnsPort();
  const chain = [name, ...answer.cnames];
  const args = [
    "--no-daemon",
    "--no-resolv",
    "--no-hosts",
    "--conf-file=/dev/null",
    "--pid-file=",
    "--listen-address=127.0.0.1",
    "--bind-interfaces",
    `--port=${port}`,
    "--user=",
    "--group=",
    `--local-ttl=${answer.ttl}`,
  ];
  for (let i = 0; i + 1 < chain.length; i++) args.push(`--cname=${chain[i]},${chain[i + 1]}`);
  args.push(`--host-record=${chain[chain.length - 1]},${answer.a.join(",")}`);
  const [dmCmd, dmArgs] = onServerCores("dnsmasq", args);
  const dm = spawn(dmCmd, dmArgs, { stdio: ["ignore", "ignore", "pipe"] });
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
    // dnsmasq runs as the child of taskset (exec), so dm.pid is dnsmasq itself
    const dmCpu0 = procCpuMs(dm.pid!);
    const d = await dnsperf("127.0.0.1", port, name);
    const baselineCpuMsPerQuery = round((procCpuMs(dm.pid!) - dmCpu0) / Math.max(1, d.completed), 4);
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
      baselineCpuMsPerOp: baselineCpuMsPerQuery,
      internet: {
        opsPerSec: hi.qps,
        ratio: round(hi.qps / d.qps, 3),
        p50Ms: hi.avgLatencyMs,
        serverCpuMsPerOp: internetCpuMsPerQuery,
        answer: internetAnswer,
        dnsperf: hi,
      },
      clientCpuMsPerOp: "n/a (dnsperf)",
    };
  } finally {
    dm.kill("SIGTERM");
    await new Promise((r) => (dm.exitCode !== null || dm.signalCode !== null ? r(undefined) : dm.once("exit", r)));
  }
}
