// A private instance (issue 17, item 6): the data dir is 0700 and its database and key files 0600; the admin API and
// the managed identity endpoints refuse callers without the per-instance secret (curl → 401; IMDS through the
// gateway → 407), and accept it where `hsmlink env` puts it; --host beyond loopback needs --expose, which then
// requires the secret for every gateway request; tokens signed by hsmlink's own key but lacking exp, nbf/iat or iss
// are refused as Entra-trusting services refuse them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, importPKCS8 } from "jose";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { armCall } from "../support/arm-client.js";
import { API, hsmCall, seedHsm } from "../http/hsm/support.js";
import { rawExchange, statusLine, basicCredentials, tlsTunnel } from "../support/raw-socket.js";
import { loadConfig, ConfigError } from "../../src/config/settings.js";
import { startHsmlink } from "../../src/server/hsmlink.js";
import { clientEnvironment } from "../../src/cli/env.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink({}, { inMemory: false });
});
after(async () => h?.dispose());

/** curl (a real client without the secret unless given); never blocks this process's event loop. */
function curl(args: string[]): Promise<{ missing: boolean; code: string; body: string }> {
  return new Promise((resolve) => {
    execFile(
      "curl",
      ["-sS", "-o", "-", "-w", "\n%{http_code}", "--noproxy", "*", "--cacert", h.endpoints.caCertPath, ...args],
      { timeout: 20000, encoding: "utf8" },
      (err, stdout) => {
        if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT")
          return resolve({ missing: true, code: "", body: "" });
        const i = stdout.lastIndexOf("\n");
        resolve({ missing: false, code: stdout.slice(i + 1), body: stdout.slice(0, i) });
      },
    );
  });
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

test("the data dir is 0700; the database, its WAL files, keys, the secret and endpoints.json are 0600", () => {
  const d = h.endpoints.dataDir;
  assert.equal(mode(d), "700");
  for (const f of [
    "hsmlink.db",
    "hsmlink.db-wal",
    "hsmlink.db-shm",
    "ca-key.pem",
    "token-signing-key.pem",
    "instance-secret",
    "endpoints.json",
    "hsmlink.pid",
  ]) {
    let m: string;
    try {
      m = mode(join(d, f));
    } catch {
      continue; // not every file exists in every layout (e.g. -shm before the first write)
    }
    assert.equal(m, "600", f);
  }
  assert.equal(mode(join(d, "instance-secret")), "600");
  assert.equal(readFileSync(join(d, "instance-secret"), "utf8").trim(), h.secret);
});

test("a data dir that others could read is made 0700 at start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hsmlink-perm-"));
  try {
    mkdirSync(join(dir, "d"));
    chmodSync(join(dir, "d"), 0o755);
    const x = await startHsmlink(
      loadConfig(
        { dataDir: join(dir, "d"), gatewayPort: 0, httpsPort: 0, msiPort: 0, dnsPort: 0, logLevel: "silent" },
        {},
      ),
    );
    try {
      assert.equal(mode(join(dir, "d")), "700");
      assert.equal(mode(join(dir, "d", "hsmlink.db")), "600");
    } finally {
      await x.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("curl without the secret gets 401 from the admin API and the managed identity endpoints; with it, they answer", async (t) => {
  const admin = `${h.endpoints.httpsUrl}/_hsmlink/identities`;
  const msi = `${h.endpoints.msiEndpoint}?resource=https://management.azure.com/`;
  const direct = `${h.endpoints.httpsUrl}/msi/token?resource=https://management.azure.com/`;
  const r1 = await curl([admin]);
  if (r1.missing) return t.skip("curl not installed");
  assert.equal(r1.code, "401", r1.body);
  assert.equal(
    (await curl(["-X", "POST", "-H", "content-type: application/json", "-d", '{"name":"intruder"}', admin])).code,
    "401",
  );
  assert.equal((await curl(["-H", "x-hsmlink-secret: wrong", admin])).code, "401");
  for (const url of [msi, direct]) {
    const r = await curl(["-H", "Metadata: true", url]);
    assert.equal(r.code, "401", `${url}: ${r.body}`);
    assert.doesNotMatch(r.body, /access_token/);
    assert.equal((await curl(["-H", "Metadata: true", "-H", "secret: wrong", url])).code, "401");
  }
  assert.equal(
    h.identity.list().filter((p) => p.displayName === "intruder").length,
    0,
    "a principal was created without the secret",
  );
  // With the secret where hsmlink env and the CLI put it.
  assert.equal((await curl(["-H", `x-hsmlink-secret: ${h.secret}`, admin])).code, "200");
  assert.equal((await curl(["-u", `any:${h.secret}`, admin])).code, "200");
  const app2019 = await curl(["-H", `X-IDENTITY-HEADER: ${h.secret}`, `${msi}&api-version=2019-08-01`]);
  assert.equal(app2019.code, "200", app2019.body);
  assert.match(app2019.body, /"access_token"/);
  assert.equal(
    (
      await curl([
        "-H",
        `secret: ${h.secret}`,
        `${h.endpoints.msiEndpoint}/?resource=https://management.azure.com/&api-version=2017-09-01`,
      ])
    ).code,
    "200",
  );
});

test("IMDS through the gateway needs the secret as proxy password: 407 without, a token with it", async () => {
  const get = (auth?: string) =>
    rawExchange(
      h.endpoints.gatewayUrl,
      `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/ HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ""}Connection: close\r\n\r\n`,
    );
  const none = await get();
  assert.equal(statusLine(none.text).status, 407, none.text);
  assert.match(statusLine(none.text).reason, /instance secret as the proxy password/);
  assert.equal(statusLine((await get(basicCredentials("_internet:wrong"))).text).status, 407);
  const ok = await get(basicCredentials(`_internet:${h.secret}`));
  assert.equal(statusLine(ok.text).status, 200, ok.text);
  assert.match(ok.text, /"access_token"/);
  // The proxy URL `hsmlink env` prints carries exactly these credentials.
  const proxy = new URL(Object.fromEntries(clientEnvironment(h.endpoints, undefined, h.secret)).HTTP_PROXY);
  assert.equal(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`, `_internet:${h.secret}`);
  // ARM through the gateway needs no secret on loopback (tokens protect it).
  const s = await tlsTunnel(h.endpoints.gatewayUrl, "management.azure.com:443", h.ca.certPem);
  s.destroy();
});

test("--host beyond loopback is refused without --expose; with --expose the gateway wants the secret for every request", async () => {
  assert.throws(
    () => loadConfig({ host: "0.0.0.0" }, {}),
    (e: Error) => e instanceof ConfigError && /--expose/.test(e.message),
  );
  assert.throws(() => loadConfig({}, { HSMLINK_HOST: "192.0.2.10" }), ConfigError);
  assert.equal(loadConfig({ host: "0.0.0.0", expose: true }, {}).host, "0.0.0.0");
  assert.equal(loadConfig({ host: "::1" }, {}).host, "::1");
  // On loopback with --expose, the rule is the same as beyond it.
  const x = await startTestHsmlink({ expose: true });
  try {
    const r = await rawExchange(
      x.endpoints.gatewayUrl,
      "CONNECT management.azure.com:443 HTTP/1.1\r\nHost: management.azure.com:443\r\n\r\n",
      { until: /\r\n\r\n/ },
    );
    assert.equal(statusLine(r.text).status, 407, r.text);
    assert.match(statusLine(r.text).reason, /every proxy request needs hsmlink's instance secret/);
    const ok = await tlsTunnel(x.endpoints.gatewayUrl, "management.azure.com:443", x.ca.certPem, {
      proxyAuthorization: basicCredentials(`_internet:${x.secret}`),
    });
    ok.destroy();
  } finally {
    await x.dispose();
  }
});

for (const [what, claims] of [
  ["no exp", { drop: ["exp"] }],
  ["no iss", { drop: ["iss"] }],
  ["neither nbf nor iat", { drop: ["nbf", "iat"] }],
  ["another tenant's issuer", { iss: "https://sts.windows.net/00000000-0000-0000-0000-000000000000/" }],
] as const) {
  test(`a token signed by hsmlink's key with ${what} is refused with ARM's and the data plane's 401`, async () => {
    const key = await importPKCS8(readFileSync(join(h.endpoints.dataDir, "token-signing-key.pem"), "utf8"), "RS256");
    const now = Math.floor(Date.now() / 1000);
    const p = h.identity.defaultIdentity();
    const payload: Record<string, unknown> = {
      aud: "https://management.azure.com/",
      iss: `https://sts.windows.net/${p.tenantId}/`,
      tid: p.tenantId,
      oid: p.objectId,
      appid: p.appId,
      exp: now + 3600,
      nbf: now - 60,
      iat: now - 60,
    };
    for (const k of "drop" in claims ? claims.drop : []) delete payload[k];
    if ("iss" in claims) payload.iss = claims.iss;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: h.identity.jwk.kid! })
      .sign(key);
    const r = await armCall(
      h,
      "GET",
      `/subscriptions/${h.endpoints.subscriptionId}/resourcegroups?api-version=2021-04-01`,
      { token },
    );
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.error?.code, "InvalidAuthenticationToken");
    // The same token with every claim is accepted (the key and the check are right).
    const full = await new SignJWT({
      ...payload,
      exp: now + 3600,
      nbf: now - 60,
      iat: now - 60,
      iss: `https://sts.windows.net/${p.tenantId}/`,
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: h.identity.jwk.kid! })
      .sign(key);
    assert.equal(
      (
        await armCall(h, "GET", `/subscriptions/${h.endpoints.subscriptionId}/resourcegroups?api-version=2021-04-01`, {
          token: full,
        })
      ).status,
      200,
    );
    // The managed HSM data plane refuses it too, with its 401 (AKV10000 …).
    if (!seeded) {
      seedHsm(h, "claimshsm", {});
      seeded = true;
    }
    const dpPayload = { ...payload, aud: "https://managedhsm.azure.net" };
    const dpToken = await new SignJWT(dpPayload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: h.identity.jwk.kid! })
      .sign(key);
    const dp = await hsmCall(h, "claimshsm", "GET", `/keys?${API}`, { token: dpToken });
    assert.equal(dp.status, 401, dp.text);
    assert.match(dp.json?.error?.message ?? "", /AKV10000|AKV10032/);
  });
}
let seeded = false;
