/**
 * hsmlink benchmark: `npm run bench [-- --quick] [-- --only=row,row]` (rows: rsa2048Sign, rsa2048Decrypt, ecP256Sign,
 * aes256Wrap, getKey, ecdsaSignDigest, dns, walkthrough, startup, scale). Prints a table and writes bench/results.json
 * (--only: bench/results-only.json). The shared harness is bench/harness.ts, each row a module in bench/rows/.
 *
 * hsmlink runs as a child process (`node bin/hsmlink.js start` when dist/ is built — run `npm run build` first —
 * else through tsx); this process is the load generator. Where the machine has two or more cores, hsmlink and the
 * baselines are pinned to the server cores and this process (and dnsperf) to the last core (harness.ts, PINNING).
 * Every throughput row keeps the raw figures (opsPerSec, baselineOpsPerSec, p50Ms, p99Ms), `ratio`
 * (opsPerSec / baselineOpsPerSec) and the CPU time per operation of hsmlink (all threads), of the baseline's server
 * process and of this load generator.
 *  - rsa2048Sign / rsa2048Decrypt / ecP256Sign: RS256 sign, RSA-OAEP-256 decrypt and ES256 sign through the full
 *    path (gateway CONNECT + TLS, auth, firewall, RBAC), keep-alive, `concurrency` requests in flight; baseline:
 *    the same operation with node:crypto in a process of its own, one worker thread per server core.
 *  - ecdsaSignDigest: hsmlink's ECDSA signer against crypto.sign per curve, in-process, one thread (no HTTP).
 *  - aes256Wrap / getKey: A256KW wrapKey and GET /keys/{name} through the full path; baseline: a bare Node https
 *    server (child process) answering a fixed JSON of the same size, same client and concurrency (no tunnel).
 *  - dns: dnsperf vs dnsmasq, when both are installed.
 *  - walkthrough: az commands against hsmlink vs a null stub.
 *  - startupMs: `hsmlink start` to its ready line on an existing data dir, median of 3; idleRssMb.
 *  - scale: `keys` keys in one HSM (create rate, RSS, time to list them all page by page), private endpoints,
 *    VNets linked to the private DNS zone. BENCH_SCALE_KEYS / BENCH_SCALE_PES / BENCH_SCALE_VNETS set the sizes.
 * Profiling: BENCH_HSMLINK_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes flags to the hsmlink process;
 * `node --import tsx bench/profile-summary.ts /tmp/prof` summarises the profiles.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import {
  call,
  CONCURRENCY,
  CORES,
  CRYPTO_USER,
  DURATION_MS,
  expect,
  HSM,
  instanceSecret,
  msiToken,
  ONLY,
  PINNING,
  QUICK,
  ROOT,
  round,
  selfSigned,
  startChild,
  stopChild,
  TunnelAgent,
  want,
  which,
  type DataPlaneContext,
  type Endpoints,
  type Row,
} from "./harness.js";
import { aes256Wrap } from "./rows/aes256-wrap.js";
import { dnsRow } from "./rows/dns.js";
import { ecP256Sign } from "./rows/ec-p256-sign.js";
import { ecdsaSignDigestRow } from "./rows/ecdsa-sign-digest.js";
import { getKey } from "./rows/get-key.js";
import { rsa2048Decrypt } from "./rows/rsa2048-decrypt.js";
import { rsa2048Sign } from "./rows/rsa2048-sign.js";
import { scale } from "./rows/scale.js";
import { startupRow } from "./rows/startup.js";
import { walkthroughRow } from "./rows/walkthrough.js";

const THROUGHPUT_ROWS = ["rsa2048Sign", "rsa2048Decrypt", "ecP256Sign", "aes256Wrap", "getKey", "dns", "dnsInternet"];

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    quick: QUICK,
    cores: CORES,
    pinning: PINNING
      ? {
          hsmlinkAndBaselines: `cpu ${PINNING.server}`,
          loadGenerator: `cpu ${PINNING.client}`,
          tool: "taskset (util-linux)",
        }
      : "none (one core, BENCH_PIN=0 or no taskset)",
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    node: process.version,
    date: new Date().toISOString(),
  };
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-bench-"));
  let server: ChildProcess | undefined;
  const tStart = performance.now();
  try {
    console.error(`bench: ${QUICK ? "quick" : "full"} run, ${CORES} cores, data dir ${dataDir}`);
    results["hsmlinkVia"] = existsSync(join(ROOT, "dist/cli/main.js"))
      ? existsSync(join(ROOT, "dist/cli/hsmlink.mjs")) &&
        statSync(join(ROOT, "dist/cli/hsmlink.mjs")).mtimeMs >= statSync(join(ROOT, "dist/cli/main.js")).mtimeMs
        ? "bin/hsmlink.js (dist/cli/hsmlink.mjs, the bundle)"
        : "bin/hsmlink.js (dist modules; the bundle is missing or stale)"
      : "node --import tsx src/cli/main.ts (dist not built; run npm run build)";
    server = (await startChild(dataDir)).child;
    const e = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8")) as Endpoints;
    const ca = readFileSync(e.caCertPath, "utf8");

    // --- setup through ARM and the data plane
    const armToken = await msiToken(e, "https://management.azure.com/");
    const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
    const arm = (method: string, path: string, body?: unknown) =>
      call(`${e.httpsUrl}${path}`, method, { ca, token: armToken, body });
    expect(
      await arm("PUT", `${rg}?api-version=2021-04-01`, { location: "westeurope" }),
      [200, 201],
      "create resource group",
    );
    const hsmBody = {
      location: "westeurope",
      sku: { family: "B", name: "Standard_B1" },
      properties: {
        tenantId: e.tenantId,
        initialAdminObjectIds: [e.principalObjectId],
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
      },
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

    const agent = new TunnelAgent(
      new URL(e.gatewayUrl),
      ca,
      { keepAlive: true, maxSockets: CONCURRENCY },
      instanceSecret(e),
    );
    const hsmToken = await msiToken(e, "https://managedhsm.azure.net");
    const base = `https://${HSM}.managedhsm.azure.net`;
    const dpUrl = (path: string) => `${base}${path}${path.includes("?") ? "&" : "?"}api-version=7.4`;
    const dp = (method: string, path: string, body?: unknown) =>
      call(dpUrl(path), method, { agent, token: hsmToken, body });
    expect(
      await dp("PUT", `/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, {
        properties: {
          roleDefinitionId: `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${CRYPTO_USER}`,
          principalId: e.principalObjectId,
        },
      }),
      [201],
      "role assignment",
    );
    const rsa = expect(
      await dp("POST", "/keys/bench-rsa/create", { kty: "RSA-HSM", key_size: 2048 }),
      [200],
      "create RSA key",
    );
    const ec = expect(
      await dp("POST", "/keys/bench-ec/create", { kty: "EC-HSM", crv: "P-256" }),
      [200],
      "create EC key",
    );
    const aes = expect(
      await dp("POST", "/keys/bench-aes/create", { kty: "oct-HSM", key_size: 256 }),
      [200],
      "create AES key",
    );
    const pid = server.pid!;
    const bareTls = await selfSigned();

    // Open every tunnel (CONNECT, TLS handshake, the leaf certificate) and warm the shared request path (JIT) for a
    // second before the first row, so the first row does not pay for what every row uses.
    const warmUntil = performance.now() + 1_000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < warmUntil) expect(await dp("GET", "/keys/bench-rsa"), [200], "warm-up");
      }),
    );
    const ctx: DataPlaneContext = { pid, dp, hsmToken, bareTls, keys: { rsa, ec, aes } };
    const dataPlaneRows: [string, (c: DataPlaneContext) => Promise<Row>][] = [
      ["rsa2048Sign", rsa2048Sign],
      ["rsa2048Decrypt", rsa2048Decrypt],
      ["ecP256Sign", ecP256Sign],
      ["aes256Wrap", aes256Wrap],
      ["getKey", getKey],
    ];
    for (const [name, run] of dataPlaneRows) if (want(name)) results[name] = await run(ctx);
    agent.destroy();
    if (want("ecdsaSignDigest")) {
      console.error("ecdsaSignDigest: hsmlink's signer vs crypto.sign in one thread, per curve …");
      results["ecdsaSignDigest"] = await ecdsaSignDigestRow();
    }

    // --- dns
    if (!want("dns")) {
      // --only without dns
    } else if (which("dnsperf") && which("dnsmasq")) {
      console.error("dns: dnsperf against a VM's DNS listener, then against dnsmasq …");
      const dns = await dnsRow(e, ca, pid);
      results["dns"] = dns;
      const internet = dns["internet"] as { opsPerSec: number; ratio: number; p50Ms: number; serverCpuMsPerOp: number };
      results["dnsInternet"] = {
        opsPerSec: internet.opsPerSec,
        baselineOpsPerSec: dns.baselineOpsPerSec,
        ratio: internet.ratio,
        p50Ms: internet.p50Ms,
        baselineP50Ms: dns.baselineP50Ms,
        serverCpuMsPerOp: internet.serverCpuMsPerOp,
        baselineCpuMsPerOp: dns.baselineCpuMsPerOp,
        clientCpuMsPerOp: "n/a (dnsperf)",
        note: "the same query from the internet's view; baseline: the dns row's dnsmasq run",
      };
    } else results["dns"] = { skipped: "dnsperf/dnsmasq not installed (apt-get install -y dnsperf dnsmasq)" };

    // --- walkthrough overhead (az against hsmlink vs a null stub)
    if (want("walkthrough")) {
      if (!which("az")) results["walkthrough"] = { skipped: "az not installed (Debian: apt-get install azure-cli)" };
      else {
        console.error(`walkthrough: az commands against hsmlink and a null stub, ${QUICK ? 1 : 3} round(s) …`);
        results["walkthrough"] = await walkthroughRow(e, dataDir);
      }
    }

    if (ONLY) results["only"] = ONLY;

    // --- startupMs / idleRssMb on the data dir as it is now (one HSM, three keys)
    await stopChild(server);
    server = undefined;
    if (want("startup")) Object.assign(results, await startupRow(dataDir), { startupVia: results["hsmlinkVia"] });

    // --- scale
    if (want("scale")) {
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
    }
  } finally {
    if (server) await stopChild(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
  results["benchSeconds"] = round((performance.now() - tStart) / 1000, 1);

  // --only runs go to their own file so they never replace a complete results.json
  writeFileSync(
    join(ROOT, ONLY ? "bench/results-only.json" : "bench/results.json"),
    JSON.stringify(results, null, 2) + "\n",
  );
  printTable(results);
}

/** The scale rows on a running hsmlink (fresh tokens and agent; the HSM of main() exists). */
function printTable(results: Record<string, unknown>): void {
  const lines = [
    "| metric | ops/s | baseline ops/s | ratio | p50 ms | p99 ms | baseline p50/p99 ms | CPU ms/op: hsmlink / baseline / load generator |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const k of THROUGHPUT_ROWS) {
    const r = results[k] as Row | undefined;
    if (!r) continue;
    if (r.skipped) lines.push(`| ${k} | skipped: ${r.skipped} | | | | | | |`);
    else
      lines.push(
        `| ${k} | ${r.opsPerSec} | ${r.baselineOpsPerSec} | ${r.ratio} | ${r.p50Ms} | ${r.p99Ms ?? "—"} | ${r.baselineP50Ms} / ${r.baselineP99Ms ?? "—"} | ${r["serverCpuMsPerOp"]} / ${r["baselineCpuMsPerOp"] ?? "—"} / ${r["clientCpuMsPerOp"]} |`,
      );
  }
  const ec = results["ecdsaSignDigest"] as Record<string, Row> | undefined;
  if (ec)
    for (const [crv, r] of Object.entries(ec))
      lines.push(
        `| ecdsaSignDigest ${crv} (in-process, 1 thread) | ${r.opsPerSec} | ${r.baselineOpsPerSec} | ${r.ratio} | | | | ${r.serverCpuMsPerOp} / ${r.baselineCpuMsPerOp} / — |`,
      );
  if (results["startupMs"] !== undefined)
    lines.push(
      `| startupMs (median of 3) | ${results["startupMs"]} | | | | | | CPU to ready ${results["startupCpuMs"]} ms |`,
      `| idleRssMb | ${results["idleRssMb"]} | | | | | | |`,
    );
  console.log(lines.join("\n"));
  const wt = results["walkthrough"] as Record<string, unknown> | undefined;
  if (wt?.["skipped"]) console.log(`\nwalkthrough: skipped: ${wt["skipped"]}`);
  else if (wt)
    console.log(
      `\nwalkthrough (${wt["commands"]} az commands, subset): hsmlink ${wt["hsmlinkSeconds"]} s, null stub ${wt["stubSeconds"]} s, overhead ${wt["overheadSeconds"]} s (${wt["overheadMsPerCommand"]} ms per command; ${wt["hsmlinkMsPerCommand"]} vs ${wt["stubMsPerCommand"]} ms mean)`,
    );
  const sc = results["scale"] as Record<string, unknown> | undefined;
  if (sc) {
    const fmt = (v: unknown) =>
      v && typeof v === "object"
        ? `${(v as { medianMs: number }).medianMs} ms median (p99 ${(v as { p99Ms: number }).p99Ms})`
        : String(v);
    console.log(
      ["", "| scale | value |", "|---|---|", ...Object.entries(sc).map(([k, v]) => `| ${k} | ${fmt(v)} |`)].join("\n"),
    );
  }
  const pin = PINNING
    ? `hsmlink and baselines on cpu ${PINNING.server}, load generator on cpu ${PINNING.client}`
    : "not pinned";
  console.log(
    `(written to bench/${ONLY ? "results-only" : "results"}.json; ${results["quick"] ? "quick" : "full"} run, ${results["cores"]} cores, ${pin}, concurrency ${results["concurrency"]}, ${results["benchSeconds"]} s)`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
