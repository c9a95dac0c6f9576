/**
 * Versioned schema migrations. Ids sort in application order; a migration never changes once released.
 * Each feature folder contributes its own migrations here so the schema history stays in one list.
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    id: "0001-arm-core",
    sql: `
      CREATE TABLE resources (
        id_key TEXT PRIMARY KEY,          -- lower-cased ARM id (ids are case-insensitive)
        id TEXT NOT NULL,                 -- canonical casing as first written
        type_key TEXT NOT NULL,           -- lower-cased full type, e.g. microsoft.network/virtualnetworks/subnets
        parent_key TEXT,                  -- lower-cased id of the parent resource (child resources), else NULL
        subscription_key TEXT NOT NULL,
        resource_group_key TEXT,          -- lower-cased resource group name; NULL for subscription-level resources
        name TEXT NOT NULL,
        body TEXT NOT NULL,               -- the resource's wire JSON
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX resources_by_type ON resources (type_key, subscription_key, resource_group_key);
      CREATE INDEX resources_by_parent ON resources (parent_key);
      CREATE TABLE operations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,               -- which LRO dialect answers the poll
        status TEXT NOT NULL,             -- InProgress | Succeeded | Failed
        resource_id TEXT,                 -- resource whose current body a final poll returns
        result TEXT,                      -- JSON body of the final poll when fixed at completion
        error TEXT,                       -- JSON error object when Failed
        created_at INTEGER NOT NULL
      );
      CREATE TABLE principals (
        object_id TEXT PRIMARY KEY,
        app_id TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        kind TEXT NOT NULL,               -- ManagedIdentity | ServicePrincipal
        secret_hash TEXT,                 -- scrypt hash of the client secret; NULL for managed identities
        trusted_service TEXT,             -- resource provider namespace of a trusted Azure service, if any
        created_at INTEGER NOT NULL
      );
      CREATE TABLE providers (
        namespace_key TEXT PRIMARY KEY,
        namespace TEXT NOT NULL,
        registration_state TEXT NOT NULL
      );
    `,
  },
];
