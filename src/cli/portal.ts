/**
 * `hsmlink portal`: prints the URL of the running hsmlink's web portal, with this start's secret in the fragment
 * (`#token=…`, which browsers never send to a server). The secret is in `<data dir>/portal-secret` (owner-only).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { dataDirFrom } from "../config/settings.js";
import { readEndpoints } from "../client/endpoints.js";
import { portalSecretPath } from "../portal/secret.js";

/** The URL that opens the portal of the hsmlink running on `dataDir`. @throws Error when it is not running */
export function portalUrl(dataDir: string): string {
  const e = readEndpoints(dataDir);
  if (!e.portalUrl)
    throw new Error(`the hsmlink running on ${dataDir} has no portal (it predates 'hsmlink portal'); restart it`);
  const secret = readFileSync(portalSecretPath(dataDir), "utf8").trim();
  return `${e.portalUrl}/#token=${secret}`;
}

/** Adds `portal` to `program`. */
export function registerPortalCommand(program: Command): void {
  program
    .command("portal")
    .description(
      "print the URL of the web portal (topology picture, From here, private link center, live request log) of the running hsmlink",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action((o: { dataDir?: string }) => {
      process.stdout.write(portalUrl(dataDirFrom(o.dataDir)) + "\n");
    });
}
