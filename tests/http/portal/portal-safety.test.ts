// The portal listener on a shared machine: assets served locally, every API call needs the portal token,
// state-changing calls need the portal's own Origin and JSON, foreign Host names are refused (DNS rebinding),
// and the token derives from the owner-only instance secret without revealing it. No browser needed: plain HTTP requests.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { statSync } from "node:fs";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { portalUrl } from "../../../src/cli/portal.js";
import { portalToken } from "../../../src/kernel/instance-secret.js";

let h: TestHsmlink;
let base: URL;
let token: string;

before(async () => {
  h = await startTestHsmlink();
  const u = new URL(portalUrl(h.config.dataDir));
  token = new URLSearchParams(u.hash.slice(1)).get("token") ?? "";
  base = new URL(u.origin);
});
after(async () => h?.dispose());

function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      { method, headers: { ...(body ? { "content-length": String(Buffer.byteLength(body)) } : {}), ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

test("hsmlink portal prints http://{host}:{port}/#token={token}: derived from the owner-only instance secret, not it", () => {
  assert.match(portalUrl(h.config.dataDir), /^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}$/);
  assert.equal(h.endpoints.portalUrl, base.origin);
  assert.equal(token, portalToken(h.secret));
  assert.ok(!h.secret.includes(token) && !token.includes(h.secret), "the URL does not carry the instance secret");
  assert.equal(statSync(join(h.config.dataDir, "instance-secret")).mode & 0o777, 0o600);
});

test("the page, the bundled client and elkjs's worker are served by hsmlink itself, with a same-origin CSP", async () => {
  const page = await call("GET", "/");
  assert.equal(page.status, 200);
  assert.match(page.text, /<script type="module" src="\/assets\/app\.js">/);
  assert.doesNotMatch(page.text, /https?:\/\/(?!www\.w3\.org)/, "no external URL in the page");
  assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'self'/);
  const app = await call("GET", "/assets/app.js");
  assert.equal(app.status, 200);
  assert.match(String(app.headers["content-type"]), /^text\/javascript/);
  assert.ok(app.text.includes("/assets/elk-worker.min.js"), "the client loads elkjs's worker from hsmlink");
  const worker = await call("GET", "/assets/elk-worker.min.js");
  assert.equal(worker.status, 200);
  assert.ok(worker.text.length > 100_000, "elkjs's worker build");
  assert.equal((await call("GET", "/assets/style.css")).status, 200);
});

test("API calls without the portal token get 401; with it, 200", async () => {
  const none = await call("GET", "/api/topology");
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.text).error.code, "PortalTokenRequired");
  assert.equal(
    (
      await call("GET", "/api/topology", {
        "x-hsmlink-portal-token": token.slice(0, -1) + (token.endsWith("A") ? "B" : "A"),
      })
    ).status,
    401,
  );
  assert.equal((await call("GET", `/api/events?token=wrong`)).status, 401);
  const ok = await call("GET", "/api/topology", { "x-hsmlink-portal-token": token });
  assert.equal(ok.status, 200);
  const view = JSON.parse(ok.text);
  assert.equal(view.subscriptionId, h.endpoints.subscriptionId);
  assert.deepEqual(view.nodes, []);
});

test("state-changing calls need the portal's own Origin and a JSON body, even with the secret", async () => {
  const body = JSON.stringify({
    id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/h/privateEndpointConnections/c",
    action: "approve",
  });
  const withToken = { "x-hsmlink-portal-token": token, "content-type": "application/json" };
  const noOrigin = await call("POST", "/api/connections/action", withToken, body);
  assert.equal(noOrigin.status, 403);
  assert.equal(JSON.parse(noOrigin.text).error.code, "CrossOriginRefused");
  assert.equal(
    (await call("POST", "/api/connections/action", { ...withToken, origin: "http://evil.example" }, body)).status,
    403,
  );
  assert.equal(
    (await call("POST", "/api/connections/action", { ...withToken, origin: `http://localhost:${base.port}` }, body))
      .status,
    403,
    "another loopback origin is another site",
  );
  assert.equal(
    (
      await call(
        "POST",
        "/api/connections/action",
        { ...withToken, "content-type": "text/plain", origin: base.origin },
        body,
      )
    ).status,
    415,
  );
  const bad = await call(
    "POST",
    "/api/connections/action",
    { ...withToken, origin: base.origin },
    JSON.stringify({ id: "/not/a/connection", action: "approve" }),
  );
  assert.equal(bad.status, 400);
  const badAction = await call(
    "POST",
    "/api/connections/action",
    { ...withToken, origin: base.origin },
    JSON.stringify({ id: "x", action: "purge" }),
  );
  assert.equal(badAction.status, 400);
});

test("a foreign Host name (DNS rebinding) is refused on a loopback bind", async () => {
  const r = await call("GET", "/", { host: `evil.example:${base.port}` });
  assert.equal(r.status, 421);
});

test("the resource view reads ARM resource ids only, never the admin API or token endpoints", async () => {
  for (const id of [
    "/_hsmlink/identities",
    "/subscriptions/x/../_hsmlink/identities",
    "https://evil.example/x",
    "/metadata/identity/oauth2/token",
  ]) {
    const r = await call("GET", `/api/resource?id=${encodeURIComponent(id)}`, { "x-hsmlink-portal-token": token });
    assert.equal(r.status, 400, id);
  }
  const rg = await call(
    "GET",
    `/api/resource?id=${encodeURIComponent(`/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/none`)}`,
    { "x-hsmlink-portal-token": token },
  );
  assert.equal(rg.status, 200);
  assert.equal(JSON.parse(rg.text).status, 404, "ARM's own answer for a missing group is passed through");
});
