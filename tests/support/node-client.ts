/**
 * Test support: run a client script (TypeScript, through tsx) in a child process, so that NODE_EXTRA_CA_CERTS and
 * the proxy variables take effect exactly as for a user's own program. The script prints one JSON document.
 */
import { spawn } from "node:child_process";

export async function runNodeClient(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number; json: any; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { env: { ...env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
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
