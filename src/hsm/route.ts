/**
 * The shape of a data-plane route as the feature folders (security domain, backup, settings) declare theirs; the route
 * table in surface.ts (`DataPlaneRoute`) accepts them as they are.
 */
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import type { RouteParams } from "../kernel/route-table.js";
import type { HsmInfo } from "./hsm.js";
import type { KeyContext } from "./keys/wire.js";
import { kvErrors } from "./errors.js";

/** What a feature route's handler reads of an admitted request. */
export interface FeatureRequest {
  ex: Exchange;
  hsm: HsmInfo;
  /** `key.baseUrl` is `https://{host}[:port]` as the client addressed it; `key.apiVersion` the request's api-version. */
  key: KeyContext;
  /** The parsed JSON body (undefined when empty). */
  body: () => unknown;
}

/** One route: method, path template (kernel/route-table.ts syntax), the local-RBAC data action and scope, the handler. */
export interface FeatureRoute {
  method: string;
  path: string;
  authorize: (p: RouteParams) => { dataAction: string; scope: string };
  handle: (r: FeatureRequest, p: RouteParams) => ExchangeResult | Promise<ExchangeResult>;
  /** Served before the security domain activates the HSM. */
  beforeActivation?: boolean;
  /**
   * Served without an api-version too (a version sent is still checked): the pending status of a full backup or
   * restore, whose recorded `Azure-AsyncOperation` URL carries none.
   */
  apiVersionOptional?: boolean;
}

/**
 * A path parameter percent-decoded. @throws 400 BadParameter for malformed percent-encoding (never a 500)
 */
export function decodeParam(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw kvErrors.pathNotPercentEncoded(what, value);
  }
}
