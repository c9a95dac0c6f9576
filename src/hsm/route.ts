/**
 * The shape of a data-plane route as the feature folders (security domain, backup, settings) declare theirs; the route
 * table in surface.ts (`DataPlaneRoute`) accepts them as they are.
 */
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import type { HsmInfo } from "./hsm.js";
import type { KeyContext } from "./keys/wire.js";

/** What a feature route's handler reads of an admitted request. */
export interface FeatureRequest {
  ex: Exchange;
  hsm: HsmInfo;
  /** `key.baseUrl` is `https://{host}[:port]` as the client addressed it; `key.apiVersion` the request's api-version. */
  key: KeyContext;
  /** The parsed JSON body (undefined when empty). */
  body: () => unknown;
}

/** One route: method, path (matched case-insensitively), the local-RBAC data action and scope, the handler. */
export interface FeatureRoute {
  method: string;
  path: RegExp;
  authorize: (m: RegExpExecArray) => { dataAction: string; scope: string };
  handle: (r: FeatureRequest, m: RegExpExecArray) => ExchangeResult | Promise<ExchangeResult>;
  /** Served before the security domain activates the HSM. */
  beforeActivation?: boolean;
}
