// `hsmlink start`, `env` and `ca` as a user runs them: a real child process, endpoints.json, the ready line,
// a second start on a busy data dir, graceful SIGTERM with nothing lost, and the environment lines.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, statSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:https";

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-cli-"));
const ports = ["--gateway-port", "0", "--https-port", "0", "--msi-port", "0", "--dns-port", "0", "--portal-port", "0"];
after(() => rmSync(dataDir, { recursive: true, force: true }));

function startProcess(args: string[]): { child: ChildProcess; ready: Promise<string>; exited: Promise<number> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", main, "start", "--data-dir", dataDir, "--log-level", "warn", ...ports, ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("hsmlink ready:"));
      if (line) resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before ready: ${err}`)));
  });
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
  return { child, ready, exited };
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", main, ...args], {
    encoding: "utf8",
    env: { ...process.env, HSMLINK_HOME: dataDir },
  });
}

async function createGroup(
  endpoints: { httpsUrl: string; caCertPath: string; msiEndpoint: string; subscriptionId: string },
  name: string,
  method = "PUT",
): Promise<number> {
  const secret = readFileSync(join(dataDir, "instance-secret"), "utf8").trim();
  const tok = (await (
    await fetch(endpoints.msiEndpoint, {
      method: "POST",
      headers: { Metadata: "true", "content-type": "application/x-www-form-urlencoded", "X-IDENTITY-HEADER": secret },
      body: "resource=https://management.azure.com/",
    })
  ).json()) as { access_token: string };
  const body = method === "PUT" ? JSON.stringify({ location: "westeurope" }) : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(
        `/subscriptions/${endpoints.subscriptionId}/resourcegroups/${name}?api-version=2021-04-01`,
        endpoints.httpsUrl,
      ),
      {
        method,
        ca: readFileSync(endpoints.caCertPath),
        headers: { authorization: `Bearer ${tok.access_token}`, "content-type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("start writes endpoints.json and a ready line; a second start exits 2; SIGTERM stops it and keeps state", async () => {
  const first = startProcess([]);
  const line = await first.ready;
  const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8"));
  for (const k of [
    "gatewayUrl",
    "httpsUrl",
    "msiEndpoint",
    "caCertPath",
    "tenantId",
    "subscriptionId",
    "principalObjectId",
  ])
    assert.ok(endpoints[k], k);
  assert.equal(typeof endpoints.dns.port, "number");
  assert.ok(line.includes(endpoints.gatewayUrl) && line.includes(endpoints.httpsUrl));
  assert.equal(statSync(join(dataDir, "ca-key.pem")).mode & 0o777, 0o600);

  const second = spawnSync(process.execPath, ["--import", "tsx", main, "start", "--data-dir", dataDir, ...ports], {
    encoding: "utf8",
  });
  assert.equal(second.status, 2);
  assert.match(second.stderr, /in use by another hsmlink/);

  assert.equal(await createGroup(endpoints, "rg-persist"), 201);
  first.child.kill("SIGTERM");
  assert.equal(await first.exited, 0);
  assert.equal(existsSync(join(dataDir, "endpoints.json")), false);

  const again = startProcess([]);
  await again.ready;
  const endpoints2 = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8"));
  assert.equal(
    readFileSync(endpoints2.caCertPath, "utf8"),
    readFileSync(endpoints.caCertPath, "utf8"),
    "the CA is reused",
  );
  assert.equal(await createGroup(endpoints2, "rg-persist", "HEAD"), 204, "the resource group survived the restart");
  again.child.kill("SIGINT");
  assert.equal(await again.exited, 0);
});

test("bad flags are reported together with exit 2", () => {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", main, "start", "--data-dir", dataDir, "--gateway-port", "99999", "--log-level", "loud"],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--gateway-port/);
});

test("env prints the client environment for sh, fish and pwsh; --vm must name an existing VM", async () => {
  const p = startProcess([]);
  await p.ready;
  try {
    const sh = cli(["env"]);
    assert.equal(sh.status, 0, sh.stderr);
    const vars = Object.fromEntries(
      sh.stdout
        .trim()
        .split("\n")
        .map((l) => /^export (\w+)='(.*)'$/.exec(l)!.slice(1, 3)),
    );
    const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8"));
    const gw = new URL(endpoints.gatewayUrl);
    const secret = readFileSync(join(dataDir, "instance-secret"), "utf8").trim();
    assert.equal(vars.HTTPS_PROXY, `http://_internet:${secret}@${gw.host}`);
    assert.equal(vars.HTTP_PROXY, `http://_internet:${secret}@${gw.host}`);
    for (const k of ["MSI_SECRET", "IDENTITY_HEADER"]) assert.equal(vars[k], secret);
    assert.equal(vars.IDENTITY_ENDPOINT, endpoints.msiEndpoint);
    for (const k of ["REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "CURL_CA_BUNDLE"])
      assert.equal(vars[k], endpoints.caCertPath);
    assert.equal(vars.MSI_ENDPOINT, endpoints.msiEndpoint);
    assert.equal(vars.AZURE_CORE_COLLECT_TELEMETRY, "false");
    assert.equal(vars.AZURE_CONFIG_DIR, join(dataDir, "az"));
    assert.ok(vars.NO_PROXY.includes(gw.hostname));
    // --vm is checked with the running hsmlink (no VMs here); the proxy user for an existing VM: cli-usability.test.ts.
    const noVm = cli(["env", "--vm", "vm1"]);
    assert.equal(noVm.status, 1);
    assert.equal(noVm.stdout, "");
    assert.match(noVm.stderr, /VM 'vm1' does not exist in the running hsmlink; there are no VMs yet/);
    assert.match(cli(["env", "--shell", "fish"]).stdout, /^set -gx HTTPS_PROXY 'http:/m);
    assert.match(cli(["env", "--shell", "pwsh"]).stdout, /^\$env:HTTPS_PROXY = 'http:/m);
    assert.equal(cli(["ca"]).stdout.trim(), endpoints.caCertPath);
    const idr = cli(["identity", "create", "app1", "--trusted-service", "Microsoft.Storage"]);
    assert.equal(idr.status, 0, idr.stderr);
    const created = JSON.parse(idr.stdout);
    assert.deepEqual(Object.keys(created).sort(), ["appId", "objectId", "password", "tenantId"]);
    assert.equal(created.tenantId, endpoints.tenantId);
    assert.equal(cli(["identity", "create", "app1"]).status, 1);
  } finally {
    p.child.kill("SIGTERM");
    await p.exited;
  }
});

test("env without a running hsmlink says how to start it", () => {
  const r = cli(["env", "--data-dir", join(dataDir, "nothing-here")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /hsmlink is not running.*hsmlink start/);
});
