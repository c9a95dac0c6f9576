/**
 * Memoises a DNS view's answers until the store changes: the same question from the same vantage gets the same
 * answer while no resource was written, so a busy resolver does not walk the network model per query.
 */
import type { Store } from "../store/db.js";
import { StoreVersionCache } from "../store/version-cache.js";
import type { DnsAnswerFn } from "./server.js";

const MAX_ENTRIES = 10_000;

/**
 * Wraps `answer` with a cache keyed by (lower-cased name, type) and invalidated by {@link Store.version}: a write
 * is seen by the next query. Inside a transaction (no version) nothing is cached.
 */
export function cacheAnswersByStoreVersion(store: Store, answer: DnsAnswerFn): DnsAnswerFn {
  const cache = new StoreVersionCache<ReturnType<DnsAnswerFn>>(store, MAX_ENTRIES);
  return (qname, qtype) => cache.get(`${qname.toLowerCase()}\u0000${qtype}`, () => answer(qname, qtype));
}
