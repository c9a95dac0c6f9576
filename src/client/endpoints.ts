/**
 * How clients reach a running hsmlink: the `endpoints.json` it writes into its data dir, and reading it back
 * (the CLI, the troubleshooter and the tests use this).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { INSTANCE_SECRET_FILE } from "../kernel/instance-secret.js";

/** What `endpoints.json` holds: how clients reach this process. */
export interface Endpoints {
  gatewayUrl: string;
  httpsUrl: string;
  msiEndpoint: string;
  dns: { host: string; port: number };
  caCertPath: string;
  tenantId: string;
  subscriptionId: string;
  principalObjectId: string;
  location: string;
  dataDir: string;
  pid: number;
  /** The web portal (`hsmlink portal` adds the portal token derived from the instance secret). */
  portalUrl?: string;
}

/** True when process `pid` exists (signal 0; EPERM = exists but is not ours). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Reads `endpoints.json` of a running hsmlink.
 * @throws Error with a hint when hsmlink is not running there: no file, or a stale file whose `pid` is dead
 *   (the process was killed with SIGKILL and could not remove it)
 */
export function readEndpoints(dataDir: string): Endpoints {
  const p = join(dataDir, "endpoints.json");
  if (!existsSync(p))
    throw new Error(`hsmlink is not running with data dir ${dataDir} (no ${p}); start it with 'hsmlink start'`);
  let e: Endpoints;
  try {
    e = JSON.parse(readFileSync(p, "utf8")) as Endpoints;
  } catch (err) {
    throw new Error(
      `hsmlink is not running with data dir ${dataDir}: ${p} is unreadable (${(err as Error).message}); start it with 'hsmlink start'`,
    );
  }
  if (!processAlive(e.pid)) {
    throw new Error(
      `hsmlink is not running with data dir ${dataDir} (stale endpoints.json from pid ${e.pid}, which is gone); start it with 'hsmlink start'`,
    );
  }
  return e;
}

/**
 * Reads the instance secret of a running hsmlink's data dir (CLI commands, the troubleshooter, tests).
 * @throws Error saying how to fix it when the file cannot be read (another user's instance, or none started)
 */
export function readInstanceSecret(dataDir: string): string {
  const path = join(dataDir, INSTANCE_SECRET_FILE);
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new Error(
      `cannot read hsmlink's instance secret ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run this as the user that started hsmlink`,
    );
  }
}
