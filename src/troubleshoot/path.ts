/**
 * The end-to-end question, asked of the one decision pipeline (src/network/decision.ts): what does a client at
 * the troubleshooting vantage get for `https://{hsm}.managedhsm.azure.net` — DNS answer, route, network rules?
 * Authentication is not evaluated (no caller), exactly like `hsmlink explain` without a token.
 */
import { evaluateRequestNetwork } from "../network/decision.js";

import type { Vantage } from "../network/topology.js";
import type { CheckContext } from "./types.js";
import { MANAGED_HSM_PUBLIC_ZONE } from "../kernel/azure-names.js";

/** `{hsm}.managedhsm.azure.net` (lower-case). */
export function hsmHost(ctx: CheckContext): string {
  return `${ctx.hsmName.toLowerCase()}.${MANAGED_HSM_PUBLIC_ZONE}`;
}

/** The client vantage of the context. */
export function clientVantage(ctx: CheckContext): Vantage {
  return { kind: "vm", vm: ctx.vm };
}

/** What the client gets; memoised per context. */
export function clientPath(ctx: CheckContext): ReturnType<typeof evaluateRequestNetwork> {
  const cache = pathCache.get(ctx);
  if (cache) return cache;
  const r = evaluateRequestNetwork(ctx.snapshot, clientVantage(ctx), hsmHost(ctx), undefined);
  pathCache.set(ctx, r);
  return r;
}

/** What a client on the public internet gets. */
export function internetPath(ctx: CheckContext): ReturnType<typeof evaluateRequestNetwork> {
  return evaluateRequestNetwork(ctx.snapshot, { kind: "internet" }, hsmHost(ctx), undefined);
}

const pathCache = new WeakMap<CheckContext, ReturnType<typeof evaluateRequestNetwork>>();

/** Short text of a DNS answer chain: `a CNAME b; b A 10.0.1.4`. */
export function chainText(r: ReturnType<typeof evaluateRequestNetwork>): string {
  const answers = r.connect.dns.answers.map((a) => `${a.name} ${a.type} ${a.data}`).join("; ");
  return `${r.connect.dns.rcode}${answers ? ` ${answers}` : ""}`;
}
