/**
 * Managed HSM local RBAC model: the built-in role definitions exactly as the service returns them
 * (data-plane.md §6.1; MicrosoftDocs `managed-hsm/built-in-roles.md`), data actions, scopes and the
 * permission check (union of dataActions of assignments at the scope or an ancestor, minus notDataActions).
 */

export const DATA_ACTION_PREFIX = "Microsoft.KeyVault/managedHsm";
export const ROLE_DEFINITION_ID_PREFIX = "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/";

/** Full data action name for a suffix such as `keys/read/action`. */
export const action = (suffix: string) => `${DATA_ACTION_PREFIX}/${suffix}`;

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

/** A role definition in wire shape. */
export interface RoleDefinition {
  id: string;
  name: string;
  type: "Microsoft.Authorization/roleDefinitions";
  properties: {
    roleName: string;
    type: "AKVBuiltInRole" | "CustomRole";
    description: string;
    assignableScopes: string[];
    permissions: Permission[];
  };
}

function builtIn(guid: string, roleName: string, suffixes: string[]): RoleDefinition {
  return {
    id: ROLE_DEFINITION_ID_PREFIX + guid,
    name: guid,
    type: "Microsoft.Authorization/roleDefinitions",
    properties: {
      roleName,
      type: "AKVBuiltInRole",
      description: "",
      assignableScopes: ["/"],
      permissions: [{ actions: [], notActions: [], dataActions: suffixes.map(action), notDataActions: [] }],
    },
  };
}

const RBAC_ADMIN = [
  "roleAssignments/delete/action",
  "roleAssignments/read/action",
  "roleAssignments/write/action",
  "roleDefinitions/read/action",
  "roleDefinitions/write/action",
  "roleDefinitions/delete/action",
];

export const ROLE_IDS = {
  administrator: "a290e904-7015-4bba-90c8-60543313cdb4",
  cryptoOfficer: "515eb02d-2335-4d2d-92f2-b1cbdf9c3778",
  cryptoUser: "21dbd100-6940-42c2-9190-5d6cb909625b",
  policyAdministrator: "4bd23610-cdcf-4971-bdee-bdc562cc28e4",
  cryptoAuditor: "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3",
  serviceEncryptionUser: "33413926-3206-4cdd-b39a-83574fe37a17",
  serviceReleaseUser: "21dbd100-6940-42c2-9190-5d6cb909625c",
  backup: "7b127d3c-77bd-4e3e-bbe0-dbb8971fa7f8",
  restore: "6efe6056-5259-49d2-8b3d-d3d73544b20b",
  ekmAdministrator: "abdd7ec4-a273-4265-bf38-e001014e2d8e",
} as const;

/**
 * The built-in roles, in the order, with the names and data actions a real managed HSM lists them
 * (`GET /providers/Microsoft.Authorization/roleDefinitions`, Azure/azure-sdk-assets python/sdk/keyvault/
 * azure-keyvault-administration/tests/recordings/test_access_control.pyTestAccessControltest_role_assignment[2025-07-01].json,
 * service build 1.0.20260320): "Managed HSM Backup User" / "Managed HSM Restore User", the Administrator's
 * `settings/read|write/action`, the Crypto User's `keys/derive/action`, the EKM Administrator (EKM itself is not
 * emulated). The Administrator has no key permissions: key use needs Crypto User, key lifecycle (purge, recover)
 * Crypto Officer.
 */
export const BUILT_IN_ROLES: readonly RoleDefinition[] = Object.freeze([
  builtIn(ROLE_IDS.ekmAdministrator, "Managed HSM EKM Administrator", [
    "ekm/read/action",
    "ekm/write/action",
    "ekm/delete/action",
  ]),
  builtIn(ROLE_IDS.restore, "Managed HSM Restore User", [
    "restore/start/action",
    "restore/status/action",
    "keys/restore/action",
  ]),
  builtIn(ROLE_IDS.backup, "Managed HSM Backup User", [
    "backup/start/action",
    "backup/status/action",
    "keys/backup/action",
  ]),
  builtIn(ROLE_IDS.serviceEncryptionUser, "Managed HSM Crypto Service Encryption User", [
    "keys/read/action",
    "keys/wrap/action",
    "keys/unwrap/action",
  ]),
  builtIn(ROLE_IDS.serviceReleaseUser, "Managed HSM Crypto Service Release User", ["keys/release/action"]),
  builtIn(ROLE_IDS.cryptoAuditor, "Managed HSM Crypto Auditor", [
    "roleAssignments/read/action",
    "roleDefinitions/read/action",
    "keys/read/action",
    "keys/deletedKeys/read/action",
  ]),
  builtIn(ROLE_IDS.policyAdministrator, "Managed HSM Policy Administrator", [
    "roleDefinitions/read/action",
    "roleDefinitions/write/action",
    "roleDefinitions/delete/action",
    "roleAssignments/read/action",
    "roleAssignments/write/action",
    "roleAssignments/delete/action",
  ]),
  builtIn(ROLE_IDS.cryptoUser, "Managed HSM Crypto User", [
    "roleDefinitions/read/action",
    "roleAssignments/read/action",
    "keys/read/action",
    "keys/write/action",
    "keys/delete",
    "keys/create",
    "keys/rotate/action",
    "keys/import/action",
    "keys/release/action",
    "keys/backup/action",
    "keys/restore/action",
    "keys/encrypt/action",
    "keys/decrypt/action",
    "keys/wrap/action",
    "keys/unwrap/action",
    "keys/sign/action",
    "keys/verify/action",
    "keys/derive/action",
    "rng/action",
  ]),
  builtIn(ROLE_IDS.cryptoOfficer, "Managed HSM Crypto Officer", [
    ...RBAC_ADMIN,
    "keys/deletedKeys/read/action",
    "keys/deletedKeys/delete",
    "keys/deletedKeys/recover/action",
    "keys/export/action",
  ]),
  builtIn(ROLE_IDS.administrator, "Managed HSM Administrator", [
    ...RBAC_ADMIN,
    "securitydomain/download/action",
    "securitydomain/download/read",
    "securitydomain/upload/action",
    "securitydomain/upload/read",
    "securitydomain/transferkey/read",
    "backup/start/action",
    "restore/start/action",
    "backup/status/action",
    "restore/status/action",
    "settings/read/action",
    "settings/write/action",
  ]),
]);

/** The GUID of a role definition id given as a GUID or as `…/roleDefinitions/{guid}` (any casing); undefined otherwise. */
export function roleGuidOf(idOrGuid: string): string | undefined {
  const m =
    /^(?:.*\/roleDefinitions\/)?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/i.exec(
      idOrGuid.trim(),
    );
  return m ? m[1].toLowerCase() : undefined;
}

export function builtInRole(guid: string): RoleDefinition | undefined {
  return BUILT_IN_ROLES.find((r) => r.name === guid.toLowerCase());
}

/**
 * Normalises an RBAC scope (data-plane.md §1 "Scope paths"): collapse slashes, drop a trailing slash,
 * `""` → `/`; `/keys` and `/keys/{name}` keep the caller's key name casing. Returns undefined for a
 * scope Managed HSM does not have (anything but `/`, `/keys`, `/keys/{name}`).
 */
export function normaliseScope(raw: string): string | undefined {
  const parts = raw.split("/").filter(Boolean);
  if (parts.length === 0) return "/";
  if (parts[0].toLowerCase() !== "keys" || parts.length > 2) return undefined;
  if (parts.length === 1) return "/keys";
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(parts[1])) return undefined;
  return `/keys/${parts[1]}`;
}

/** The scopes whose assignments apply at `scope`: itself and its ancestors (`/keys/k` → `/keys/k`, `/keys`, `/`). */
export function scopeChain(scope: string): string[] {
  if (scope === "/") return ["/"];
  if (scope.toLowerCase() === "/keys") return ["/keys", "/"];
  return [scope, "/keys", "/"];
}

/** Compiled action patterns (built-in and custom role definitions repeat the same few). */
const patterns = new Map<string, RegExp>();

/** Case-insensitive match of a data action against a pattern that may contain `*` wildcards. */
export function actionMatches(pattern: string, dataAction: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(
      "^" +
        pattern
          .split("*")
          .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*") +
        "$",
      "i",
    );
    if (patterns.size >= 1000) patterns.clear();
    patterns.set(pattern, re);
  }
  return re.test(dataAction);
}

/** True when the permissions allow `dataAction`: some dataActions pattern matches and no notDataActions pattern of the same permission block does. */
export function permits(permissions: readonly Permission[], dataAction: string): boolean {
  return permissions.some(
    (p) =>
      (p.dataActions ?? []).some((a) => actionMatches(a, dataAction)) &&
      !(p.notDataActions ?? []).some((a) => actionMatches(a, dataAction)),
  );
}
