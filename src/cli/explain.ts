/**
 * `hsmlink explain [--vm NAME] METHOD URL` (the decision trace of a request, without performing it) and
 * `hsmlink log [--follow]` (the traces of recent data-plane requests). Both read the one decision trace through
 * the admin API.
 */
import { Option, type Command } from "commander";
import { dataDirFrom } from "../config/settings.js";
import { readEndpoints } from "../server/hsmlink.js";
import { renderTrace, type RequestTrace } from "../server/trace-log.js";
import { adminRequest } from "./admin-client.js";

const outputOption = () => new Option("-o, --output <format>", "output format").choices(["json", "table"]).default("table");

/** Adds `explain` and `log` to `program`. */
export function registerExplainCommands(program: Command): void {
  program
    .command("explain <method> <url>")
    .description("print the decision trace (vantage, DNS, route, private endpoint, firewall) of a request WITHOUT sending it")
    .option("--vm <name>", "ask from this VM (default: the public internet)")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .addOption(outputOption())
    .action(async (method: string, url: string, o: { vm?: string; dataDir?: string; output: string }) => {
      const e = readEndpoints(dataDirFrom(o.dataDir));
      const t = await adminRequest<RequestTrace>(e, "POST", "/_hsmlink/explain", { method, url, ...(o.vm ? { vm: o.vm } : {}) });
      process.stdout.write(o.output === "json" ? JSON.stringify(t, null, 2) + "\n" : renderTrace(t));
    });
  program
    .command("log")
    .description("show the decision traces of recent data-plane requests")
    .option("-f, --follow", "keep printing new traces (Ctrl-C stops)")
    .option("-n, --limit <n>", "how many recent traces", "20")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .addOption(outputOption())
    .action(async (o: { follow?: boolean; limit: string; dataDir?: string; output: string }) => {
      const e = readEndpoints(dataDirFrom(o.dataDir));
      let after = 0;
      const print = (list: RequestTrace[]) => {
        for (const t of list) {
          process.stdout.write(o.output === "json" ? JSON.stringify(t) + "\n" : renderTrace(t));
          after = Math.max(after, t.seq);
        }
      };
      print((await adminRequest<{ value: RequestTrace[] }>(e, "GET", `/_hsmlink/traces?limit=${Number(o.limit) || 20}`)).value);
      while (o.follow) {
        await new Promise((r) => setTimeout(r, 500));
        print((await adminRequest<{ value: RequestTrace[] }>(e, "GET", `/_hsmlink/traces?after=${after}&limit=500`)).value);
      }
    });
}
