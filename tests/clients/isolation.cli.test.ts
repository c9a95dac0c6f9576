// The real `hsmlink` CLI against a running hsmlink: vm create/show/list/exec/delete, explain and log, errors exit 1.
// `vm exec` runs a stock `dig` with the VM's DNS view and `curl` through the gateway as the VM.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { seedHowTo } from "../http/network-isolation/topology.js";

const { test, before, after } = clientSuite("dig");

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
let h: TestHsmlink;

function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
      env: { ...process.env, HSMLINK_HOME: h.config.dataDir },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

before(async () => {
  h = await startTestHsmlink();
  seedHowTo(h);
});
after(async () => h?.dispose());

test("vm create/show/list -o json, then vm exec runs dig in the VM's DNS view and curl as the VM", async () => {
  const created = await cli("vm", "create", "vm1", "-g", "rg1", "--vnet", "vnet1", "--subnet", "sn1", "-o", "json");
  assert.equal(created.status, 0, created.stderr);
  const v = JSON.parse(created.stdout) as {
    name: string;
    privateIpAddress: string;
    publicIpAddress: string;
    dns: { host: string; port: number };
    proxy: string;
  };
  assert.equal(v.privateIpAddress, "10.0.1.5");
  assert.ok(v.dns.port > 0);
  const shown = JSON.parse((await cli("vm", "show", "vm1", "-o", "json")).stdout) as typeof v;
  assert.deepEqual(shown.dns, v.dns);
  const listed = await cli("vm", "list");
  assert.match(listed.stdout, /vm1\s+rg1\s+vnet1\/sn1\s+10\.0\.1\.5/);
  const dig = await cli(
    "vm",
    "exec",
    "vm1",
    "--",
    "sh",
    "-c",
    'dig @"$HSMLINK_VM_DNS_SERVER" -p "$HSMLINK_VM_DNS_PORT" +short hsm1.managedhsm.azure.net',
  );
  assert.equal(dig.status, 0, dig.stderr);
  assert.equal(dig.stdout.trim().split("\n").pop(), "10.0.1.4");
  const env = await cli("vm", "exec", "vm1", "--", "sh", "-c", 'echo "$HTTPS_PROXY"');
  assert.ok(env.stdout.startsWith(`http://vm1:${h.secret}@`), env.stdout);
});

test("vm create with an unknown subnet exits 1 with a clear message", async () => {
  const r = await cli("vm", "create", "vmx", "-g", "rg1", "--vnet", "vnet1", "--subnet", "nope");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Subnet 'nope' was not found in virtual network 'vnet1'/);
});

test("explain from an unlinked VM prints the firewall refusal without sending anything; log lists it", async () => {
  assert.equal((await cli("vm", "create", "vm2", "-g", "rg1", "--vnet", "vnet2", "--subnet", "sn1")).status, 0);
  const r = await cli("explain", "--vm", "vm2", "GET", "https://hsm1.managedhsm.azure.net/keys");
  assert.equal(r.status, 1, "a refusal exits 1");
  assert.match(
    r.stdout,
    /EXPLAIN GET https:\/\/hsm1\.managedhsm\.azure\.net\/keys from vm2 → 403 Forbidden\/ForbiddenByFirewall/,
  );
  assert.match(r.stdout, /route\s+public-endpoint/);
  assert.match(r.stdout, /network\s+firewall-deny/);
  const log = await cli("log", "-o", "json");
  assert.match(log.stdout, /"explained":true/);
});

test("vm delete removes the VM", async () => {
  assert.equal((await cli("vm", "delete", "vm2")).status, 0);
  const r = await cli("vm", "show", "vm2");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /VM 'vm2' does not exist/);
});
