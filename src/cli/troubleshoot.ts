/**
 * `hsmlink troubleshoot --hsm NAME -g RG (--vm NAME | --vnet NAME_OR_ID) [--host NAME] [--output table|json]`
 * [--from FILE | --subscription ID --arm-endpoint URL | (default) the running hsmlink].
 * Exit 0 when no finding fails, 1 otherwise, 2 on usage errors.
 */
import { Option, type Command } from "commander";
import { dataDirFrom } from "../config/settings.js";

import type { SourceKind } from "../troubleshoot/run.js";
import type { SourceResult } from "../troubleshoot/sources.js";
import { readEndpoints } from "../client/endpoints.js";

interface Opts {
  hsm?: string;
  resourceGroup?: string;
  vm?: string;
  vnet?: string;
  host?: string;
  principal?: string;
  output: "table" | "json";
  from?: string;
  subscription?: string;
  armEndpoint?: string;
  armAudience?: string;
  dataDir?: string;
}

function usage(msg: string): never {
  process.stderr.write(`hsmlink troubleshoot: ${msg}\n`);
  process.exit(2);
}

/** Registers the command on `program`. */
export function registerTroubleshoot(program: Command): void {
  program
    .command("troubleshoot")
    .description(
      "check a managed HSM's private link setup from a client VM or VNet (the how-to's troubleshooting guide plus field cases)",
    )
    .option("--hsm <name>", "managed HSM name")
    .option("-g, --resource-group <rg>", "resource group of the managed HSM")
    .option("--vm <name>", "client: a simulated VM of the running hsmlink ('hsmlink vm list'; its VNet and addresses)")
    .option("--vnet <nameOrId>", "client: a virtual network (name or ARM id)")
    .option(
      "--host <name>",
      "host name or URL the client is configured with (checked against https://{hsm}.managedhsm.azure.net)",
    )
    .option(
      "--principal <objectId>",
      "object id of the identity that sets up the private endpoint: checks its Azure roles (auto-approval, records in the zone)",
    )
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"))
    .option(
      "--from <file>",
      "read resources from a JSON file (az network … / keyvault list output, ARM bodies; not plain 'az resource list', which has no properties)",
    )
    .option("--subscription <id>", "read a subscription through --arm-endpoint with DefaultAzureCredential")
    .option("--arm-endpoint <url>", "ARM endpoint for --subscription (e.g. https://management.azure.com)")
    .option("--arm-audience <uri>", "token audience for --subscription", "https://management.azure.com")
    .option("--data-dir <dir>", "data dir of the running hsmlink [env HSMLINK_HOME]")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (opts: Opts) => {
      if (!opts.hsm) usage("--hsm is required");
      if (!opts.resourceGroup) usage("-g/--resource-group is required");
      if ((opts.vm === undefined) === (opts.vnet === undefined))
        usage("give exactly one of --vm NAME or --vnet NAME_OR_ID");
      if (opts.from && opts.subscription) usage("--from and --subscription exclude each other");
      if ((opts.subscription === undefined) !== (opts.armEndpoint === undefined))
        usage("--subscription and --arm-endpoint go together");
      if (opts.vm !== undefined && opts.subscription)
        usage(
          "--vm names a simulated VM of the running hsmlink; a subscription has none: pass --vnet NAME_OR_ID (the client's virtual network) instead",
        );
      // The troubleshooter loads when this command runs, not with every hsmlink command (`start` included).
      const [
        { exitCodeOf, renderJson, renderTable, troubleshootSource, TroubleshootUsageError },
        { readFromFile, readFromHsmlink, readFromSubscription },
      ] = await Promise.all([import("../troubleshoot/run.js"), import("../troubleshoot/sources.js")]);
      const kind: SourceKind = opts.from ? "file" : opts.subscription ? "subscription" : "hsmlink";
      if (
        opts.principal !== undefined &&
        !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.principal)
      )
        usage("--principal takes an object id (a GUID); Microsoft Graph is not emulated, so names are not resolved");
      let source: SourceResult;
      if (opts.from) source = readFromFile(opts.from);
      else if (opts.subscription)
        source = await readFromSubscription(opts.subscription, opts.armEndpoint!, opts.armAudience, opts.principal);
      else source = await readFromHsmlink(readEndpoints(dataDirFrom(opts.dataDir)), opts.principal);
      let report;
      try {
        report = troubleshootSource(source, kind, {
          hsm: opts.hsm,
          resourceGroup: opts.resourceGroup,
          ...(opts.host !== undefined ? { host: opts.host } : {}),
          ...(opts.principal !== undefined ? { principal: opts.principal } : {}),
          ...(opts.vm !== undefined ? { vm: opts.vm } : { vnet: opts.vnet! }),
        });
      } catch (e) {
        if (e instanceof TroubleshootUsageError) usage(e.message);
        throw e;
      }
      process.stdout.write(opts.output === "json" ? renderJson(report) : renderTable(report));
      process.exitCode = exitCodeOf(report);
    });
}
