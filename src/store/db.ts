/**
 * SQLite store (better-sqlite3 v12): WAL, versioned migrations, one transaction per write.
 * Every write commits (synchronous=FULL) before the HTTP response is sent, so an acknowledged write
 * survives `kill -9` and power loss.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { ResourceRepository } from "./resources.js";
import { PrincipalRepository } from "./principals.js";
import { OperationRepository } from "./operations.js";
import { ProviderRepository } from "./providers.js";

export type Db = Database.Database;

export class Store {
  readonly resources: ResourceRepository;
  readonly principals: PrincipalRepository;
  readonly operations: OperationRepository;
  readonly providers: ProviderRepository;
  private closed = false;
  private readonly versionStmt: Database.Statement;

  private constructor(
    readonly db: Db,
    readonly path: string,
  ) {
    this.resources = new ResourceRepository(db);
    this.principals = new PrincipalRepository(db);
    this.operations = new OperationRepository(db);
    this.providers = new ProviderRepository(db);
    // pluck: the value itself, no row object (it is read several times per request).
    this.versionStmt = db.prepare("SELECT total_changes()").pluck();
  }

  /**
   * A value that changes whenever the database content may have changed: the rows written through this
   * connection (SQLite `total_changes()`: any table, any code path, counted when the statement completes). Equal
   * values mean nothing was written in between, so what was read may be reused (about 1 µs, no read transaction).
   * Only this connection writes: one hsmlink process owns a data dir (its pid lock). A cache that must also see
   * other processes' commits would add `PRAGMA data_version` (a read transaction, ~5 µs and more under load).
   * @returns undefined inside a transaction: what it wrote may still be rolled back (the count stays), so nothing
   *   read there may be cached
   */
  version(): number | undefined {
    if (this.db.inTransaction) return undefined;
    return this.versionStmt.get() as number;
  }

  /**
   * Opens (creating if needed) the database at `path`, or an in-memory one for `":memory:"`, and applies
   * pending migrations in id order.
   * @throws Error when the file is not a database or a migration fails (nothing is half-applied).
   */
  static open(path: string, migrations: readonly Migration[] = MIGRATIONS): Store {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    if (path !== ":memory:") {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
    }
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 2000");
    applyMigrations(db, migrations);
    cachePreparedStatements(db);
    return new Store(db, path);
  }

  /** A fresh, uncached statement (for `iterate` or a mode switch such as `pluck`; see cachePreparedStatements). */
  prepareUncached(sql: string): Database.Statement {
    return (uncached.get(this.db) ?? this.db.prepare.bind(this.db))(sql);
  }

  /** Runs `fn` in one transaction (BEGIN IMMEDIATE); rolls back everything if it throws. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/**
 * Makes `db.prepare(sql)` return one cached statement per SQL text (compiling a statement costs more than running
 * a simple one, and the request path prepares the same few statements every time). Safe because statements are
 * only used synchronously here (`run`/`get`/`all`, never `iterate`) and nobody switches their mode (`pluck`,
 * `raw`, `expand`, `safeIntegers`); whoever needs either must call `Store.prepareUncached`.
 */
function cachePreparedStatements(db: Db): void {
  const compile = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  (db as { prepare: Db["prepare"] }).prepare = ((sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= 1000) cache.clear();
      s = compile(sql);
      cache.set(sql, s);
    }
    return s;
  }) as Db["prepare"];
  uncached.set(db, compile);
}

const uncached = new WeakMap<Db, Db["prepare"]>();

function applyMigrations(db: Db, migrations: readonly Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
  const applied = new Set((db.prepare("SELECT id FROM schema_migrations").all() as { id: string }[]).map((r) => r.id));
  const sorted = [...migrations].sort((a, b) => a.id.localeCompare(b.id));
  for (const m of sorted) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)").run(m.id, new Date().toISOString());
    }).immediate();
  }
}
