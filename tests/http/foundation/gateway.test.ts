// The gateway: emulated hosts are served through CONNECT with certificates from the local CA; anything else is
// refused at once with a reason and no outbound connection; the proxy user name is the vantage point.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { request as httpRequest } from "node:http";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

function gw(): { host: string; port: number } {
  const u = new URL(h.endpoints.gatewayUrl);
  return { host: u.hostname, port: Number(u.port) };
}

/** Sends a raw CONNECT and resolves with the proxy's status line and the socket. */
function rawConnect(
  target: string,
  headers: Record<string, string> = {},
): Promise<{ statusLine: string; head: string; socket: import("node:net").Socket }> {
  return new Promise((resolve, reject) => {
    const { host, port } = gw();
    const s = connect(port, host, () => {
      s.write(
        `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join("")}\r\n`,
      );
    });
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        s.off("data", onData);
        resolve({ statusLine: buf.split("\r\n")[0], head: buf.slice(0, end), socket: s });
      }
    };
    s.on("data", onData);
    s.on("error", reject);
  });
}

test("CONNECT to a host hsmlink does not emulate is refused with a reason", async () => {
  const r = await rawConnect("azure.microsoft.com:443");
  assert.match(r.statusLine, /^HTTP\/1\.1 403 /);
  assert.match(r.head, /not an emulated Azure host/);
  r.socket.destroy();
});

test("CONNECT to an emulated host on another port is refused", async () => {
  const r = await rawConnect("management.azure.com:8443");
  assert.match(r.statusLine, /^HTTP\/1\.1 403 /);
  assert.match(r.head, /port 443 only/);
  r.socket.destroy();
});

test("garbage CONNECT target gets 400", async () => {
  const r = await rawConnect("not a host:99999");
  assert.match(r.statusLine, /^HTTP\/1\.1 400 /);
  r.socket.destroy();
});

test("CONNECT management.azure.com:443 is terminated with a certificate for that name from the local CA", async () => {
  const r = await rawConnect("management.azure.com:443");
  assert.match(r.statusLine, /^HTTP\/1\.1 200 /);
  const tls = tlsConnect({ socket: r.socket, servername: "management.azure.com", ca: h.ca.certPem });
  await new Promise<void>((res, rej) => {
    tls.once("secureConnect", () => res());
    tls.once("error", rej);
  });
  assert.equal(tls.authorized, true);
  const cert = tls.getPeerCertificate();
  assert.match(String(cert.subjectaltname), /DNS:management\.azure\.com/);
  tls.write(
    "GET /subscriptions?api-version=2019-11-01 HTTP/1.1\r\nHost: management.azure.com\r\nConnection: close\r\n\r\n",
  );
  let text = "";
  for await (const chunk of tls) text += chunk.toString();
  assert.match(text, /^HTTP\/1\.1 401 /);
  assert.match(text, /AuthenticationFailed/);
});

test("plain-http requests through the proxy: IMDS is served, any other host refused", async () => {
  const { host, port } = gw();
  const get = (url: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host, port, path: url, headers }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  // The instance secret is the proxy password, as in the proxy URL `hsmlink env` prints.
  const proxyAuth = { "Proxy-Authorization": `Basic ${Buffer.from(`_internet:${h.secret}`).toString("base64")}` };
  const imds = await get(
    "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
    { Metadata: "true", ...proxyAuth },
  );
  assert.equal(imds.status, 200);
  const tok = JSON.parse(imds.body);
  assert.equal(tok.token_type, "Bearer");
  const claims = JSON.parse(Buffer.from(tok.access_token.split(".")[1], "base64url").toString());
  assert.equal(claims.aud, "https://management.azure.com/");
  assert.equal(claims.oid, h.endpoints.principalObjectId);
  assert.equal(claims.tid, h.endpoints.tenantId);
  const noHeader = await get(
    "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x",
    proxyAuth,
  );
  assert.equal(noHeader.status, 400);
  const noSecret = await get(
    "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
    { Metadata: "true" },
  );
  assert.equal(noSecret.status, 407);
  const other = await get("http://example.com/", {});
  assert.equal(other.status, 403);
  assert.match(other.body, /nothing is forwarded/);
});

test("the CA certificate is served by the direct HTTPS listener and the MSI listener serves tokens", async () => {
  const { request } = await import("node:https");
  const pem = await new Promise<string>((resolve, reject) => {
    request(new URL("/ca.pem", h.endpoints.httpsUrl), { ca: h.ca.certPem }, (res) => {
      let b = "";
      res.on("data", (d) => (b += d));
      res.on("end", () => resolve(b));
    })
      .on("error", reject)
      .end();
  });
  assert.equal(pem, h.ca.certPem);
  const res = await fetch(h.endpoints.msiEndpoint, {
    method: "POST",
    headers: { Metadata: "true", "content-type": "application/x-www-form-urlencoded", "X-IDENTITY-HEADER": h.secret },
    body: "resource=https%3A%2F%2Fmanagedhsm.azure.net",
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { access_token: string; expires_on: string };
  assert.match(body.expires_on, /^\d+$/);
  assert.equal(
    JSON.parse(Buffer.from(body.access_token.split(".")[1], "base64url").toString()).aud,
    "https://managedhsm.azure.net",
  );
});
