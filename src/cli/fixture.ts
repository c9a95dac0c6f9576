/**
 * `hsmlink clock …`: the test-fixture commands on a running hsmlink, through its admin API (src/fixture/).
 */
import type { Command } from "commander";
import { dataDirFrom } from "../config/settings.js";
import { readEndpoints } from "../server/hsmlink.js";
import { adminRequest } from "./admin-client.js";
import type { ClockStatus } from "../fixture/clock.js";

function printClock(s: ClockStatus): void {
  const sign = s.offsetMs < 0 ? "-" : "+";
  process.stdout.write(`${s.now}  (${s.mode}${s.mode === "emulated" ? `, real time ${sign} ${formatOffset(Math.abs(s.offsetMs))}` : ""})\n`);
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
    .description("the emulated clock: retention, purge dates, key nbf/exp, rotation policies and token expiry follow it")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (o: { dataDir?: string }) => printClock(await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(o.dataDir)), "GET", "/_hsmlink/clock")));
  const dataDirOf = (cmd: Command): string | undefined => (cmd.opts() as { dataDir?: string }).dataDir ?? (clock.opts() as { dataDir?: string }).dataDir;
  clock
    .command("advance <duration>")
    .description("move the clock forward (90d, 12h, 1h30m, 45s, 2w, or ISO-8601 P90D); soft-deleted HSMs and keys past their purge date are purged")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (duration: string, _o: unknown, cmd: Command) => printClock(await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(dataDirOf(cmd))), "POST", "/_hsmlink/clock", { advance: duration })));
  clock
    .command("set <time>")
    .description("set the clock to an ISO-8601 time (e.g. 2027-03-01T12:00:00Z); refused when existing state is newer")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (time: string, _o: unknown, cmd: Command) => printClock(await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(dataDirOf(cmd))), "POST", "/_hsmlink/clock", { set: time })));
  clock
    .command("real")
    .description("back to real time; refused when existing state is newer than real time")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (_o: unknown, cmd: Command) => printClock(await adminRequest<ClockStatus>(readEndpoints(dataDirFrom(dataDirOf(cmd))), "POST", "/_hsmlink/clock", { real: true })));
}
