/**
 * The `hsmlink` command line. Parsing is commander's; each command is a thin shell over a library function.
 */
import { Command, Option } from "commander";
import { SETTINGS, loadConfig, dataDirFrom, ConfigError, type HsmlinkConfig } from "../config/settings.js";
import { startHsmlink, DataDirInUseError } from "../server/hsmlink.js";
import { installLastResortGuard } from "../server/last-resort.js";
import { clientEnvironment, renderEnvironment, checkVmExists, type ShellKind } from "./env.js";
import { adminRequest } from "../client/admin-client.js";
import { registerVmCommands } from "./vm.js";
import { registerExplainCommands } from "./explain.js";
import { registerTroubleshoot } from "./troubleshoot.js";
import {
  registerFixtureCommands,
  registerStateCommands,
  registerFaultCommands,
  registerSeedCommand,
} from "./fixture.js";
import { readEndpoints, readInstanceSecret } from "../client/endpoints.js";
import { registerPortalCommand } from "./portal.js";
import { packageVersion } from "../kernel/package-version.js";

/** The `--…-port` setting(s) that asked for `port`, for an EADDRINUSE message. */
function portOwners(config: HsmlinkConfig, port: number | undefined): string[] {
  if (!port) return [];
  return SETTINGS.filter((s) => s.type === "port" && config[s.key] === port).map((s) => `${s.flag} (env ${s.env})`);
}

const program = new Command("hsmlink")
  .description("Local, offline emulator of Azure Managed HSM behind Azure Private Link")
  .version(packageVersion(), "-V, --version", "print the hsmlink version")
  .showHelpAfterError();

const start = program.command("start").description("start hsmlink in the foreground (Ctrl-C stops it)");
for (const s of SETTINGS) {
  const flag = s.type === "boolean" ? s.flag : `${s.flag} <${s.type === "port" ? "port" : "value"}>`;
  start.addOption(new Option(flag, `${s.describe} [env ${s.env}]`));
}
start.action(async (opts: Record<string, unknown>) => {
  let config: HsmlinkConfig;
  try {
    config = loadConfig(opts as Partial<Record<keyof HsmlinkConfig, unknown>>);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`hsmlink: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  installLastResortGuard();
  try {
    const h = await startHsmlink(config);
    const e = h.endpoints;
    process.stdout.write(
      `hsmlink ready: gateway ${e.gatewayUrl} https ${e.httpsUrl} msi ${e.msiEndpoint} dns ${e.dns.host}:${e.dns.port} ca ${e.caCertPath} data ${config.dataDir}${config.inMemory ? " (in memory)" : ""}${config.seed ? ` seeded from ${config.seed}` : ""}\n`,
    );
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`hsmlink: ${sig} received, stopping\n`);
      void h.close().then(() => process.exit(0));
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  } catch (e) {
    if (e instanceof DataDirInUseError) {
      process.stderr.write(`hsmlink: ${e.message}\n`);
      process.exit(2);
    }
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
      const err = e as NodeJS.ErrnoException & { port?: number; address?: string };
      const owners = portOwners(config, err.port);
      const where = err.port ? `port ${err.port}${err.address ? ` on ${err.address}` : ""}` : "a port";
      process.stderr.write(
        owners.length
          ? `hsmlink: ${where} is already in use; it was asked for by ${owners.join(" and ")}: pass another port there, or 0 for any free port\n`
          : `hsmlink: ${err.message}: ${where} is taken; pass another (--gateway-port/--https-port/--msi-port/--dns-port, or 0 for any free port)\n`,
      );
      process.exit(2);
    }
    throw e;
  }
});

program
  .command("env")
  .description(
    'print the environment that points clients (az, SDKs, curl) at the running hsmlink; use: eval "$(hsmlink env)"',
  )
  .option("--data-dir <dir>", "data dir of the running hsmlink [env HSMLINK_HOME]")
  .option("--vm <name>", "send traffic as this simulated VM (proxy user name)")
  .addOption(new Option("--shell <shell>", "output syntax").choices(["sh", "fish", "pwsh"]).default("sh"))
  .action(async (opts: { dataDir?: string; vm?: string; shell: ShellKind }) => {
    const e = readEndpoints(dataDirFrom(opts.dataDir));
    // A mistyped VM would make every client fail later with a bare 407: check it with the running hsmlink now.
    if (opts.vm !== undefined) await checkVmExists(e, opts.vm);
    process.stdout.write(renderEnvironment(clientEnvironment(e, opts.vm, readInstanceSecret(e.dataDir)), opts.shell));
  });

program
  .command("ca")
  .description("print the path of the local CA certificate")
  .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
  .action((opts: { dataDir?: string }) => {
    const dir = dataDirFrom(opts.dataDir);
    let path: string;
    try {
      path = readEndpoints(dir).caCertPath;
    } catch {
      path = `${dir}/ca.pem`;
    }
    process.stdout.write(path + "\n");
  });

const identity = program.command("identity").description("service principals of the emulated tenant");
identity
  .command("create <name>")
  .description("create a service principal; prints {appId, password, objectId, tenantId}")
  .option(
    "--trusted-service <namespace>",
    "make it the identity of a trusted Azure service (e.g. Microsoft.Storage) for firewall bypass AzureServices",
  )
  .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
  .addOption(new Option("-o, --output <format>", "output format").choices(["json", "tsv"]).default("json"))
  .action(async (name: string, opts: { trustedService?: string; dataDir?: string; output: string }) => {
    const e = readEndpoints(dataDirFrom(opts.dataDir));
    const r = await adminRequest<{ appId: string; password: string; objectId: string; tenantId: string }>(
      e,
      "POST",
      "/_hsmlink/identities",
      { name, trustedService: opts.trustedService },
    );
    process.stdout.write(
      opts.output === "tsv"
        ? `${r.appId}\t${r.password}\t${r.objectId}\t${r.tenantId}\n`
        : JSON.stringify(
            { appId: r.appId, password: r.password, objectId: r.objectId, tenantId: r.tenantId },
            null,
            2,
          ) + "\n",
    );
  });
identity
  .command("list")
  .description("list principals")
  .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
  .action(async (opts: { dataDir?: string }) => {
    const e = readEndpoints(dataDirFrom(opts.dataDir));
    const r = await adminRequest<{ value: unknown[] }>(e, "GET", "/_hsmlink/identities");
    process.stdout.write(JSON.stringify(r.value, null, 2) + "\n");
  });

const subscription = program
  .command("subscription")
  .description("subscriptions of the emulated tenant (the default identity is Owner of each one hsmlink creates)");
subscription
  .command("create <name>")
  .description("create a subscription; prints {subscriptionId, displayName, tenantId, owner}")
  .option("--subscription-id <guid>", "the subscription id (default: a new GUID)")
  .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
  .action(async (name: string, opts: { subscriptionId?: string; dataDir?: string }) => {
    const e = readEndpoints(dataDirFrom(opts.dataDir));
    const r = await adminRequest<unknown>(e, "POST", "/_hsmlink/subscriptions", {
      name,
      ...(opts.subscriptionId ? { subscriptionId: opts.subscriptionId } : {}),
    });
    process.stdout.write(JSON.stringify(r, null, 2) + "\n");
  });
subscription
  .command("list")
  .description("list subscriptions")
  .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
  .action(async (opts: { dataDir?: string }) => {
    const e = readEndpoints(dataDirFrom(opts.dataDir));
    const r = await adminRequest<{ value: unknown[] }>(e, "GET", "/_hsmlink/subscriptions");
    process.stdout.write(JSON.stringify(r.value, null, 2) + "\n");
  });

const hsm = program.command("hsm").description("managed HSMs of the running hsmlink");
hsm
  .command("activate <name>")
  .description(
    "activate a managed HSM: download its security domain with three generated RSA wrapping keys (quorum 2) kept in the data dir; prints where",
  )
  .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
  .addOption(new Option("-o, --output <format>", "output format").choices(["json", "text"]).default("text"))
  .action(async (name: string, opts: { dataDir?: string; output: string }) => {
    const e = readEndpoints(dataDirFrom(opts.dataDir));
    const r = await adminRequest<{
      directory: string;
      securityDomainFile: string;
      wrappingKeys: { key: string; certificate: string }[];
      quorum: number;
    }>(e, "POST", `/_hsmlink/hsms/${encodeURIComponent(name.toLowerCase())}/activate`);
    if (opts.output === "json") process.stdout.write(JSON.stringify(r, null, 2) + "\n");
    else {
      process.stdout.write(
        `managed HSM '${name}' is activated\nsecurity domain: ${r.securityDomainFile}\nwrapping keys (quorum ${r.quorum}): ${r.wrappingKeys.map((k) => k.key).join(" ")}\n` +
          `keep them: recovering this domain on another HSM needs ${r.quorum} of them ('az keyvault security-domain upload --sd-wrapping-keys …')\n`,
      );
    }
  });

registerVmCommands(program);
registerExplainCommands(program);
registerTroubleshoot(program);
registerFixtureCommands(program);
registerStateCommands(program);
registerFaultCommands(program);
registerSeedCommand(program);
registerPortalCommand(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`hsmlink: ${e.message}\n`);
  process.exit(1);
});
