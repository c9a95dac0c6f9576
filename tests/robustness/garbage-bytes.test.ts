// Bytes that are not HTTP or not TLS on every TCP listener (issue 17, "no input crashes the process or produces a
// 5xx"): random buffers (fixed seed) and broken TLS ClientHellos on the gateway, inside a tunnel after its 200, on
// the direct HTTPS listener and on the managed identity listener. Each connection is answered 4xx or closed; hsmlink
// answers everyone else afterwards.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { openTcp, rawExchange, statusLine, tlsTunnel, exchangeOn, closedWithin } from "../support/raw-socket.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink({ tlsHandshakeTimeoutMs: 1000, headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
});
after(async () => h?.dispose());

/** Deterministic pseudo-random bytes (xorshift32), so a failure can be replayed. */
function bytes(seed: number, n: number): Buffer {
  let x = seed || 1;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A TLS record header announcing a ClientHello, followed by `body` (a truncated or corrupt hello). */
const brokenHello = (body: Buffer) =>
  Buffer.concat([
    Buffer.from([0x16, 0x03, 0x01, (body.length >> 8) & 0xff, body.length & 0xff, 0x01, 0x00, 0xff, 0xff]),
    body,
  ]);

const INPUTS: Buffer[] = [
  ...Array.from({ length: 12 }, (_, i) => bytes(1000 + i, [1, 7, 64, 512, 4096, 20000][i % 6])),
  brokenHello(bytes(7, 40)),
  brokenHello(Buffer.alloc(300, 0)),
  Buffer.from("\x16\x03\x03\x00\x05hello"),
  Buffer.from("GET / HTTP/1.1\r\nHost: \x00\x01\r\n\r\n"),
  Buffer.from("\r\n\r\n\r\n"),
];

async function assertServing(): Promise<void> {
  const s = await tlsTunnel(h.endpoints.gatewayUrl, "management.azure.com:443", h.ca.certPem);
  const r = await exchangeOn(
    s,
    "GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: management.azure.com\r\nConnection: close\r\n\r\n",
    { until: /\r\n\r\n[\s\S]*\}/ },
  );
  s.destroy();
  assert.equal(statusLine(r.text).status, 401, r.text);
  const msi = await fetch(`${h.endpoints.msiEndpoint}?resource=https://management.azure.com/`, {
    headers: { "X-IDENTITY-HEADER": h.secret },
  });
  assert.equal(msi.status, 200);
}

/** The answer to garbage: nothing or a 4xx, and the connection ends. */
function assertRefused(text: string, closed: boolean, what: string): void {
  const { status } = statusLine(text);
  assert.ok(status === 0 || (status >= 400 && status < 500), `${what}: ${text.slice(0, 200)}`);
  assert.ok(closed || status >= 400, `${what}: neither answered nor closed`);
}

for (const [name, url] of [
  ["gateway", () => h.endpoints.gatewayUrl],
  ["direct HTTPS listener", () => h.endpoints.httpsUrl],
  ["managed identity listener", () => new URL(h.endpoints.msiEndpoint).origin],
] as const) {
  test(`garbage on the ${name}: 4xx or closed, never a 5xx; hsmlink keeps serving`, async () => {
    for (const [i, input] of INPUTS.entries()) {
      const r = await rawExchange(url(), input, { timeoutMs: 6000 });
      assertRefused(r.text, r.closed, `${name} input ${i}`);
    }
    await assertServing();
  });
}

test("garbage inside a CONNECT tunnel after its 200: closed, never a 5xx; hsmlink keeps serving", async () => {
  for (const [i, input] of INPUTS.entries()) {
    const s = await openTcp(h.endpoints.gatewayUrl);
    const ok = await exchangeOn(
      s,
      "CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\n\r\n",
      { until: /\r\n\r\n/ },
    );
    assert.equal(statusLine(ok.text).status, 200, ok.text);
    const closed = closedWithin(s, 8000);
    let text = "";
    s.on("data", (d) => (text += d.toString("latin1")));
    s.write(input);
    assert.ok(await closed, `tunnel input ${i}: still open`);
    assert.doesNotMatch(text, /^HTTP\/1\.[01] 5/, `tunnel input ${i}`);
  }
  await assertServing();
});
