// The instance secret with real clients (issue 17, done-when): with `eval "$(hsmlink env)"` the real Azure CLI
// (az 2.45: MSI_ENDPOINT + MSI_SECRET, header `secret`), Debian's Python azure-identity (IDENTITY_ENDPOINT +
// IDENTITY_HEADER, header X-IDENTITY-HEADER) and curl through the gateway's IMDS path (the proxy password) work as
// before, while curl without the secret gets 401 from the managed identity endpoint and the admin API, and az
// without MSI_SECRET cannot sign in. Clients missing on this machine are skipped loudly unless
// HSMLINK_REQUIRE_CLIENTS=1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import { Az } from "../support/az.js";

let h: TestHsmlink;
/** The variables `hsmlink env` printed, parsed from its sh output. */
let envVars: Record<string, string> = {};

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
function needs(t: { skip: (m: string) => void }, cmd: string): boolean {
  if (has(cmd)) return true;
  if (process.env.HSMLINK_REQUIRE_CLIENTS === "1")
    throw new Error(`${cmd} is required (HSMLINK_REQUIRE_CLIENTS=1) but not installed`);
  t.skip(`${cmd} is not installed: SKIPPED (set HSMLINK_REQUIRE_CLIENTS=1 to fail instead)`);
  return false;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 120_000, encoding: "utf8" }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

before(async () => {
  h = await startTestHsmlink();
  const base: NodeJS.ProcessEnv = {};
  for (const k of ["PATH", "HOME", "LANG", "TMPDIR", "USER"])
    if (process.env[k] !== undefined) base[k] = process.env[k];
  const r = await runHsmlinkCli(["env", "--data-dir", h.endpoints.dataDir], base);
  assert.equal(r.code, 0, r.stderr);
  envVars = Object.fromEntries(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => /^export (\w+)='(.*)'$/.exec(l)!.slice(1, 3) as [string, string]),
  );
});
after(async () => h?.dispose());

const clientEnv = (drop: string[] = []): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? "C.UTF-8",
    ...envVars,
  };
  for (const k of drop) delete env[k];
  return env;
};

test("hsmlink env exports the secret where clients send it", () => {
  assert.equal(envVars.MSI_SECRET, h.secret);
  assert.equal(envVars.IDENTITY_HEADER, h.secret);
  assert.equal(envVars.IDENTITY_ENDPOINT, h.endpoints.msiEndpoint);
  assert.equal(envVars.APPSETTING_WEBSITE_SITE_NAME, "hsmlink");
  assert.equal(new URL(envVars.HTTPS_PROXY).password, h.secret);
});

test("curl without the secret: 401 from the managed identity endpoint and the admin API; with the env's header, a token", async (t) => {
  if (!needs(t, "curl")) return;
  const code = (args: string[]) =>
    run(
      "curl",
      ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy", "*", "--cacert", h.endpoints.caCertPath, ...args],
      clientEnv(),
    ).then((r) => r.stdout);
  assert.equal(
    await code(["-H", "Metadata: true", `${envVars.MSI_ENDPOINT}?resource=https://management.azure.com/`]),
    "401",
  );
  assert.equal(await code([`${h.endpoints.httpsUrl}/_hsmlink/vms`]), "401");
  assert.equal(
    await code([
      "-H",
      `X-IDENTITY-HEADER: ${envVars.IDENTITY_HEADER}`,
      `${envVars.IDENTITY_ENDPOINT}?resource=https://management.azure.com/&api-version=2019-08-01`,
    ]),
    "200",
  );
  // IMDS through the gateway: the proxy URL of hsmlink env carries the secret; the bare gateway address does not.
  const imds =
    "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/";
  const viaProxy = (proxy: string) =>
    run(
      "curl",
      ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--proxy", proxy, "-H", "Metadata: true", imds],
      clientEnv(),
    ).then((r) => r.stdout);
  assert.equal(await viaProxy(envVars.HTTP_PROXY), "200");
  assert.equal(await viaProxy(h.endpoints.gatewayUrl), "407");
});

test("az login --identity and az group create work with the env; without MSI_SECRET az cannot sign in", async (t) => {
  if (!needs(t, "az")) return;
  const az = new Az(clientEnv());
  const accounts = await az.ok(["login", "--identity"]);
  assert.equal(accounts[0].id, h.endpoints.subscriptionId);
  const rg = await az.ok(["group", "create", "-n", "rg-secret", "-l", "westeurope"]);
  assert.equal(rg.properties.provisioningState, "Succeeded");
  const without = new Az(clientEnv(["MSI_SECRET"]));
  const refused = await without.run(["login", "--identity"]);
  assert.notEqual(refused.code, 0, "az signed in without the instance secret");
});

test("Python azure-identity ManagedIdentityCredential gets a token with the env (App Service 2019 convention)", async (t) => {
  if (!existsPython(t)) return;
  const py = await run(
    "/usr/bin/python3",
    [
      "-c",
      "from azure.identity import ManagedIdentityCredential as C; print(C().get_token('https://management.azure.com/.default').token[:3])",
    ],
    clientEnv(),
  );
  assert.equal(py.code, 0, py.stderr);
  assert.equal(py.stdout.trim(), "eyJ");
  const refused = await run(
    "/usr/bin/python3",
    [
      "-c",
      "from azure.identity import ManagedIdentityCredential as C; C().get_token('https://management.azure.com/.default')",
    ],
    clientEnv(["IDENTITY_HEADER", "MSI_SECRET"]),
  );
  assert.notEqual(refused.code, 0, "azure-identity got a token without the instance secret");
});

function existsPython(t: { skip: (m: string) => void }): boolean {
  const ok = spawnSync("/usr/bin/python3", ["-c", "import azure.identity"]).status === 0;
  if (ok) return true;
  if (process.env.HSMLINK_REQUIRE_CLIENTS === "1")
    throw new Error("python3-azure is required (HSMLINK_REQUIRE_CLIENTS=1) but not installed");
  t.skip("Debian's python3-azure (azure.identity) is not installed: SKIPPED");
  return false;
}
