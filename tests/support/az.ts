/**
 * Test support: run the real Azure CLI (Debian's azure-cli 2.45) against hsmlink with the packaging shim
 * (./azshim, see its header) on PYTHONPATH, an isolated AZURE_CONFIG_DIR and the environment `hsmlink env` gives.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const SHIM_DIR = join(dirname(fileURLToPath(import.meta.url)), "azshim");

export interface AzResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON, else undefined. */
  json: any;
}

/** An az session: one config dir (one login) shared by its calls. */
export class Az {
  readonly configDir: string;
  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.configDir = mkdtempSync(join(tmpdir(), "hsmlink-az-"));
  }

  /** Runs `az …args` and resolves with its exit code and output (never rejects on a non-zero exit). */
  run(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<AzResult> {
    const env = { ...this.env, AZURE_CONFIG_DIR: this.configDir, PYTHONPATH: SHIM_DIR, ...(opts.env ?? {}) };
    return new Promise((resolve, reject) => {
      const child = spawn("az", args, { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        let json: unknown;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: code ?? -1, stdout, stderr, json });
      });
    });
  }

  /** Runs az and throws with its stderr unless it exits 0; returns the parsed JSON output (adds `-o json`). */
  async ok(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<any> {
    const r = await this.run([...args, "-o", "json"], opts);
    if (r.code !== 0) throw new Error(`az ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.json;
  }
}

/** The role definition id of the built-in local role "Managed HSM Crypto User", as role assignments name it. */
export const CRYPTO_USER_ROLE =
  "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/21dbd100-6940-42c2-9190-5d6cb909625b";

/**
 * Assigns a local role on `hsm` (scope "/") through the data plane with `az rest` (az 2.45 cannot run
 * `az keyvault role assignment create`). `env` adds to az's environment, e.g. a VM's proxy variables so the request
 * goes through that VM's path. Resolves with the role assignment as the HSM answered.
 */
export function grantLocalRole(
  az: Az,
  hsm: string,
  principalId: string,
  o: { roleDefinitionId?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<any> {
  const properties = { roleDefinitionId: o.roleDefinitionId ?? CRYPTO_USER_ROLE, principalId };
  const url = `https://${hsm}.managedhsm.azure.net/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=7.4`;
  const args = ["rest", "--method", "put", "--resource", "https://managedhsm.azure.net", "--url", url];
  return az.ok([...args, "--body", JSON.stringify({ properties })], o.env ? { env: o.env } : {});
}
