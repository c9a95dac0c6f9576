/**
 * The one settings table: every setting's default, environment variable, flag and description.
 * The CLI's `--help` and the README table come from here; nothing else reads `process.env` for settings.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { KNOWN_LOCATIONS, normalizeLocation } from "../kernel/azure-names.js";

export type SettingType = "string" | "port" | "boolean" | "integer";

export interface SettingSpec {
  key: keyof HsmlinkConfig;
  type: SettingType;
  flag: string;
  env: string;
  describe: string;
  default: (env: NodeJS.ProcessEnv) => string | number | boolean;
}

/** Resolved configuration of one hsmlink process. Frozen once loaded. */
export interface HsmlinkConfig {
  dataDir: string;
  inMemory: boolean;
  host: string;
  gatewayPort: number;
  httpsPort: number;
  msiPort: number;
  dnsPort: number;
  portalPort: number;
  location: string;
  logLevel: string;
  tenantId: string;
  subscriptionId: string;
  loose: boolean;
  maxPrivateEndpointsPerHsm: number;
  maxHsmsWithPrivateEndpointsPerSubscription: number;
  bodyLimitBytes: number;
  internetClientAddress: string;
  activateNewHsms: boolean;
  blobEndpoint: string;
  /** A seed file (YAML/JSON) whose world replaces the state at start; "" = none. */
  seed: string;
  dropAfterSeconds: number;
  lenientApiVersions: boolean;
  tlsHandshakeTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnectionsPerVantage: number;
  expose: boolean;
}

/** Well-known ids of the emulated cloud (fixed so scripts and docs can name them). */
export const WELL_KNOWN = {
  tenantId: "6f3a1c2e-8d4b-4e7a-9b1c-5d2e7f8a9b0c",
  subscriptionId: "3b9d2f4a-1c6e-4a8b-9d7f-2e5c8a1b4d6f",
  /** Object id of the default managed identity that `az login --identity` obtains. */
  principalObjectId: "9e2b7c4d-5a1f-4c3e-8b6d-0f1a2c3d4e5f",
  principalAppId: "0d4e6f8a-2b3c-4d5e-9f1a-7b8c9d0e1f2a",
} as const;

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: "dataDir",
    type: "string",
    flag: "--data-dir",
    env: "HSMLINK_HOME",
    describe: "State, CA and endpoints.json live here",
    default: () => join(homedir(), ".hsmlink"),
  },
  {
    key: "inMemory",
    type: "boolean",
    flag: "--in-memory",
    env: "HSMLINK_IN_MEMORY",
    describe: "Keep resources in memory only (throwaway runs)",
    default: () => false,
  },
  {
    key: "host",
    type: "string",
    flag: "--host",
    env: "HSMLINK_HOST",
    describe: "Address every listener binds (beyond loopback only with --expose)",
    default: () => "127.0.0.1",
  },
  {
    key: "expose",
    type: "boolean",
    flag: "--expose",
    env: "HSMLINK_EXPOSE",
    describe:
      "Allow a --host beyond loopback; the gateway then needs the instance secret as proxy password for every request",
    default: () => false,
  },
  {
    key: "gatewayPort",
    type: "port",
    flag: "--gateway-port",
    env: "HSMLINK_GATEWAY_PORT",
    describe: "HTTP proxy (CONNECT + absolute-form) port; 0 = any free port",
    default: () => 17480,
  },
  {
    key: "httpsPort",
    type: "port",
    flag: "--https-port",
    env: "HSMLINK_HTTPS_PORT",
    describe: "Direct HTTPS listener (ARM, token endpoints, CA); 0 = any free port",
    default: () => 17443,
  },
  {
    key: "msiPort",
    type: "port",
    flag: "--msi-port",
    env: "HSMLINK_MSI_PORT",
    describe: "Plain-http managed identity endpoint (MSI_ENDPOINT); 0 = any free port",
    default: () => 17481,
  },
  {
    key: "dnsPort",
    type: "port",
    flag: "--dns-port",
    env: "HSMLINK_DNS_PORT",
    describe: "DNS server (UDP and TCP); 0 = any free port",
    default: () => 17453,
  },
  {
    key: "portalPort",
    type: "port",
    flag: "--portal-port",
    env: "HSMLINK_PORTAL_PORT",
    describe: "Web portal (plain http on --host; 'hsmlink portal' prints its URL); 0 = any free port",
    default: () => 17482,
  },
  {
    key: "location",
    type: "string",
    flag: "--location",
    env: "HSMLINK_LOCATION",
    describe: "Default Azure region name",
    default: () => "westeurope",
  },
  {
    key: "logLevel",
    type: "string",
    flag: "--log-level",
    env: "HSMLINK_LOG_LEVEL",
    describe: "fatal|error|warn|info|debug|trace|silent",
    default: () => "info",
  },
  {
    key: "tenantId",
    type: "string",
    flag: "--tenant-id",
    env: "HSMLINK_TENANT_ID",
    describe: "Entra ID tenant of the emulated cloud",
    default: () => WELL_KNOWN.tenantId,
  },
  {
    key: "subscriptionId",
    type: "string",
    flag: "--subscription-id",
    env: "HSMLINK_SUBSCRIPTION_ID",
    describe: "The subscription every identity sees",
    default: () => WELL_KNOWN.subscriptionId,
  },
  {
    key: "loose",
    type: "boolean",
    flag: "--loose",
    env: "HSMLINK_LOOSE",
    describe: "Accept any data-plane api-version",
    default: () => false,
  },
  {
    key: "lenientApiVersions",
    type: "boolean",
    flag: "--lenient-api-versions",
    env: "HSMLINK_LENIENT_API_VERSIONS",
    describe:
      "Accept any api-version, ARM and data plane (no NoRegisteredProviderFound / BadParameter for unknown versions)",
    default: () => false,
  },
  {
    key: "maxPrivateEndpointsPerHsm",
    type: "integer",
    flag: "--max-private-endpoints-per-hsm",
    env: "HSMLINK_MAX_PE_PER_HSM",
    describe: "Private endpoints per managed HSM (Azure default 64)",
    default: () => 64,
  },
  {
    key: "maxHsmsWithPrivateEndpointsPerSubscription",
    type: "integer",
    flag: "--max-hsms-with-private-endpoints",
    env: "HSMLINK_MAX_HSMS_WITH_PE",
    describe: "Managed HSMs with private endpoints per subscription (Azure default 400)",
    default: () => 400,
  },
  {
    key: "bodyLimitBytes",
    type: "integer",
    flag: "--body-limit",
    env: "HSMLINK_BODY_LIMIT",
    describe: "Largest request body accepted, in bytes",
    default: () => 1048576,
  },
  {
    key: "activateNewHsms",
    type: "boolean",
    flag: "--activate-new-hsms",
    env: "HSMLINK_ACTIVATE_NEW_HSMS",
    describe:
      "Activate every new managed HSM at creation (security domain downloaded with generated wrapping keys kept under <data dir>/security-domains)",
    default: () => false,
  },
  {
    key: "blobEndpoint",
    type: "string",
    flag: "--blob-endpoint",
    env: "HSMLINK_BLOB_ENDPOINT",
    describe:
      "An Azurite blob endpoint (http://host:port) to serve {account}.blob.core.windows.net; default: hsmlink starts Azurite under <data dir>/azurite on first use",
    default: () => "",
  },
  {
    key: "seed",
    type: "string",
    flag: "--seed",
    env: "HSMLINK_SEED",
    describe: "Seed file (YAML or JSON) whose world replaces the state at start (examples/howto-world.seed.yaml)",
    default: () => "",
  },
  {
    key: "internetClientAddress",
    type: "string",
    flag: "--internet-client-address",
    env: "HSMLINK_INTERNET_ADDRESS",
    describe: "Source address the HSM sees for a client on the internet",
    default: () => "198.51.100.7",
  },
  {
    key: "dropAfterSeconds",
    type: "integer",
    flag: "--drop-after",
    env: "HSMLINK_DROP_AFTER",
    describe:
      "Seconds the gateway holds a CONNECT through a non-approved private endpoint before failing it (Azure drops that traffic)",
    default: () => 5,
  },
  // Limits on what one client can hold: every listener and every CONNECT tunnel.
  {
    key: "tlsHandshakeTimeoutMs",
    type: "integer",
    flag: "--tls-handshake-timeout",
    env: "HSMLINK_TLS_HANDSHAKE_TIMEOUT_MS",
    describe:
      "Milliseconds a client has to complete the TLS handshake (direct HTTPS and inside CONNECT tunnels, counted from the tunnel's 200)",
    default: () => 10000,
  },
  {
    key: "headersTimeoutMs",
    type: "integer",
    flag: "--headers-timeout",
    env: "HSMLINK_HEADERS_TIMEOUT_MS",
    describe:
      "Milliseconds a client has to send a request's headers, counted from the connection (or the previous response)",
    default: () => 20000,
  },
  {
    key: "requestTimeoutMs",
    type: "integer",
    flag: "--request-timeout",
    env: "HSMLINK_REQUEST_TIMEOUT_MS",
    describe: "Milliseconds a client has to send a whole request, headers and body",
    default: () => 60000,
  },
  {
    key: "keepAliveTimeoutMs",
    type: "integer",
    flag: "--keep-alive-timeout",
    env: "HSMLINK_KEEP_ALIVE_TIMEOUT_MS",
    describe: "Milliseconds an idle keep-alive connection stays open after a response",
    default: () => 5000,
  },
  {
    key: "maxConnectionsPerVantage",
    type: "integer",
    flag: "--max-connections-per-vantage",
    env: "HSMLINK_MAX_CONNECTIONS_PER_VANTAGE",
    describe:
      "Open connections one vantage point (the internet, each VM; the direct HTTPS and managed identity listeners count on their own) may hold; more are refused",
    default: () => 256,
  },
];

export class ConfigError extends Error {}

/** Whether `host` is `localhost` or a loopback address (127.0.0.0/8, ::1): listeners there stay on this machine. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Log levels of `--log-level`. Per-request log lines appear at `debug` and `trace` only. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function coerce(spec: SettingSpec, raw: unknown): string | number | boolean {
  if (spec.type === "boolean") {
    if (typeof raw === "boolean") return raw;
    const s = String(raw).toLowerCase();
    if (["1", "true", "yes", "on"].includes(s)) return true;
    if (["0", "false", "no", "off", ""].includes(s)) return false;
    throw new ConfigError(`${spec.flag}: expected true or false, got '${raw}'`);
  }
  if (spec.type === "port" || spec.type === "integer") {
    const n = typeof raw === "number" ? raw : Number(String(raw).trim());
    const max = spec.type === "port" ? 65535 : Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw new ConfigError(
        `${spec.flag}: expected ${spec.type === "port" ? "a port 0-65535" : "a whole number"}, got '${raw}'`,
      );
    }
    return n;
  }
  return String(raw);
}

/**
 * Resolves settings with precedence flag > environment > default, and reports every bad value at once.
 * @param flags values given on the command line, keyed by setting key (undefined = not given)
 * @param env the environment to read (normally `process.env`)
 * @throws ConfigError listing all invalid values
 */
export function loadConfig(
  flags: Partial<Record<keyof HsmlinkConfig, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<HsmlinkConfig> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const spec of SETTINGS) {
    const raw =
      flags[spec.key] !== undefined ? flags[spec.key] : env[spec.env] !== undefined ? env[spec.env] : spec.default(env);
    try {
      out[spec.key] = coerce(spec, raw);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (typeof out.logLevel === "string" && !LOG_LEVELS.includes(out.logLevel))
    problems.push(`--log-level: expected one of ${LOG_LEVELS.join("|")}, got '${out.logLevel}'`);
  if (typeof out.location === "string") {
    const loc = normalizeLocation(out.location);
    if (loc === undefined || loc === "global")
      problems.push(
        `--location: '${out.location}' is not an Azure region hsmlink knows; use one of ${KNOWN_LOCATIONS.join(", ")}`,
      );
    else out.location = loc;
  }
  for (const k of [
    "tlsHandshakeTimeoutMs",
    "headersTimeoutMs",
    "requestTimeoutMs",
    "keepAliveTimeoutMs",
    "maxConnectionsPerVantage",
  ] as const) {
    if (out[k] === 0)
      problems.push(`${SETTINGS.find((x) => x.key === k)!.flag}: must be at least 1 (no limit is not allowed)`);
  }
  if (
    typeof out.headersTimeoutMs === "number" &&
    typeof out.requestTimeoutMs === "number" &&
    out.requestTimeoutMs > 0 &&
    out.headersTimeoutMs > out.requestTimeoutMs
  ) {
    problems.push(
      `--headers-timeout (${out.headersTimeoutMs}) must not exceed --request-timeout (${out.requestTimeoutMs})`,
    );
  }
  if (typeof out.host === "string" && !isLoopbackAddress(out.host) && out.expose !== true) {
    problems.push(
      `--host ${out.host}: hsmlink would be reachable from other machines; pass --expose (env HSMLINK_EXPOSE=1) too if that is what you want (then the gateway needs the instance secret for every request)`,
    );
  }
  if (
    typeof out.blobEndpoint === "string" &&
    out.blobEndpoint !== "" &&
    !/^http:\/\/[^/\s]+(:\d+)?\/?$/.test(out.blobEndpoint)
  ) {
    problems.push(`--blob-endpoint: expected an Azurite blob endpoint http://host:port, got '${out.blobEndpoint}'`);
  }
  if (problems.length) throw new ConfigError(problems.join("\n"));
  out.dataDir = resolve(out.dataDir as string);
  return Object.freeze(out as unknown as HsmlinkConfig);
}

/** Data directory used by commands that talk to a running hsmlink (`env`, `ca`, `vm`, …). */
export function dataDirFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env.HSMLINK_HOME ?? join(homedir(), ".hsmlink"));
}
