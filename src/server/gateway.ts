/**
 * The gateway: an HTTP proxy that real clients reach through HTTPS_PROXY/HTTP_PROXY (clients.md B2, A3).
 * `CONNECT host:443` to an emulated Azure host is answered by terminating TLS with a leaf certificate for that
 * host (SNI) and feeding the decrypted stream to the HTTP app; absolute-form `http://` requests (IMDS) go to the
 * app directly. Anything else is refused at once and never forwarded: no connection ever leaves this machine.
 * The `Proxy-Authorization` user name names the vantage point (a simulated VM); none means the internet.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import type { LocalCa } from "./ca.js";
import type { ConnectionInfo } from "./exchange.js";
import type { HttpApp } from "./http-app.js";

export const SOCKET_CONN = Symbol("hsmlink.socketConnection");
type TaggedSocket = Duplex & { [SOCKET_CONN]?: ConnectionInfo };

/** Decision on a proxy request: go ahead (possibly with more connection facts) or refuse with a reason. */
export type ProxyDecision = { ok: true; conn: ConnectionInfo } | { ok: false; status: number; reason: string; headers?: Record<string, string> };

/** Decides whether a CONNECT or absolute-form request may proceed. `vantage` is the proxy user name, if any. */
export type ProxyPolicy = (target: { hostName: string; port: number; kind: "connect" | "absolute" }, vantage: string | undefined) => Promise<ProxyDecision>;

/** The connection facts the HTTP app needs for a raw request that came in over a terminated TLS socket. */
export function connOfTlsRequest(req: IncomingMessage): ConnectionInfo | undefined {
  return (req.socket as unknown as TaggedSocket)[SOCKET_CONN];
}

/** The user name of a `Proxy-Authorization: Basic …` header, if any. */
export function proxyUser(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^basic\s+(.+)$/i.exec(header.trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const user = decoded.split(":")[0];
  return user ? decodeURIComponent(user) : undefined;
}

/** Parses `host:port` of a CONNECT request target; IPv6 in brackets. */
export function parseAuthority(authority: string): { hostName: string; port: number } | undefined {
  const m = /^\[?([^\]\s]+?)\]?(?::(\d{1,5}))?$/.exec(authority.trim());
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : 443;
  if (port < 1 || port > 65535) return undefined;
  return { hostName: m[1].toLowerCase().replace(/\.$/, ""), port };
}

/** Wraps a raw socket in server-side TLS with a per-SNI certificate and hands it to the HTTP app. */
export function terminateTls(ca: LocalCa, app: HttpApp, socket: Duplex, conn: ConnectionInfo, fallbackHost: string): void {
  void ca.contextFor(fallbackHost).then(
    (secureContext) => {
      const tls = new TLSSocket(socket as Socket, {
        isServer: true,
        secureContext,
        SNICallback: (name, cb) => {
          ca.contextFor(name || fallbackHost).then((c) => cb(null, c), (e) => cb(e as Error));
        },
      }) as TLSSocket & TaggedSocket;
      tls[SOCKET_CONN] = conn;
      tls.on("error", () => tls.destroy());
      app.tlsInner.emit("connection", tls);
    },
    () => socket.destroy(),
  );
}

/** A reason made safe for an HTTP header line (ASCII, no line breaks). */
function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, " ");
}

function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const text = `hsmlink: ${reason}\n`;
  const statusText = { 400: "Bad Request", 403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway", 503: "Service Unavailable" }[status] ?? "Error";
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nX-Hsmlink-Reason: ${headerSafe(reason)}\r\n${extra}Connection: close\r\n\r\n${text}`);
}

/** Creates the gateway server (not yet listening). */
export function createGateway(opts: { ca: LocalCa; app: HttpApp; policy: ProxyPolicy }): Server {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (!/^http:\/\//i.test(url)) {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" }).end("hsmlink: this port is a proxy; set HTTPS_PROXY/HTTP_PROXY to it (see `hsmlink env`).\n");
      return;
    }
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" }).end("hsmlink: malformed absolute-form request target.\n");
      return;
    }
    const vantage = proxyUser(req.headers["proxy-authorization"]);
    const hostName = target.hostname.toLowerCase().replace(/^\[|\]$/g, "");
    void opts.policy({ hostName, port: Number(target.port || 80), kind: "absolute" }, vantage).then((d) => {
      if (!d.ok) {
        res.writeHead(d.status, { "Content-Type": "text/plain; charset=utf-8", "X-Hsmlink-Reason": headerSafe(d.reason), ...(d.headers ?? {}) }).end(`hsmlink: ${d.reason}\n`);
        return;
      }
      req.url = target.pathname + target.search;
      opts.app.handle(req, res, d.conn);
    });
  });

  server.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const authority = parseAuthority(req.url ?? "");
    if (!authority) return refuse(socket, 400, `malformed CONNECT target '${req.url}'`);
    const vantage = proxyUser(req.headers["proxy-authorization"]);
    void opts.policy({ ...authority, kind: "connect" }, vantage).then((d) => {
      if (!d.ok) return refuse(socket, d.status, d.reason, d.headers);
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head && head.length) socket.unshift(head);
      terminateTls(opts.ca, opts.app, socket, d.conn, authority.hostName);
    });
  });

  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
