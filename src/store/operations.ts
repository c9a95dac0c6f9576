/** The `operations` table: finished ARM long-running operations, read back by their status monitors. */
import type Database from "better-sqlite3";

/** A stored operation; `result` and `error` are JSON text. */
export interface OperationRow {
  id: string;
  kind: string;
  status: string;
  resource_id: string | null;
  result: string | null;
  error: string | null;
}

export class OperationRepository {
  constructor(private readonly db: Database.Database) {}

  insert(row: OperationRow, now: number): void {
    this.db
      .prepare(
        "INSERT INTO operations (id, kind, status, resource_id, result, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      )
      .run(row.id, row.kind, row.status, row.resource_id, row.result, row.error, now);
  }

  /** The operation `id` (case-insensitive), or undefined. */
  get(id: string): OperationRow | undefined {
    return this.db.prepare("SELECT * FROM operations WHERE id = ?").get(id.toLowerCase()) as OperationRow | undefined;
  }
}
