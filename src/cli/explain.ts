/**
 * `hsmlink explain [--vm NAME] METHOD URL` (the decision trace of a request, without performing it: the gateway's
 * policy, then for a managed HSM host the network rules) and `hsmlink log [--follow]` (the traces of recent
 * data-plane requests and of the requests the gateway refused). Both read the one decision trace through the
 * admin API. `explain` exits 1 when the explained outcome is a refusal, 2 on a usage error (method, URL).
 */
import { Option, type Command } from "commander";
import { dataDirFrom } from "../config/settings.js";

import { renderTrace, EXPLAIN_METHODS, type RequestTrace } from "../pipeline/trace-log.js";
import { adminRequest } from "../client/admin-client.js";
import { readEndpoints } from "../client/endpoints.js";

const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(["json", "table"]).default("table");

/** Adds `explain` and `log` to `program`. */
export function registerExplainCommands(program: Command): void {
  program
    .command("explain <method> <url>")
    .description(
      `print the decision trace (gateway, vantage, DNS, route, TLS, network rules; injected faults, authentication, activation, RBAC and the operation not evaluated; for an Azure Resource Manager URL the Azure RBAC step of --principal) of a request WITHOUT sending it; METHOD is one of ${EXPLAIN_METHODS.join(", ")}; exits 1 when the request would be refused`,
    )
    .option("--vm <name>", "ask from this VM (default: the public internet)")
    .option(
      "--principal <objectId>",
      "for an Azure Resource Manager URL: whose role assignments decide (default: the identity of 'az login --identity')",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .addOption(outputOption())
    .action(
      async (method: string, url: string, o: { vm?: string; principal?: string; dataDir?: string; output: string }) => {
        const usage = (msg: string): never => {
          process.stderr.write(`hsmlink explain: ${msg}\n`);
          process.exit(2);
        };
        if (!(EXPLAIN_METHODS as readonly string[]).includes(method.toUpperCase()))
          usage(`'${method}' is not a method explain knows; use one of ${EXPLAIN_METHODS.join(", ")}`);
        if (!URL.canParse(url)) usage(`'${url}' is not an absolute URL (e.g. https://myhsm.managedhsm.azure.net/keys)`);
        if (!/^https?:$/.test(new URL(url).protocol))
          usage(`'${url}': only http and https URLs go through the gateway`);
        const e = readEndpoints(dataDirFrom(o.dataDir));
        const t = await adminRequest<RequestTrace>(e, "POST", "/_hsmlink/explain", {
          method,
          url,
          ...(o.vm ? { vm: o.vm } : {}),
          ...(o.principal ? { principal: o.principal } : {}),
        });
        process.stdout.write(o.output === "json" ? JSON.stringify(t, null, 2) + "\n" : renderTrace(t));
        process.exitCode = t.outcome && t.outcome.status >= 400 ? 1 : 0;
      },
    );
  program
    .command("log")
    .description(
      "show the decision traces of recent data-plane and Azure Resource Manager requests and of requests the gateway refused (407 unknown VM, 403 not emulated, 502 no resolution or route)",
    )
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
      print(
        (await adminRequest<{ value: RequestTrace[] }>(e, "GET", `/_hsmlink/traces?limit=${Number(o.limit) || 20}`))
          .value,
      );
      while (o.follow) {
        await new Promise((r) => setTimeout(r, 500));
        print(
          (await adminRequest<{ value: RequestTrace[] }>(e, "GET", `/_hsmlink/traces?after=${after}&limit=500`)).value,
        );
      }
    });
}
