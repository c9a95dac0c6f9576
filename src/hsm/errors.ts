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

/** 404 KeyNotFound for a live key (all versions or one version). */
export function keyNotFound(name: string, version?: string): AzureError {
  return kvError(404, "KeyNotFound", version ? `A key with (name/id) ${name}/${version} was not found in this key vault.` : `A key with (name/id) ${name} was not found in this key vault.`);
}

/** 404 KeyNotFound for a key that is not in the deleted state. */
export function deletedKeyNotFound(name: string): AzureError {
  return kvError(404, "KeyNotFound", `A deleted key with (name/id) ${name} was not found in this key vault.`);
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
