/**
 * `hsmlink clock …`, `hsmlink state …`: the test-fixture commands on a running hsmlink, through its admin API (src/fixture/).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { dataDirFrom } from "../config/settings.js";
import { readEndpoints } from "../client/endpoints.js";
import { adminRequest } from "../client/admin-client.js";
import type { ClockStatus } from "../fixture/clock.js";
import type { SnapshotInfo } from "../fixture/state.js";
import type { FaultRule } from "../pipeline/faults.js";
import { parseDuration } from "../fixture/clock.js";

/** The export passphrase: the first line of `--passphrase-file`, else HSMLINK_STATE_PASSPHRASE. */
function passphrase(o: { passphraseFile?: string }): string {
  if (o.passphraseFile) return readFileSync(o.passphraseFile, "utf8").split(/\r?\n/)[0];
  const env = process.env.HSMLINK_STATE_PASSPHRASE;
  if (env) return env;
  throw new Error(
    "the exported secrets are sealed with a passphrase: give it with --passphrase-file FILE or the HSMLINK_STATE_PASSPHRASE environment variable",
  );
}

function printClock(s: ClockStatus): void {
  const sign = s.offsetMs < 0 ? "-" : "+";
  process.stdout.write(
    `${s.now}  (${s.mode}${s.mode === "emulated" ? `, real time ${sign} ${formatOffset(Math.abs(s.offsetMs))}` : ""})\n`,
  );
}

function formatOffset(ms: number): string {
  const d = Math.floor(ms / 86_400_000);
  const h = Math.floor((ms % 86_400_000) / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : "", s || (!d && !h && !m) ? `${s}s` : ""].join("");
}

/** Adds the `clock` command group to `program`. */
export function registerFixtureCommands(program: Command): void {
  const clock = program
    .command("clock")
    .description(
      "the emulated clock: retention, purge dates, key nbf/exp, rotation policies and token expiry follow it",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (o: { dataDir?: string }) =>
      printClock(await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(o.dataDir)), "GET", "/_hsmlink/clock")),
    );
  const dataDirOf = (cmd: Command): string | undefined =>
    (cmd.opts() as { dataDir?: string }).dataDir ?? (clock.opts() as { dataDir?: string }).dataDir;
  clock
    .command("advance <duration>")
    .description(
      "move the clock forward (90d, 12h, 1h30m, 45s, 2w, or ISO-8601 P90D); soft-deleted HSMs and keys past their purge date are purged",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (duration: string, _o: unknown, cmd: Command) =>
      printClock(
        await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(dataDirOf(cmd))), "POST", "/_hsmlink/clock", {
          advance: duration,
        }),
      ),
    );
  clock
    .command("set <time>")
    .description("set the clock to an ISO-8601 time (e.g. 2027-03-01T12:00:00Z); refused when existing state is newer")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (time: string, _o: unknown, cmd: Command) =>
      printClock(
        await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(dataDirOf(cmd))), "POST", "/_hsmlink/clock", {
          set: time,
        }),
      ),
    );
  clock
    .command("real")
    .description("back to real time; refused when existing state is newer than real time")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (_o: unknown, cmd: Command) =>
      printClock(
        await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(dataDirOf(cmd))), "POST", "/_hsmlink/clock", {
          real: true,
        }),
      ),
    );
}

/** Adds the `state` command group to `program`. */
export function registerStateCommands(program: Command): void {
  const state = program
    .command("state")
    .description("the whole state: named snapshots (fast, per test), portable exports, reset");
  const endpointsOf = (o: { dataDir?: string }) => readEndpoints(dataDirFrom(o.dataDir));
  state
    .command("snapshot <name>")
    .description("save the state as snapshot NAME (replaces one of that name)")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (name: string, o: { dataDir?: string }) => {
      const r = await adminRequest<SnapshotInfo>(endpointsOf(o), "POST", "/_hsmlink/state/snapshots", { name });
      process.stdout.write(`snapshot ${r.name} saved (${r.bytes} bytes)\n`);
    });
  state
    .command("restore <name>")
    .description("replace the state with snapshot NAME")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (name: string, o: { dataDir?: string }) => {
      await adminRequest(endpointsOf(o), "POST", `/_hsmlink/state/snapshots/${encodeURIComponent(name)}/restore`);
      process.stdout.write(`state restored from snapshot ${name}\n`);
    });
  state
    .command("list")
    .description("list the snapshots")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (o: { dataDir?: string }) => {
      const r = await adminRequest<{ value: SnapshotInfo[] }>(endpointsOf(o), "GET", "/_hsmlink/state/snapshots");
      process.stdout.write(
        r.value.map((s) => `${s.name}\t${s.createdAt}\t${s.bytes}`).join("\n") + (r.value.length ? "\n" : ""),
      );
    });
  state
    .command("delete <name>")
    .description("delete snapshot NAME")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (name: string, o: { dataDir?: string }) => {
      await adminRequest(endpointsOf(o), "DELETE", `/_hsmlink/state/snapshots/${encodeURIComponent(name)}`);
    });
  state
    .command("export <file>")
    .description(
      "write the whole state to FILE (versioned JSON, portable between machines and versions; secrets sealed with the passphrase)",
    )
    .option(
      "--passphrase-file <file>",
      "read the passphrase from the first line of this file [else env HSMLINK_STATE_PASSPHRASE]",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (file: string, o: { dataDir?: string; passphraseFile?: string }) => {
      const r = await adminRequest<{ file: string; tables: Record<string, number> }>(
        endpointsOf(o),
        "POST",
        "/_hsmlink/state/export",
        { file: resolve(file), passphrase: passphrase(o) },
      );
      process.stdout.write(
        `state exported to ${r.file} (${Object.entries(r.tables)
          .filter(([, n]) => n > 0)
          .map(([t, n]) => `${t} ${n}`)
          .join(", ")})\n`,
      );
    });
  state
    .command("import <file>")
    .description(
      "replace the whole state with an export (refused, state untouched, for a wrong passphrase, a newer version or a malformed file)",
    )
    .option(
      "--passphrase-file <file>",
      "read the passphrase from the first line of this file [else env HSMLINK_STATE_PASSPHRASE]",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (file: string, o: { dataDir?: string; passphraseFile?: string }) => {
      await adminRequest(endpointsOf(o), "POST", "/_hsmlink/state/import", {
        file: resolve(file),
        passphrase: passphrase(o),
      });
      process.stdout.write(`state imported from ${resolve(file)}\n`);
    });
  state
    .command("reset")
    .description("empty the state (back to the seed when hsmlink was started with --seed, unless --empty)")
    .option("--empty", "empty even when started with a seed")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (o: { dataDir?: string; empty?: boolean }) => {
      const r = await adminRequest<{ reset: string }>(endpointsOf(o), "POST", "/_hsmlink/state/reset", {
        empty: !!o.empty,
      });
      process.stdout.write(`state reset (${r.reset})\n`);
    });
}

/** Adds the `fault` command group to `program`. */
export function registerFaultCommands(program: Command): void {
  const fault = program
    .command("fault")
    .description(
      "inject faults: throttling (429), outages (503), delays and dropped connections, marked in the trace and log",
    );
  const endpointsOf = (o: { dataDir?: string }) => readEndpoints(dataDirFrom(o.dataDir));
  const seconds = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    try {
      return parseDuration(/^\d+(\.\d+)?$/.test(v) ? `${v}s` : v) / 1000;
    } catch {
      throw new Error(`${flag} '${v}' is not a duration (e.g. 30s, 2m, 500ms)`);
    }
  };
  fault
    .command("add <action>")
    .description(
      "add a rule; ACTION is throttle (429 + Retry-After), unavailable (503 + Retry-After), delay (then served normally) or drop (connection closed, no response)",
    )
    .option(
      "--host <host>",
      "host, * within one label: myhsm.managedhsm.azure.net, *.managedhsm.azure.net, management.azure.com, login.microsoftonline.com",
    )
    .option("--path <path>", "request path, * within a segment, ** across: /keys/*/sign")
    .option("--method <method>", "HTTP method")
    .option(
      "--operation <op>",
      "data-plane operation (sign, createKey, getKey, listKeys, …), ARM operation (Microsoft.KeyVault/managedHSMs/write, * allowed) or token",
    )
    .option("--vm <name>", "only requests from this simulated VM")
    .option("--internet", "only requests from the internet")
    .option("--count <n>", "only the next N matching requests")
    .option("--for <duration>", "only for this long (real time): 30s, 5m")
    .option("--retry-after <seconds>", "Retry-After of throttle/unavailable answers (default 1)")
    .option("--delay <duration>", "how long a delay fault holds the request: 500ms, 2s")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(
      async (
        action: string,
        o: {
          host?: string;
          path?: string;
          method?: string;
          operation?: string;
          vm?: string;
          internet?: boolean;
          count?: string;
          for?: string;
          retryAfter?: string;
          delay?: string;
          dataDir?: string;
        },
      ) => {
        if (o.vm && o.internet) throw new Error("--vm and --internet exclude each other");
        const delay = seconds("--delay", o.delay);
        const r = await adminRequest<FaultRule & { description: string }>(endpointsOf(o), "POST", "/_hsmlink/faults", {
          action,
          host: o.host,
          path: o.path,
          method: o.method,
          operation: o.operation,
          vantage: o.vm ?? (o.internet ? "internet" : undefined),
          count: o.count === undefined ? undefined : Number(o.count),
          forSeconds: seconds("--for", o.for),
          retryAfterSeconds: o.retryAfter === undefined ? undefined : Number(o.retryAfter),
          delayMs: delay === undefined ? undefined : Math.round(delay * 1000),
        });
        process.stdout.write(r.description + "\n");
      },
    );
  fault
    .command("list")
    .description("the rules in force, with their hits")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .option("-o, --output <format>", "json or table", "table")
    .action(async (o: { dataDir?: string; output: string }) => {
      const r = await adminRequest<{ value: (FaultRule & { description: string })[] }>(
        endpointsOf(o),
        "GET",
        "/_hsmlink/faults",
      );
      process.stdout.write(
        o.output === "json"
          ? JSON.stringify(r.value, null, 2) + "\n"
          : r.value.map((f) => f.description + "\n").join(""),
      );
    });
  fault
    .command("clear [id]")
    .description("remove one rule, or all")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (id: string | undefined, o: { dataDir?: string }) => {
      const r = await adminRequest<{ cleared: number }>(
        endpointsOf(o),
        "DELETE",
        id ? `/_hsmlink/faults/${encodeURIComponent(id)}` : "/_hsmlink/faults",
      );
      process.stdout.write(`${r.cleared} fault rule${r.cleared === 1 ? "" : "s"} cleared\n`);
    });
}

/** Adds `seed FILE` to `program`. */
export function registerSeedCommand(program: Command): void {
  program
    .command("seed <file>")
    .description(
      "build the world a seed file (YAML or JSON) declares on the running hsmlink, on top of its state; a bad seed changes nothing",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (file: string, o: { dataDir?: string }) => {
      const r = await adminRequest<Record<string, number>>(
        readEndpoints(dataDirFrom(o.dataDir)),
        "POST",
        "/_hsmlink/seed",
        { file: resolve(file) },
      );
      process.stdout.write(
        `seeded: ${
          Object.entries(r)
            .map(([k, n]) => `${n} ${k}`)
            .join(", ") || "nothing"
        }\n`,
      );
    });
}
