/**
 * Generic repository of ARM resources: one row per resource, keyed by its case-insensitive id, holding
 * the wire JSON. Resource-type modules own the shape of `body`; this layer never interprets it.
 */
import type Database from "better-sqlite3";

type Db = Database.Database;

/** A stored ARM resource. `body` is the wire JSON (id, name, type, location, properties, …). */
export interface StoredResource<T = Record<string, unknown>> {
  id: string;
  type: string;
  name: string;
  parentId?: string;
  subscriptionId: string;
  resourceGroup?: string;
  body: T;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: string;
  type_key: string;
  parent_key: string | null;
  subscription_key: string;
  resource_group_key: string | null;
  name: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface ListFilter {
  subscriptionId?: string;
  resourceGroup?: string;
  parentId?: string;
}

export class ResourceRepository {
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare("SELECT * FROM resources WHERE id_key = ?");
    this.upsertStmt = db.prepare(`
      INSERT INTO resources (id_key, id, type_key, parent_key, subscription_key, resource_group_key, name, body, created_at, updated_at)
      VALUES (@id_key, @id, @type_key, @parent_key, @subscription_key, @resource_group_key, @name, @body, @now, @now)
      ON CONFLICT (id_key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`);
    this.deleteStmt = db.prepare("DELETE FROM resources WHERE id_key = ?");
  }

  /** The resource with this id (any casing), or undefined. */
  get<T = Record<string, unknown>>(id: string): StoredResource<T> | undefined {
    const row = this.getStmt.get(id.toLowerCase()) as Row | undefined;
    return row ? toResource<T>(row) : undefined;
  }

  /**
   * Creates or replaces a resource. The id's first-written casing is kept (ARM keeps the creator's casing).
   * @param now milliseconds since the epoch
   */
  put(
    r: {
      id: string;
      type: string;
      name: string;
      parentId?: string;
      subscriptionId: string;
      resourceGroup?: string;
      body: unknown;
    },
    now: number,
  ): void {
    this.upsertStmt.run({
      id_key: r.id.toLowerCase(),
      id: r.id,
      type_key: r.type.toLowerCase(),
      parent_key: r.parentId?.toLowerCase() ?? null,
      subscription_key: r.subscriptionId.toLowerCase(),
      resource_group_key: r.resourceGroup?.toLowerCase() ?? null,
      name: r.name,
      body: JSON.stringify(r.body),
      now,
    });
  }

  /** Deletes one resource; returns whether it existed. Children are the caller's business. */
  delete(id: string): boolean {
    return this.deleteStmt.run(id.toLowerCase()).changes > 0;
  }

  /** Resources of one type (case-insensitive), optionally narrowed, in creation order. */
  list<T = Record<string, unknown>>(type: string, filter: ListFilter = {}): StoredResource<T>[] {
    const where = ["type_key = ?"];
    const args: unknown[] = [type.toLowerCase()];
    if (filter.subscriptionId) {
      where.push("subscription_key = ?");
      args.push(filter.subscriptionId.toLowerCase());
    }
    if (filter.resourceGroup) {
      where.push("resource_group_key = ?");
      args.push(filter.resourceGroup.toLowerCase());
    }
    if (filter.parentId) {
      where.push("parent_key = ?");
      args.push(filter.parentId.toLowerCase());
    }
    const rows = this.db
      .prepare(`SELECT * FROM resources WHERE ${where.join(" AND ")} ORDER BY created_at, rowid`)
      .all(...args) as Row[];
    return rows.map((r) => toResource<T>(r));
  }

  /** Every resource inside a resource group, any type. */
  listInResourceGroup(subscriptionId: string, resourceGroup: string): StoredResource[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM resources WHERE subscription_key = ? AND resource_group_key = ? ORDER BY created_at, rowid",
      )
      .all(subscriptionId.toLowerCase(), resourceGroup.toLowerCase()) as Row[];
    return rows.map((r) => toResource(r));
  }

  /** Every resource inside a resource group of the subscription (not subscription-level ones), oldest first. */
  listInResourceGroups(subscriptionId: string): StoredResource[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM resources WHERE subscription_key = ? AND resource_group_key IS NOT NULL ORDER BY created_at, rowid",
      )
      .all(subscriptionId.toLowerCase()) as Row[];
    return rows.map((r) => toResource(r));
  }

  /** Direct children of a resource. */
  children(parentId: string): StoredResource[] {
    const rows = this.db
      .prepare("SELECT * FROM resources WHERE parent_key = ? ORDER BY created_at, rowid")
      .all(parentId.toLowerCase()) as Row[];
    return rows.map((r) => toResource(r));
  }
}

function toResource<T>(row: Row): StoredResource<T> {
  const body = JSON.parse(row.body) as T & { type?: string };
  return {
    id: row.id,
    type: typeof body.type === "string" ? body.type : row.type_key,
    name: row.name,
    parentId: row.parent_key ?? undefined,
    subscriptionId: row.subscription_key,
    resourceGroup: row.resource_group_key ?? undefined,
    body,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
