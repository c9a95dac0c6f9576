/** The `subscriptions` table: the emulated tenant's subscriptions (ids stored lower case, keyed by `subscription_key`). */
import type { Store } from "./db.js";

/** A stored subscription; `createdAt` in epoch ms. */
export interface Subscription {
  subscriptionId: string;
  displayName: string;
  createdAt: number;
}

interface Row {
  subscription_id: string;
  display_name: string;
  created_at: number;
}

const toSubscription = (r: Row): Subscription => ({
  subscriptionId: r.subscription_id,
  displayName: r.display_name,
  createdAt: r.created_at,
});

/** Every subscription, oldest first. */
export function subscriptionRows(store: Store): Subscription[] {
  return (store.db.prepare("SELECT * FROM subscriptions ORDER BY created_at, rowid").all() as Row[]).map(
    toSubscription,
  );
}

/** The subscription with this id (any casing), or undefined. */
export function subscriptionRow(store: Store, subscriptionId: string): Subscription | undefined {
  const r = store.db
    .prepare("SELECT * FROM subscriptions WHERE subscription_key = ?")
    .get(subscriptionId.toLowerCase()) as Row | undefined;
  return r ? toSubscription(r) : undefined;
}

/**
 * Inserts a subscription (`subscriptionId` lower case). Runs inside the caller's transaction.
 * @throws SqliteError when the id exists
 */
export function insertSubscription(store: Store, s: Subscription): void {
  store.db
    .prepare(
      "INSERT INTO subscriptions (subscription_key, subscription_id, display_name, created_at) VALUES (?, ?, ?, ?)",
    )
    .run(s.subscriptionId, s.subscriptionId, s.displayName, s.createdAt);
}
