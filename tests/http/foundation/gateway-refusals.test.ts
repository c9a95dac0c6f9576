// Gateway refusals a user can read: the reason is in the status line's reason phrase (what Python requests/az,
// curl and Node print), still in X-Hsmlink-Reason and the body; CONNECT targets must be host:port (RFC 9110
// §9.3.6); every refusal is in the decision trace log that `hsmlink log` reads.
import { test, before, after } from "node:test";
import { needs } from "../../support/clients.js";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { request as httpRequest } from "node:http";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { adminRequest } from "../../../src/client/admin-client.js";
import { parseAuthority } from "../../../src/listeners/gateway.js";
import { reasonPhrase, MAX_REASON_PHRASE } from "../../../src/pipeline/render.js";
import type { RequestTrace } from "../../../src/pipeline/trace-log.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

function gw(): { host: string; port: number } {
  const u = new URL(h.endpoints.gatewayUrl);
  return { host: u.hostname, port: Number(u.port) };
}

/** Sends a raw request head; resolves with the status line, the head and the body the gateway sent before closing. */
function raw(requestHead: string): Promise<{ statusLine: string; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const { host, port } = gw();
    const s = connect(port, host, () => s.write(requestHead));
    let buf = "";
    s.on("data", (d: Buffer) => (buf += d.toString("latin1")));
    s.on("end", () => {
      const end = buf.indexOf("\r\n\r\n");
      resolve({ statusLine: buf.split("\r\n")[0], head: buf.slice(0, end), body: buf.slice(end + 4) });
    });
    s.on("error", reject);
  });
}

const basic = (user: string) => `Proxy-Authorization: Basic ${Buffer.from(`${user}:x`).toString("base64")}\r\n`;
const connectHead = (target: string, extra = "") => `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${extra}\r\n`;

function assertReadablePhrase(statusLine: string, status: number, phrase: RegExp): void {
  const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine);
  assert.ok(m, statusLine);
  assert.equal(Number(m[1]), status);
  assert.match(m[2], phrase);
  assert.match(m[2], /^hsmlink: /);
  assert.match(m[2], /^[\x20-\x7e]+$/, "printable ASCII, one line");
  assert.ok(m[2].length <= MAX_REASON_PHRASE, `bounded: ${m[2].length}`);
}

test("407 for an unknown proxy user carries the reason in the status line, the header and the body", async () => {
  const r = await raw(connectHead("hsm1.managedhsm.azure.net:443", basic("nosuchvm")));
  assertReadablePhrase(r.statusLine, 407, /^hsmlink: proxy user 'nosuchvm' names no VM; see 'hsmlink vm list'/);
  assert.match(r.head, /^X-Hsmlink-Reason: proxy user 'nosuchvm' names no VM/m);
  assert.match(r.head, /^Proxy-Authenticate: Basic/m);
  assert.match(r.body, /hsmlink: proxy user 'nosuchvm' names no VM/);
});

test("403 not emulated and 502 could not resolve carry their reasons in the status line", async () => {
  const other = await raw(connectHead("www.google.com:443"));
  assertReadablePhrase(other.statusLine, 403, /refusing CONNECT to www\.google\.com:443: not an emulated Azure host/);
  const nx = await raw(connectHead("nosuchhsm.managedhsm.azure.net:443"));
  assertReadablePhrase(
    nx.statusLine,
    502,
    /could not resolve nosuchhsm\.managedhsm\.azure\.net from the public internet: NXDOMAIN/,
  );
  assert.match(nx.head, /^X-Hsmlink-Reason: could not resolve/m);
});

test("absolute-form refusals carry the reason phrase too (Node's statusMessage)", async () => {
  const { host, port } = gw();
  const res = await new Promise<{ status: number; message: string }>((resolve, reject) => {
    httpRequest({ host, port, path: "http://myhsm.managedhsm.azure.net/keys" }, (r) => {
      r.resume();
      r.on("end", () => resolve({ status: r.statusCode ?? 0, message: r.statusMessage ?? "" }));
    })
      .on("error", reject)
      .end();
  });
  assert.equal(res.status, 403);
  assert.match(res.message, /^hsmlink: refusing plain-http request to myhsm\.managedhsm\.azure\.net/);
});

test("CONNECT targets must be host:port: an empty target and a missing port get 400 with the reason", async () => {
  const empty = await raw("CONNECT HTTP/1.1\r\nHost: x\r\n\r\n");
  assertReadablePhrase(empty.statusLine, 400, /empty CONNECT target; expected host:port/);
  const noPort = await raw(connectHead("management.azure.com"));
  assertReadablePhrase(
    noPort.statusLine,
    400,
    /CONNECT target 'management\.azure\.com' has no port; expected host:port/,
  );
  const v6NoPort = await raw(connectHead("[::1]"));
  assert.match(v6NoPort.statusLine, /^HTTP\/1\.1 400 hsmlink: CONNECT target '\[::1\]' has no port/);
});

test("parseAuthority: authority-form only (RFC 9110 §9.3.6)", () => {
  assert.deepEqual(parseAuthority("Management.Azure.com:443"), { hostName: "management.azure.com", port: 443 });
  assert.deepEqual(parseAuthority("[::1]:8443"), { hostName: "::1", port: 8443 });
  assert.deepEqual(parseAuthority("myhsm.managedhsm.azure.net.:443"), {
    hostName: "myhsm.managedhsm.azure.net",
    port: 443,
  });
  for (const bad of [
    "",
    "HTTP/1.1",
    "host",
    "host:",
    ":443",
    "host:0",
    "host:65536",
    "a b:443",
    "http://host:443",
    "host:443/x",
    "[::1]",
  ]) {
    assert.ok("error" in parseAuthority(bad), `'${bad}' must be refused`);
  }
});

test("reasonPhrase: printable ASCII, one line, bounded, cut at a word", () => {
  assert.equal(reasonPhrase("simple reason"), "hsmlink: simple reason");
  assert.equal(reasonPhrase("line1\r\nline2\tend"), "hsmlink: line1 line2 end");
  const long = reasonPhrase("word ".repeat(200));
  assert.ok(long.length <= MAX_REASON_PHRASE);
  assert.match(long, /word\.\.\.$/);
  assert.match(reasonPhrase("a\u00e9b\r\nc"), /^hsmlink: a b c$/);
});

test("gateway refusals are in the decision trace log with vantage, host and reason", async () => {
  await raw(connectHead("hsm1.managedhsm.azure.net:443", basic("typo-vm")));
  await raw(connectHead("www.google.com:443"));
  await raw(connectHead("nosuchhsm.managedhsm.azure.net:443"));
  const { value } = await adminRequest<{ value: RequestTrace[] }>(h.endpoints, "GET", "/_hsmlink/traces?limit=500");
  const refused = value.filter((t) => t.gatewayRefused);
  const find = (host: string, status: number) => refused.find((t) => t.host === host && t.outcome?.status === status);
  const p407 = refused.find((t) => t.vantage === "typo-vm");
  assert.ok(p407, JSON.stringify(refused));
  assert.equal(p407.outcome?.status, 407);
  assert.equal(p407.host, "hsm1.managedhsm.azure.net");
  assert.equal(p407.method, "CONNECT");
  assert.match(p407.outcome?.message ?? "", /proxy user 'typo-vm' names no VM/);
  assert.ok(p407.steps.some((s) => s.step === "gateway" && s.rule === "unknown-proxy-user"));
  const p403 = find("www.google.com", 403);
  assert.ok(p403);
  assert.equal(p403.vantage, "internet");
  assert.match(p403.outcome?.message ?? "", /not an emulated Azure host/);
  const p502 = find("nosuchhsm.managedhsm.azure.net", 502);
  assert.ok(p502);
  assert.match(p502.outcome?.message ?? "", /could not resolve/);
  assert.ok(
    p502.steps.some((s) => s.step === "dns"),
    "the DNS steps are in the trace",
  );
});

test("Python's http.client (what requests and az use) prints the reason", needs("python3"), async () => {
  const { host, port } = gw();
  const py = [
    "import http.client, sys",
    `c = http.client.HTTPSConnection("hsm1.managedhsm.azure.net", 443)`,
    `c.set_tunnel("hsm1.managedhsm.azure.net", 443, {"Proxy-Authorization": "Basic ${Buffer.from("nosuchvm:x").toString("base64")}"})`,
    `c.host, c.port = "${host}", ${port}`,
    "try:",
    "    c.connect()",
    "except OSError as e:",
    "    print(e)",
  ].join("\n");
  // Asynchronously: the gateway runs in this process.
  const r = await promisify(execFile)("python3", ["-c", py], { encoding: "utf8" });
  assert.match(
    r.stdout,
    /Tunnel connection failed: 407 hsmlink: proxy user 'nosuchvm' names no VM; see 'hsmlink vm list'/,
  );
});
