/**
 * The HTTP layer: one Fastify app (HTTP parsing, body limits, keep-alive, logging, inject) whose only route hands
 * an `Exchange` to the dispatcher and writes the `ExchangeResult` back. The same handler serves every listener:
 * TLS sockets terminated by the gateway or the direct HTTPS listener, absolute-form proxy requests, and the
 * plain-http managed identity endpoint. Each raw request carries its `ConnectionInfo`.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyError, type FastifyRequest, type FastifyReply } from "fastify";
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import { randomUUID } from "node:crypto";
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
    for (const [k, v] of new URLSearchParams(url.slice(q + 1))) query[k.toLowerCase()] = v;
  }
  const path = ("/" + rawPath.split("/").filter(Boolean).join("/")).replace(/\/+$/, "") || "/";
  return { path, query };
}

/** Writes an ExchangeResult with Azure's common headers. */
function send(reply: import("fastify").FastifyReply, requestId: string, result: ExchangeResult): void {
  reply.code(result.status);
  reply.header("x-ms-request-id", requestId);
  reply.header("x-ms-correlation-request-id", requestId);
  reply.header("Cache-Control", "no-cache");
  for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
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

export interface HttpApp {
  app: FastifyInstance;
  /** The request handler; call only after `app.ready()`. */
  handle(req: IncomingMessage, res: ServerResponse, conn: ConnectionInfo): void;
  /** The internal HTTP server that TLS sockets are emitted into as connections. */
  tlsInner: Server;
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

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.perRequest) return super.requestCompleted(error, request, reply, metadata);
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.perRequest) return super.defaultErrorLog(error, request, reply, metadata);
    if (reply.statusCode >= 500) reply.log.error({ req: request, res: reply, err: error }, error?.message);
  }
}

export function buildHttpApp(opts: { logLevel: string; bodyLimit: number; dispatch: Dispatcher; renderError: ErrorRenderer; connOfSocket: (req: IncomingMessage) => ConnectionInfo | undefined }): HttpApp {
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
    serverFactory: (h) => {
      handler = h;
      return createServer((req, res) => {
        const conn = opts.connOfSocket(req);
        if (conn) (req as RawWithConn)[CONN] = conn;
        h(req, res);
      });
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: "*",
    handler: async (request, reply) => {
      const conn = (request.raw as RawWithConn)[CONN];
      if (!conn) {
        send(reply, request.id, { status: 421, body: { error: { code: "MisdirectedRequest", message: "hsmlink: request arrived on no known listener." } } });
        return reply;
      }
      const { path, query } = splitUrl(request.raw.url ?? "/");
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      const ex: Exchange = {
        method: request.method,
        path,
        query,
        headers,
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
        conn,
        requestId: request.id,
        receivedAt: Date.now(),
      };
      let result: ExchangeResult;
      try {
        result = await opts.dispatch(ex);
      } catch (e) {
        if (e instanceof AzureError) result = opts.renderError(conn, e, request.id);
        else {
          request.log.error({ err: e }, "unhandled error");
          result = opts.renderError(conn, new AzureError(500, "InternalServerError", "hsmlink hit an internal error; see its log."), request.id);
        }
      }
      if (result.dropConnection) {
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      send(reply, request.id, result);
      return reply;
    },
  });

  const handleError = (err: FastifyError, request: import("fastify").FastifyRequest, reply: import("fastify").FastifyReply): void => {
    const conn = (request.raw as RawWithConn)[CONN] ?? { listener: "https", hostName: "localhost", port: 0 };
    if (err.code === "FST_ERR_BAD_URL") {
      send(reply, request.id, opts.renderError(conn, new AzureError(400, "InvalidRequestFormat", "The request path is not valid percent-encoded UTF-8."), request.id));
      return;
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const code = status === 413 ? "RequestEntityTooLarge" : status === 415 ? "UnsupportedMediaType" : status === 500 ? "InternalServerError" : "BadRequest";
    const message = status === 413 ? `The request content size exceeds the maximum allowed size of ${opts.bodyLimit} bytes.` : status === 500 ? "hsmlink hit an internal error; see its log." : err.message;
    if (status === 500) request.log.error({ err }, "unhandled error");
    send(reply, request.id, opts.renderError(conn, new AzureError(status, code, message), request.id));
  };
  app.setErrorHandler(handleError);

  const inner = (app.server as Server);
  return {
    app,
    tlsInner: inner,
    handle(req, res, conn) {
      (req as RawWithConn)[CONN] = conn;
      if (!handler) throw new Error("http app not ready");
      handler(req, res);
    },
  };
}
