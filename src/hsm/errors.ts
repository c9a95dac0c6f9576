/**
 * The Key Vault error catalogue of the Managed HSM data plane (data-plane.md §3). Every error is an
 * `AzureError` with `surface: "keyvault"`, rendered as `{"error":{"code","message … (Activity ID: …)","innererror"?}}`.
 * Messages never carry key material.
 *
 * Codes: Key Vault answers every request-validation failure with `BadParameter` (data-plane.md §3, recorded for
 * invalid api-version, bad JSON, key type/size/curve/algorithm, rng count and built-in role names);
 * `KeyNotFound` for a missing key, `Conflict` + `ObjectIsDeletedButRecoverable` for a soft-deleted name,
 * `AccessDenied` for local RBAC, `RoleAssignmentNotFound`/`RoleDefinitionNotFound` for local RBAC objects,
 * `Forbidden` + an inner code for key state, firewall and activation.
 *
 * Every refusal of the HSM's handlers is a named entry of {@link kvErrors} (the crypto worker's refusals are
 * `cryptoErrors` in src/hsm/crypto/errors.ts); a message recorded from a real managed HSM says so next to it with
 * the recording, every other wording is marked hsmlink's. Only the catalogue builds errors: the generic builders
 * are module-private and tests/unit/hsm/error-catalogue.test.ts fails on a literal `badParameter(…)` elsewhere in
 * src/hsm.
 */
import { AzureError } from "../kernel/errors.js";
import { isKeyCryptoError } from "./crypto/index.js";

/** A Key Vault-envelope error. `inner` becomes `innererror.code`. Callers use {@link kvErrors}. */
function kvError(
  status: number,
  code: string,
  message: string,
  inner?: string,
  headers?: Record<string, string>,
): AzureError {
  return new AzureError(status, code, message, {
    surface: "keyvault",
    ...(inner ? { innerCode: inner } : {}),
    ...(headers ? { headers } : {}),
  });
}

/**
 * 400 BadParameter with a message that already comes from a catalogue: {@link kvErrors} builds every refusal of
 * the HSM's own handlers; this is exported for the HTTP layer's pass-through of a `cryptoErrors` refusal thrown
 * in the crypto worker (src/hsm/crypto/errors.ts). tests/unit/hsm/error-catalogue.test.ts fails on a literal
 * `badParameter(…)` or `kvError(…)` anywhere else in src/hsm.
 */
export function badParameter(message: string): AzureError {
  return kvError(400, "BadParameter", message);
}

/**
 * 404 KeyNotFound for a live key: `Key not found: https://{hsm}.managedhsm.azure.net/keys/{name}` — the wording a
 * real managed HSM sends (Azure/azure-sdk-assets net/sdk/keyvault/Azure.Security.KeyVault.Keys/tests/SessionRecords/
 * ManagedHsmLiveTests/GetKeyNonExisting.json, DeleteKeyNonExisting.json, BackupKeyNonExisting.json, 2026). With a
 * version the URL ends in `/{version}` (hsmlink's choice: no recording of a missing version was found).
 * @param baseUrl the HSM's external base URL, `https://{host}[:port]`, no trailing slash
 */
export function keyNotFound(baseUrl: string, name: string, version?: string): AzureError {
  return kvError(404, "KeyNotFound", `Key not found: ${baseUrl}/keys/${name}${version ? `/${version}` : ""}`);
}

/**
 * 404 KeyNotFound for a key that is not in the deleted state: `Key not found: https://{hsm}.managedhsm.azure.net/deletedkeys/{name}`
 * (ManagedHsmLiveTests/GetDeletedKeyNonExisting.json, RecoverDeletedKeyNonExisting.json).
 */
export function deletedKeyNotFound(baseUrl: string, name: string): AzureError {
  return kvError(404, "KeyNotFound", `Key not found: ${baseUrl}/deletedkeys/${name}`);
}

/** 409 Conflict: the name belongs to a soft-deleted key (data-plane.md §2.3, exact message). */
export function deletedButRecoverable(name: string): AzureError {
  return kvError(
    409,
    "Conflict",
    `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
    "ObjectIsDeletedButRecoverable",
  );
}

/** 403 Forbidden for a key operation the key's state or key_ops do not allow. */
function keyForbidden(message: string, inner: string): AzureError {
  return kvError(403, "Forbidden", message, inner);
}

/** Maps a `KeyCryptoError` to 400 BadParameter (caller's fault) or rethrows anything else (InternalError → 500). */
export function fromCryptoError(e: unknown): never {
  if (isKeyCryptoError(e) && e.code === "BadParameter") throw badParameter(e.message);
  throw e;
}

/**
 * Named Key Vault errors: every refusal of the managed HSM's handlers (see the module comment for the codes).
 * An entry whose message was seen on the wire of a real managed HSM says "recorded" with the recording; every other
 * wording is hsmlink's choice — no recording, spec or doc shows the service's text for it — and names the field
 * and the rule so a user can fix the request. Status and code follow Key Vault's rule (400 `BadParameter` for
 * request validation) unless an entry says otherwise.
 */
export const kvErrors = {
  // ---- request envelope ----
  /** 400: the body is not JSON (hsmlink's wording; code recorded). */
  requestBodyNotJson: (detail: string) => badParameter(`The request body is not valid JSON: ${detail}`),
  /** 400: an operation that needs a body got none (hsmlink's wording). */
  requestBodyMissing: (what: string) => badParameter(`The request body is missing; expected ${what}.`),
  /** 400: the body is JSON but not an object (hsmlink's wording). */
  requestBodyNotObject: (what: string) => badParameter(`The request body must be a JSON object (${what}).`),
  /** 400: a required body parameter is absent (hsmlink's wording). */
  parameterRequired: (name: string, what?: string) =>
    badParameter(`The parameter '${name}'${what ? ` (${what})` : ""} is required.`),
  /** 400: a body parameter has the wrong JSON type (hsmlink's wording), e.g. `key_size` "must be an integer". */
  parameterType: (name: string, rule: string) => badParameter(`The parameter '${name}' must be ${rule}.`),
  /** 400: a base64url parameter does not decode (hsmlink's wording). */
  parameterNotBase64Url: (name: string) => badParameter(`The parameter '${name}' is not a valid base64url string.`),
  /** 400: a path segment that is not valid percent-encoding (hsmlink's wording). */
  pathNotPercentEncoded: (what: string, value: string) =>
    badParameter(`The ${what} '${value}' in the request path is not valid percent-encoding.`),
  /**
   * 400: no `api-version` query parameter (hsmlink's wording, modelled on the recorded unknown-version text below).
   */
  apiVersionMissing: (latest: string) =>
    badParameter(
      `The api-version query parameter is missing. Consider using the latest supported version (${latest}).`,
    ),
  /** 400: an api-version the service never published (message recorded for Key Vault, data-plane.md §3). */
  apiVersionNotRecognized: (shown: string, latest: string) =>
    badParameter(
      `The specified version (${shown}) is not recognized. Consider using the latest supported version (${latest}).`,
    ),

  // ---- keys: names, paging, attributes, tags, key_ops ----
  /** 400: a key name outside `^[0-9a-zA-Z-]{1,127}$` (hsmlink's wording; the rule is Key Vault's object-name rule). */
  invalidKeyName: (shown: string) =>
    badParameter(`The key name '${shown}' is invalid: use 1-127 letters, digits and '-'.`),
  /** 400: `maxresults` outside 1..25 (hsmlink's wording; the 25 limit is the spec's). */
  maxResultsOutOfRange: (shown: string, max: number) =>
    badParameter(`The value of maxresults (${shown}) must be between 1 and ${max}.`),
  /** 400: a `$skiptoken` hsmlink did not issue (hsmlink's wording). */
  skipTokenInvalid: () => badParameter("The $skiptoken is invalid."),
  /** 400: nbf/exp not a whole number of epoch seconds (hsmlink's wording). */
  attributeNotEpochSeconds: (name: string) =>
    badParameter(`The attribute '${name}' must be a whole number of seconds since 1970-01-01T00:00:00Z.`),
  /** 400: `attributes` is not an object (hsmlink's wording). */
  attributesNotObject: () => badParameter("The parameter 'attributes' must be an object."),
  /** 400: a boolean attribute (enabled, exportable) of another type (hsmlink's wording). */
  attributeNotBoolean: (name: string) => badParameter(`The attribute '${name}' must be true or false.`),
  /** 400: nbf ≥ exp (hsmlink's wording). */
  nbfNotBeforeExp: () => badParameter("The key's 'nbf' (not before) must be earlier than its 'exp' (expiry)."),
  /** 400: `tags` is not an object (hsmlink's wording). */
  tagsNotObject: () => badParameter("The parameter 'tags' must be an object of string values."),
  /** 400: more than 15 tags (hsmlink's wording; the limit is Key Vault's documented one). */
  tooManyTags: (count: number, max: number) =>
    badParameter(`Too many tags: ${count}. A key can have at most ${max} tags.`),
  /** 400: a tag value that is not a string (hsmlink's wording). */
  tagValueNotString: (name: string) => badParameter(`The value of tag '${name.slice(0, 64)}' must be a string.`),
  /** 400: a tag name of 0 or more than 256 characters (hsmlink's wording). */
  tagNameLength: (max: number) => badParameter(`Tag names must be 1-${max} characters long.`),
  /** 400: a tag value over 256 characters (hsmlink's wording). */
  tagValueLength: (name: string, max: number) =>
    badParameter(`The value of tag '${name.slice(0, 64)}' is longer than ${max} characters.`),
  /** 400: `key_ops` is not an array (hsmlink's wording). */
  keyOpsNotArray: () => badParameter("The parameter 'key_ops' must be an array of key operations."),
  /** 400: an operation name outside JsonWebKeyOperation (hsmlink's wording). */
  keyOpInvalid: (shown: string, supported: readonly string[]) =>
    badParameter(`Invalid key operation ${shown} in 'key_ops'. Supported: ${supported.join(", ")}.`),

  // ---- keys: exportable and release policy ----
  /** 400: an exportable key without a release policy (hsmlink's wording; the rule is the spec's). */
  exportableNeedsPolicy: () =>
    badParameter(
      "Exportable keys must have a release policy: set release_policy together with attributes.exportable=true.",
    ),
  /** 400: a release policy on a key created non-exportable (hsmlink's wording). */
  policyNeedsExportable: (onUpdate: boolean) =>
    badParameter(
      `A key release policy can only be set on an exportable key: set attributes.exportable=true${onUpdate ? " when creating it" : ""}.`,
    ),
  /**
   * 400: PATCH changing `exportable` after creation — message recorded (Azure/azure-sdk-assets net/sdk/keyvault/
   * Azure.Security.KeyVault.Keys/tests/SessionRecords/ManagedHsmLiveTests/ReleaseUpdatedKey.json, 2026).
   */
  exportableImmutable: () => badParameter("Cannot modify the exportable state of a key"),
  /** 400: a new policy on a key whose policy is immutable (hsmlink's wording). */
  releasePolicyImmutable: (name: string) =>
    badParameter(`Key ${name} has an Immutable Key Release Policy; it cannot be changed.`),
  /** 400: the release policy nests more than 16 levels (hsmlink's limit and wording). */
  releasePolicyTooDeep: () => badParameter("The key release policy is nested too deeply."),
  /** 400: `release_policy` is not an object (hsmlink's wording). */
  releasePolicyNotObject: () => badParameter("The parameter 'release_policy' must be an object."),
  /** 400: a release policy content type other than JSON (hsmlink's wording). */
  releasePolicyContentType: () =>
    badParameter("The key release policy content type must be application/json; charset=utf-8."),
  /** 400: `immutable` is not a boolean (hsmlink's wording). */
  releasePolicyImmutableNotBoolean: () => badParameter("The key release policy 'immutable' must be true or false."),
  /** 400: the policy's `data` does not decode to JSON (hsmlink's wording). */
  releasePolicyNotJson: () => badParameter("The key release policy is not valid JSON."),
  /** 400: the policy's JSON is not an object (hsmlink's wording). */
  releasePolicyNotJsonObject: () => badParameter("The key release policy must be a JSON object."),
  /** 400: the policy has no anyOf/allOf (hsmlink's wording). */
  releasePolicyNoClauses: () => badParameter("The key release policy must have an 'anyOf' or 'allOf' array."),

  // ---- keys: release ----
  /** 400: the release target has not three dot-separated parts (hsmlink's wording). */
  releaseTargetNotJwt: (detail?: string) =>
    badParameter(`The release target is not a JWT${detail ? `: ${detail}` : ""}.`),
  /** 400: the attestation token is past its `exp` (hsmlink's wording). */
  releaseTargetExpired: () => badParameter("The release target attestation token has expired."),
  /** 400: the token's x-ms-runtime RSA key does not parse (hsmlink's wording). */
  releaseTargetKeyInvalid: () => badParameter("The RSA key in the attestation token's x-ms-runtime.keys is invalid."),
  /** 400: the token carries no RSA key to wrap to (hsmlink's wording). */
  releaseTargetNoKey: () =>
    badParameter("The attestation token has no RSA key in x-ms-runtime.keys to wrap the released key to."),
  /** 400: `enc` outside KeyEncryptionAlgorithm (hsmlink's wording). */
  releaseEncryptionNotSupported: (shown: string, supported: readonly string[]) =>
    badParameter(`The key export encryption algorithm ${shown} is not supported; use ${supported.join(", ")}.`),
  /** 400: release of a key that is not exportable or has no policy (hsmlink's wording). */
  keyNotExportable: (name: string) =>
    badParameter(
      `Key ${name} is not exportable: only keys created with attributes.exportable=true and a release policy can be released.`,
    ),
  /** 403 `ReleasePolicyNotSatisfied`: the token does not satisfy the policy (message from data-plane.md §2.3). */
  releasePolicyNotSatisfied: () =>
    kvError(
      403,
      "Forbidden",
      "Target environment attestation statement does not conform to the Secure Key Release policy for the key.",
      "ReleasePolicyNotSatisfied",
    ),

  // ---- keys: state ----
  /** 403 `KeyDisabled` (hsmlink's wording). */
  keyDisabled: (op: string, name: string) =>
    keyForbidden(`Operation ${op} is not allowed on a disabled key (${name}).`, "KeyDisabled"),
  /** 403 `KeyNotYetValid` (hsmlink's wording). */
  keyNotYetValid: (op: string, nbf: number) =>
    keyForbidden(
      `Operation ${op} is not allowed before the key's activation time (nbf ${new Date(nbf * 1000).toISOString()}).`,
      "KeyNotYetValid",
    ),
  /** 403 `KeyExpired` (hsmlink's wording). */
  keyExpired: (op: string, exp: number) =>
    keyForbidden(
      `Operation ${op} is not allowed on an expired key (exp ${new Date(exp * 1000).toISOString()}).`,
      "KeyExpired",
    ),
  /** 403 `KeyOperationForbidden`: the operation is not in the key's key_ops (hsmlink's wording). */
  keyOperationForbidden: (op: string, keyOps: readonly string[]) =>
    keyForbidden(
      `Operation ${op} is not allowed by the key's key_ops (${keyOps.join(", ") || "none"}).`,
      "KeyOperationForbidden",
    ),
  /** 403 `PurgeProtectionEnabled` (hsmlink's wording). */
  purgeProtected: (name: string, retentionDays: number) =>
    kvError(
      403,
      "Forbidden",
      `Operation "purge" is not allowed because purge protection is enabled for this managed HSM. The key ${name} will be purged automatically after the retention period (${retentionDays} days).`,
      "PurgeProtectionEnabled",
    ),
  /** 400: `alg` is not a string (hsmlink's wording). */
  algorithmNotString: () => badParameter("The parameter 'alg' must be an algorithm name."),

  // ---- keys: backup / restore of one key ----
  /** 400: a key backup blob hsmlink cannot open (hsmlink's wording; Azure's blobs are opaque too). */
  keyBackupInvalid: () =>
    badParameter("The backup blob is invalid or corrupt, or was not made by an hsmlink managed HSM."),
  /** 409 `Conflict`: restoring a key whose name is taken by a live key (hsmlink's wording). */
  keyRestoreConflict: (keyUrl: string) =>
    kvError(
      409,
      "Conflict",
      `There was a conflict restoring the key '${keyUrl}': a key with that name already exists. Delete and purge it, or restore into another managed HSM.`,
    ),

  // ---- keys: rotation policy ----
  /** 400: a rotation-policy duration that is not a string (hsmlink's wording). */
  rotationDurationNotString: (field: string) =>
    badParameter(`The rotation policy field '${field}' must be an ISO 8601 duration such as P90D.`),
  /** 400: a rotation-policy duration that does not parse (hsmlink's wording). */
  rotationDurationInvalid: (field: string, value: string) =>
    badParameter(
      `The rotation policy field '${field}' ('${value.slice(0, 40)}') is not an ISO 8601 duration such as P90D.`,
    ),
  /** 400: a rotation-policy duration under its minimum (hsmlink's wording; minimums from MicrosoftDocs key-rotation.md). */
  rotationDurationTooShort: (field: string, minDays: number, value: string) =>
    badParameter(`The rotation policy field '${field}' must be at least P${minDays}D; got ${value}.`),
  /** 400: `lifetimeActions` is not an array (hsmlink's wording). */
  rotationActionsNotArray: () => badParameter("The rotation policy 'lifetimeActions' must be an array."),
  /** 400: more than two lifetime actions (hsmlink's wording). */
  rotationTooManyActions: () =>
    badParameter("A rotation policy has at most two lifetime actions (one Rotate, one Notify)."),
  /** 400: more than one Rotate action (hsmlink's wording). */
  rotationTooManyRotate: () => badParameter("A rotation policy has at most one Rotate action."),
  /** 400: policy `attributes` is not an object (hsmlink's wording). */
  rotationAttributesNotObject: () => badParameter("The rotation policy 'attributes' must be an object."),
  /** 400: a lifetime action that is not an object (hsmlink's wording). */
  rotationActionNotObject: (i: number) =>
    badParameter(`lifetimeActions[${i}] must be an object with 'trigger' and 'action'.`),
  /** 400: an action type other than Rotate/Notify (hsmlink's wording). */
  rotationActionType: (i: number) => badParameter(`lifetimeActions[${i}].action.type must be Rotate or Notify.`),
  /** 400: an action without a trigger (hsmlink's wording). */
  rotationTriggerRequired: (i: number) => badParameter(`lifetimeActions[${i}].trigger is required.`),
  /** 400: a trigger with both or neither of timeAfterCreate/timeBeforeExpiry (hsmlink's wording). */
  rotationTriggerExactlyOne: (i: number) =>
    badParameter(`lifetimeActions[${i}].trigger must have exactly one of timeAfterCreate or timeBeforeExpiry.`),
  /** 400: timeBeforeExpiry ≥ expiryTime (hsmlink's wording). */
  rotationBeforeExpiryTooLong: (i: number, before: string, expiry: string) =>
    badParameter(
      `lifetimeActions[${i}].trigger.timeBeforeExpiry (${before}) must be shorter than attributes.expiryTime (${expiry}).`,
    ),

  // ---- other operations ----
  /** 400: `POST /rng` count outside 1..128 (message recorded, data-plane.md §2). */
  rngCount: () => badParameter("GetRandomBytesRequest: count cannot be greater than 128 or less than 1"),
  /** 404 `NotFound`: a setting name the service does not have (hsmlink's choice of status, code and wording). */
  settingNotFound: (name: string, known: readonly string[]) =>
    kvError(404, "NotFound", `The setting '${name}' does not exist; managed HSM settings: ${known.join(", ")}.`),
  /** 400: a boolean setting given something other than "true"/"false" (hsmlink's wording). */
  settingValueNotBoolean: (name: string) =>
    badParameter(
      `The value of the setting '${name}' must be "true" or "false"; the request body is {"value": "true"}.`,
    ),

  // ---- local RBAC ----
  /**
   * 404 `RoleAssignmentNotFound` "Requested role assignment not found" — recorded for GET and DELETE of a missing
   * assignment, also for a name that is not a GUID (Azure/azure-sdk-assets net/sdk/keyvault/
   * Azure.Security.KeyVault.Administration/tests/SessionRecords/AccessControlClientLiveTests/
   * DeleteNonexistentRoleAssignment.json and AccessControlSampleSnippets/RoleAssignmentNotFound.json, 2025;
   * Azure/azure-sdk-for-js sdk/keyvault/keyvault-admin/recordings/node/keyvaultaccesscontrolclient_role_assignments/
   * recording_succeeds_when_deleting_a_role_assignment_that_doesnt_exist.json, 2022).
   */
  roleAssignmentNotFound: () => kvError(404, "RoleAssignmentNotFound", "Requested role assignment not found"),
  /**
   * 404 `RoleDefinitionNotFound` "Requested role definition not found" — recorded for GET and DELETE
   * (azure-sdk-assets …/AccessControlClientLiveTests/DeleteNonexistentRoleDefinition.json, 2025; keyvault-admin
   * recordings/node/keyvaultaccesscontrolclient_role_definitions_getroledefinition/
   * recording_errors_when_the_role_definition_cannot_be_found.json, 2022).
   */
  roleDefinitionNotFound: () => kvError(404, "RoleDefinitionNotFound", "Requested role definition not found"),
  /**
   * 400: PUT of a role definition whose name is not a GUID — message recorded (keyvault-admin
   * keyvaultaccesscontrolclient_role_definitions_setroledefinition/recording_errors_when_name_is_not_a_valid_guid.json).
   */
  roleDefinitionNameNotGuid: () => badParameter("Role definition name must be a GUID"),
  /**
   * 400: a custom role definition reusing a built-in role's name or GUID, and DELETE of a built-in role definition —
   * message recorded for the delete (keyvault-admin keyvaultaccesscontrolclient_role_definitions_deleteroledefinition/
   * recording_errors_when_deleting_a_builtin_role_definition.json, 2022; data-plane.md §3).
   */
  builtInRoleReused: () =>
    badParameter("Cannot re-use the name/GUID matching that of a built-in role. Please use a unique role ID."),
  /** 400: a local RBAC scope other than `/`, `/keys`, `/keys/{name}` (hsmlink's wording). */
  invalidScope: (scope: string) =>
    badParameter(`The scope '${scope || "/"}' is invalid; Managed HSM scopes are /, /keys and /keys/{key name}.`),
  /** 400: an OData `$filter` the service does not support (hsmlink's wording). */
  filterNotSupported: (filter: string, use: string) =>
    badParameter(`The $filter '${filter.slice(0, 100)}' is not supported; use ${use}.`),
  /** 400: PUT of a role assignment whose name is not a GUID (hsmlink's wording; no recording of the PUT). */
  roleAssignmentNameNotGuid: (name: string) =>
    badParameter(`The role assignment name '${name.slice(0, 80)}' is invalid; use a GUID.`),
  /** 400: a role assignment body without `properties` (hsmlink's wording). */
  roleAssignmentBody: () =>
    badParameter('The request body must be {"properties":{"roleDefinitionId":…,"principalId":…}}.'),
  /** 400: a principal id that is not a GUID (hsmlink's wording). */
  principalIdNotGuid: () =>
    badParameter("The parameter 'properties.principalId' must be the object id (GUID) of a principal."),
  /** 400: an assignment naming a role definition the HSM does not have (hsmlink's wording). */
  roleDefinitionUnknown: (id: string) =>
    badParameter(`The role definition '${id.slice(0, 160)}' does not exist in this managed HSM.`),
  /** 400: an assignment outside the role's assignable scopes (hsmlink's wording). */
  scopeNotAssignable: (roleName: string, scope: string, assignable: readonly string[]) =>
    badParameter(
      `The role '${roleName}' cannot be assigned at scope ${scope}; its assignable scopes are ${assignable.join(", ")}.`,
    ),
  /** 409 `RoleAssignmentExists`: same name, other properties (hsmlink's wording; the code is ARM's). */
  roleAssignmentNameTaken: (name: string) =>
    kvError(
      409,
      "RoleAssignmentExists",
      `A role assignment named ${name} already exists with other properties; role assignments cannot be updated.`,
    ),
  /** 409 `RoleAssignmentExists`: the principal already has the role at the scope (hsmlink's wording; ARM's code). */
  roleAssignmentExists: (existing: string) =>
    kvError(409, "RoleAssignmentExists", `The role assignment already exists (name: ${existing}).`),
  /** 400: DELETE of an initial-administrator assignment (hsmlink's choice: they follow ARM's initialAdminObjectIds). */
  roleAssignmentImplicit: (name: string, principalId: string) =>
    badParameter(
      `Role assignment ${name} is the initial administrator assignment of principal ${principalId}; it follows the HSM's initialAdminObjectIds (change those through Azure Resource Manager).`,
    ),
  /** 400: a role definition body without `properties` (hsmlink's wording). */
  roleDefinitionBody: () => badParameter('The request body must be {"properties":{"roleName":…,"permissions":[…]}}.'),
  /** 400: a role type other than CustomRole (hsmlink's wording). */
  roleTypeNotCustom: () => badParameter("The role type of a custom role definition must be CustomRole."),
  /** 400: a second custom role with the same roleName (hsmlink's wording). */
  roleNameTaken: (roleName: string, existing: string) =>
    badParameter(`A custom role named '${roleName}' already exists (${existing}); role names must be unique.`),
  /** 400: `assignableScopes` empty or not an array (hsmlink's wording). */
  assignableScopesInvalid: () =>
    badParameter("The parameter 'properties.assignableScopes' must be a non-empty array of scopes."),
  /** 400: an assignable scope outside /, /keys, /keys/{name} (hsmlink's wording). */
  assignableScopeInvalid: (shown: string) =>
    badParameter(`The assignable scope '${shown}' is invalid; use /, /keys or /keys/{name}.`),
  /** 400: `permissions` not an array (hsmlink's wording). */
  permissionsNotArray: () => badParameter("The parameter 'properties.permissions' must be an array."),
  /** 400: a permission entry that is not an object (hsmlink's wording). */
  permissionNotObject: () => badParameter("Each permission must be an object."),
  /** 400: a permission field that is not a string array (hsmlink's wording). */
  permissionFieldNotStrings: (field: string) =>
    badParameter(`The permission field '${field}' must be an array of strings.`),
  /** 400: a data action outside Microsoft.KeyVault/managedHsm (hsmlink's wording). */
  dataActionInvalid: (action: string, prefix: string) =>
    badParameter(
      `The data action '${action.slice(0, 120)}' is invalid; Managed HSM data actions start with ${prefix}/.`,
    ),
  /** 400: control-plane actions in a local role (hsmlink's wording). */
  permissionFieldMustBeEmpty: (field: string) =>
    badParameter(`The permission field '${field}' must be empty: Managed HSM local roles grant data actions only.`),
  /** 409 `RoleDefinitionHasAssignments`: delete of an assigned custom role (hsmlink's choice of code and wording). */
  roleDefinitionHasAssignments: (name: string) =>
    kvError(
      409,
      "RoleDefinitionHasAssignments",
      `Role definition ${name} is still assigned; delete its role assignments first.`,
    ),

  // ---- full backup / restore ----
  /** 400: a storage target that is not an object (hsmlink's wording). */
  storageTargetNotObject: (where: string) =>
    badParameter(`${where} must be an object with storageResourceUri and token.`),
  /** 400: no storageResourceUri (hsmlink's wording). */
  storageUriRequired: (where: string) =>
    badParameter(`${where}.storageResourceUri is required: https://{account}.blob.core.windows.net/{container}.`),
  /** 400: storageResourceUri does not parse (hsmlink's wording). */
  storageUriNotUri: (where: string, value: string) =>
    badParameter(`${where}.storageResourceUri '${value}' is not a URI.`),
  /** 400: storageResourceUri is not a blob container URI (hsmlink's wording). */
  storageUriNotContainer: (where: string, value: string) =>
    badParameter(
      `${where}.storageResourceUri must be a blob container URI, https://{account}.blob.core.windows.net/{container}; got '${value}'.`,
    ),
  /** 400: useManagedIdentity (hsmlink's choice: not emulated, Azurite has no Entra ID). */
  managedIdentityNotSupported: () =>
    badParameter("useManagedIdentity is not supported by hsmlink; pass a SAS token for the container in 'token'."),
  /** 400: no SAS token (hsmlink's wording). */
  sasTokenRequired: (where: string) =>
    badParameter(`${where}.token is required: a SAS token for the container (or useManagedIdentity).`),
  /** 400: no or a malformed backup folder name (hsmlink's wording). */
  backupFolderRequired: (field: string) =>
    badParameter(`'${field}' is required: the backup folder name (mhsm-{name}-{timestamp}).`),
  /** 400: pre-backup/pre-restore checks below api-version 7.5 (hsmlink's wording). */
  preChecksNeedApiVersion: (apiVersion: string) =>
    badParameter(
      `Pre-backup and pre-restore checks need api-version 7.5 or later; this request has api-version ${apiVersion || "(none)"}.`,
    ),
  /** 409 `Conflict`: another backup or restore is running (hsmlink's choice of status, code and wording; Learn: one at a time). */
  backupOperationRunning: (kind: "backup" | "restore", jobId: string, hsm: string) =>
    kvError(
      409,
      "Conflict",
      `A ${kind} operation (job ${jobId}) is already in progress on the managed HSM '${hsm}'; one backup or restore runs at a time.`,
    ),
  /** 403 `HsmNotActivated` for backup/restore before the HSM holds a security domain (hsmlink's choice). */
  backupNeedsActivation: (name: string) =>
    kvError(403, "Forbidden", `The managed HSM '${name}' is not activated.`, "HsmNotActivated"),
  /** 404 `NotFound`: no backup/restore job with this id (hsmlink's wording). */
  jobNotFound: (kind: "backup" | "restore", jobId: string, hsm: string) =>
    kvError(404, "NotFound", `There is no ${kind} operation with job id '${jobId}' on the managed HSM '${hsm}'.`),

  // ---- security domain ----
  /** 400: the download body is not an object (hsmlink's wording). */
  sdDownloadBody: () => badParameter('The request body must be a JSON object {"certificates": [...], "required": N}.'),
  /** 400: no certificates (hsmlink's wording). */
  sdCertificatesRequired: () =>
    badParameter("Property 'certificates' is required: 3 to 10 RSA certificates (JSON web keys with x5c)."),
  /** 400: certificate count outside 3..10 (hsmlink's wording; the range is az's). */
  sdCertificateCount: (min: number, max: number, n: number) =>
    badParameter(`The number of certificates must be between ${min} and ${max}; got ${n}.`),
  /** 400: quorum outside 2..10 (hsmlink's wording). */
  sdQuorumRange: (min: number, max: number, shown: string) =>
    badParameter(`The quorum 'required' must be a whole number between ${min} and ${max}; got ${shown}.`),
  /** 400: quorum above the certificate count (hsmlink's wording). */
  sdQuorumAboveCount: (required: number, n: number) =>
    badParameter(`The quorum 'required' (${required}) cannot exceed the number of certificates (${n}).`),
  /** 400: a security-domain format error (the message of the format parser, hsmlink's wording). */
  sdFormat: (message: string) => badParameter(message),
  /** 400: duplicate certificates (hsmlink's wording). */
  sdCertificatesNotDistinct: () => badParameter("The certificates must be distinct."),
  /** 400: the upload body is not `{value}` (hsmlink's wording). */
  sdUploadBody: () => badParameter('The request body must be {"value": "<security domain restore blob>"}.'),
  /** 400: the restore blob holds no hsmlink domain (hsmlink's wording). */
  sdRestoreBlobNoDomain: () => badParameter("The restore blob does not hold a managed HSM security domain."),
  /** 404 `NotFound`: no download/upload has run (hsmlink's choice). */
  sdNoOperation: (name: string) =>
    kvError(404, "NotFound", `No security domain download or upload has been started on the managed HSM '${name}'.`),
  /** 409 `Conflict`: the HSM already holds a domain (hsmlink's choice). */
  sdAlreadyActive: (name: string, what: string) =>
    kvError(
      409,
      "Conflict",
      `The managed HSM '${name}' already holds a security domain; ${what} is only possible on a managed HSM that is not activated.`,
    ),
  /** 409 `Conflict`: upload before the exchange key was fetched (hsmlink's choice). */
  sdNoExchangeKey: (name: string) =>
    kvError(
      409,
      "Conflict",
      `The managed HSM '${name}' has no exchange key yet; get it first ('az keyvault security-domain init-recovery', GET /securitydomain/upload).`,
    ),

  // ---- access and routing ----
  /** 403: local RBAC grants no role with the data action at the scope or above (message recorded, Azure/azure-cli#32719). */
  accessDenied: (dataAction: string, scope: string) =>
    kvError(403, "AccessDenied", `Not authorized to access ${dataAction} on ${scope}`),
  /** 403 `HsmNotActivated`: the security domain is not active (hsmlink's choice of 403 over 503, data-plane.md §7.1). */
  hsmNotActivated: (name: string, activationStatus: string) =>
    kvError(
      403,
      "Forbidden",
      `The managed HSM '${name}' is not activated (activationStatus ${activationStatus}). Download its security domain first ('az keyvault security-domain download') to activate it.`,
      "HsmNotActivated",
    ),
  /** 404: the host names no managed HSM (in Azure its name would not resolve; hsmlink's wording). */
  noSuchHsm: (name: string) =>
    kvError(
      404,
      "NotFound",
      `There is no managed HSM named '${name}' in this emulated cloud (in Azure its host name would not resolve). Create it with 'az keyvault create --hsm-name'.`,
    ),
  /** 404: the HSM exists but is not provisioned (hsmlink's wording). */
  hsmNotProvisioned: (name: string, provisioningState: string) =>
    kvError(
      404,
      "NotFound",
      `The managed HSM '${name}' is not provisioned (provisioningState ${provisioningState || "unknown"}).`,
    ),
  /** 404: no operation at this method and path (hsmlink's wording). */
  noSuchOperation: (method: string, path: string) =>
    kvError(404, "NotFound", `The managed HSM has no operation ${method} ${path}.`),
} as const;
