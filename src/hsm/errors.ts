/**
 * The Key Vault error catalogue of the Managed HSM data plane (data-plane.md §3). Every error is an
 * `AzureError` with `surface: "keyvault"`, rendered as `{"error":{"code","message … (Activity ID: …)","innererror"?}}`.
 * Messages never carry key material.
 *
 * Codes: Key Vault answers every request-validation failure with `BadParameter` (data-plane.md §3, recorded for
 * invalid api-version, bad JSON, key type/size/curve/algorithm, rng count and built-in role names);
 * `KeyNotFound` for a missing key, `Conflict` + `ObjectIsDeletedButRecoverable` for a soft-deleted name,
 * `AccessDenied` for local RBAC, `Forbidden` + an inner code for key state, firewall and activation. The named
 * entries of {@link kvErrors} hold the texts that recur; a message recorded from Azure says so next to it, the
 * others are hsmlink's wording.
 */
import { AzureError } from "../kernel/errors.js";
import { isKeyCryptoError } from "./crypto/index.js";

/** A Key Vault-envelope error. `inner` becomes `innererror.code`. */
export function kvError(
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

/** 400 BadParameter. */
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
export function keyForbidden(message: string, inner: string): AzureError {
  return kvError(403, "Forbidden", message, inner);
}

/** Maps a `KeyCryptoError` to 400 BadParameter (caller's fault) or rethrows anything else (InternalError → 500). */
export function fromCryptoError(e: unknown): never {
  if (isKeyCryptoError(e) && e.code === "BadParameter") throw badParameter(e.message);
  throw e;
}

/** Named Key Vault errors (see the module comment for the codes and their sources). */
export const kvErrors = {
  /** 400: the body is not JSON (hsmlink's wording; code recorded). */
  requestBodyNotJson: (detail: string) => badParameter(`The request body is not valid JSON: ${detail}`),
  /** 400: an operation that needs a body got none (hsmlink's wording). */
  requestBodyMissing: (what: string) => badParameter(`The request body is missing; expected ${what}.`),
  /** 400: the body is JSON but not an object (hsmlink's wording). */
  requestBodyNotObject: (what: string) => badParameter(`The request body must be a JSON object (${what}).`),
  /** 400: a required body parameter is absent (hsmlink's wording). */
  parameterRequired: (name: string, what?: string) =>
    badParameter(`The parameter '${name}'${what ? ` (${what})` : ""} is required.`),
  /** 400: a base64url parameter does not decode (hsmlink's wording). */
  parameterNotBase64Url: (name: string) => badParameter(`The parameter '${name}' is not a valid base64url string.`),
  /** 400: a key name outside `^[0-9a-zA-Z-]{1,127}$` (hsmlink's wording; the rule is Key Vault's object-name rule). */
  invalidKeyName: (shown: string) =>
    badParameter(`The key name '${shown}' is invalid: use 1-127 letters, digits and '-'.`),
  /** 400: `POST /rng` count outside 1..128 (message recorded, data-plane.md §2). */
  rngCount: () => badParameter("GetRandomBytesRequest: count cannot be greater than 128 or less than 1"),
  /** 400: a custom role definition reusing a built-in role's name or GUID (message recorded, data-plane.md §3). */
  builtInRoleReused: () =>
    badParameter("Cannot re-use the name/GUID matching that of a built-in role. Please use a unique role ID."),
  /** 400: a local RBAC scope other than `/`, `/keys`, `/keys/{name}` (hsmlink's wording). */
  invalidScope: (scope: string) =>
    badParameter(`The scope '${scope || "/"}' is invalid; Managed HSM scopes are /, /keys and /keys/{key name}.`),
  /** 400: an OData `$filter` the service does not support (hsmlink's wording). */
  filterNotSupported: (filter: string, use: string) =>
    badParameter(`The $filter '${filter.slice(0, 100)}' is not supported; use ${use}.`),
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
