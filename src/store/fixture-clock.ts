/**
 * The emulated clock's stored offset (`fixture_clock`, one row) and the newest emulated-time timestamp in the store,
 * which bounds how far back the clock may move (src/fixture/clock.ts).
 */
import type { Store } from "./db.js";

/** The stored clock offset in ms (0 when never set). */
export function clockOffsetMs(store: Store): number {
  const row = store.db.prepare("SELECT offset_ms FROM fixture_clock WHERE id = 1").get() as
    { offset_ms: number } | undefined;
  return row?.offset_ms ?? 0;
}

/** Stores the clock offset in ms, in one transaction. */
export function setClockOffsetMs(store: Store, offsetMs: number): void {
  store.tx(() =>
    store.db
      .prepare(
        "INSERT INTO fixture_clock (id, offset_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET offset_ms = excluded.offset_ms",
      )
      .run(offsetMs),
  );
}

/**
 * The newest emulated-time timestamp in the store, in ms: resources (created/updated), LRO operations, principals,
 * key versions (`attributes.updated`), key deletions and role assignments. Undefined for an empty store.
 */
export function newestStateMs(store: Store): number | undefined {
  const q = (sql: string) => (store.db.prepare(sql).get() as { t: number | null } | undefined)?.t ?? null;
  const candidates = [
    q("SELECT MAX(updated_at) AS t FROM resources"),
    q("SELECT MAX(created_at) AS t FROM operations"),
    // The default managed identity is written at every start, so it says nothing about emulated time.
    q("SELECT MAX(created_at) AS t FROM principals WHERE kind = 'ServicePrincipal'"),
    mul(q("SELECT MAX(CAST(json_extract(attributes, '$.updated') AS INTEGER)) AS t FROM hsm_key_versions"), 1000),
    mul(q("SELECT MAX(deleted_date) AS t FROM hsm_keys"), 1000),
    q("SELECT MAX(created_at) AS t FROM hsm_role_assignments"),
  ].filter((t): t is number => typeof t === "number");
  return candidates.length ? Math.max(...candidates) : undefined;
}

function mul(v: number | null, f: number): number | null {
  return v === null ? null : v * f;
}
