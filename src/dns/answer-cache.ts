/**
 * Memoises a DNS view's answers until the store changes: the same question from the same vantage gets the same
 * answer while no resource was written, so a busy resolver does not walk the network model per query.
 */
import type { Store } from "../store/db.js";
import type { DnsAnswerFn } from "./server.js";

const MAX_ENTRIES = 10_000;

/**
 * Wraps `answer` with a cache keyed by (lower-cased name, type) and invalidated by {@link Store.version}: a write
 * is seen by the next query. Inside a transaction (no version) nothing is cached.
 */
export function cacheAnswersByStoreVersion(store: Store, answer: DnsAnswerFn): DnsAnswerFn {
  let version: number | undefined;
  const cache = new Map<string, ReturnType<DnsAnswerFn>>();
  return (qname, qtype) => {
    const v = store.version();
    if (v === undefined) return answer(qname, qtype);
    if (v !== version) {
      cache.clear();
      version = v;
    }
    const key = `${qname.toLowerCase()}\u0000${qtype}`;
    let a = cache.get(key);
    if (!a) {
      a = answer(qname, qtype);
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(key, a);
    }
    return a;
  };
}
