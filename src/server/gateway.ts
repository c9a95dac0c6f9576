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
import { evaluateConnect, vantageText, type PipelineStep } from "../network/decision.js";
import type { NetworkSnapshot, Vantage } from "../network/topology.js";

export const ARM_HOST = "management.azure.com";
export const LOGIN_HOST = "login.microsoftonline.com";
export const IMDS_HOST = "169.254.169.254";
/** Microsoft Graph: not emulated; hsmlink answers every request there with an error that says so (az reads it). */
export const GRAPH_HOST = "graph.microsoft.com";
export const HSM_SUFFIX = ".managedhsm.azure.net";

/** A managed HSM data-plane host name, `{name}.managedhsm.azure.net` with one DNS label. */
export function hsmNameOfHost(host: string): string | undefined {
  const h = host.toLowerCase();
  if (!h.endsWith(HSM_SUFFIX)) return undefined;
  const label = h.slice(0, -HSM_SUFFIX.length);
  return /^[a-z0-9-]{1,63}$/.test(label) ? label : undefined;
}

export const SOCKET_CONN = Symbol("hsmlink.socketConnection");
type TaggedSocket = Duplex & { [SOCKET_CONN]?: ConnectionInfo };

/** A step of the gateway's own decision (proxy user, emulated host, port, scheme), traced like the network steps. */
export interface GatewayStep {
  readonly step: "gateway";
  readonly rule: string;
  readonly detail: string;
}

/** Any step of a request's decision trace. */
export type TraceStep = PipelineStep | GatewayStep;

/** Decision on a proxy request: go ahead (possibly with more connection facts) or refuse with a reason. */
export type ProxyDecision =
  | { ok: true; conn: ConnectionInfo; steps?: readonly TraceStep[] }
  | { ok: false; status: number; reason: string; headers?: Record<string, string>; steps?: readonly TraceStep[] };

/** What a client asked the gateway for: a CONNECT tunnel or an absolute-form (plain http) request. */
export interface ProxyTarget {
  hostName: string;
  port: number;
  kind: "connect" | "absolute";
  /** Request method (`CONNECT` for tunnels) and target as sent, for the trace of a refusal. */
  method?: string;
  url?: string;
}

/** Decides whether a CONNECT or absolute-form request may proceed. `vantage` is the proxy user name, if any. */
export type ProxyPolicy = (target: ProxyTarget, vantage: string | undefined) => Promise<ProxyDecision>;

/** A refusal the gateway sent (policy or parse), for the decision trace log. */
export interface GatewayRefusal {
  method: string;
  url: string;
  hostName: string;
  /** The proxy user name as sent (undefined = the internet). */
  vantage?: string;
  status: number;
  reason: string;
  steps: readonly TraceStep[];
}

/** What the gateway's policy needs to know about the emulated world. */
export interface GatewayPolicyContext {
  /** The VM a proxy user name names, if any. */
  vantageOf(name: string): Vantage | undefined;
  /** The current network snapshot (only read for managed HSM hosts). */
  snapshot(): NetworkSnapshot;
  internetClientAddress: string;
}

/**
 * THE gateway policy: proxy user → VM (407), emulated host (403), scheme and port (403), then for a managed HSM
 * host the network's connect decision (vantage → DNS → route; 502 when it cannot resolve or has no route).
 * Real proxy requests and `hsmlink explain` both call this. Pure apart from reading `ctx`.
 */
export function decideProxy(ctx: GatewayPolicyContext, target: ProxyTarget, vantage: string | undefined): ProxyDecision {
  const steps: TraceStep[] = [];
  let vantagePoint: Vantage = { kind: "internet" };
  if (vantage !== undefined) {
    const v = ctx.vantageOf(vantage);
    if (!v) {
      const reason = `proxy user '${vantage}' names no VM; see 'hsmlink vm list' (create one with 'hsmlink vm create', or send no proxy user to act from the internet)`;
      steps.push({ step: "gateway", rule: "unknown-proxy-user", detail: reason });
      return { ok: false, status: 407, reason, headers: { "Proxy-Authenticate": 'Basic realm="hsmlink"' }, steps };
    }
    vantagePoint = v;
  }
  const hostPort = `${target.hostName}:${target.port}`;
  const isHsm = hsmNameOfHost(target.hostName) !== undefined;
  const known = target.hostName === ARM_HOST || target.hostName === LOGIN_HOST || target.hostName === GRAPH_HOST || isHsm;
  if (target.kind === "absolute") {
    if (target.hostName === IMDS_HOST) {
      steps.push({ step: "gateway", rule: "imds", detail: `plain-http request to the IMDS endpoint ${IMDS_HOST}: served by hsmlink's managed identity endpoint` });
      return { ok: true, conn: { listener: "gateway", hostName: IMDS_HOST, port: target.port, vantage }, steps };
    }
    const reason = `refusing plain-http request to ${target.hostName}: only the IMDS endpoint ${IMDS_HOST} is served over http${known ? `; use https://${target.hostName}/ (port 443)` : ""}; nothing is forwarded off this machine`;
    steps.push({ step: "gateway", rule: "plain-http-refused", detail: reason });
    return { ok: false, status: 403, reason, steps };
  }
  if (!known) {
    const reason = `refusing CONNECT to ${hostPort}: not an emulated Azure host (management.azure.com, login.microsoftonline.com, {name}.managedhsm.azure.net); nothing is forwarded off this machine`;
    steps.push({ step: "gateway", rule: "not-emulated", detail: reason });
    return { ok: false, status: 403, reason, steps };
  }
  if (target.port !== 443) {
    const reason = `refusing CONNECT to ${hostPort}: Azure serves this host on port 443 only`;
    steps.push({ step: "gateway", rule: "wrong-port", detail: reason });
    return { ok: false, status: 403, reason, steps };
  }
  if (isHsm) {
    steps.push({ step: "gateway", rule: "emulated-host", detail: `CONNECT ${hostPort}: a managed HSM host; the network decides from ${vantageText(vantagePoint)}` });
    const network = evaluateConnect(ctx.snapshot(), vantagePoint, target.hostName, { internetClientAddress: ctx.internetClientAddress });
    steps.push(...network.steps);
    if (network.refusal) return { ok: false, status: network.refusal.status, reason: network.refusal.reason, steps };
    return { ok: true, conn: { listener: "gateway", hostName: target.hostName, port: target.port, vantage, network }, steps };
  }
  steps.push({ step: "gateway", rule: "emulated-host", detail: `CONNECT ${hostPort}: served by hsmlink's emulated ${target.hostName === ARM_HOST ? "Azure Resource Manager" : target.hostName === GRAPH_HOST ? "Microsoft Graph stand-in (it answers that Graph is not emulated)" : "Entra ID login endpoint"} (no network isolation applies)` });
  return { ok: true, conn: { listener: "gateway", hostName: target.hostName, port: target.port, vantage }, steps };
}

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

/** A reason made safe for an HTTP header line (ASCII, no line breaks). */
function headerSafe(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, " ");
}

/** Longest reason phrase the gateway sends (clients print it; keep it to one readable line). */
export const MAX_REASON_PHRASE = 200;

/**
 * The status line's reason phrase for a refusal: `hsmlink: {reason}`, printable ASCII only, one line, at most
 * {@link MAX_REASON_PHRASE} characters (cut at a word with `...`). Clients (Python requests/az, curl, Node) print it.
 */
export function reasonPhrase(reason: string): string {
  const s = `hsmlink: ${headerSafe(reason)}`.replace(/\s+/g, " ").trim();
  if (s.length <= MAX_REASON_PHRASE) return s;
  const cut = s.slice(0, MAX_REASON_PHRASE - 3);
  const sp = cut.lastIndexOf(" ");
  return (sp > MAX_REASON_PHRASE / 2 ? cut.slice(0, sp) : cut).replace(/[\s;,:(]+$/, "") + "...";
}

function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const text = `hsmlink: ${reason}\n`;
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.end(`HTTP/1.1 ${status} ${reasonPhrase(reason)}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nX-Hsmlink-Reason: ${headerSafe(reason)}\r\n${extra}Connection: close\r\n\r\n${text}`);
}

/**
 * Creates the gateway server (not yet listening). `onRefusal` hears of every refusal it sends (malformed
 * targets and policy refusals) so the decision trace log can show them.
 */
export function createGateway(opts: { ca: LocalCa; app: HttpApp; policy: ProxyPolicy; onRefusal?: (r: GatewayRefusal) => void }): Server {
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
      terminateTls(opts.ca, opts.app, socket, d.conn, authority.hostName);
    });
  });

  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
