/**
 * The one cache of values derived from the store: entries live until the next write ({@link Store.version}
 * changes: any table, any code path), so a reader may reuse what it computed from unchanged data. Inside a
 * transaction (no version) nothing is cached: what it wrote may still be rolled back.
 */
import type { Store } from "./db.js";

/** Values by key, all dropped at the store's next write; at most `maxEntries` (then cleared). */
export class StoreVersionCache<V> {
  private version: number | undefined;
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly store: Store,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached value of `key`, or `compute()` (cached unless inside a transaction). */
  get(key: string, compute: () => V): V {
    const v = this.store.version();
    if (v === undefined) return compute();
    if (v !== this.version) {
      this.entries.clear();
      this.version = v;
    }
    // One lookup for a hit; `has` only tells a cached undefined from a miss.
    const hit = this.entries.get(key);
    if (hit !== undefined || this.entries.has(key)) return hit as V;
    const value = compute();
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }
}

/**
 * A module-level cache per store: `const snapshots = perStore<Snapshot>(1)` then
 * `snapshots(store).get("", () => …)`.
 */
export function perStore<V>(maxEntries = 10_000): (store: Store) => StoreVersionCache<V> {
  const caches = new WeakMap<Store, StoreVersionCache<V>>();
  return (store) => {
    let c = caches.get(store);
    if (!c) caches.set(store, (c = new StoreVersionCache<V>(store, maxEntries)));
    return c;
  };
}
