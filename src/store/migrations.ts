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
  {
    // Managed HSM data plane (src/hsm/store.ts): keys, versions, local RBAC. `hsm` is the lower-cased HSM name.
    id: "0100-hsm-data-plane",
    sql: `
      CREATE TABLE hsm_instances (
        hsm TEXT PRIMARY KEY,
        sealed_kek BLOB NOT NULL,         -- per-HSM AES-256 key, sealed under the emulator master key (hsm-master.key)
        created_at INTEGER NOT NULL
      );
      CREATE TABLE hsm_keys (
        hsm TEXT NOT NULL,
        name_key TEXT NOT NULL,           -- lower-cased key name (names are case-insensitive)
        name TEXT NOT NULL,               -- casing as first created
        deleted_date INTEGER,             -- epoch seconds; NULL while live
        scheduled_purge_date INTEGER,     -- epoch seconds; NULL while live
        rotation_policy TEXT,             -- KeyRotationPolicy JSON, NULL = none set
        created_at INTEGER NOT NULL,
        PRIMARY KEY (hsm, name_key)
      );
      CREATE TABLE hsm_key_versions (
        hsm TEXT NOT NULL,
        name_key TEXT NOT NULL,
        version TEXT NOT NULL,            -- 32 lower-case hex
        seq INTEGER NOT NULL,             -- creation order within the key; highest = current version
        kty TEXT NOT NULL,
        key_ops TEXT NOT NULL,            -- JSON array
        attributes TEXT NOT NULL,         -- JSON {enabled, nbf?, exp?, created, updated, exportable}
        tags TEXT,                        -- JSON object or NULL
        release_policy TEXT,              -- JSON {contentType, immutable, data} or NULL
        public_jwk TEXT NOT NULL,         -- JSON public fields (n,e | crv,x,y | {})
        material BLOB NOT NULL,           -- private material, AES-256-GCM sealed under the HSM key
        PRIMARY KEY (hsm, name_key, version),
        FOREIGN KEY (hsm, name_key) REFERENCES hsm_keys (hsm, name_key) ON DELETE CASCADE
      );
      CREATE INDEX hsm_key_versions_by_seq ON hsm_key_versions (hsm, name_key, seq);
      CREATE TABLE hsm_role_definitions (
        hsm TEXT NOT NULL,
        name TEXT NOT NULL,               -- lower-cased GUID
        body TEXT NOT NULL,               -- wire JSON
        PRIMARY KEY (hsm, name)
      );
      CREATE TABLE hsm_role_assignments (
        hsm TEXT NOT NULL,
        name TEXT NOT NULL,
        scope TEXT NOT NULL,              -- normalised: /, /keys or /keys/{name}
        role_definition_id TEXT NOT NULL,
        principal_id TEXT NOT NULL,       -- lower-cased object id
        created_at INTEGER NOT NULL,
        PRIMARY KEY (hsm, name)
      );
      CREATE INDEX hsm_role_assignments_by_principal ON hsm_role_assignments (hsm, principal_id);
      CREATE TABLE hsm_meta (
        k TEXT PRIMARY KEY,
        v BLOB NOT NULL
      );
    `,
  },
  {
    // Managed HSM security domain (src/hsm/security-domain/): the domain an activated HSM holds, its exchange
    // (transfer) key for an upload, and the status of the last download/upload. `hsm` is the lower-cased HSM name.
    id: "0200-hsm-security-domain",
    sql: `
      CREATE TABLE hsm_security_domains (
        hsm TEXT PRIMARY KEY,
        domain_id TEXT,                   -- identity of the security domain (same on every HSM recovered from it)
        sealed_domain_key BLOB,           -- 32-byte domain key (encrypts full backups), sealed under the emulator master key
        required INTEGER,                 -- quorum of the download that created the domain
        certificates TEXT,                -- JSON array of the wrapping certificates' x5t#S256
        exchange_key BLOB,                -- sealed PKCS#8 of the exchange (transfer) key, NULL until GET /securitydomain/upload
        exchange_cert TEXT,               -- base64 DER of its self-signed certificate
        operation TEXT,                   -- last operation: download | upload
        operation_status TEXT,            -- Success | Failed | InProgress
        operation_details TEXT,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Full backup, full restore and selective key restore jobs (src/hsm/backup/), one row per job.
    id: "0200-hsm-backup-jobs",
    sql: `
      CREATE TABLE hsm_backup_jobs (
        job_id TEXT PRIMARY KEY,          -- 32 lower-case hex
        hsm TEXT NOT NULL,
        kind TEXT NOT NULL,               -- backup | restore | selectiveKeyRestore
        status TEXT NOT NULL,             -- InProgress | Succeeded | Failed
        status_details TEXT,
        start_time INTEGER NOT NULL,      -- epoch seconds
        end_time INTEGER,
        container_uri TEXT                -- the backup folder's URI (backup jobs that succeeded)
      );
      CREATE INDEX hsm_backup_jobs_by_hsm ON hsm_backup_jobs (hsm, status);
    `,
  },
  {
    // Managed HSM account settings (src/hsm/settings/): only the values changed from their defaults.
    id: "0200-hsm-settings",
    sql: `
      CREATE TABLE hsm_settings (
        hsm TEXT NOT NULL,
        name TEXT NOT NULL,               -- setting name as the service spells it
        value TEXT NOT NULL,
        PRIMARY KEY (hsm, name)
      );
    `,
  },
  {
    // Test-fixture state (src/fixture/): the emulated clock's offset from real time, one row.
    id: "0600-fixture-clock",
    sql: `
      CREATE TABLE fixture_clock (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        offset_ms INTEGER NOT NULL        -- emulated minus real time, milliseconds
      );
    `,
  },
  {
    id: "0300-arm-authorization",
    sql: `
      CREATE TABLE subscriptions (
        subscription_key TEXT PRIMARY KEY, -- lower-cased subscription GUID
        subscription_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE arm_role_assignments (
        id_key TEXT PRIMARY KEY,           -- lower-cased full id: {scope}/providers/Microsoft.Authorization/roleAssignments/{name}
        name_key TEXT NOT NULL,            -- lower-cased GUID name (unique per tenant, as in Azure)
        scope_key TEXT NOT NULL,           -- lower-cased scope, no trailing slash
        principal_key TEXT NOT NULL,       -- lower-cased principal object id
        role_definition_key TEXT NOT NULL, -- lower-cased role definition GUID
        body TEXT NOT NULL,                -- wire JSON
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX arm_role_assignments_by_name ON arm_role_assignments (name_key);
      CREATE INDEX arm_role_assignments_by_principal ON arm_role_assignments (principal_key);
      CREATE INDEX arm_role_assignments_by_scope ON arm_role_assignments (scope_key);
    `,
  },
];
