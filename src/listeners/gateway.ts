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
import { connect as netConnect, type Socket } from "node:net";
import type { LocalCa } from "./ca.js";
import type { ConnectionInfo } from "../kernel/exchange.js";
import type { HttpApp } from "./http-app.js";
import type { GatewayRefusal, ProxyPolicy } from "../pipeline/connect.js";
import type { TraceStep } from "../kernel/trace.js";
import { headerSafe, reasonPhrase } from "../pipeline/render.js";

export const SOCKET_CONN = Symbol("hsmlink.socketConnection");
type TaggedSocket = Duplex & { [SOCKET_CONN]?: ConnectionInfo };

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

/**
 * Parses the authority-form target of a CONNECT (RFC 9110 §9.3.6: `host:port`, both required; IPv6 literal in
 * brackets). @returns the host and port, or why the target is malformed
 */
export function parseAuthority(authority: string): { hostName: string; port: number } | { error: string } {
  const a = authority.trim();
  // `CONNECT HTTP/1.1` (no target) parses as the target `HTTP/1.1` with no version.
  if (a === "" || /^HTTP\/\d(\.\d)?$/i.test(a)) return { error: "empty CONNECT target; expected host:port (e.g. myhsm.managedhsm.azure.net:443)" };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(a);
  if (!m) {
    const noPort = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(a);
    return { error: noPort ? `CONNECT target '${a}' has no port; expected host:port (e.g. ${a}:443)` : `malformed CONNECT target '${a}'; expected host:port` };
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return { error: `CONNECT target '${a}': port ${m[3]} is out of range 1-65535` };
  const hostName = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, "");
  if (hostName === "") return { error: `malformed CONNECT target '${a}'; expected host:port` };
  return { hostName, port };
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

function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const text = `hsmlink: ${reason}\n`;
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.end(`HTTP/1.1 ${status} ${reasonPhrase(reason)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nX-Hsmlink-Reason: ${headerSafe(reason)}\r\n${extra}Connection: close\r\n\r\n${text}`);
}

/**
 * Wraps a raw socket in server-side TLS (certificate for the requested name) and pipes the plaintext to a backend
 * HTTP server that serves the host itself (Azurite for `{account}.blob.core.windows.net`: it reads the account from
 * the Host header, as for production-style URLs).
 */
export function terminateTlsTo(ca: LocalCa, socket: Duplex, hostName: string, backend: () => Promise<{ host: string; port: number }>): void {
  void Promise.all([ca.contextFor(hostName), backend()]).then(
    ([secureContext, target]) => {
      const tls = new TLSSocket(socket as Socket, { isServer: true, secureContext });
      const upstream = netConnect(target.port, target.host);
      const close = () => {
        tls.destroy();
        upstream.destroy();
      };
      tls.on("error", close);
      upstream.on("error", close);
      tls.on("close", close);
      upstream.on("close", close);
      tls.pipe(upstream).pipe(tls);
    },
    () => socket.destroy(),
  );
}

/**
 * Creates the gateway server (not yet listening). `onRefusal` hears of every refusal it sends (malformed
 * targets and policy refusals) so the decision trace log can show them.
 */
export function createGateway(opts: {
  ca: LocalCa;
  app: HttpApp;
  policy: ProxyPolicy;
  onRefusal?: (r: GatewayRefusal) => void;
  /** Hosts served by a backend HTTP server rather than the HTTP app (Azure Blob Storage → Azurite). */
  passThrough?: (hostName: string) => (() => Promise<{ host: string; port: number }>) | undefined;
}): Server {
  const report = (r: GatewayRefusal) => {
    try {
      opts.onRefusal?.(r);
    } catch {
      /* the trace is best effort; the refusal is sent anyway */
    }
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    const method = req.method ?? "GET";
    const vantage = proxyUser(req.headers["proxy-authorization"]);
    const refuseHttp = (status: number, reason: string, hostName: string, headers: Record<string, string> = {}, steps: readonly TraceStep[] = []) => {
      res.writeHead(status, reasonPhrase(reason), { "Content-Type": "text/plain; charset=utf-8", "X-Hsmlink-Reason": headerSafe(reason), ...headers }).end(`hsmlink: ${reason}\n`);
      report({ method, url, hostName, vantage, status, reason, steps });
    };
    if (!/^http:\/\//i.test(url)) {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" }).end("hsmlink: this port is a proxy; set HTTPS_PROXY/HTTP_PROXY to it (see `hsmlink env`).\n");
      return;
    }
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return refuseHttp(400, `malformed absolute-form request target '${url}'`, "");
    }
    const hostName = target.hostname.toLowerCase().replace(/^\[|\]$/g, "");
    void opts.policy({ hostName, port: Number(target.port || 80), kind: "absolute", method, url }, vantage).then((d) => {
      if (!d.ok) return refuseHttp(d.status, d.reason, hostName, d.headers, d.steps);
      req.url = target.pathname + target.search;
      opts.app.handle(req, res, d.conn);
    });
  });

  // Tunnels leave the HTTP server's connection tracking; closeAllConnections (used at shutdown) ends them too,
  // or a client that vanished before its TLS handshake would hold close() open.
  const tunnels = new Set<Duplex>();
  const closeHttpConnections = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeHttpConnections();
    for (const t of tunnels) t.destroy();
    tunnels.clear();
  };

  server.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    tunnels.add(socket);
    socket.once("close", () => tunnels.delete(socket));
    const url = req.url ?? "";
    const vantage = proxyUser(req.headers["proxy-authorization"]);
    const authority = parseAuthority(url);
    if ("error" in authority) {
      refuse(socket, 400, authority.error);
      report({ method: "CONNECT", url, hostName: "", vantage, status: 400, reason: authority.error, steps: [{ step: "gateway", rule: "malformed-target", detail: authority.error }] });
      return;
    }
    void opts.policy({ ...authority, kind: "connect", method: "CONNECT", url }, vantage).then((d) => {
      if (!d.ok) {
        refuse(socket, d.status, d.reason, d.headers);
        report({ method: "CONNECT", url, hostName: authority.hostName, vantage, status: d.status, reason: d.reason, steps: d.steps ?? [] });
        return;
      }
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head && head.length) socket.unshift(head);
      const backend = opts.passThrough?.(authority.hostName);
      if (backend) terminateTlsTo(opts.ca, socket, authority.hostName, backend);
      else terminateTls(opts.ca, opts.app, socket, d.conn, authority.hostName);
    });
  });

  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
