/**
 * Test support: run the `hsmlink` CLI (from source, through tsx) as a child process, the way a user runs it: one
 * command to its exit ({@link runHsmlinkCli}) or `hsmlink start` until stopped ({@link startHsmlinkProcess}).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readEndpoints, type Endpoints } from "../../src/client/endpoints.js";

const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs `hsmlink …args` with `env`; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runHsmlinkCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `hsmlink start`'s listener flags with every port 0: the OS picks free ports, which endpoints.json names. */
export const EPHEMERAL_PORTS: readonly string[] = Object.freeze([
  "--gateway-port",
  "0",
  "--https-port",
  "0",
  "--msi-port",
  "0",
  "--dns-port",
  "0",
  "--portal-port",
  "0",
]);

/** A running `hsmlink start` child process (see {@link startHsmlinkProcess}). */
export interface HsmlinkProcess {
  readonly child: ChildProcess;
  /** Its `endpoints.json`, read once at the ready line (a stopping hsmlink removes the file). */
  readonly endpoints: Endpoints;
  /** Everything it printed so far, stdout and stderr interleaved as they arrived. */
  output(): string;
  /** Resolves once the process exited, however it ended. */
  readonly exited: Promise<void>;
  /** SIGTERM, then resolves once it exited (at once when it already has). */
  stop(): Promise<void>;
}

/**
 * Spawns `hsmlink start --data-dir {dataDir}` from source (through tsx), as a user runs it, with every port 0,
 * `--log-level {logLevel}` and the `args` given, and resolves once it printed its ready line.
 * @param env the child's environment (NODE_OPTIONS is cleared so the test runner's flags do not leak in)
 * @throws Error (rejects) with everything it printed when it exits before the ready line
 */
export function startHsmlinkProcess(
  dataDir: string,
  o: { args?: readonly string[]; env?: NodeJS.ProcessEnv; logLevel?: string } = {},
): Promise<HsmlinkProcess> {
  const args = ["--import", "tsx", main, "start", "--data-dir", dataDir, ...EPHEMERAL_PORTS];
  args.push("--log-level", o.logLevel ?? "warn", ...(o.args ?? []));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...(o.env ?? process.env), NODE_OPTIONS: "" },
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    child.stderr!.on("data", (d) => (out += d));
    child.stdout!.on("data", (d) => {
      out += d;
      if (!ready && out.includes("hsmlink ready:")) {
        ready = true;
        resolve({ child, endpoints: readEndpoints(dataDir), output: () => out, exited, stop });
      }
    });
    child.once("exit", (code, signal) => {
      if (!ready) reject(new Error(`hsmlink exited (${code ?? signal}) before ready: ${out}`));
    });
  });
}
