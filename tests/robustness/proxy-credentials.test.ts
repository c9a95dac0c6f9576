// Malformed proxy credentials at the socket level (issue 17, item 1): a `Proxy-Authorization` whose user name is not
// valid percent-encoding once took the whole process down (URIError in the gateway). Each one now gets a 407 whose
// status line says why, and hsmlink keeps answering on every listener.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { rawExchange, statusLine, basicCredentials, tlsTunnel, exchangeOn } from "../support/raw-socket.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

/** hsmlink still answers: a tunnel to ARM and a plain request on the direct listener. */
async function assertAlive(): Promise<void> {
  const s = await tlsTunnel(h.endpoints.gatewayUrl, "management.azure.com:443", h.ca.certPem);
  const r = await exchangeOn(
    s,
    "GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: management.azure.com\r\nConnection: close\r\n\r\n",
    { until: /\r\n\r\n[\s\S]*\}/ },
  );
  s.destroy();
  assert.equal(statusLine(r.text).status, 401, r.text);
  const health = await fetch(`${h.endpoints.msiEndpoint}`).catch((e: Error) => e);
  assert.ok(!(health instanceof Error), `the managed identity listener is down: ${health}`);
}

const BAD: [string, string, RegExp][] = [
  // What `curl -x 'http://a%25:x@127.0.0.1:PORT'` sends: curl decodes %25, the user name reads `a%`.
  ["user name 'a%' (curl -x http://a%25:x@…)", basicCredentials("a%:x"), /percent-encoding/],
  ["user name with a lone %E2 escape", basicCredentials("%E2%82:x"), /percent-encoding/],
  ["credentials that are not base64", "Basic !!!***", /base64/],
  ["credentials that are not UTF-8", `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x78]).toString("base64")}`, /UTF-8/],
  ["a user name with a line break", basicCredentials("vm1\r\nX-Evil: 1:x"), /control characters/],
];

for (const [what, header, reason] of BAD) {
  test(`CONNECT with ${what} → 407 with the reason in the status line; hsmlink keeps serving`, async () => {
    const r = await rawExchange(
      h.endpoints.gatewayUrl,
      `CONNECT management.azure.com:443 HTTP/1.1\r\nHost: management.azure.com:443\r\nProxy-Authorization: ${header}\r\n\r\n`,
      { until: /\r\n\r\n/ },
    );
    const line = statusLine(r.text);
    assert.equal(line.status, 407, r.text);
    assert.match(line.reason, /^hsmlink: /);
    assert.match(line.reason, reason);
    assert.match(r.text, /Proxy-Authenticate: Basic realm="hsmlink"/i);
    await assertAlive();
  });

  test(`absolute-form IMDS request with ${what} → 407; hsmlink keeps serving`, async () => {
    const r = await rawExchange(
      h.endpoints.gatewayUrl,
      `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/ HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\nProxy-Authorization: ${header}\r\nConnection: close\r\n\r\n`,
      { until: /\r\n\r\n/ },
    );
    const line = statusLine(r.text);
    assert.equal(line.status, 407, r.text);
    assert.match(line.reason, reason);
    await assertAlive();
  });
}

test("the refusals appear in the decision trace log with the reason", () => {
  const refusals = h.traces.recent(0, 500).filter((t) => t.steps.some((s) => s.rule === "malformed-proxy-credentials"));
  assert.ok(refusals.length >= BAD.length * 2, `only ${refusals.length} traced`);
});
