// Pipelined HTTP/1.1 requests over TLS (issue 17, item 5): requests written back to back on one connection, before
// any answer is read, are all answered, in order, inside a CONNECT tunnel and on the direct HTTPS listener, as on
// the plain-http managed identity listener (RFC 9112 §9.3.2).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { tlsTunnel, tlsDirect, exchangeOn } from "../support/raw-socket.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

/** N requests for tenants t-0 … t-(N-1): each answer (AADSTS90002) names its tenant, so their order shows. */
function requests(n: number, host: string): string {
  let out = "";
  for (let i = 0; i < n; i++)
    out += `GET /t-${i}/v2.0/.well-known/openid-configuration HTTP/1.1\r\nHost: ${host}\r\n${i === n - 1 ? "Connection: close\r\n" : ""}\r\n`;
  return out;
}

function answeredTenants(text: string): number[] {
  return [...text.matchAll(/Tenant 't-(\d+)' not found/g)].map((m) => Number(m[1]));
}

test("60 pipelined requests inside a CONNECT tunnel are all answered in order", async () => {
  const s = await tlsTunnel(h.endpoints.gatewayUrl, "login.microsoftonline.com:443", h.ca.certPem);
  const r = await exchangeOn(s, requests(60, "login.microsoftonline.com"), { timeoutMs: 20000 });
  s.destroy();
  assert.equal((r.text.match(/HTTP\/1\.1 400 /g) ?? []).length, 60, r.text.slice(0, 300));
  assert.deepEqual(
    answeredTenants(r.text),
    Array.from({ length: 60 }, (_, i) => i),
  );
});

test("200 pipelined requests on the direct HTTPS listener are all answered in order", async () => {
  const s = await tlsDirect(h.endpoints.httpsUrl, h.ca.certPem);
  const r = await exchangeOn(s, requests(200, "localhost"), { timeoutMs: 20000 });
  s.destroy();
  assert.equal((r.text.match(/HTTP\/1\.1 400 /g) ?? []).length, 200, r.text.slice(0, 300));
  assert.deepEqual(
    answeredTenants(r.text),
    Array.from({ length: 200 }, (_, i) => i),
  );
});

test("pipelined requests whose client reads nothing until it has sent them all are answered (back-pressure)", async () => {
  const s = await tlsTunnel(h.endpoints.gatewayUrl, "login.microsoftonline.com:443", h.ca.certPem);
  s.pause();
  s.write(requests(150, "login.microsoftonline.com"));
  await new Promise((r) => setTimeout(r, 500));
  const answer = exchangeOn(s, "", { timeoutMs: 20000 });
  s.resume();
  const r = await answer;
  s.destroy();
  assert.deepEqual(
    answeredTenants(r.text),
    Array.from({ length: 150 }, (_, i) => i),
  );
});
