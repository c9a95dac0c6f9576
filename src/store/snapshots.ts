/**
 * The store's content as a whole, table by table, for the fixture's state operations (src/fixture/state.ts):
 * snapshot files (`VACUUM INTO`), copying every table from another database file, emptying every table, and reading
 * or writing rows of any table generically (exports and imports). Table and column names come from the schema
 * itself (`sqlite_master`, `pragma_table_info`) and are quoted.
 */
import type { Store } from "./db.js";

/** Tables that are not state: the schema history and SQLite's own. */
const NOT_STATE = new Set(["schema_migrations", "sqlite_sequence"]);

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;

/** The state tables of `schema` (`main`, or an attached database's alias), by name. */
export function stateTables(store: Store, schema = "main"): string[] {
  return (
    store.db
      .prepare(
        `SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[]
  )
    .map((r) => r.name)
    .filter((n) => !NOT_STATE.has(n));
}

/** The column names of `table` in `schema`, in table order. */
export function tableColumns(store: Store, table: string, schema = "main"): string[] {
  return (store.db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(table, schema) as { name: string }[]).map(
    (r) => r.name,
  );
}

/** The ids of the migrations applied to `schema`, in order. */
export function appliedMigrationIds(store: Store, schema = "main"): string[] {
  return (store.db.prepare(`SELECT id FROM ${schema}.schema_migrations ORDER BY id`).all() as { id: string }[]).map(
    (r) => r.id,
  );
}

/** Writes a consistent copy of the whole database to the new file `file` (`VACUUM INTO`). */
export function vacuumInto(store: Store, file: string): void {
  store.db.prepare("VACUUM INTO ?").run(file);
}

/**
 * Replaces every state table of `store` with the content of the database file `file`, in one transaction.
 * `checkSchema` sees both migration lists first and throws to refuse (nothing is changed then).
 */
export function replaceAllTablesFrom(
  store: Store,
  file: string,
  checkSchema: (theirs: string[], ours: string[]) => void,
): void {
  store.db.prepare("ATTACH DATABASE ? AS source").run(file);
  try {
    checkSchema(appliedMigrationIds(store, "source"), appliedMigrationIds(store));
    const present = new Set(stateTables(store, "source"));
    store.tx(() => {
      store.db.pragma("defer_foreign_keys = ON");
      // Every delete before any insert: ON DELETE CASCADE would otherwise remove rows already copied.
      for (const t of stateTables(store)) store.db.prepare(`DELETE FROM main.${q(t)}`).run();
      for (const t of stateTables(store)) {
        if (!present.has(t)) continue;
        const cols = tableColumns(store, t).map(q).join(", ");
        store.db.prepare(`INSERT INTO main.${q(t)} (${cols}) SELECT ${cols} FROM source.${q(t)}`).run();
      }
    });
  } finally {
    store.db.exec("DETACH DATABASE source");
  }
}

/**
 * Deletes every row of every state table, foreign keys checked only at commit. Runs inside the caller's
 * transaction (`Store.tx`).
 */
export function deleteAllStateRows(store: Store): void {
  store.db.pragma("defer_foreign_keys = ON");
  for (const t of stateTables(store)) store.db.prepare(`DELETE FROM ${q(t)}`).run();
}

/** Empties every state table (keeps the schema), in one transaction. */
export function emptyAllTables(store: Store): void {
  store.tx(() => deleteAllStateRows(store));
}

/** Runs `read` in one (deferred) read transaction, so every table it reads comes from the same moment. */
export function readConsistently(store: Store, read: () => void): void {
  store.db.transaction(read)();
}

/** Every row of `table`, as column → value. */
export function allRows(store: Store, table: string): Record<string, unknown>[] {
  return store.db.prepare(`SELECT * FROM ${q(table)}`).all() as Record<string, unknown>[];
}

/**
 * A function inserting one row (values in `columns` order) into `table`.
 * @throws SqliteError (from the returned function) when a row does not fit the table
 */
export function rowInserter(store: Store, table: string, columns: readonly string[]): (values: unknown[]) => void {
  const stmt = store.db.prepare(
    `INSERT INTO ${q(table)} (${columns.map(q).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
  );
  return (values) => {
    stmt.run(...values);
  };
}
