/**
 * The transport-neutral request every surface (ARM, Entra ID, IMDS/MSI, the managed HSM data plane, the admin
 * API) receives, and the result it returns. Fastify parses HTTP; surfaces never touch sockets.
 */
import type { AzureError } from "./errors.js";

/** Where a request came from and which host it was addressed to. */
export interface ConnectionInfo {
  /** The listener that accepted it. */
  listener: "gateway" | "https" | "msi";
  /** Host the client asked for (CONNECT target or absolute-form URL host for the gateway; Host header otherwise), lower case, no port. */
  hostName: string;
  /** Port the client asked for. */
  port: number;
  /** Vantage point: the simulated VM named by the proxy user name; undefined = the public internet. */
  vantage?: string;
  /**
   * The network decision taken when the gateway accepted a CONNECT to a managed HSM host: vantage, DNS answer,
   * route (private via a PE, or public; `sourceAddress` is what the HSM sees) and the trace steps so far.
   * Absent for other hosts and for the direct HTTPS listener (the data plane then treats the caller as the internet).
   */
  network?: ConnectionNetwork;
}

/**
 * The shape of {@link ConnectionInfo.network}. The pipeline's connect steps declare its members
 * (src/pipeline/connect.ts, by declaration merging: it is the network model's `ConnectEvaluation`), so that this
 * kernel module imports nothing above it.
 */
export interface ConnectionNetwork {}

export interface Exchange {
  method: string;
  /** Path with repeated slashes collapsed (query excluded), as sent otherwise. */
  path: string;
  /** Query parameters with percent-decoded names (the JS SDK sends `api%2Dversion`). */
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  /** Raw request body; undefined when there was none. */
  body: Buffer | undefined;
  conn: ConnectionInfo;
  requestId: string;
  /** Milliseconds since the epoch when the request arrived. */
  receivedAt: number;
}

export interface ExchangeResult {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialisable value, a string, a Buffer, or undefined for no body. */
  body?: unknown;
  /** Content-Type when body is a string or Buffer (JSON bodies always get application/json; charset=utf-8). */
  contentType?: string;
  /** Send nothing and close the connection (a refusal Azure answers by dropping packets: the client times out or sees a reset). */
  dropConnection?: boolean;
}

export type SurfaceHandler = (ex: Exchange) => Promise<ExchangeResult>;

/** Parses the body as JSON; undefined for an empty body. Throws the given error factory's error on bad JSON. */
export function parseJsonBody(ex: Exchange, onError: (message: string) => AzureError): unknown {
  if (!ex.body || ex.body.length === 0) return undefined;
  const text = ex.body.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw onError((e as Error).message);
  }
}

/** Parses an `application/x-www-form-urlencoded` body (token requests). */
export function parseFormBody(ex: Exchange): Record<string, string> {
  const out: Record<string, string> = {};
  if (!ex.body) return out;
  for (const [k, v] of new URLSearchParams(ex.body.toString("utf8"))) out[k] = v;
  return out;
}
