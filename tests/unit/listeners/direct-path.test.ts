// The HTTP layer serves plain requests without Fastify's per-request machinery (the direct path) and hands the rest
// to Fastify. Both must answer byte for byte alike: every request below is sent to an app with the direct path and
// to one without, and the raw responses (Date and request ids aside) are compared.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { buildHttpApp, type HttpApp } from "../../../src/listeners/http-app.js";
import { LocalCa } from "../../../src/listeners/ca.js";
import { AzureError } from "../../../src/kernel/errors.js";
import type { Exchange, ExchangeResult } from "../../../src/kernel/exchange.js";

const BODY_LIMIT = 1000;

function dispatch(ex: Exchange): Promise<ExchangeResult> {
  const results: Record<string, () => ExchangeResult> = {
    "/json": () => ({ status: 200, body: { a: 1, name: "ü" }, headers: { "X-Custom": "v", ETag: '"1"' } }),
    "/string-json": () => ({ status: 200, body: '{"x":1}', contentType: "application/json" }),
    "/string-text": () => ({ status: 200, body: "héllo", contentType: "text/plain" }),
    "/string-bad-type": () => ({ status: 200, body: "hi", contentType: "nonsense" }),
    "/buffer": () => ({ status: 200, body: Buffer.from([1, 2, 3]), contentType: "application/x-pem-file" }),
    "/buffer-untyped": () => ({ status: 200, body: Buffer.from([4, 5]) }),
    "/empty": () => ({ status: 202, headers: { Location: "https://h/op", "Retry-After": "0" } }),
    "/no-content": () => ({ status: 204, body: { ignored: true } }),
    "/header-text": () => ({ status: 200, body: {}, headers: { "x-name": "ü and\r\nmore" } }),
    "/length-given": () => ({ status: 200, body: { a: 1 }, headers: { "content-length": "999" } }),
    "/challenge": () => ({
      status: 401,
      body: "",
      contentType: "application/json; charset=utf-8",
      headers: { "www-authenticate": 'Bearer authorization="https://login.microsoftonline.com/t", resource="r"' },
    }),
    "/drop": () => ({ status: 0, dropConnection: true }),
  };
  if (ex.path === "/azure-error") return Promise.reject(new AzureError(404, "KeyNotFound", "no such key"));
  if (ex.path === "/crash") return Promise.reject(new Error("boom"));
  const r = results[ex.path];
  if (r) return Promise.resolve(r());
  const headers = Object.fromEntries(Object.entries(ex.headers).filter(([k]) => k !== "x-ms-request-id"));
  return Promise.resolve({
    status: 200,
    body: {
      method: ex.method,
      path: ex.path,
      query: ex.query,
      headers,
      body: ex.body === undefined ? null : ex.body.toString("base64"),
      conn: ex.conn,
    },
  });
}

const renderError = (_conn: unknown, err: AzureError): ExchangeResult => ({
  status: err.status,
  body: { error: { code: err.code, message: err.message } },
});

interface Side {
  app: HttpApp;
  server: Server;
  port: number;
  fastifyRequests: number;
}

let dir: string;
const sides: Side[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "hsmlink-direct-"));
  const ca = await LocalCa.loadOrCreate(dir);
  for (const directPath of [true, false]) {
    const app = buildHttpApp({
      logLevel: "silent",
      bodyLimit: BODY_LIMIT,
      dispatch,
      renderError,
      connOfSocket: () => undefined,
      directConn: () => ({ listener: "https", hostName: "localhost", port: 0 }),
      tls: { defaultCert: await ca.leafPem("localhost"), sniCallback: (_n, cb) => cb(new Error("none")) },
      limits: { tlsHandshakeTimeoutMs: 5000, headersTimeoutMs: 5000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 5000 },
      directPath,
    });
    const side = { app, fastifyRequests: 0 } as Side;
    app.app.addHook("onRequest", (_req, _reply, done) => {
      side.fastifyRequests++;
      done();
    });
    await app.app.ready();
    side.server = createServer((req, res) =>
      app.handle(req, res, { listener: "https", hostName: "h.managedhsm.azure.net", port: 443 }),
    );
    await new Promise<void>((r) => side.server.listen(0, "127.0.0.1", r));
    side.port = (side.server.address() as AddressInfo).port;
    sides.push(side);
  }
});

after(async () => {
  for (const s of sides) {
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
    await s.app.app.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Sends raw bytes and returns everything the server wrote until it closed, Date and request ids normalised. */
function exchangeRaw(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", () => resolve(Buffer.concat(chunks).toString("latin1")));
    sock.on("close", () =>
      resolve(
        Buffer.concat(chunks)
          .toString("latin1")
          .replace(/^date: .*$/gim, "date: -")
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>"),
      ),
    );
    sock.setTimeout(5000, () => reject(new Error("timeout")));
    sock.end(raw);
  });
}

const req = (line: string, headers: string[] = [], body = "") =>
  `${line} HTTP/1.1\r\nHost: h.managedhsm.azure.net\r\n${headers.map((h) => `${h}\r\n`).join("")}Connection: close\r\n\r\n${body}`;
const json = '{"alg":"ES256","value":"AAEC"}';

const CASES: Record<string, string> = {
  "GET json": req("GET /json?api-version=7.4"),
  "HEAD json": req("HEAD /json"),
  "GET string json": req("GET /string-json"),
  "GET string text": req("GET /string-text"),
  "GET string with an invalid type": req("GET /string-bad-type"),
  "GET buffer": req("GET /buffer"),
  "GET untyped buffer": req("GET /buffer-untyped"),
  "DELETE empty 202": req("DELETE /empty"),
  "GET 204 with a body": req("GET /no-content"),
  "header values outside visible ASCII": req("GET /header-text"),
  "a Content-Length header from the surface": req("GET /length-given"),
  "HEAD with a Content-Length header from the surface": req("HEAD /length-given"),
  "401 challenge": req("GET /challenge"),
  "AzureError thrown": req("GET /azure-error"),
  "internal error": req("GET /crash"),
  "dropped connection": req("POST /drop", ["Content-Type: application/json", `Content-Length: ${json.length}`], json),
  "POST JSON body": req(
    "POST /keys/k/sign?api-version=7.4",
    ["Content-Type: application/json", `Content-Length: ${json.length}`],
    json,
  ),
  "POST JSON body with charset": req(
    "POST /echo?api%2Dversion=7.4&X=1",
    ["Content-Type: application/json;charset=UTF-8", `Content-Length: ${json.length}`],
    json,
  ),
  "PUT empty typed body": req("PUT /echo", ["Content-Type: application/json", "Content-Length: 0"]),
  "POST without type or length": req("POST /echo"),
  "POST with a length and no type": req("POST /echo", ["Content-Length: 4"], "abcd"),
  "POST with a type and no length": req("POST /echo", ["Content-Type: application/json"]),
  "OPTIONS with a type and no length": req("OPTIONS /echo", ["Content-Type: text/plain"]),
  "PATCH with an invalid media type": req("PATCH /echo", ["Content-Type: json", "Content-Length: 2"], "{}"),
  "PUT over the body limit": req(
    "PUT /echo",
    ["Content-Type: application/json", `Content-Length: ${BODY_LIMIT + 1}`],
    "x".repeat(BODY_LIMIT + 1),
  ),
  "POST chunked": req(
    "POST /echo",
    ["Content-Type: application/json", "Transfer-Encoding: chunked"],
    "2\r\n{}\r\n0\r\n\r\n",
  ),
  "GET with a body": req("GET /echo", ["Content-Type: application/json", "Content-Length: 2"], "{}"),
  "repeated slashes and a trailing slash": req("GET //keys//k/?api-version=7.4"),
  "percent-encoded path": req("GET /ke%79s/a%20b"),
  "malformed percent-encoding": req("GET /keys/%E0%A4%A"),
  "a long path": req(`GET /${"k".repeat(400)}`),
  "method the route does not serve": req("TRACE /echo"),
  "repeated header": req("GET /echo", ["X-A: 1", "X-A: 2", "Cookie: a=1", "Cookie: b=2"]),
  "Set-Cookie in a request, twice": req("GET /echo", ["Set-Cookie: a=1", "Set-Cookie: b=2", "X-Upper: V"]),
  "Accept-Version header": req("GET /echo", ["Accept-Version: 1.0"]),
  "pipelined requests": `GET /json HTTP/1.1\r\nHost: h\r\n\r\nPOST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}GET /empty HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
};

test("every request gets the same bytes with and without the direct path", async () => {
  const [direct, viaFastify] = sides;
  for (const [name, raw] of Object.entries(CASES)) {
    const a = await exchangeRaw(direct.port, raw);
    const b = await exchangeRaw(viaFastify.port, raw);
    assert.equal(a, b, name);
    if (name !== "dropped connection") assert.match(a, /^HTTP\/1\.1 \d{3} /, `${name}: an answer`);
  }
});

test("plain requests skip Fastify on the direct path; the others still go through it", async () => {
  const [direct, viaFastify] = sides;
  const plain = ["GET json", "POST JSON body", "POST without type or length", "401 challenge", "internal error"];
  const before = direct.fastifyRequests;
  for (const name of plain) await exchangeRaw(direct.port, CASES[name]);
  assert.equal(direct.fastifyRequests, before, "plain requests reach no Fastify hook");
  const handedOver = [
    "POST chunked",
    "percent-encoded path",
    "PUT over the body limit",
    "PATCH with an invalid media type",
  ];
  for (const name of handedOver) await exchangeRaw(direct.port, CASES[name]);
  assert.equal(direct.fastifyRequests, before + handedOver.length, "the rest is Fastify's");
  const viaBefore = viaFastify.fastifyRequests;
  await exchangeRaw(viaFastify.port, CASES["GET json"]);
  assert.equal(viaFastify.fastifyRequests, viaBefore + 1);
});

test("query parameters are read as URLSearchParams reads them, names lower-cased, the last of a name winning", async () => {
  const [direct] = sides;
  const searches = [
    "api-version=7.4",
    "api-version=7.4&maxresults=25&$skiptoken=abc",
    "A=1&a=2&&empty&=v&x==y&Z",
    "api%2Dversion=7.4&q=a+b&r=%E2%82%AC",
    "?lead=1&x=%zz",
  ];
  for (const search of searches) {
    const raw = await exchangeRaw(direct.port, req(`GET /echo?${search}`));
    const text = Buffer.from(raw.slice(raw.indexOf("\r\n\r\n") + 4), "latin1").toString("utf8");
    const body = JSON.parse(text) as { query: Record<string, string> };
    const expected: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(search)) expected[k.toLowerCase()] = v;
    assert.deepEqual(body.query, expected, search);
  }
});

test("the exchange's headers: lower-case names, repeated ones joined as Node joins them, Set-Cookie lists with ', '", async () => {
  const [direct] = sides;
  const echo = async (raw: string) => {
    const r = await exchangeRaw(direct.port, raw);
    return (JSON.parse(r.slice(r.indexOf("\r\n\r\n") + 4)) as { headers: Record<string, string> }).headers;
  };
  const plain = await echo(req("GET /echo", ["X-Upper: V", "X-A: 1", "X-A: 2", "Cookie: a=1", "Cookie: b=2"]));
  assert.equal(plain["x-upper"], "V");
  assert.equal(plain["x-a"], "1, 2");
  assert.equal(plain["cookie"], "a=1; b=2");
  const withSetCookie = await echo(req("GET /echo", ["Set-Cookie: a=1", "Set-Cookie: b=2", "X-Upper: V"]));
  assert.equal(withSetCookie["set-cookie"], "a=1, b=2");
  assert.equal(withSetCookie["x-upper"], "V");
});
