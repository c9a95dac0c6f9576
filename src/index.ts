/**
 * hsmlink's programmatic API, for test suites (node:test, vitest, jest):
 *
 *   import { startHsmlink } from "hsmlink";
 *   const hsm = await startHsmlink();          // free ports, fresh temp data dir
 *   spawn("az", [...], { env: { ...process.env, ...hsm.env } });
 *   await hsm.stop();                           // stops it and removes the temp dir
 *
 * Other languages read `<dataDir>/endpoints.json` of an `hsmlink start` process instead (README "Use it as a test
 * fixture").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig, type HsmlinkConfig } from "./config/settings.js";
import { startHsmlink as startServer, type Hsmlink } from "./server/hsmlink.js";
import { readEndpoints, type Endpoints } from "./client/endpoints.js";
import { clientEnvironment } from "./cli/env.js";
import type { ClockStatus } from "./fixture/clock.js";
import type { StateDocument } from "./fixture/state.js";
import type { FaultRule, FaultSpec } from "./pipeline/faults.js";
import { parseDuration } from "./fixture/clock.js";

export type { Endpoints, HsmlinkConfig, ClockStatus, StateDocument, FaultRule, FaultSpec };
export { FaultError } from "./pipeline/faults.js";
export { StateError } from "./fixture/state.js";
export { ClockError } from "./fixture/clock.js";
export { SeedError } from "./fixture/seed.js";
export { readEndpoints };

/** Options of `startHsmlink`. Every field is optional. */
export interface StartHsmlinkOptions {
  /**
   * Data dir (state, CA, endpoints.json). Default: a fresh directory under the OS temp dir, removed by `stop()`.
   * A given dir is kept.
   */
  dataDir?: string;
  /** Keep resources in memory only (default false: SQLite in the data dir). */
  inMemory?: boolean;
  /**
   * Any other setting of `hsmlink start` by its key (README "Settings"), e.g. `{ location: "northeurope", loose: true }`.
   * Ports default to 0 (any free port) and `logLevel` to "warn"; `HSMLINK_*` environment variables are not read.
   */
  settings?: Partial<Omit<HsmlinkConfig, "dataDir" | "inMemory">>;
  /** A seed file (YAML or JSON) whose world the instance starts with; `state.reset()` goes back to it. */
  seed?: string;
}

/** A running hsmlink, in this process. */
export interface RunningHsmlink {
  /** What `endpoints.json` holds: gateway, direct HTTPS, MSI, DNS, CA path, tenant, subscription, … */
  endpoints: Endpoints;
  /**
   * The environment `hsmlink env` prints, as an object (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, the CA bundle variables,
   * AZURE_CONFIG_DIR, MSI_ENDPOINT, …): merge it into a child process's env. Node reads NODE_EXTRA_CA_CERTS only at
   * process start, so SDK clients belong in a child process started with it.
   */
  env: Record<string, string>;
  /** The same environment acting from inside simulated VM `vm` (`hsmlink env --vm`). */
  envForVm(vm: string): Record<string, string>;
  /** The data dir in use. */
  dataDir: string;
  /** The emulated clock (`hsmlink clock`). */
  clock: {
    /** Current emulated time and offset. */
    status(): ClockStatus;
    /**
     * Moves forward by a duration ("90d", "12h", "P90D") or milliseconds; purges what is past its purge date and
     * runs the rotation policies whose trigger has passed.
     */
    advance(by: string | number): Promise<ClockStatus>;
    /** Sets the time (ISO-8601). Refused (ClockError) when existing state is newer. */
    set(iso: string): Promise<ClockStatus>;
    /** Back to real time. */
    real(): Promise<ClockStatus>;
  };
  /** The whole state (`hsmlink state`). */
  state: {
    /** Saves snapshot `name` (fast; same data dir). */
    snapshot(name: string): void;
    /** Replaces the state with snapshot `name`. */
    restore(name: string): Promise<void>;
    /** The state as a portable JSON document (write it with JSON.stringify), secrets sealed under `passphrase`. */
    export(passphrase: string): StateDocument;
    /** Replaces the state with an exported document. */
    import(document: unknown, passphrase: string): Promise<void>;
    /** Back to the seed (`seed` option / `--seed`), else (or with `{ empty: true }`) an empty state. */
    reset(opts?: { empty?: boolean }): Promise<"seed" | "empty">;
  };
  /** Builds a seed file's (or parsed document's) world on top of the state; rolled back on failure (SeedError). */
  seed(fileOrDocument: string | object): Promise<Record<string, number>>;
  /** Fault injection (`hsmlink fault`). */
  faults: {
    /** Adds a rule; returns it with its id. @throws FaultError when it could match nothing or is malformed */
    add(spec: FaultSpec): FaultRule;
    /** The rules in force. */
    list(): FaultRule[];
    /** Removes rule `id`, or all. */
    clear(id?: string): void;
  };
  /** The underlying process object (store, ARM context, VMs, traces); internal, may change between versions. */
  internals: Hsmlink;
  /** Stops every listener, closes the store and removes a temp data dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts hsmlink in this process on free ports.
 * @throws DataDirInUseError when another live hsmlink holds `dataDir`; ConfigError for an invalid setting
 */
export async function startHsmlink(options: StartHsmlinkOptions = {}): Promise<RunningHsmlink> {
  const temp = options.dataDir === undefined;
  const dataDir = temp ? mkdtempSync(join(tmpdir(), "hsmlink-")) : resolve(options.dataDir!);
  let h: Hsmlink;
  try {
    const config = loadConfig(
      {
        gatewayPort: 0,
        httpsPort: 0,
        msiPort: 0,
        dnsPort: 0,
        logLevel: "warn",
        ...options.settings,
        ...(options.seed ? { seed: options.seed } : {}),
        dataDir,
        inMemory: options.inMemory ?? false,
      },
      {},
    );
    h = await startServer(config);
  } catch (e) {
    if (temp) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const envOf = (vm?: string) => Object.fromEntries(clientEnvironment(h.endpoints, vm));
  let stopping: Promise<void> | undefined;
  const c = h.fixture.clock;
  return {
    endpoints: h.endpoints,
    env: envOf(),
    envForVm: (vm) => envOf(vm),
    dataDir,
    clock: {
      status: () => c.status(),
      advance: async (by) => c.advance(typeof by === "number" ? by : parseDuration(by)),
      set: (iso) => c.set(iso),
      real: () => c.real(),
    },
    state: {
      snapshot: (name) => void h.fixture.state.snapshot(name),
      restore: (name) => h.fixture.state.restore(name),
      export: (passphrase) => h.fixture.state.export(passphrase),
      import: (doc, passphrase) => h.fixture.state.import(doc, passphrase),
      reset: (opts) => h.fixture.state.reset(opts),
    },
    seed: (src) => h.fixture.seed(src),
    faults: {
      add: (spec) => h.fixture.faults.add(spec as unknown as Record<string, unknown>),
      list: () => h.fixture.faults.list(),
      clear: (id) => void h.fixture.faults.clear(id),
    },
    internals: h,
    stop() {
      stopping ??= (async () => {
        await h.close();
        if (temp) rmSync(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
