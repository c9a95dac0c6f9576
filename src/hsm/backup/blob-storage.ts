/**
 * The Azure Blob Storage behind hsmlink's `{account}.blob.core.windows.net`: Azurite, Microsoft's Azure Storage
 * emulator (npm `azurite`), which hsmlink starts on first use as a child process (loopback, any free port, data under
 * `<data dir>/azurite`, in memory with `--in-memory`, telemetry off), or an existing Azurite blob endpoint the user
 * names with `--blob-endpoint`. The gateway passes TLS-terminated `{account}.blob.core.windows.net` connections
 * through to it; full backups write to it path-style. Azurite knows the account `devstoreaccount1` (its well-known
 * key) and whatever `AZURITE_ACCOUNTS` names in hsmlink's environment.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export { BLOB_HOST_PATTERN as BLOB_HOST } from "../../kernel/azure-names.js";

/** Where Azurite's blob service answers (plain http, path-style `/{account}/{container}`). */
export interface BlobEndpoint {
  host: string;
  port: number;
}

export class BlobStorage {
  private child: ChildProcess | undefined;
  private starting: Promise<BlobEndpoint> | undefined;
  private closed = false;

  /**
   * @param opts.endpoint an Azurite blob endpoint to use instead of starting one (`http://host:port`)
   * @param opts.dataDir hsmlink's data dir (Azurite's workspace is `<dataDir>/azurite`)
   * @param opts.inMemory keep blobs in memory only
   */
  constructor(private readonly opts: { endpoint?: string; dataDir: string; inMemory: boolean; host: string }) {}

  /**
   * The blob endpoint, starting Azurite on first call.
   * @throws Error when `--blob-endpoint` is not an http URL or Azurite does not start
   */
  endpoint(): Promise<BlobEndpoint> {
    if (this.opts.endpoint) {
      const u = new URL(this.opts.endpoint);
      if (u.protocol !== "http:")
        return Promise.reject(
          new Error(`--blob-endpoint must be an http:// Azurite blob endpoint, got ${this.opts.endpoint}`),
        );
      return Promise.resolve({ host: u.hostname, port: Number(u.port || 80) });
    }
    if (this.closed) return Promise.reject(new Error("hsmlink is stopping"));
    this.starting ??= this.start().catch((e) => {
      this.starting = undefined;
      throw e;
    });
    return this.starting;
  }

  private start(): Promise<BlobEndpoint> {
    const main = createRequire(import.meta.url).resolve("azurite/dist/src/blob/main.js");
    const location = join(this.opts.dataDir, "azurite");
    mkdirSync(location, { recursive: true, mode: 0o700 });
    // Azurite refuses --location together with --inMemoryPersistence; its debug/log files still go to the cwd below.
    // Azurite must not outlive hsmlink, even when hsmlink is killed: the child exits once it is re-parented.
    const watchdog = `data:text/javascript,${encodeURIComponent("const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(0)},500).unref();")}`;
    const args = [
      "--import",
      watchdog,
      main,
      "--blobHost",
      this.opts.host,
      "--blobPort",
      "0",
      "--silent",
      "--skipApiVersionCheck",
      "--loose",
      "--disableTelemetry",
      ...(this.opts.inMemory ? ["--inMemoryPersistence"] : ["--location", location]),
    ];
    const child = spawn(process.execPath, args, {
      cwd: location,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error("Azurite did not start within 30 s")), 30_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        child.kill();
        reject(e);
      };
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /successfully listens on https?:\/\/([^\s:]+):(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ host: m[1], port: Number(m[2]) });
        }
      });
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.once("error", (e) => fail(e));
      child.once("exit", (code) => {
        this.child = undefined;
        this.starting = undefined;
        fail(new Error(`Azurite exited (${code}) before it was ready: ${out.trim().slice(-500)}`));
      });
    });
  }

  /** Stops the Azurite child hsmlink started (not one named by --blob-endpoint). */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
