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
import { RouteTable } from "../kernel/route-table.js";
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

/** A route's handler and the REST spec's names of its `{…}` segments, by position in the template. */
interface Route {
  handler: ArmHandler;
  /** `names[i]`: the spec's name of the template's i-th segment, when it is a parameter. */
  names: (string | undefined)[];
}

/**
 * The ARM route table: the kernel's {@link RouteTable} (a trie; literals matched case-insensitively, literals before
 * `{name}` segment by segment, `"method"` for a path that exists for other methods). Templates of different resource
 * types name the same position differently (`{resourceGroupName}`, `{virtualNetworkName}` …), so the trie holds
 * positional parameters and each route maps them back to its spec's names.
 */
export class ArmRouter {
  private readonly table = new RouteTable<Route>();
  /** Every template's segments (literals lower case, parameters undefined), for {@link refuseMalformedParams}. */
  private readonly shapes: (string | undefined)[][] = [];

  /**
   * Adds a route. `template` uses the REST spec's `{name}` placeholders, e.g.
   * `/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}`.
   * @throws Error when the method and template (up to parameter names) are already taken
   */
  add(method: string, template: string, handler: ArmHandler): this {
    const segments = template.split("/").filter(Boolean);
    const names = segments.map((s) => (s.startsWith("{") && s.endsWith("}") ? s.slice(1, -1) : undefined));
    const positional = segments.map((s, i) => (names[i] !== undefined ? `{p${i}}` : s)).join("/");
    this.table.add(method, `/${positional}`, { handler, names });
    this.shapes.push(segments.map((s, i) => (names[i] === undefined ? s.toLowerCase() : undefined)));
    return this;
  }

  /**
   * Finds the handler for a request (repeated and trailing slashes in `path` are ignored).
   * @returns the handler and its params (percent-decoded, by the template's names), `"method"` when the path exists
   *   for other methods, or undefined.
   * @throws AzureError 400 InvalidRequestFormat when a parameter segment is not valid percent-encoding
   */
  match(method: string, path: string): { handler: ArmHandler; params: Record<string, string> } | "method" | undefined {
    const parts = path.split("/").filter(Boolean);
    const found = this.table.match(method, `/${parts.join("/")}`);
    if (found === undefined || found === "method") {
      this.refuseMalformedParams(parts);
      return found;
    }
    const params: Record<string, string> = {};
    found.value.names.forEach((name, i) => {
      if (name !== undefined) params[name] = decodePathSegment(parts[i]);
    });
    return { handler: found.value.handler, params };
  }

  /**
   * For a path no route serves: a segment that is not valid percent-encoding where some template (its literals
   * before it matching) takes a parameter is a malformed request, not an unknown path.
   * @throws AzureError 400 InvalidRequestFormat
   */
  private refuseMalformedParams(parts: string[]): void {
    for (const shape of this.shapes) {
      if (shape.length !== parts.length) continue;
      for (let i = 0; i < parts.length; i++) {
        const literal = shape[i];
        if (literal === undefined) decodePathSegment(parts[i]);
        else if (literal !== parts[i].toLowerCase()) break;
      }
    }
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
