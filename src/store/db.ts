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

export type Db = Database.Database;

export class Store {
  readonly resources: ResourceRepository;
  private closed = false;

  private constructor(readonly db: Db, readonly path: string) {
    this.resources = new ResourceRepository(db);
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
    return new Store(db, path);
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
