/**
 * `hsmlink portal`: prints the URL of the running hsmlink's web portal, with the portal token in the fragment
 * (`#token=…`, which browsers never send to a server). The token is derived from the instance secret
 * (`<data dir>/instance-secret`, owner-only), so only the user who can read that file can open the portal.
 */
import type { Command } from "commander";
import { dataDirFrom } from "../config/settings.js";
import { readEndpoints, readInstanceSecret } from "../client/endpoints.js";
import { portalToken } from "../kernel/instance-secret.js";

/** The URL that opens the portal of the hsmlink running on `dataDir`. @throws Error when it is not running */
export function portalUrl(dataDir: string): string {
  const e = readEndpoints(dataDir);
  if (!e.portalUrl)
    throw new Error(`the hsmlink running on ${dataDir} has no portal (it predates 'hsmlink portal'); restart it`);
  return `${e.portalUrl}/#token=${portalToken(readInstanceSecret(dataDir))}`;
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
