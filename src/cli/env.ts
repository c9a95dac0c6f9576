/**
 * `hsmlink env`: the environment lines that point real clients at a running hsmlink: proxy (with `--vm`, the
 * proxy user names that VM), CA bundles for Python/Node/curl/OpenSSL, an isolated AZURE_CONFIG_DIR and the
 * managed identity endpoint (clients.md "What this means for the emulator").
 */
import { join } from "node:path";

import type { VmView } from "../vms/vms.js";
import { adminRequest, AdminError } from "../client/admin-client.js";
import { type Endpoints } from "../client/endpoints.js";
import { INTERNET_PROXY_USER } from "../kernel/instance-secret.js";

export type ShellKind = "sh" | "fish" | "pwsh";

/**
 * The variables, in print order. The proxy URL's user name is `vm` (or `_internet`) and its password the instance
 * `secret`; the managed identity endpoint is exported in App Service's two conventions with the secret (which
 * clients send as a header), and `APPSETTING_WEBSITE_SITE_NAME` makes az 2.45 (msrestazure) use the one with a
 * secret (MSI_ENDPOINT + MSI_SECRET, header `secret`); @azure/identity and azure-identity use IDENTITY_ENDPOINT +
 * IDENTITY_HEADER (header `X-IDENTITY-HEADER`).
 */
export function clientEnvironment(e: Endpoints, vm: string | undefined, secret: string): [string, string][] {
  const gw = new URL(e.gatewayUrl);
  const proxy = `http://${encodeURIComponent(vm ?? INTERNET_PROXY_USER)}:${encodeURIComponent(secret)}@${gw.host}`;
  return [
    ["HTTPS_PROXY", proxy],
    ["HTTP_PROXY", proxy],
    ["NO_PROXY", `${gw.hostname},localhost`],
    ["REQUESTS_CA_BUNDLE", e.caCertPath],
    ["NODE_EXTRA_CA_CERTS", e.caCertPath],
    ["SSL_CERT_FILE", e.caCertPath],
    ["CURL_CA_BUNDLE", e.caCertPath],
    ["AZURE_CONFIG_DIR", join(e.dataDir, "az")],
    ["MSI_ENDPOINT", e.msiEndpoint],
    ["MSI_SECRET", secret],
    ["IDENTITY_ENDPOINT", e.msiEndpoint],
    ["IDENTITY_HEADER", secret],
    ["APPSETTING_WEBSITE_SITE_NAME", "hsmlink"],
    ["AZURE_CORE_COLLECT_TELEMETRY", "false"],
    ["AZURE_CORE_ERROR_RECOMMENDATION", "off"],
  ];
}

function quote(shell: ShellKind, v: string): string {
  if (shell === "pwsh") return `'${v.replace(/'/g, "''")}'`;
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Renders the variables as lines for `eval` (sh), `source` (fish) or `Invoke-Expression` (pwsh). */
export function renderEnvironment(vars: [string, string][], shell: ShellKind): string {
  return (
    vars
      .map(([k, v]) =>
        shell === "fish"
          ? `set -gx ${k} ${quote(shell, v)};`
          : shell === "pwsh"
            ? `$env:${k} = ${quote(shell, v)}`
            : `export ${k}=${quote(shell, v)}`,
      )
      .join("\n") + "\n"
  );
}

/**
 * Checks with the running hsmlink (admin API `GET /_hsmlink/vms/{name}`) that VM `vm` exists, so `hsmlink env --vm`
 * fails now instead of every client failing later with a 407.
 * @throws Error naming the VMs that do exist when it does not; AdminError when hsmlink cannot be reached
 */
export async function checkVmExists(e: Endpoints, vm: string): Promise<void> {
  if (vm === "") throw new Error("--vm needs a VM name (see 'hsmlink vm list')");
  try {
    await adminRequest<VmView>(e, "GET", `/_hsmlink/vms/${encodeURIComponent(vm)}`);
    return;
  } catch (err) {
    if (!(err instanceof AdminError) || err.status !== 404) throw err;
  }
  const { value } = await adminRequest<{ value: VmView[] }>(e, "GET", "/_hsmlink/vms");
  const names = value.map((v) => v.name);
  throw new Error(
    `VM '${vm}' does not exist in the running hsmlink; ` +
      (names.length
        ? `VMs: ${names.join(", ")}`
        : "there are no VMs yet (create one with 'hsmlink vm create NAME -g RG --vnet VNET --subnet SUBNET')") +
      "; see 'hsmlink vm list'",
  );
}
