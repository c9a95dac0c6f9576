// The scale rows: `keys` keys in one HSM (create rate, RSS, listing every page), private endpoints on that HSM (ARM
// list times, DNS from a VM), VNets linked to the private DNS zone (DNS, explain, the troubleshoot CLI).
import { spawn } from "node:child_process";
import {
  call,
  CONCURRENCY,
  expect,
  HSM,
  hsmlinkCliCommand,
  instanceSecret,
  msiToken,
  parallel,
  ROOT,
  round,
  rssMb,
  timed,
  TunnelAgent,
  type Endpoints,
} from "../harness.js";
import { resolverAt } from "./dns.js";

export const SCALE_KEYS = Number(process.env["BENCH_SCALE_KEYS"] ?? 10_000);
export const SCALE_PES = Number(process.env["BENCH_SCALE_PES"] ?? 64);
export const SCALE_VNETS = Number(process.env["BENCH_SCALE_VNETS"] ?? 1_000);

export async function scale(e: Endpoints, pid: number, ca: string, dataDir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { keys: SCALE_KEYS, privateEndpoints: SCALE_PES, vnets: SCALE_VNETS };
  const armToken = await msiToken(e, "https://management.azure.com/");
  const hsmToken = await msiToken(e, "https://managedhsm.azure.net");
  const secret = instanceSecret(e);
  const agent = new TunnelAgent(new URL(e.gatewayUrl), ca, { keepAlive: true, maxSockets: CONCURRENCY }, secret);
  const rg = `/subscriptions/${e.subscriptionId}/resourceGroups/rg-bench`;
  const arm = (method: string, path: string, body?: unknown) =>
    call(`${e.httpsUrl}${path}`, method, { ca, token: armToken, body });
  const admin = (method: string, path: string, body?: unknown) =>
    call(`${e.httpsUrl}${path}`, method, { ca, body, secret });
  const base = `https://${HSM}.managedhsm.azure.net`;
  const dp = (method: string, url: string, body?: unknown) =>
    call(url.startsWith("https://") ? url : `${base}${url}${url.includes("?") ? "&" : "?"}api-version=7.4`, method, {
      agent,
      token: hsmToken,
      body,
    });
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
    expect(
      await arm("PUT", `${vnetId}?api-version=2022-01-01`, {
        location: "westeurope",
        properties: {
          addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
          subnets: [
            { name: "pe", properties: { addressPrefix: "10.0.1.0/24", privateEndpointNetworkPolicies: "Disabled" } },
            { name: "vms", properties: { addressPrefix: "10.0.2.0/24" } },
          ],
        },
      }),
      [200, 201],
      "create vnet-pe",
    );
    expect(
      await arm("PUT", `${zoneId}?api-version=2020-06-01`, { location: "global" }),
      [200, 201, 202],
      "create zone",
    );
    expect(
      await arm("PUT", `${zoneId}/virtualNetworkLinks/link-pe?api-version=2020-06-01`, {
        location: "global",
        properties: { virtualNetwork: { id: vnetId }, registrationEnabled: false },
      }),
      [200, 201, 202],
      "link vnet-pe",
    );
    t0 = performance.now();
    for (let i = 0; i < SCALE_PES; i++) {
      const pe = `${rg}/providers/Microsoft.Network/privateEndpoints/pe${i}`;
      expect(
        await arm("PUT", `${pe}?api-version=2022-01-01`, {
          location: "westeurope",
          properties: {
            subnet: { id: `${vnetId}/subnets/pe` },
            privateLinkServiceConnections: [
              { name: `c${i}`, properties: { groupIds: ["managedhsm"], privateLinkServiceId: hsmId } },
            ],
          },
        }),
        [200, 201],
        `create pe${i}`,
      );
      expect(
        await arm("PUT", `${pe}/privateDnsZoneGroups/default?api-version=2022-01-01`, {
          properties: { privateDnsZoneConfigs: [{ name: "mhsm", properties: { privateDnsZoneId: zoneId } }] },
        }),
        [200, 201],
        `zone group pe${i}`,
      );
    }
    out["pesCreateMs"] = round(performance.now() - t0, 1);
    out["pesList"] = await timed(10, async () =>
      expect(
        await arm("GET", `${rg}/providers/Microsoft.Network/privateEndpoints?api-version=2022-01-01`),
        [200],
        "list PEs",
      ),
    );
    out["pesHsmGet"] = await timed(10, async () =>
      expect(await arm("GET", `${hsmId}?api-version=2022-07-01`), [200], "GET HSM"),
    );
    const vm = expect(
      await admin("POST", "/_hsmlink/vms", {
        name: "benchvm",
        resourceGroup: "rg-bench",
        vnet: "vnet-pe",
        subnet: "vms",
      }),
      [201],
      "create VM",
    ) as { dns: { host: string; port: number | null } };
    if (!vm.dns.port) throw new Error("VM has no DNS listener");
    const vmResolve = resolverAt(vm.dns.host, vm.dns.port);
    const internetResolve = resolverAt(e.dns.host, e.dns.port);
    const host = `${HSM}.managedhsm.azure.net`;
    const privateAnswer = await vmResolve(host);
    if (!privateAnswer.every((a) => a.startsWith("10.0.1.")))
      throw new Error(`resolve from the VM: ${privateAnswer.join(", ")}`);
    out["pesResolveFromVm"] = await timed(200, () => vmResolve(host));
    out["pesResolveFromInternet"] = await timed(200, () => internetResolve(host));

    // VNets linked to the zone
    console.error(`scale: ${SCALE_VNETS} VNets with zone links …`);
    t0 = performance.now();
    await parallel(SCALE_VNETS, 8, async (i) => {
      const id = `${rg}/providers/Microsoft.Network/virtualNetworks/vnet${i}`;
      expect(
        await arm("PUT", `${id}?api-version=2022-01-01`, {
          location: "westeurope",
          properties: {
            addressSpace: { addressPrefixes: [`10.${1 + (i >> 8)}.${i & 255}.0/24`] },
            subnets: [{ name: "default", properties: { addressPrefix: `10.${1 + (i >> 8)}.${i & 255}.0/26` } }],
          },
        }),
        [200, 201],
        `create vnet${i}`,
      );
      expect(
        await arm("PUT", `${zoneId}/virtualNetworkLinks/link${i}?api-version=2020-06-01`, {
          location: "global",
          properties: { virtualNetwork: { id }, registrationEnabled: false },
        }),
        [200, 201, 202],
        `link vnet${i}`,
      );
    });
    out["vnetsCreateMs"] = round(performance.now() - t0, 1);
    out["vnetsList"] = await timed(5, async () =>
      expect(
        await arm("GET", `${rg}/providers/Microsoft.Network/virtualNetworks?api-version=2022-01-01`),
        [200],
        "list VNets",
      ),
    );
    out["vnetsLinksList"] = await timed(5, async () =>
      expect(await arm("GET", `${zoneId}/virtualNetworkLinks?api-version=2020-06-01`), [200], "list links"),
    );
    // The first query after the writes rebuilds the network snapshot; the rest reuse it.
    t0 = performance.now();
    await vmResolve(host);
    out["vnetsResolveFirstMs"] = round(performance.now() - t0, 3);
    out["vnetsResolveFromVm"] = await timed(200, () => vmResolve(host));
    out["vnetsExplain"] = await timed(20, async () =>
      expect(
        await admin("POST", "/_hsmlink/explain", { method: "GET", url: `${base}/keys`, vm: "benchvm" }),
        [200],
        "explain",
      ),
    );
    const [cmd, args] = hsmlinkCliCommand([
      "troubleshoot",
      "--hsm",
      HSM,
      "-g",
      "rg-bench",
      "--vnet",
      "vnet-pe",
      "--data-dir",
      dataDir,
      "-o",
      "json",
    ]);
    out["vnetsTroubleshootCli"] = await timed(
      3,
      () =>
        new Promise<void>((resolve, reject) => {
          const c = spawn(cmd, args, {
            cwd: ROOT,
            stdio: ["ignore", "ignore", "pipe"],
            env: { ...process.env, NODE_OPTIONS: "" },
          });
          let err = "";
          c.stderr!.on("data", (d) => (err += d));
          c.on("exit", (code) =>
            code === 0 || code === 1 ? resolve() : reject(new Error(`troubleshoot exited ${code}: ${err}`)),
          );
        }),
    );
    out["rssMbAfterScale"] = rssMb(pid);
  } finally {
    agent.destroy();
  }
  return out;
}
