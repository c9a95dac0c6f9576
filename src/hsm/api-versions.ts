/**
 * Data-plane api-versions the emulated Managed HSM accepts (data-plane.md §0.1): the versions the JS SDK
 * 4.10.2 (2025-07-01 by default), az 2.45 (7.4-preview.1, 7.0, 7.2, 7.2-preview) and the Debian Python SDKs
 * (7.2, 7.3, 7.4-preview.1) send, plus the stable and preview versions between them.
 */
import { kvError } from "./errors.js";

export const KNOWN_API_VERSIONS: readonly string[] = Object.freeze([
  "7.0", "7.1", "7.2", "7.2-preview", "7.3", "7.3-preview", "7.4", "7.4-preview.1",
  "7.5", "7.5-preview.1", "7.6", "7.6-preview.1", "7.6-preview.2", "2025-07-01",
]);

/** The newest version, named in the rejection message. */
export const LATEST_API_VERSION = "2025-07-01";

/**
 * Checks the `api-version` query value.
 * @param loose accept anything (the `--loose` setting), even a missing value
 * @throws AzureError 400 BadParameter "The specified version (X) is not recognized. Consider using the latest supported version (Y)."
 */
export function checkApiVersion(value: string | undefined, loose: boolean): void {
  if (loose) return;
  if (value === undefined || value === "") {
    throw kvError(400, "BadParameter", `The api-version query parameter is missing. Consider using the latest supported version (${LATEST_API_VERSION}).`);
  }
  if (!KNOWN_API_VERSIONS.includes(value)) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    throw kvError(400, "BadParameter", `The specified version (${shown}) is not recognized. Consider using the latest supported version (${LATEST_API_VERSION}).`);
  }
}
