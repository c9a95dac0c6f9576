/**
 * The Key Vault error catalogue of the Managed HSM data plane (data-plane.md §3). Every error is an
 * `AzureError` with `surface: "keyvault"`, rendered as `{"error":{"code","message … (Activity ID: …)","innererror"?}}`.
 * Messages never carry key material.
 */
import { AzureError } from "../kernel/errors.js";
import { isKeyCryptoError } from "./crypto/index.js";

/** A Key Vault-envelope error. `inner` becomes `innererror.code`. */
export function kvError(status: number, code: string, message: string, inner?: string, headers?: Record<string, string>): AzureError {
  return new AzureError(status, code, message, { surface: "keyvault", ...(inner ? { innerCode: inner } : {}), ...(headers ? { headers } : {}) });
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
  return kvError(409, "Conflict", `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`, "ObjectIsDeletedButRecoverable");
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
