/**
 * Test support: run a client program in a child process, so that NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE and the
 * proxy variables take effect exactly as for a user's own program. The program prints one JSON document last.
 */
import { spawn } from "node:child_process";

export interface ClientRun {
  code: number;
  /** The last stdout line parsed as JSON, or undefined. */
  json: any;
  stderr: string;
  stdout: string;
}

/** Runs `command …args` with `env` (killed after `timeoutMs`); never rejects on a non-zero exit. */
export function runClientProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 180_000,
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout.trim().split("\n").pop() ?? "");
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, json, stderr, stdout });
    });
  });
}

/** Runs a TypeScript client script through tsx. */
export function runNodeClient(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<ClientRun> {
  return runClientProcess(process.execPath, ["--import", "tsx", script, ...args], { ...env, NODE_OPTIONS: "" });
}
