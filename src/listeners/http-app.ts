/**
 * The HTTP layer: one Fastify app (HTTP parsing, body limits, keep-alive, logging, inject) whose only route hands
 * an `Exchange` to the dispatcher and writes the `ExchangeResult` back. The same handler serves every listener:
 * TLS sockets terminated by the gateway or the direct HTTPS listener, absolute-form proxy requests, and the
 * plain-http managed identity endpoint. Each raw request carries its `ConnectionInfo`.
 */
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyError,
  type FastifyRequest,
  type FastifyReply,
} from "fastify";
import type { IncomingMessage, ServerResponse, Server, ServerOptions } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { SecureContext } from "node:tls";
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { ConnectionInfo, Exchange, ExchangeResult } from "../kernel/exchange.js";
import { AzureError } from "../kernel/errors.js";

export const CONN = Symbol("hsmlink.connection");

type RawWithConn = IncomingMessage & { [CONN]?: ConnectionInfo };

export type Dispatcher = (ex: Exchange) => Promise<ExchangeResult>;
/** Renders an error for the surface the request was addressed to (ARM vs Key Vault envelope). */
export type ErrorRenderer = (conn: ConnectionInfo, err: AzureError, requestId: string) => ExchangeResult;

function splitUrl(url: string): { path: string; query: Record<string, string> } {
  const q = url.indexOf("?");
  const rawPath = q >= 0 ? url.slice(0, q) : url;
  const query: Record<string, string> = {};
  if (q >= 0) {
    const search = url.slice(q + 1);
    if (/[%+?]/.test(search)) {
      for (const [k, v] of new URLSearchParams(search)) query[k.toLowerCase()] = v;
    } else {
      // Without escapes, "+" or "?" URLSearchParams decodes nothing: the same pairs, split here (the common case).
      for (const pair of search.split("&")) {
        if (pair === "") continue;
        const eq = pair.indexOf("=");
        query[(eq >= 0 ? pair.slice(0, eq) : pair).toLowerCase()] = eq >= 0 ? pair.slice(eq + 1) : "";
      }
    }
  }
  // A path that starts with one slash, has no empty segment and no trailing slash is already in that form.
  const plain = rawPath.length > 1 && rawPath[0] === "/" && !rawPath.includes("//") && !rawPath.endsWith("/");
  const path = plain ? rawPath : ("/" + rawPath.split("/").filter(Boolean).join("/")).replace(/\/+$/, "") || "/";
  return { path, query };
}

/** `%XX` escapes of the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD's bytes; never throws). */
function utf8Escapes(s: string): string {
  return [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/**
 * A header value Node will send (RFC 9110 §5.5: visible ASCII, space and tab). Surfaces build their headers from
 * checked text; this is the last line so that a value that slipped through (a name with letters beyond Latin-1,
 * a CR/LF) can never turn an answer into a 500: controls become spaces, other letters UTF-8 percent-encoding.
 */
export function headerValue(v: string): string {
  if (!/[^\t\x20-\x7e]/.test(v)) return v;
  return v.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, " ").replace(/[^\t\x20-\x7e]+/gu, (m) => utf8Escapes(m));
}

/** Writes an ExchangeResult with Azure's common headers. */
function send(reply: import("fastify").FastifyReply, requestId: string, result: ExchangeResult): void {
  reply.code(result.status);
  reply.header("x-ms-request-id", requestId);
  reply.header("x-ms-correlation-request-id", requestId);
  reply.header("Cache-Control", "no-cache");
  for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, headerValue(v));
  if (result.body === undefined || result.body === null) {
    reply.header("Content-Length", "0");
    void reply.send();
  } else if (Buffer.isBuffer(result.body) || typeof result.body === "string") {
    reply.type(result.contentType ?? "text/plain; charset=utf-8");
    void reply.send(result.body);
  } else {
    reply.type("application/json; charset=utf-8");
    void reply.send(JSON.stringify(result.body));
  }
}

/** Fastify's own content-type parser (fastify/lib/content-type.js), so that the direct path judges and writes types as it does. */
interface FastifyContentType {
  readonly isEmpty: boolean;
  readonly isValid: boolean;
  readonly mediaType: string | undefined;
  readonly parameters: Map<string, string>;
  toString(): string;
}
let contentTypeClass: { from(value: string | undefined): FastifyContentType } | undefined;
const contentType = (value: string | undefined): FastifyContentType =>
  (contentTypeClass ??= createRequire(import.meta.url)("fastify/lib/content-type.js") as {
    from(value: string | undefined): FastifyContentType;
  }).from(value);

/** Fastify's FST_ERR_CTP_INVALID_CONTENT_LENGTH message. */
const CONTENT_LENGTH_MISMATCH = "Request body size did not match Content-Length";

/** The methods the route serves that carry a body Fastify reads (handle-request.js `bodywith`). */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * How the direct path serves a request, from its line and headers alone: `none` (no body to read, as Fastify
 * reads none: GET and HEAD, or no Content-Type and no length), `read` (a valid Content-Type and a Content-Length
 * within the limit), or `fastify` for everything else (chunked bodies, percent-encoded paths, lengths over the
 * limit, invalid media types, other methods, Accept-Version): Fastify then answers exactly as before.
 */
function directPlan(req: IncomingMessage, bodyLimit: number): "none" | "read" | "fastify" {
  const url = req.url;
  if (url === undefined || url.charCodeAt(0) !== 47 /* "/" */) return "fastify";
  const q = url.indexOf("?");
  if ((q >= 0 ? url.lastIndexOf("%", q) : url.indexOf("%")) >= 0) return "fastify";
  const h = req.headers;
  if (h["accept-version"] !== undefined) return "fastify";
  const method = req.method ?? "";
  if (method === "GET" || method === "HEAD") return "none";
  if (!BODY_METHODS.has(method) || h["transfer-encoding"] !== undefined) return "fastify";
  const ct = h["content-type"];
  const cl = h["content-length"];
  if (ct === undefined) return cl === undefined || cl === "0" ? "none" : "fastify";
  if (!contentType(ct).isValid) return "fastify";
  if (cl === undefined) return "fastify";
  if (!/^\d{1,10}$/.test(cl) || Number(cl) > bodyLimit) return "fastify";
  return "read";
}

/**
 * Writes an ExchangeResult as {@link send} does through Fastify's reply (reply.js `send`/`onSendEnd`): the same
 * header names (lower case), order and values, Content-Type and Content-Length rules, and one `end()`.
 */
function writeDirect(res: ServerResponse, method: string, requestId: string, result: ExchangeResult): void {
  const headers: Record<string, string> = {
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": requestId,
    "cache-control": "no-cache",
  };
  if (result.headers) for (const k in result.headers) headers[k.toLowerCase()] = headerValue(result.headers[k]);
  const status = result.status;
  const body = result.body;
  let payload: string | Buffer;
  if (body === undefined || body === null) {
    headers["content-length"] = "0";
    res.writeHead(status, headers);
    res.end();
    return;
  } else if (Buffer.isBuffer(body)) {
    const ct = result.contentType ?? "text/plain; charset=utf-8";
    headers["content-type"] = contentType(ct).isEmpty ? "application/octet-stream" : ct;
    payload = body;
  } else if (typeof body === "string") {
    const ct = contentType(result.contentType ?? "text/plain; charset=utf-8");
    headers["content-type"] = ct.isEmpty
      ? "text/plain; charset=utf-8"
      : ct.mediaType!.indexOf("json") !== -1 && !ct.parameters.has("charset")
        ? `${ct.toString()}; charset=utf-8`
        : (result.contentType ?? "text/plain; charset=utf-8");
    payload = body;
  } else {
    headers["content-type"] = "application/json; charset=utf-8";
    payload = JSON.stringify(body);
  }
  if ((status >= 100 && status < 200) || status === 204) {
    delete headers["content-type"];
    delete headers["content-length"];
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const length = Buffer.byteLength(payload);
  const given = headers["content-length"];
  if (!given || (method !== "HEAD" && Number(given) !== length)) headers["content-length"] = String(length);
  res.writeHead(status, headers);
  res.end(payload);
}

export interface HttpApp {
  app: FastifyInstance;
  /** The request handler; call only after `app.ready()`. */
  handle(req: IncomingMessage, res: ServerResponse, conn: ConnectionInfo): void;
  /**
   * The HTTPS server: it listens as the direct HTTPS listener, and TLS sockets the gateway terminated inside CONNECT
   * tunnels join it through {@link HttpApp.adoptTls}, so Node's header, request and keep-alive timeouts, its
   * connection tracking and its HTTP/1.1 pipelining apply to both alike.
   */
  tlsServer: HttpsServer;
  /** Hands a server-side TLS socket whose handshake completed to the HTTPS server (as Node's TLS server does). */
  adoptTls(socket: Duplex): void;
}

/** What one client may hold, in milliseconds (the settings of the same names). */
export interface ConnectionLimits {
  tlsHandshakeTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * Node http server options for `limits`: header, request and keep-alive timeouts, and the interval at which Node
 * checks the first two (its default, 30 s, would let a short timeout run long).
 */
export function httpServerLimits(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(5000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
    ),
  };
}

/** Whether Fastify's per-request lines ("incoming request" / "request completed") are logged at `logLevel`. */
export function requestLogging(logLevel: string): boolean {
  return logLevel === "debug" || logLevel === "trace";
}

/**
 * Fastify's per-request lines ("incoming request", "request completed") only when `perRequest` (`--log-level
 * debug|trace`): at the default level a short session would print a JSON line per request. Requests that end in
 * an error and 5xx answers are logged at any level.
 */
class QuietRequestLog extends LogController {
  constructor(private readonly perRequest: boolean) {
    super({ disableRequestLogging: !perRequest });
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (this.perRequest) return super.requestCompleted(error, request, reply, metadata);
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
  }

  override defaultErrorLog(
    error: Error,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (this.perRequest) return super.defaultErrorLog(error, request, reply, metadata);
    if (reply.statusCode >= 500) reply.log.error({ req: request, res: reply, err: error }, error?.message);
  }
}

/**
 * Builds the app and its HTTPS server. `tls` gives the certificate sent to clients that name no server (SNI) and
 * the SNI callback of the direct listener; `directConn` the connection facts of a request that came in on it.
 */
export function buildHttpApp(opts: {
  logLevel: string;
  bodyLimit: number;
  dispatch: Dispatcher;
  renderError: ErrorRenderer;
  connOfSocket: (req: IncomingMessage) => ConnectionInfo | undefined;
  directConn: () => ConnectionInfo;
  tls: {
    defaultCert: { key: string; cert: string };
    sniCallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
  };
  limits: ConnectionLimits;
  /** Serve plain requests without Fastify's per-request machinery (default true; tests compare both paths). */
  directPath?: boolean;
}): HttpApp {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const app = Fastify({
    logger: opts.logLevel === "silent" ? false : { level: opts.logLevel },
    logController: new QuietRequestLog(requestLogging(opts.logLevel)),
    bodyLimit: opts.bodyLimit,
    genReqId: () => randomUUID(),
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Malformed URLs and similar errors Fastify meets before routing get the surface's envelope too.
    frameworkErrors: (err, request, reply) => handleError(err as FastifyError, request, reply),
    forceCloseConnections: true,
    // The one route declares no schema, so Fastify's default compilers (Ajv and fast-json-stringify, tens of ms of
    // module loading at every start) would never be used: these stand-ins keep them unloaded.
    schemaController: {
      compilersFactory: {
        buildValidator: () => () => {
          throw new Error("hsmlink's HTTP routes declare no schemas");
        },
        buildSerializer: () => () => {
          throw new Error("hsmlink's HTTP routes declare no schemas");
        },
      },
    },
    serverFactory: (h) => {
      handler = h;
      const server = createHttpsServer(
        {
          ...opts.tls.defaultCert,
          SNICallback: opts.tls.sniCallback,
          handshakeTimeout: opts.limits.tlsHandshakeTimeoutMs,
          ...httpServerLimits(opts.limits),
        },
        (req, res) => {
          const conn = opts.connOfSocket(req) ?? opts.directConn();
          (req as RawWithConn)[CONN] = conn;
          if (!serveDirect(req, res, conn)) h(req, res);
        },
      );
      // A client that fails the handshake (no shared cipher, a name hsmlink does not serve, a timeout) is dropped.
      server.on("tlsClientError", (_err, socket) => socket.destroy());
      return server;
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  /**
   * Builds the Exchange of a request and dispatches it; errors become the surface's envelope. The same code serves
   * requests that came through Fastify and through the direct path.
   */
  const exchange = async (
    method: string,
    url: string,
    rawHeaders: IncomingMessage["headers"],
    body: Buffer | undefined,
    conn: ConnectionInfo,
    requestId: string,
    logError: (err: unknown) => void,
  ): Promise<ExchangeResult> => {
    const { path, query } = splitUrl(url);
    // Node's parsed headers have lower-case names and one string per name except Set-Cookie (a list): without it
    // they are already the exchange's headers; with it the list is joined as one value.
    let headers = rawHeaders as Record<string, string | undefined>;
    if (rawHeaders["set-cookie"] !== undefined) {
      headers = {};
      for (const k in rawHeaders) {
        const v = rawHeaders[k];
        headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      }
    }
    const ex: Exchange = { method, path, query, headers, body, conn, requestId, receivedAt: Date.now() };
    try {
      return await opts.dispatch(ex);
    } catch (e) {
      if (e instanceof AzureError) return opts.renderError(conn, e, requestId);
      logError(e);
      return opts.renderError(
        conn,
        new AzureError(500, "InternalServerError", "hsmlink hit an internal error; see its log."),
        requestId,
      );
    }
  };

  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: "*",
    handler: async (request, reply) => {
      const conn = (request.raw as RawWithConn)[CONN];
      if (!conn) {
        send(reply, request.id, {
          status: 421,
          body: { error: { code: "MisdirectedRequest", message: "hsmlink: request arrived on no known listener." } },
        });
        return reply;
      }
      const result = await exchange(
        request.method,
        request.raw.url ?? "/",
        request.headers,
        Buffer.isBuffer(request.body) ? request.body : undefined,
        conn,
        request.id,
        (e) => request.log.error({ err: e }, "unhandled error"),
      );
      if (result.dropConnection) {
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      send(reply, request.id, result);
      return reply;
    },
  });

  /** The status, code and message of an error Fastify or a body read raised, as the surface renders them. */
  const errorResult = (
    err: { code?: string; statusCode?: number; message: string },
    conn: ConnectionInfo,
    requestId: string,
    logError: () => void,
  ): ExchangeResult => {
    if (err.code === "FST_ERR_BAD_URL")
      return opts.renderError(
        conn,
        new AzureError(400, "InvalidRequestFormat", "The request path is not valid percent-encoded UTF-8."),
        requestId,
      );
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const code =
      status === 413
        ? "RequestEntityTooLarge"
        : status === 415
          ? "UnsupportedMediaType"
          : status === 500
            ? "InternalServerError"
            : "BadRequest";
    const message =
      status === 413
        ? `The request content size exceeds the maximum allowed size of ${opts.bodyLimit} bytes.`
        : status === 500
          ? "hsmlink hit an internal error; see its log."
          : err.message;
    if (status === 500) logError();
    return opts.renderError(conn, new AzureError(status, code, message), requestId);
  };

  const handleError = (
    err: FastifyError,
    request: import("fastify").FastifyRequest,
    reply: import("fastify").FastifyReply,
  ): void => {
    const conn = (request.raw as RawWithConn)[CONN] ?? { listener: "https", hostName: "localhost", port: 0 };
    send(
      reply,
      request.id,
      errorResult(err, conn, request.id, () => request.log.error({ err }, "unhandled error")),
    );
  };
  app.setErrorHandler(handleError);

  // The direct path: requests Fastify would hand to the one route unchanged (directPlan) are served without its
  // per-request machinery (router, request/reply objects, hooks, content-type parser), by the same exchange() and
  // the same response rules (writeDirect); tests/unit/listeners/direct-path.test.ts compares both byte for byte.
  // Off when Fastify logs every request (`--log-level debug|trace`) and once the app is closing (Fastify's 503).
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  const direct = opts.directPath !== false && !requestLogging(opts.logLevel);
  const serveDirect = (req: IncomingMessage, res: ServerResponse, conn: ConnectionInfo): boolean => {
    if (!direct || closing) return false;
    const plan = directPlan(req, opts.bodyLimit);
    if (plan === "fastify") return false;
    const requestId = randomUUID();
    const method = req.method!;
    const logError = (err: unknown) => app.log.child({ reqId: requestId }).error({ err }, "unhandled error");
    const respond = (result: ExchangeResult) => {
      if (result.dropConnection) {
        req.socket.destroy();
        return;
      }
      try {
        writeDirect(res, method, requestId, result);
      } catch (err) {
        logError(err);
        if (!res.headersSent)
          writeDirect(
            res,
            method,
            requestId,
            errorResult({ message: String(err) }, conn, requestId, () => undefined),
          );
        else res.destroy();
      }
    };
    // exchange() renders every error of a surface; should it fail itself, the client gets the 500 envelope
    // Fastify's error handler would give, never an unhandled rejection.
    const run = (body: Buffer | undefined) =>
      void exchange(method, req.url!, req.headers, body, conn, requestId, logError).then(respond, (err: unknown) => {
        logError(err);
        respond(errorResult({ message: String(err) }, conn, requestId, () => undefined));
      });
    if (plan === "none") {
      run(undefined);
      return true;
    }
    // Node's parser delivers exactly Content-Length bytes (within the limit, checked above) or fails the stream.
    const expected = Number(req.headers["content-length"]);
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      received += c.length;
    };
    const onEnd = (err?: Error & { statusCode?: number }) => {
      req.removeListener("data", onData);
      req.removeListener("end", onEnd);
      req.removeListener("error", onEnd);
      if (err != null) {
        // As Fastify's rawBody: a failed read is a 400 with the stream's message (logged as QuietRequestLog does).
        if (!(typeof err.statusCode === "number" && err.statusCode >= 400)) err.statusCode = 400;
        app.log.child({ reqId: requestId }).error({ err }, "request errored");
        respond(errorResult(err, conn, requestId, () => logError(err)));
        return;
      }
      if (received !== expected) {
        app.log.child({ reqId: requestId }).error({ err: new Error(CONTENT_LENGTH_MISMATCH) }, "request errored");
        respond(
          errorResult(
            { code: "FST_ERR_CTP_INVALID_CONTENT_LENGTH", statusCode: 400, message: CONTENT_LENGTH_MISMATCH },
            conn,
            requestId,
            () => undefined,
          ),
        );
        return;
      }
      run(Buffer.concat(chunks, received));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onEnd);
    req.resume();
    return true;
  };

  const tlsServer = app.server as unknown as HttpsServer;
  return {
    app,
    tlsServer,
    adoptTls(socket) {
      tlsServer.emit("secureConnection", socket);
    },
    handle(req, res, conn) {
      (req as RawWithConn)[CONN] = conn;
      if (!handler) throw new Error("http app not ready");
      if (!serveDirect(req, res, conn)) handler(req, res);
    },
  };
}
