// `explain` goes through the gateway's own policy before the network rules: it must say what the gateway says for
// ARM, hosts that are not emulated, plain http and other ports; it validates the method; an allowed request
// claims no status (authentication and RBAC are not evaluated).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { adminRequest, AdminError } from "../../../src/client/admin-client.js";
import { renderTrace, type RequestTrace } from "../../../src/pipeline/trace-log.js";
import { createVm, seedHowTo } from "./topology.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
  seedHowTo(h);
  await createVm(h, "vm1", "vnet1");
  await createVm(h, "vm2", "vnet2");
});
after(async () => h?.dispose());

const explain = (method: string, url: string, vm?: string) =>
  adminRequest<RequestTrace>(h.endpoints, "POST", "/_hsmlink/explain", { method, url, ...(vm ? { vm } : {}) });

/** The status line the real gateway answers a CONNECT (https) or absolute-form GET (http) with. */
function realGatewayStatus(url: string, vm?: string): Promise<number> {
  return realGateway(url, vm).then((r) => r.status);
}

/** Status and whether the gateway itself refused (reason phrase `hsmlink: …`), for a CONNECT or absolute-form GET. */
function realGateway(url: string, vm?: string): Promise<{ status: number; refused: boolean }> {
  const u = new URL(url);
  const gw = new URL(h.endpoints.gatewayUrl);
  // Credentials as the proxy URL `hsmlink env` prints carries them (user = VM or _internet, password = the instance secret).
  const auth = `Proxy-Authorization: Basic ${Buffer.from(`${vm ?? "_internet"}:${h.secret}`).toString("base64")}\r\n`;
  const head =
    u.protocol === "https:"
      ? `CONNECT ${u.hostname}:${u.port || 443} HTTP/1.1\r\nHost: ${u.hostname}\r\n${auth}\r\n`
      : `GET ${url} HTTP/1.1\r\nHost: ${u.host}\r\n${auth}Connection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const s = connect(Number(gw.port), gw.hostname, () => s.write(head));
    let buf = "";
    s.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      if (buf.includes("\r\n")) {
        s.destroy();
        const line = buf.split("\r\n")[0];
        resolve({ status: Number(line.split(" ")[1]), refused: / hsmlink: /.test(line) });
      }
    });
    s.on("error", reject);
  });
}

test("explain of ARM through the gateway: the network allows it, Azure RBAC is evaluated for the default identity; no status is claimed", async () => {
  const t = await explain("GET", "https://management.azure.com/subscriptions");
  assert.equal(t.verdict, "network-allows");
  assert.equal(t.outcome, undefined);
  assert.ok(t.steps.some((s) => s.step === "gateway" && s.rule === "emulated-host"));
  assert.ok(!t.steps.some((s) => s.step === "dns" || s.rule === "connect-refused"), "no NXDOMAIN for ARM");
  assert.ok(
    t.steps.some((s) => s.step === "rbac" && s.rule === "unchecked"),
    "listing subscriptions needs no action",
  );
  const text = renderTrace(t);
  assert.match(text.split("\n")[0], /→ Azure RBAC allows; the operation not evaluated$/);
  assert.doesNotMatch(text, /→ 200/);
});

test("explain of a host hsmlink does not emulate says 403 not emulated, like the gateway", async () => {
  const t = await explain("GET", "https://www.google.com/");
  assert.equal(t.verdict, "refused");
  assert.equal(t.outcome?.status, 403);
  assert.match(t.outcome?.message ?? "", /not an emulated Azure host/);
  assert.equal(await realGatewayStatus("https://www.google.com/"), 403);
});

test("explain of plain http to a managed HSM says the gateway refuses it (not the firewall)", async () => {
  const t = await explain("GET", "http://hsm1.managedhsm.azure.net/keys", "vm2");
  assert.equal(t.outcome?.status, 403);
  assert.equal(t.outcome?.innerCode, undefined);
  assert.match(t.outcome?.message ?? "", /refusing plain-http request to hsm1\.managedhsm\.azure\.net/);
  assert.ok(!t.steps.some((s) => s.rule === "firewall-deny"));
  const port80 = await explain("GET", "https://hsm1.managedhsm.azure.net:80/keys");
  assert.equal(port80.outcome?.status, 403);
  assert.match(port80.outcome?.message ?? "", /port 443 only/);
});

test("explain agrees with the real gateway on every kind of target", async () => {
  const cases: [string, string | undefined][] = [
    ["https://management.azure.com/subscriptions", undefined],
    ["https://login.microsoftonline.com/x/oauth2/v2.0/token", "vm1"],
    ["https://www.google.com/", undefined],
    ["http://myhsm.managedhsm.azure.net/keys", undefined],
    ["https://management.azure.com:8443/", undefined],
    ["https://nosuchhsm.managedhsm.azure.net/keys", "vm1"],
    ["https://hsm1.managedhsm.azure.net/keys", "vm1"],
    ["http://169.254.169.254/metadata/identity/oauth2/token", undefined],
  ];
  for (const [url, vm] of cases) {
    const t = await explain("GET", url, vm);
    const real = await realGateway(url, vm);
    const gatewayRefusal = t.steps.some((s) => s.rule === "connect-refused");
    assert.equal(real.refused, gatewayRefusal, `${url}: explain and the gateway agree on refusing`);
    if (gatewayRefusal) assert.equal(real.status, t.outcome?.status, url);
  }
});

test("explain from an unknown VM is a 404, an allowed HSM request claims no 200", async () => {
  await assert.rejects(
    explain("GET", "https://hsm1.managedhsm.azure.net/keys", "nosuchvm"),
    (e: AdminError) => e.status === 404,
  );
  const ok = await explain("GET", "https://hsm1.managedhsm.azure.net/keys", "vm1");
  assert.equal(ok.verdict, "network-allows");
  assert.equal(ok.outcome, undefined);
  assert.ok(ok.steps.some((s) => s.rule === "private-endpoint-approved"));
  assert.ok(ok.steps.some((s) => s.step === "rbac" && s.rule === "not-evaluated"));
});

test("explain validates the method and the scheme", async () => {
  await assert.rejects(
    explain("FOO", "https://hsm1.managedhsm.azure.net/keys"),
    (e: AdminError) => e.status === 400 && /'FOO' is not a method.*GET, PUT, POST, PATCH, DELETE, HEAD/.test(e.message),
  );
  await assert.rejects(
    explain("GET", "ftp://hsm1.managedhsm.azure.net/keys"),
    (e: AdminError) => e.status === 400 && /only http and https/.test(e.message),
  );
  for (const m of ["get", "PUT", "POST", "PATCH", "DELETE", "HEAD"])
    assert.equal((await explain(m, "https://management.azure.com/")).method, m.toUpperCase());
});
