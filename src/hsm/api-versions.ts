/**
 * Data-plane api-versions the emulated Managed HSM accepts (data-plane.md §0.1): the versions the JS SDK
 * 4.10.2 (2025-07-01 by default), az 2.45 (7.4-preview.1, 7.0, 7.2, 7.2-preview) and the Debian Python SDKs
 * (7.2, 7.3, 7.4-preview.1) send, plus the stable and preview versions between them.
 */
import { kvErrors } from "./errors.js";

export const KNOWN_API_VERSIONS: readonly string[] = Object.freeze([
  "7.0",
  "7.1",
  "7.2",
  "7.2-preview",
  "7.3",
  "7.3-preview",
  "7.4",
  "7.4-preview.1",
  "7.5",
  "7.5-preview.1",
  "7.6",
  "7.6-preview.1",
  "7.6-preview.2",
  "2025-07-01",
  // Recorded against a real managed HSM (Azure/azure-sdk-assets ManagedHsmLiveTests, 2026).
  "2026-03-01-preview",
]);

/** The newest stable version, named in the rejection message. */
export const LATEST_API_VERSION = "2025-07-01";

const NUMBERED = /^(\d+)\.(\d+)(-preview(\.\d+)?)?$/;
const DATED = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/;

/** A sortable key of a well-formed data-plane version (`7.4`, `7.4-preview.1`, `2025-07-01[-preview]`), else undefined. */
function versionKey(v: string): string | undefined {
  const n = NUMBERED.exec(v);
  if (n) return `0-${n[1]!.padStart(4, "0")}.${n[2]!.padStart(4, "0")}`;
  const d = DATED.exec(v);
  if (d && Number(d[2]) >= 1 && Number(d[2]) <= 12 && Number(d[3]) >= 1 && Number(d[3]) <= 31)
    return `1-${d[1]}-${d[2]}-${d[3]}`;
  return undefined;
}

const NEWEST_KEY = KNOWN_API_VERSIONS.map((v) => versionKey(v)!)
  .sort()
  .pop()!;
const noted = new Set<string>();

/**
 * Checks the `api-version` query value: a known version is served; a well-formed version newer than every known
 * one is served with the newest behaviour and noted once on stderr (a new SDK's default must keep working —
 * hsmlink's choice, the same rule as ARM's, src/arm/api-versions.ts); anything else is refused.
 * @param lenient accept anything (`--loose` / `--lenient-api-versions`), even a missing value
 * @throws AzureError 400 BadParameter "The specified version (X) is not recognized. Consider using the latest supported version (Y)."
 */
export function checkApiVersion(value: string | undefined, lenient: boolean): void {
  if (lenient) return;
  if (value === undefined || value === "") {
    throw kvErrors.apiVersionMissing(LATEST_API_VERSION);
  }
  if (KNOWN_API_VERSIONS.includes(value)) return;
  const key = versionKey(value);
  if (key !== undefined && key > NEWEST_KEY) {
    if (!noted.has(value)) {
      noted.add(value);
      process.stderr.write(
        `hsmlink: data-plane api-version ${value} is newer than the newest hsmlink knows; served with the newest known behaviour\n`,
      );
    }
    return;
  }
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  throw kvErrors.apiVersionNotRecognized(shown, LATEST_API_VERSION);
}
