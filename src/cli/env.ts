/**
 * `hsmlink env`: the environment lines that point real clients at a running hsmlink: proxy (with `--vm`, the
 * proxy user names that VM), CA bundles for Python/Node/curl/OpenSSL, an isolated AZURE_CONFIG_DIR and the
 * managed identity endpoint (clients.md "What this means for the emulator").
 */
import { join } from "node:path";

import type { VmView } from "../vms/vms.js";
import { adminRequest, AdminError } from "../client/admin-client.js";
import { type Endpoints } from "../client/endpoints.js";

export type ShellKind = "sh" | "fish" | "pwsh";

/** The variables, in print order. `vm` makes the proxy URL carry the VM name as user name. */
export function clientEnvironment(e: Endpoints, vm?: string): [string, string][] {
  const gw = new URL(e.gatewayUrl);
  const proxy = vm ? `http://${encodeURIComponent(vm)}:hsmlink@${gw.host}` : `http://${gw.host}`;
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
      .map(([k, v]) => (shell === "fish" ? `set -gx ${k} ${quote(shell, v)};` : shell === "pwsh" ? `$env:${k} = ${quote(shell, v)}` : `export ${k}=${quote(shell, v)}`))
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
      (names.length ? `VMs: ${names.join(", ")}` : "there are no VMs yet (create one with 'hsmlink vm create NAME -g RG --vnet VNET --subnet SUBNET')") +
      "; see 'hsmlink vm list'",
  );
}
