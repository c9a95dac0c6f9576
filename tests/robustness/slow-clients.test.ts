// Slow and idle clients at the socket level (issue 17, item 2): sockets that never start TLS, stop after the
// handshake, or send headers or a body slowly, on the direct HTTPS listener and inside CONNECT tunnels, are closed
// by hsmlink's timeouts (short ones here, set through the settings); one vantage point cannot hold more than its
// share of tunnels; descriptors come back when clients go; and hsmlink answers everyone else throughout.
// Loopback only, bounded counts, every wait bounded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { TLSSocket } from "node:tls";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import {
  openTcp,
  tlsTunnel,
  tlsDirect,
  closedWithin,
  exchangeOn,
  rawExchange,
  statusLine,
  openDescriptors,
} from "../support/raw-socket.js";

const LIMITS = {
  tlsHandshakeTimeoutMs: 400,
  headersTimeoutMs: 500,
  requestTimeoutMs: 1000,
  keepAliveTimeoutMs: 300,
  maxConnectionsPerVantage: 12,
};
/** Upper bound for "closed by a timeout" (several times the longest limit, for a loaded CI machine). */
const CLOSE_BOUND_MS = 8000;
let h: TestHsmlink;

before(async () => {
  h = await startTestHsmlink(LIMITS);
});
after(async () => h?.dispose());

const ARM = "management.azure.com:443";
const tunnel = () => tlsTunnel(h.endpoints.gatewayUrl, ARM, h.ca.certPem);
const GET_ARM = "GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: management.azure.com\r\n\r\n";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everyone else is still served: a tunnel to ARM answers, and the direct listener serves the CA. */
async function assertServing(): Promise<void> {
  const s = await tunnel();
  const r = await exchangeOn(s, GET_ARM, { until: /\r\n\r\n[\s\S]*\}/ });
  s.destroy();
  assert.equal(statusLine(r.text).status, 401, r.text);
  const d = await tlsDirect(h.endpoints.httpsUrl, h.ca.certPem);
  const ca = await exchangeOn(d, "GET /ca.pem HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", {
    until: /END CERTIFICATE/,
  });
  d.destroy();
  assert.equal(statusLine(ca.text).status, 200, ca.text);
}

test("a client that connects to the direct HTTPS listener and never starts TLS is closed", async () => {
  const s = await openTcp(h.endpoints.httpsUrl);
  assert.ok(await closedWithin(s, CLOSE_BOUND_MS), "still open");
  await assertServing();
});

test("a tunnel whose client never starts TLS after the 200 is closed", async () => {
  const s = await openTcp(h.endpoints.gatewayUrl);
  const r = await exchangeOn(s, `CONNECT ${ARM} HTTP/1.1\r\nHost: ${ARM}\r\n\r\n`, { until: /\r\n\r\n/ });
  assert.equal(statusLine(r.text).status, 200, r.text);
  assert.ok(await closedWithin(s, CLOSE_BOUND_MS), "still open");
});

test("a client that starts TLS and stops in the middle of the handshake is closed", async () => {
  const s = await openTcp(h.endpoints.httpsUrl);
  // The first bytes of a TLS record header (handshake, TLS 1.0 record version) and nothing more.
  s.write(Buffer.from([0x16, 0x03, 0x01, 0x00]));
  assert.ok(await closedWithin(s, CLOSE_BOUND_MS), "still open");
});

for (const where of ["tunnel", "direct"] as const) {
  const open = (): Promise<TLSSocket> =>
    where === "tunnel" ? tunnel() : tlsDirect(h.endpoints.httpsUrl, h.ca.certPem);

  test(`${where}: a client that completes TLS and sends nothing is closed`, async () => {
    const s = await open();
    assert.ok(await closedWithin(s, CLOSE_BOUND_MS), "still open");
  });

  test(`${where}: a client that sends its headers a byte at a time is answered 408 and closed`, async () => {
    const s = await open();
    let text = "";
    s.on("data", (d) => (text += d));
    const closed = closedWithin(s, CLOSE_BOUND_MS);
    const head = "GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: management.azure.com\r\nX-Slow: ";
    for (let i = 0; i < 60 && !s.destroyed; i++) {
      s.write(head[i] ?? "a");
      await sleep(100);
    }
    assert.ok(await closed, "still open");
    assert.match(text, /^HTTP\/1\.1 408/, text);
  });

  test(`${where}: a client that sends its body slowly is answered 408 and closed`, async () => {
    const s = await open();
    let text = "";
    s.on("data", (d) => (text += d));
    const closed = closedWithin(s, CLOSE_BOUND_MS);
    s.write(
      "PUT /subscriptions/x/resourcegroups/rg1?api-version=2021-04-01 HTTP/1.1\r\nHost: management.azure.com\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    for (let i = 0; i < 60 && !s.destroyed; i++) {
      s.write(" ");
      await sleep(100);
    }
    assert.ok(await closed, "still open");
    assert.match(text, /^HTTP\/1\.1 408/, text);
  });

  test(`${where}: an idle keep-alive connection is closed after its answer`, async () => {
    const s = await open();
    const r = await exchangeOn(s, GET_ARM, { until: /\r\n\r\n[\s\S]*\}/ });
    assert.equal(statusLine(r.text).status, 401, r.text);
    assert.match(r.text, /Keep-Alive: timeout=/i);
    assert.ok(await closedWithin(s, CLOSE_BOUND_MS), "still open");
  });
}

test("idle tunnels from one vantage point beyond the limit are refused with 503 and a reason; others are served; all are released", async () => {
  // Its own instance with the default (long) timeouts, so only the limit is at work while the tunnels are held.
  const g = await startTestHsmlink({ maxConnectionsPerVantage: LIMITS.maxConnectionsPerVantage });
  try {
    const fdBefore = openDescriptors();
    const held: TLSSocket[] = [];
    for (let i = 0; i < LIMITS.maxConnectionsPerVantage; i++)
      held.push(await tlsTunnel(g.endpoints.gatewayUrl, ARM, g.ca.certPem));
    const r = await rawExchange(g.endpoints.gatewayUrl, `CONNECT ${ARM} HTTP/1.1\r\nHost: ${ARM}\r\n\r\n`, {
      until: /\r\n\r\n/,
    });
    const line = statusLine(r.text);
    assert.equal(line.status, 503, r.text);
    assert.match(line.reason, /too many open tunnels from the internet/);
    // The direct listener is a separate budget and still answers.
    const d = await tlsDirect(g.endpoints.httpsUrl, g.ca.certPem);
    const ca = await exchangeOn(d, "GET /ca.pem HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", {
      until: /END CERTIFICATE/,
    });
    d.destroy();
    assert.equal(statusLine(ca.text).status, 200);
    // The clients go; their tunnels are released and the internet is served again.
    for (const s of held) s.destroy();
    await sleep(300);
    const s = await tlsTunnel(g.endpoints.gatewayUrl, ARM, g.ca.certPem);
    const again = await exchangeOn(s, GET_ARM, { until: /\r\n\r\n[\s\S]*\}/ });
    s.destroy();
    assert.equal(statusLine(again.text).status, 401, again.text);
    await sleep(200);
    const fdAfter = openDescriptors();
    if (fdBefore !== undefined && fdAfter !== undefined) {
      // Both ends of every connection live in this process: all of them are closed again.
      assert.ok(fdAfter <= fdBefore + 2, `descriptors ${fdBefore} → ${fdAfter}`);
    }
  } finally {
    await g.dispose();
  }
});

test("228 idle tunnels (the count that once exhausted descriptors) are all closed by the timeouts and hsmlink serves throughout", async () => {
  const fdBefore = openDescriptors();
  // The internet's limit is 12 here, so most are refused at once (503); those accepted are closed by the headers
  // timeout.
  const outcomes = await Promise.allSettled(Array.from({ length: 228 }, () => tunnel()));
  const accepted = outcomes
    .filter((o): o is PromiseFulfilledResult<TLSSocket> => o.status === "fulfilled")
    .map((o) => o.value);
  const refused = outcomes
    .filter((o) => o.status === "rejected")
    .map((o) => String((o as PromiseRejectedResult).reason));
  assert.ok(refused.length > 0, "the per-vantage limit never engaged");
  assert.ok(
    refused.every((r) => /503/.test(r)),
    refused.find((r) => !/503/.test(r)),
  );
  const closed = await Promise.all(accepted.map((s) => closedWithin(s, CLOSE_BOUND_MS)));
  assert.ok(closed.every(Boolean), `${closed.filter((c) => !c).length} tunnels still open`);
  await assertServing();
  await sleep(200);
  const fdAfter = openDescriptors();
  if (fdBefore !== undefined && fdAfter !== undefined)
    assert.ok(fdAfter <= fdBefore + 2, `descriptors ${fdBefore} → ${fdAfter}`);
});

test("hsmlink refuses limits of 0 (no timeout) and a headers timeout longer than the request timeout", async () => {
  const { loadConfig, ConfigError } = await import("../../src/config/settings.js");
  assert.throws(() => loadConfig({ headersTimeoutMs: 0 }, {}), ConfigError);
  assert.throws(
    () => loadConfig({}, { HSMLINK_HEADERS_TIMEOUT_MS: "90000", HSMLINK_REQUEST_TIMEOUT_MS: "60000" }),
    /must not exceed/,
  );
  const c = loadConfig({}, {});
  assert.deepEqual(
    [c.tlsHandshakeTimeoutMs, c.headersTimeoutMs, c.requestTimeoutMs, c.keepAliveTimeoutMs, c.maxConnectionsPerVantage],
    [10000, 20000, 60000, 5000, 256],
  );
});
