/**
 * hsmlink's own version, from its package.json. The file sits two levels above this module in every layout it runs
 * from: src/kernel, dist/kernel and the start bundle in dist/cli.
 */
import { readFileSync } from "node:fs";

/** The `version` of hsmlink's package.json; `"unknown"` when the file cannot be read. */
export function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string })
        .version ?? "unknown"
    );
  } catch {
    return "unknown";
  }
}
