// Robustness soak: mixed load from a few concurrent loops for a fixed NUMBER of iterations (not a duration) —
// ARM GET/PUT of resource groups and a VNet, data-plane key get/sign/wrap through the gateway, DNS queries to the
// internet view and to a VM's listener — against one in-process hsmlink. Asserts no 5xx, no unexpected status or
// error, correct DNS answers, and RSS growth after a warm-up phase below a generous bound; reports the measured
// growth and error rate through t.diagnostic. No timing is asserted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { armCall } from "../support/arm-client.js";
import { API, grant, hsmCall, hsmToken, ROLE, seedHsm } from "../http/hsm/support.js";

const HSM = "soakhsm";
const LOOPS = 4;
const WARMUP_ITERATIONS = 15; // per loop
const ITERATIONS = 60; // per loop, measured
const RSS_GROWTH_BOUND_MB = 150;

let h: TestHsmlink;
let armToken = "";
let dpToken = "";
let rgPath = "";
let vmDns: { host: string; port: number };

before(async () => {
  h = await startTestHsmlink();
  const sub = h.endpoints.subscriptionId;
  armToken = (await h.identity.issue(h.identity.defaultIdentity(), "https://management.azure.com/")).token;
  rgPath = `/subscriptions/${sub}/resourceGroups/rg-soak`;
  const rg = await armCall(h, "PUT", `${rgPath}?api-version=2021-04-01`, {
    token: armToken,
    body: { location: "westeurope" },
  });
  assert.equal(rg.status, 201, rg.text);
  const vnet = await armCall(
    h,
    "PUT",
    `${rgPath}/providers/Microsoft.Network/virtualNetworks/vnet-soak?api-version=2022-01-01`,
    {
      token: armToken,
      body: {
        location: "westeurope",
        properties: {
          addressSpace: { addressPrefixes: ["10.60.0.0/16"] },
          subnets: [{ name: "vms", properties: { addressPrefix: "10.60.1.0/24" } }],
        },
      },
    },
  );
  assert.ok([200, 201].includes(vnet.status), vnet.text);
  const vm = await armCall(h, "POST", "/_hsmlink/vms", {
    token: false,
    headers: { "x-hsmlink-secret": h.secret },
    body: { name: "soakvm", resourceGroup: "rg-soak", vnet: "vnet-soak", subnet: "vms" },
  });
  assert.equal(vm.status, 201, vm.text);
  assert.ok(vm.json?.dns?.port, `VM has a DNS listener: ${vm.text}`);
  vmDns = { host: vm.json.dns.host, port: vm.json.dns.port };
  seedHsm(h, HSM, { retentionDays: 7 });
  await grant(h, HSM, h.endpoints.principalObjectId, ROLE.cryptoUser);
  dpToken = await hsmToken(h);
  for (const [name, body] of [
    ["soak-rsa", { kty: "RSA-HSM", key_size: 2048 }],
    ["soak-aes", { kty: "oct-HSM", key_size: 256 }],
  ] as const) {
    const r = await hsmCall(h, HSM, "POST", `/keys/${name}/create?${API}`, { token: dpToken, body });
    assert.equal(r.status, 200, r.text);
  }
});
after(async () => h?.dispose());

interface Tally {
  requests: number;
  serverErrors: number;
  unexpected: string[];
}

function resolverAt(host: string, port: number): Resolver {
  const r = new Resolver({ timeout: 5_000, tries: 2 });
  r.setServers([`${host}:${port}`]);
  return r;
}

/** One mixed iteration of loop `loop`: 8 requests, each checked for its expected status (and DNS answers). */
async function iteration(loop: number, i: number, tally: Tally, internet: Resolver, fromVm: Resolver): Promise<void> {
  const check = async (what: string, expected: number[], p: Promise<{ status: number; text: string }>) => {
    tally.requests++;
    try {
      const r = await p;
      if (r.status >= 500) tally.serverErrors++;
      if (!expected.includes(r.status)) tally.unexpected.push(`${what}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    } catch (e) {
      tally.unexpected.push(`${what}: ${String(e)}`);
    }
  };
  const dns = async (what: string, r: Resolver) => {
    tally.requests++;
    try {
      const a = await r.resolve4(`${HSM}.managedhsm.azure.net`);
      if (a.length === 0) tally.unexpected.push(`${what}: empty answer`);
    } catch (e) {
      tally.unexpected.push(`${what}: ${String(e)}`);
    }
  };
  const rgN = `${rgPath}-${loop}-${i % 5}`; // a few groups per loop, re-PUT (update) after the first round
  const dp = (method: string, path: string, body?: unknown) =>
    hsmCall(h, HSM, method, `${path}?${API}`, { token: dpToken, body });
  await check(
    "PUT resource group",
    [200, 201],
    armCall(h, "PUT", `${rgN}?api-version=2021-04-01`, {
      token: armToken,
      body: { location: "westeurope", tags: { i: String(i) } },
    }),
  );
  await check("GET resource group", [200], armCall(h, "GET", `${rgN}?api-version=2021-04-01`, { token: armToken }));
  await check(
    "GET VNet",
    [200],
    armCall(h, "GET", `${rgPath}/providers/Microsoft.Network/virtualNetworks/vnet-soak?api-version=2022-01-01`, {
      token: armToken,
    }),
  );
  if (i % 10 === 0)
    await check(
      "PUT VNet (tag update)",
      [200, 201],
      armCall(h, "PUT", `${rgPath}/providers/Microsoft.Network/virtualNetworks/vnet-soak?api-version=2022-01-01`, {
        token: armToken,
        body: {
          location: "westeurope",
          tags: { loop: String(loop) },
          properties: {
            addressSpace: { addressPrefixes: ["10.60.0.0/16"] },
            subnets: [{ name: "vms", properties: { addressPrefix: "10.60.1.0/24" } }],
          },
        },
      }),
    );
  await check("GET key", [200], dp("GET", "/keys/soak-rsa"));
  await check(
    "sign",
    [200],
    dp("POST", "/keys/soak-rsa/sign", { alg: "RS256", value: randomBytes(32).toString("base64url") }),
  );
  await check(
    "wrapkey",
    [200],
    dp("POST", "/keys/soak-aes/wrapkey", { alg: "A256KW", value: randomBytes(32).toString("base64url") }),
  );
  await check("GET missing key", [404], dp("GET", "/keys/soak-missing"));
  await dns("DNS (internet view)", internet);
  await dns("DNS (from the VM)", fromVm);
}

async function phase(iterations: number, offset: number, tally: Tally): Promise<void> {
  const internet = resolverAt(h.endpoints.dns.host, h.endpoints.dns.port);
  const fromVm = resolverAt(vmDns.host, vmDns.port);
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      for (let i = 0; i < iterations; i++) await iteration(loop, offset + i, tally, internet, fromVm);
    }),
  );
}

/** global.gc when the process runs with --expose-gc, else the same function obtained through v8 flags (the runner passes no per-file flags). */
function findGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}
const gc = findGc();
function rssMb(): number {
  gc?.();
  return process.memoryUsage().rss / 1024 / 1024;
}

test(`soak: ${LOOPS} loops × ${ITERATIONS} mixed iterations (ARM, data plane, DNS): no 5xx, no unexpected result, bounded RSS growth`, async (t) => {
  const warm: Tally = { requests: 0, serverErrors: 0, unexpected: [] };
  await phase(WARMUP_ITERATIONS, 0, warm);
  assert.deepEqual(warm.unexpected, [], "warm-up");
  const rss0 = rssMb();
  const tally: Tally = { requests: 0, serverErrors: 0, unexpected: [] };
  await phase(ITERATIONS, WARMUP_ITERATIONS, tally);
  const rss1 = rssMb();
  const growth = rss1 - rss0;
  t.diagnostic(
    `soak: ${tally.requests} requests after ${warm.requests} warm-up requests; 5xx ${tally.serverErrors}; unexpected ${tally.unexpected.length} (error rate ${((tally.unexpected.length / tally.requests) * 100).toFixed(3)}%)`,
  );
  t.diagnostic(
    `soak: RSS ${rss0.toFixed(1)} MB after warm-up → ${rss1.toFixed(1)} MB after the measured phase (growth ${growth.toFixed(1)} MB, bound ${RSS_GROWTH_BOUND_MB} MB; global.gc ${gc ? "used" : "not available"})`,
  );
  assert.equal(tally.serverErrors, 0, tally.unexpected.slice(0, 5).join("\n"));
  assert.deepEqual(tally.unexpected.slice(0, 10), [], `${tally.unexpected.length} unexpected results`);
  assert.equal(tally.requests, LOOPS * (ITERATIONS * 9 + ITERATIONS / 10), "every iteration ran");
  assert.ok(growth < RSS_GROWTH_BOUND_MB, `RSS grew ${growth.toFixed(1)} MB (bound ${RSS_GROWTH_BOUND_MB} MB)`);
});
