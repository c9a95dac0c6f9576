/**
 * The gateway: an HTTP proxy that real clients reach through HTTPS_PROXY/HTTP_PROXY (clients.md B2, A3).
 * `CONNECT host:443` to an emulated Azure host is answered by terminating TLS with a leaf certificate for that
 * host (SNI) and handing the TLS socket to the HTTP app's HTTPS server, whose timeouts and pipelining then apply;
 * absolute-form `http://` requests (IMDS) go to the app directly. Anything else is refused at once and never
 * forwarded: no connection ever leaves this machine. The `Proxy-Authorization` user name names the vantage point
 * (a simulated VM); none (or `_internet`) means the internet; its password is the instance secret where one is
 * needed. Malformed credentials are a 407, and one vantage point may hold at most its share of open tunnels.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { TLSSocket, type SecureContext } from "node:tls";
import type { Duplex } from "node:stream";
import { connect as netConnect, type Socket } from "node:net";
import { NameNotServedError, type LocalCa } from "./ca.js";
import type { ConnectionInfo } from "../kernel/exchange.js";
import { httpServerLimits, type HttpApp, type ConnectionLimits } from "./http-app.js";
import type { GatewayRefusal, ProxyPolicy } from "../pipeline/connect.js";
import type { TraceStep } from "../kernel/trace.js";
import { headerSafe, reasonPhrase } from "../pipeline/render.js";
import { INTERNET_PROXY_USER } from "../kernel/instance-secret.js";

export const SOCKET_CONN = Symbol("hsmlink.socketConnection");
type TaggedSocket = Duplex & { [SOCKET_CONN]?: ConnectionInfo };

/** The connection facts the HTTP app needs for a raw request that came in over a terminated TLS socket. */
export function connOfTlsRequest(req: IncomingMessage): ConnectionInfo | undefined {
  return (req.socket as unknown as TaggedSocket)[SOCKET_CONN];
}

/** The credentials of a `Proxy-Authorization: Basic …` header (RFC 7617), or why they cannot be read. */
export type ProxyCredentials = { ok: true; user?: string; password?: string } | { ok: false; reason: string };

/**
 * Reads `Proxy-Authorization: Basic base64(user:password)`. The user name is percent-decoded once more (a VM name
 * never holds `%`, so this only matters for names escaped twice). None, an empty user name, `_internet` or another
 * scheme → no user (the internet). Never throws: credentials that are not base64 or UTF-8, or a user name that is not valid
 * percent-encoding, come back as a reason the gateway refuses with (407).
 */
export function proxyCredentials(header: string | undefined): ProxyCredentials {
  if (!header) return { ok: true };
  const m = /^basic\s+(\S+)\s*$/i.exec(header.trim());
  if (!m) return { ok: true };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(m[1]))
    return { ok: false, reason: "Proxy-Authorization is not valid base64 (RFC 7617 Basic credentials)" };
  const raw = Buffer.from(m[1], "base64");
  const decoded = new TextDecoder("utf-8", { fatal: false }).decode(raw);
  if (decoded.includes("\ufffd")) return { ok: false, reason: "Proxy-Authorization credentials are not UTF-8" };
  const colon = decoded.indexOf(":");
  const rawUser = colon >= 0 ? decoded.slice(0, colon) : decoded;
  const password = colon >= 0 ? decoded.slice(colon + 1) : undefined;
  let user: string;
  try {
    user = decodeURIComponent(rawUser);
  } catch {
    return {
      ok: false,
      reason: `proxy user name '${rawUser}' is not valid percent-encoding; write the VM name in the proxy URL as 'hsmlink env --vm NAME' prints it`,
    };
  }
  if (/[\x00-\x1f\x7f]/.test(user)) return { ok: false, reason: "proxy user name contains control characters" };
  return { ok: true, user: user === "" || user.toLowerCase() === INTERNET_PROXY_USER ? undefined : user, password };
}

/** The user name of a `Proxy-Authorization: Basic …` header, if any (undefined also when it cannot be read). */
export function proxyUser(header: string | undefined): string | undefined {
  const c = proxyCredentials(header);
  return c.ok ? c.user : undefined;
}

/**
 * Parses the authority-form target of a CONNECT (RFC 9110 §9.3.6: `host:port`, both required; IPv6 literal in
 * brackets). @returns the host and port, or why the target is malformed
 */
export function parseAuthority(authority: string): { hostName: string; port: number } | { error: string } {
  const a = authority.trim();
  // `CONNECT HTTP/1.1` (no target) parses as the target `HTTP/1.1` with no version.
  if (a === "" || /^HTTP\/\d(\.\d)?$/i.test(a))
    return { error: "empty CONNECT target; expected host:port (e.g. myhsm.managedhsm.azure.net:443)" };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(a);
  if (!m) {
    const noPort = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(a);
    return {
      error: noPort
        ? `CONNECT target '${a}' has no port; expected host:port (e.g. ${a}:443)`
        : `malformed CONNECT target '${a}'; expected host:port`,
    };
  }
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return { error: `CONNECT target '${a}': port ${m[3]} is out of range 1-65535` };
  const hostName = (m[1] ?? m[2]).toLowerCase().replace(/\.$/, "");
  if (hostName === "") return { error: `malformed CONNECT target '${a}'; expected host:port` };
  return { hostName, port };
}

/**
 * Server-side TLS on a tunnel's raw socket with the certificate for `hostName`. A client naming (SNI) another server
 * is refused in the handshake, before any certificate for that name is minted.
 */
function tunnelTls(socket: Duplex, hostName: string, secureContext: SecureContext): TLSSocket {
  return new TLSSocket(socket as Socket, {
    isServer: true,
    secureContext,
    SNICallback: (name, cb) => {
      const sni = name.toLowerCase().replace(/\.$/, "");
      if (sni !== "" && sni !== hostName)
        cb(new NameNotServedError(`TLS server name '${name}' differs from the tunnel's host ${hostName}`));
      else cb(null, secureContext);
    },
  });
}

/**
 * Terminates TLS on a CONNECT tunnel to `tunnelHost` and hands the socket to the HTTP app's HTTPS server once the
 * handshake completes. The client has `handshakeTimeoutMs` from the tunnel's 200 to finish the handshake, and may
 * name (SNI) only `tunnelHost`: no certificate is minted for another name. The raw socket goes when the TLS one does.
 */
export function terminateTls(
  ca: LocalCa,
  app: HttpApp,
  socket: Duplex,
  conn: ConnectionInfo,
  tunnelHost: string,
  handshakeTimeoutMs: number,
): void {
  const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
  socket.once("close", () => clearTimeout(timer));
  ca.contextFor(tunnelHost)
    .then((secureContext) => {
      if (socket.destroyed) return;
      const tls = tunnelTls(socket, tunnelHost, secureContext) as TLSSocket & TaggedSocket;
      tls[SOCKET_CONN] = conn;
      tls.on("error", () => tls.destroy());
      tls.once("close", () => {
        clearTimeout(timer);
        socket.destroy();
      });
      tls.once("secure", () => {
        clearTimeout(timer);
        app.adoptTls(tls);
      });
    })
    // No certificate (a name hsmlink does not serve) or a socket that cannot be wrapped: the tunnel just closes.
    .catch(() => socket.destroy());
}

/** How a 407 asks for proxy credentials (RFC 9110 §11.7.1). */
const PROXY_CHALLENGE = { "Proxy-Authenticate": 'Basic realm="hsmlink"' };

/** What one client may hold on the gateway: the connection timeouts and the open tunnels per vantage point. */
export interface GatewayLimits extends ConnectionLimits {
  maxConnectionsPerVantage: number;
}

/** Where the gateway reports what went wrong inside it (hsmlink's logger). */
export type GatewayLog = (level: "error" | "warn", message: string, err?: unknown) => void;

function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed || !socket.writable) return void socket.destroy();
  const text = `hsmlink: ${reason}\n`;
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${reasonPhrase(reason)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nX-Hsmlink-Reason: ${headerSafe(reason)}\r\n${extra}Connection: close\r\n\r\n${text}`,
  );
}

/**
 * Wraps a raw socket in server-side TLS (certificate for the requested name) and pipes the plaintext to a backend
 * HTTP server that serves the host itself (Azurite for `{account}.blob.core.windows.net`: it reads the account from
 * the Host header, as for production-style URLs). The same handshake timeout and server-name rule as
 * {@link terminateTls} apply; the backend's own HTTP server times out idle and slow requests.
 */
export function terminateTlsTo(
  ca: LocalCa,
  socket: Duplex,
  hostName: string,
  backend: () => Promise<{ host: string; port: number }>,
  handshakeTimeoutMs: number,
): void {
  const timer = setTimeout(() => socket.destroy(), handshakeTimeoutMs);
  socket.once("close", () => clearTimeout(timer));
  Promise.all([ca.contextFor(hostName), backend()])
    .then(([secureContext, target]) => {
      if (socket.destroyed) return;
      const tls = tunnelTls(socket, hostName, secureContext);
      tls.once("secure", () => clearTimeout(timer));
      const upstream = netConnect(target.port, target.host);
      const close = () => {
        clearTimeout(timer);
        tls.destroy();
        upstream.destroy();
        socket.destroy();
      };
      tls.on("error", close);
      upstream.on("error", close);
      tls.on("close", close);
      upstream.on("close", close);
      tls.pipe(upstream).pipe(tls);
    })
    .catch(() => socket.destroy());
}

/**
 * Creates the gateway server (not yet listening). `onRefusal` hears of every refusal it sends (malformed
 * targets and policy refusals) so the decision trace log can show them.
 */
export function createGateway(opts: {
  ca: LocalCa;
  app: HttpApp;
  policy: ProxyPolicy;
  limits: GatewayLimits;
  onRefusal?: (r: GatewayRefusal) => void;
  log?: GatewayLog;
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
  const server = createServer(httpServerLimits(opts.limits), (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    const method = req.method ?? "GET";
    const creds = proxyCredentials(req.headers["proxy-authorization"]);
    const vantage = creds.ok ? creds.user : undefined;
    const refuseHttp = (
      status: number,
      reason: string,
      hostName: string,
      headers: Record<string, string> = {},
      steps: readonly TraceStep[] = [],
    ) => {
      if (res.headersSent || res.destroyed) return;
      res
        .writeHead(status, reasonPhrase(reason), {
          "Content-Type": "text/plain; charset=utf-8",
          "X-Hsmlink-Reason": headerSafe(reason),
          ...headers,
        })
        .end(`hsmlink: ${reason}\n`);
      report({ method, url, hostName, vantage, status, reason, steps });
    };
    if (!/^http:\/\//i.test(url)) {
      res
        .writeHead(400, { "Content-Type": "text/plain; charset=utf-8" })
        .end("hsmlink: this port is a proxy; set HTTPS_PROXY/HTTP_PROXY to it (see `hsmlink env`).\n");
      return;
    }
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return refuseHttp(400, `malformed absolute-form request target '${url}'`, "");
    }
    const hostName = target.hostname.toLowerCase().replace(/^\[|\]$/g, "");
    if (!creds.ok)
      return refuseHttp(407, creds.reason, hostName, PROXY_CHALLENGE, [
        { step: "gateway", rule: "malformed-proxy-credentials", detail: creds.reason },
      ]);
    // Both the decision and the hand-over are guarded: a failure in either answers this client and goes to the log.
    opts
      .policy({ hostName, port: Number(target.port || 80), kind: "absolute", method, url }, vantage, creds.password)
      .then((d) => {
        if (!d.ok) return refuseHttp(d.status, d.reason, hostName, d.headers, d.steps);
        req.url = target.pathname + target.search;
        opts.app.handle(req, res, d.conn);
      })
      .catch((e: unknown) => {
        opts.log?.("error", "gateway failed on an absolute-form request", e);
        refuseHttp(502, "hsmlink could not serve this request (internal error; see its log)", hostName);
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

  // Raw connections of any kind (a backstop; CONNECT tunnels are also counted per vantage below).
  server.maxConnections = opts.limits.maxConnectionsPerVantage * 4;
  const perVantage = new Map<string, number>();

  server.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    tunnels.add(socket);
    socket.once("close", () => tunnels.delete(socket));
    const url = req.url ?? "";
    const creds = proxyCredentials(req.headers["proxy-authorization"]);
    const vantage = creds.ok ? creds.user : undefined;
    const vantageKey = (vantage ?? "").toLowerCase();
    const open = perVantage.get(vantageKey) ?? 0;
    if (open >= opts.limits.maxConnectionsPerVantage) {
      const reason = `too many open tunnels from ${vantage === undefined ? "the internet" : `proxy user '${vantage}'`} (${open}; the limit is --max-connections-per-vantage ${opts.limits.maxConnectionsPerVantage}); close idle connections and retry`;
      refuse(socket, 503, reason, { "Retry-After": "1" });
      report({
        method: "CONNECT",
        url,
        hostName: "",
        vantage,
        status: 503,
        reason,
        steps: [{ step: "gateway", rule: "connection-limit", detail: reason }],
      });
      return;
    }
    perVantage.set(vantageKey, open + 1);
    socket.once("close", () => {
      const n = (perVantage.get(vantageKey) ?? 1) - 1;
      if (n <= 0) perVantage.delete(vantageKey);
      else perVantage.set(vantageKey, n);
    });
    const authority = parseAuthority(url);
    if ("error" in authority) {
      refuse(socket, 400, authority.error);
      report({
        method: "CONNECT",
        url,
        hostName: "",
        vantage,
        status: 400,
        reason: authority.error,
        steps: [{ step: "gateway", rule: "malformed-target", detail: authority.error }],
      });
      return;
    }
    if (!creds.ok) {
      refuse(socket, 407, creds.reason, PROXY_CHALLENGE);
      report({
        method: "CONNECT",
        url,
        hostName: authority.hostName,
        vantage,
        status: 407,
        reason: creds.reason,
        steps: [{ step: "gateway", rule: "malformed-proxy-credentials", detail: creds.reason }],
      });
      return;
    }
    let established = false;
    opts
      .policy({ ...authority, kind: "connect", method: "CONNECT", url }, vantage, creds.password)
      .then((d) => {
        if (socket.destroyed) return;
        if (!d.ok) {
          const send = () => {
            if (socket.destroyed) return;
            refuse(socket, d.status, d.reason, d.headers);
            report({
              method: "CONNECT",
              url,
              hostName: authority.hostName,
              vantage,
              status: d.status,
              reason: d.reason,
              steps: d.steps ?? [],
            });
          };
          if (!d.holdMs) return send();
          // A dropped connection: say nothing for a while, as the client would wait for packets Azure discards.
          const timer = setTimeout(send, d.holdMs);
          timer.unref();
          socket.once("close", () => clearTimeout(timer));
          return;
        }
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        established = true;
        if (head && head.length) socket.unshift(head);
        const backend = opts.passThrough?.(authority.hostName);
        if (backend) terminateTlsTo(opts.ca, socket, authority.hostName, backend, opts.limits.tlsHandshakeTimeoutMs);
        else terminateTls(opts.ca, opts.app, socket, d.conn, authority.hostName, opts.limits.tlsHandshakeTimeoutMs);
      })
      .catch((e: unknown) => {
        opts.log?.("error", "gateway failed on a CONNECT", e);
        // Before the 200 the client still reads HTTP; after it, only closing the tunnel is left.
        if (!established && !socket.destroyed)
          refuse(socket, 502, "hsmlink could not serve this tunnel (internal error; see its log)");
        else socket.destroy();
      });
  });

  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
