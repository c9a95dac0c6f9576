// A new user's report on `hsmlink troubleshoot`, end to end with the real az against a running hsmlink: --vm works
// (VMs come from the admin API) and uses the VM's real addresses; a healthy run has no data-complete warning; --vm
// with --subscription/--from and `az resource list` output exit 2 with a clear message; and the fix commands the
// findings print are run as printed with az 2.45 and mend what they report.
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import type { Finding } from "../../src/troubleshoot/types.js";
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { buildHowto, type AzTopology } from "../support/az-topology.js";
import { adminRequest } from "../../src/client/admin-client.js";
import type { VmView } from "../../src/vms/vms.js";

const { test, before, after } = clientSuite("az");

const ZONE = "privatelink.managedhsm.azure.net";
const WRONG = "privatelink.managedhsm.azure.com";
const RG = "rg-ur";
const HSM = "urhsm";
const VNET = "vnet-ur";

let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
let tmp: string;
let env: NodeJS.ProcessEnv;
let hsmId: string;
let vm: VmView;

const cli = (args: string[]) => runHsmlinkCli(args, env);

const args = (client: string[] = ["--vnet", VNET], extra: string[] = []) => [
  "troubleshoot",
  "--hsm",
  HSM,
  "-g",
  RG,
  ...client,
  "-o",
  "json",
  ...extra,
];

async function findings(client?: string[], extra?: string[]): Promise<Finding[]> {
  const r = await cli(args(client, extra));
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout).findings as Finding[];
}

function get(fs: Finding[], id: string): Finding {
  const f = fs.find((x) => x.id === id);
  assert.ok(f, `no finding ${id}`);
  return f;
}

const notPassing = (fs: Finding[]) =>
  fs.filter((f) => f.status !== "pass").map((f) => `${f.id}:${f.status}:${f.message}`);

/** Shell words of one command (single and double quotes, as bash reads them). */
function words(cmd: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === "'" || c === '"') {
      const end = cmd.indexOf(c, i + 1);
      assert.ok(end > i, `unbalanced quote in ${cmd}`);
      cur = (cur ?? "") + cmd.slice(i + 1, end);
      i = end;
    } else if (c === " ") {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? "") + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

/** Runs an `az … && az …` sequence exactly as printed; each command must succeed. */
async function runFix(fix: string): Promise<void> {
  for (const cmd of fix.split(" && ")) {
    const w = words(cmd.trim());
    assert.equal(w[0], "az", `not an az command: ${cmd}`);
    const r = await az.run([...w.slice(1), "-o", "json"]);
    assert.equal(r.code, 0, `${cmd}\n→ exit ${r.code}: ${r.stderr}`);
  }
}

before(async () => {
  h = await startTestHsmlink();
  env = { ...h.clientEnv(), HSMLINK_HOME: h.config.dataDir };
  az = new Az(h.clientEnv());
  tmp = mkdtempSync(join(tmpdir(), "hsmlink-tsur-"));
  await az.ok(["login", "--identity"]);
  const howto = await buildHowto(az, {
    rg: RG,
    hsm: HSM,
    administrator: h.endpoints.principalObjectId,
    vnet: VNET,
    subnet: "default",
    pe: "pe-ur",
    connection: "conn-ur",
    link: "link-ur",
  });
  hsmId = howto.hsm.id;
  topology = howto.topology;
  vm = await adminRequest<VmView>(h.endpoints, "POST", "/_hsmlink/vms", {
    name: "vm1",
    resourceGroup: RG,
    vnet: VNET,
    subnet: "default",
  });
});

after(async () => {
  await h?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("healthy set-up: --vm vm1 and --vnet pass through every source with no data-complete warning", async () => {
  const viaVm = await cli(args(["--vm", "vm1"]));
  assert.equal(viaVm.code, 0, viaVm.stdout + viaVm.stderr);
  assert.deepEqual(notPassing(JSON.parse(viaVm.stdout).findings), []);
  const exported = [
    ...(await az.ok(["keyvault", "list", "--resource-type", "hsm", "-g", RG])),
    ...(await az.ok(["network", "vnet", "list", "-g", RG])),
    ...(await az.ok(["network", "private-endpoint", "list", "-g", RG])),
    ...(await az.ok(["network", "nic", "list", "-g", RG])),
    ...(await az.ok(["network", "private-dns", "zone", "list", "-g", RG])),
    ...(await az.ok(["network", "private-dns", "link", "vnet", "list", "-g", RG, "-z", ZONE])),
    ...(await az.ok(["network", "private-dns", "record-set", "list", "-g", RG, "-z", ZONE])),
  ];
  const file = join(tmp, "export.json");
  writeFileSync(file, JSON.stringify(exported));
  for (const extra of [
    [],
    ["--from", file],
    ["--subscription", h.endpoints.subscriptionId, "--arm-endpoint", h.endpoints.httpsUrl],
  ]) {
    const r = await cli(args(["--vnet", VNET], extra));
    assert.equal(r.code, 0, `${extra.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.deepEqual(notPassing(JSON.parse(r.stdout).findings), [], extra.join(" "));
  }
});

test("--vm with --subscription or --from: exit 2 saying --vm names an hsmlink VM and to pass --vnet", async () => {
  const file = join(tmp, "empty.json");
  writeFileSync(file, "[]");
  for (const extra of [
    ["--subscription", h.endpoints.subscriptionId, "--arm-endpoint", h.endpoints.httpsUrl],
    ["--from", file],
  ]) {
    const r = await cli(args(["--vm", "vm1"], extra));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /--vm names a simulated VM of the running hsmlink.*pass --vnet/);
  }
});

test("--from with `az resource list` output (properties: null): exit 2 naming the export commands", async () => {
  const listed = await az.ok(["resource", "list", "-g", RG]);
  assert.ok(listed.length > 0 && listed.every((r: { properties: unknown }) => r.properties === null));
  const file = join(tmp, "resource-list.json");
  writeFileSync(file, JSON.stringify(listed));
  const r = await cli(args(["--vnet", VNET], ["--from", file]));
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /properties: null.*az resource list.*az network vnet list/s);
});

test("a wrong A record: the printed fix (record-set a update --set JSON) runs with az and mends it", async () => {
  await topology.aRecord(HSM, "10.0.1.99");
  const rs = await az.ok(["network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", HSM]);
  const good = rs.aRecords.map((a: { ipv4Address: string }) => a.ipv4Address).find((ip: string) => ip !== "10.0.1.99");
  await az.ok([
    "network",
    "private-dns",
    "record-set",
    "a",
    "remove-record",
    "-g",
    RG,
    "-z",
    ZONE,
    "-n",
    HSM,
    "-a",
    good,
    "--keep-empty-record-set",
  ]);
  const f = get(await findings(), "a-record-ip-matches");
  assert.equal(f.status, "fail");
  await runFix(f.fix!);
  assert.deepEqual(notPassing(await findings()), []);
});

test("--vm takes the public path from its real public address; the printed way to open the public endpoint runs with az", async () => {
  await az.ok(["network", "private-dns", "link", "vnet", "delete", "-g", RG, "-z", ZONE, "-n", "link-ur", "--yes"]);
  // publicNetworkAccess through the generic resource update (az 2.45 has no --public-network-access on update-hsm).
  await az.ok(["resource", "update", "--ids", hsmId, "--set", "properties.publicNetworkAccess=Disabled"]);
  let f = get(await findings(["--vm", "vm1"]), "public-path-firewall");
  assert.equal(f.status, "fail");
  assert.equal(f.code, "ForbiddenByConnection");
  assert.equal(f.evidence.values.sourceAddress, vm.publicIpAddress);
  assert.doesNotMatch(f.message, /stand-in/);
  const open = /open the public endpoint to every address: (.*)$/.exec(f.fix!);
  assert.ok(open, f.fix);
  await runFix(open[1]);
  f = get(await findings(["--vm", "vm1"]), "public-path-firewall");
  assert.equal(`${f.status}:${f.code}`, "warn:PUBLIC_PATH_ALLOWED", f.message);
  // Back to BASE.
  await topology.hsmFirewall(HSM, "Deny", "AzureServices");
  await topology.zoneLink("link-ur", VNET);
  assert.deepEqual(notPassing(await findings()), []);
});

test("near-miss zone linked next to the right one, then instead of it: the printed sequences run with az and mend it", async () => {
  await topology.privateDnsZone(WRONG);
  await topology.zoneLink("wrong-link", VNET, { zone: WRONG });
  let f = get(await findings(), "zone-name-near-miss");
  assert.equal(f.status, "fail");
  await runFix(f.fix!);
  assert.deepEqual(notPassing(await findings()), []);

  // Only the wrong zone: the right one (with its link) is gone.
  await az.ok(["network", "private-dns", "link", "vnet", "delete", "-g", RG, "-z", ZONE, "-n", "link-ur", "--yes"]);
  await az.ok(["network", "private-dns", "zone", "delete", "-g", RG, "-n", ZONE, "--yes"]);
  await topology.privateDnsZone(WRONG);
  await topology.zoneLink("wrong-link", VNET, { zone: WRONG });
  f = get(await findings(), "zone-name-near-miss");
  assert.equal(f.status, "fail");
  await runFix(f.fix!);
  assert.deepEqual(notPassing(await findings()), []);
});

test("a Rejected connection: a-record-ip-matches leaves it to connection-approved, whose re-create command runs with az", async () => {
  const conns = await az.ok(["keyvault", "private-endpoint-connection", "list", "-g", RG, "--hsm-name", HSM]);
  await az.ok(["keyvault", "private-endpoint-connection", "reject", "--id", conns[0].id]);
  const fs = await findings();
  assert.equal(get(fs, "a-record-ip-matches").status, "skip");
  const f = get(fs, "connection-approved");
  assert.equal(`${f.status}:${f.code}`, "fail:CONNECTION_REJECTED");
  assert.doesNotMatch(f.fix!, /</);
  await runFix(f.fix!);
  const after = await findings();
  assert.equal(get(after, "connection-approved").status, "pass", get(after, "connection-approved").message);
});
