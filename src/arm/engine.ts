/**
 * The generic ARM engine: a route table of path templates (as in the REST specs) matched case-insensitively,
 * the typed request every handler receives, and the result it returns. Handlers never see HTTP objects.
 */
import type { Store } from "../store/db.js";
import type { ExchangeResult } from "../kernel/exchange.js";
import type { Clock } from "../kernel/clock.js";
import type { HsmlinkConfig } from "../config/settings.js";
import type { Principal } from "../entra/identity.js";
import { armErrors } from "./errors.js";
import type { Operations } from "./lro.js";

export interface ArmRequest {
  method: string;
  /** Path with repeated slashes collapsed and no trailing slash, original casing. */
  path: string;
  /** Query parameters with decoded names (the JS SDK percent-encodes `api%2Dversion`). Lookups: `query[name.toLowerCase()]`. */
  query: Record<string, string>;
  apiVersion: string;
  headers: Record<string, string | undefined>;
  /** Parsed JSON body, or undefined when the request had none. */
  body: unknown;
  /** Values of the template's `{name}` segments, as sent. */
  params: Record<string, string>;
  principal: Principal;
  /** Scheme and authority the client used, e.g. `https://management.azure.com`; used to build LRO URLs. */
  baseUrl: string;
  /** The request's decisions in the decision pipeline (its `rbac` step and linked access checks). */
  decisions: ArmRequestDecisions;
}

/**
 * The decisions of one ARM request, made by the decision pipeline (src/pipeline/arm-authorization.ts) and written
 * into the request's trace; the server wires them in ({@link ArmContext.decide}).
 */
export interface ArmRequestDecisions {
  /** The request's `rbac` step. @throws AzureError 403 AuthorizationFailed */
  authorize(): void;
  /**
   * A linked access check: the request (`action` over its path) needs `linkedAction` on `linkedScope`.
   * @throws AzureError 403 LinkedAuthorizationFailed
   */
  linked(action: string, linkedAction: string, linkedScope: string): void;
  /** Records the status the client got. */
  finish(status: number, error?: { code: string; message: string }): void;
}

export type ArmResult = Pick<ExchangeResult, "status" | "body" | "headers">;

/** What every handler can reach: state, time, settings and the LRO registry. */
export interface ArmContext {
  store: Store;
  /**
   * The subscription of the request being handled, in its stored casing (the surface checks it exists); outside a
   * request (cascade deletes, start-up), the default subscription of the settings.
   */
  subscriptionId: string;
  clock: Clock;
  config: HsmlinkConfig;
  operations: Operations;
  /** Per-type delete functions that resource-group delete runs, dependents first. */
  deleters: CascadeDeleter[];
  /** Starts the decisions (and trace) of one authenticated ARM request. */
  decide(
    req: { requestId: string; receivedAt: number; method: string; host: string; path: string; vantage?: string },
    caller: Principal,
  ): ArmRequestDecisions;
  /** Called (and awaited) after a managed HSM is created, before the create is acknowledged (`--activate-new-hsms`). */
  onManagedHsmCreated?: (name: string) => Promise<void>;
}

/**
 * Deletes one resource of a type with all its side effects (used by resource-group delete, which removes
 * what is inside dependents first: lower `order` runs first).
 */
export interface CascadeDeleter {
  type: string;
  order: number;
  remove: (ctx: ArmContext, id: string) => void;
}

export type ArmHandler = (req: ArmRequest, ctx: ArmContext) => ArmResult | Promise<ArmResult>;

interface Route {
  method: string;
  template: string;
  segments: { literal?: string; param?: string }[];
  literalCount: number;
  handler: ArmHandler;
}

function compile(method: string, template: string, handler: ArmHandler): Route {
  const segments = template
    .split("/")
    .filter(Boolean)
    .map((s) => (s.startsWith("{") && s.endsWith("}") ? { param: s.slice(1, -1) } : { literal: s.toLowerCase() }));
  return {
    method: method.toUpperCase(),
    template,
    segments,
    literalCount: segments.filter((s) => s.literal).length,
    handler,
  };
}

/** Route table; the most specific template (most literal segments) wins. */
export class ArmRouter {
  private readonly routes: Route[] = [];

  /** Adds a route. `template` uses the REST spec's `{name}` placeholders, e.g. `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}`. */
  add(method: string, template: string, handler: ArmHandler): this {
    this.routes.push(compile(method, template, handler));
    this.routes.sort((a, b) => b.literalCount - a.literalCount);
    return this;
  }

  /**
   * Finds the handler for a request.
   * @returns the handler and params, `"method"` when the path exists for other methods, or undefined.
   */
  match(method: string, path: string): { handler: ArmHandler; params: Record<string, string> } | "method" | undefined {
    const parts = path.split("/").filter(Boolean);
    let pathExists = false;
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = r.segments[i];
        if (seg.literal !== undefined) {
          if (seg.literal !== parts[i].toLowerCase()) {
            ok = false;
            break;
          }
        } else {
          params[seg.param!] = decodePathSegment(parts[i]);
        }
      }
      if (!ok) continue;
      if (r.method === method.toUpperCase()) return { handler: r.handler, params };
      pathExists = true;
    }
    return pathExists ? "method" : undefined;
  }
}

/**
 * Percent-decodes one path segment (ARM names may hold Unicode letters, sent UTF-8 percent-encoded).
 * @throws AzureError 400 InvalidRequestFormat for a malformed escape such as `%E0%A4%A`
 */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw armErrors.InvalidRequestFormat(`The request path segment '${segment}' is not valid percent-encoded UTF-8.`);
  }
}

/** Reads the request body as a JSON object, or throws ARM's error for a missing/wrong body. */
export function requireObjectBody(req: ArmRequest): Record<string, unknown> {
  if (req.body === undefined || req.body === null)
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'The request body is empty.'.",
    );
  if (typeof req.body !== "object" || Array.isArray(req.body)) {
    throw armErrors.InvalidRequestContent(
      "The request content was invalid and could not be deserialized: 'Expected a JSON object.'.",
    );
  }
  return req.body as Record<string, unknown>;
}
