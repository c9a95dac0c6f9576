/**
 * `hsmlink vm …`: simulated VMs (vantage points) on a running hsmlink, through its admin API.
 * `vm exec NAME -- CMD…` runs CMD as if on that VM: the environment of `hsmlink env --vm NAME` (proxy user = the VM)
 * plus `HSMLINK_VM`, `HSMLINK_VM_DNS_SERVER`, `HSMLINK_VM_DNS_PORT` (the VM's DNS view: `dig @$HSMLINK_VM_DNS_SERVER -p $HSMLINK_VM_DNS_PORT …`).
 */
import { spawn } from "node:child_process";
import { Option, type Command } from "commander";
import { dataDirFrom } from "../config/settings.js";

import type { VmView } from "../vms/vms.js";
import { adminRequest } from "../client/admin-client.js";
import { clientEnvironment } from "./env.js";
import { readEndpoints, readInstanceSecret } from "../client/endpoints.js";

const outputOption = () =>
  new Option("-o, --output <format>", "output format").choices(["json", "table"]).default("table");

function table(rows: VmView[]): string {
  const head = ["Name", "ResourceGroup", "VNet/Subnet", "PrivateIP", "PublicIP", "DNS"];
  const lines = rows.map((v) => [
    v.name,
    v.resourceGroup,
    `${v.vnet}/${v.subnet}`,
    v.privateIpAddress,
    v.publicIpAddress ?? "-",
    v.dns.port ? `${v.dns.host}:${v.dns.port}` : "-",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return (
    [head, ...lines]
      .map((l) =>
        l
          .map((c, i) => c.padEnd(widths[i]))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

function printView(v: VmView, output: string): void {
  process.stdout.write(output === "json" ? JSON.stringify(v, null, 2) + "\n" : table([v]) + `proxy: ${v.proxy}\n`);
}

/** Adds the `vm` command group to `program`. */
export function registerVmCommands(program: Command): void {
  const vm = program
    .command("vm")
    .description("simulated VMs: vantage points inside a VNet subnet (proxy user name + own DNS view)");
  vm.command("create <name>")
    .description(
      "create a VM with a NIC in a subnet (next free address) and a public SNAT address; prints {name, privateIpAddress, publicIpAddress, dns, proxy}",
    )
    .requiredOption("-g, --resource-group <rg>", "resource group")
    .requiredOption("--vnet <vnet>", "virtual network name (or id)")
    .requiredOption("--subnet <subnet>", "subnet name")
    .option("--dns-forwarder", "the VM runs a DNS forwarder to Azure DNS (usable as a VNet custom DNS server)")
    .option("--subscription <id>", "subscription of the resource group (default: the default subscription)")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .addOption(outputOption())
    .action(
      async (
        name: string,
        o: {
          resourceGroup: string;
          vnet: string;
          subnet: string;
          dnsForwarder?: boolean;
          subscription?: string;
          dataDir?: string;
          output: string;
        },
      ) => {
        const e = readEndpoints(dataDirFrom(o.dataDir));
        const v = await adminRequest<VmView>(e, "POST", "/_hsmlink/vms", {
          name,
          resourceGroup: o.resourceGroup,
          vnet: o.vnet,
          subnet: o.subnet,
          dnsForwarder: !!o.dnsForwarder,
          ...(o.subscription ? { subscription: o.subscription } : {}),
        });
        printView(v, o.output);
      },
    );
  vm.command("list")
    .description("list VMs")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .addOption(outputOption())
    .action(async (o: { dataDir?: string; output: string }) => {
      const e = readEndpoints(dataDirFrom(o.dataDir));
      const r = await adminRequest<{ value: VmView[] }>(e, "GET", "/_hsmlink/vms");
      process.stdout.write(o.output === "json" ? JSON.stringify(r.value, null, 2) + "\n" : table(r.value));
    });
  vm.command("show <name>")
    .description("show one VM")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .addOption(outputOption())
    .action(async (name: string, o: { dataDir?: string; output: string }) => {
      const e = readEndpoints(dataDirFrom(o.dataDir));
      printView(await adminRequest<VmView>(e, "GET", `/_hsmlink/vms/${encodeURIComponent(name)}`), o.output);
    });
  vm.command("delete <name>")
    .description("delete a VM and its NIC")
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (name: string, o: { dataDir?: string }) => {
      const e = readEndpoints(dataDirFrom(o.dataDir));
      await adminRequest(e, "DELETE", `/_hsmlink/vms/${encodeURIComponent(name)}`);
    });
  vm.command("exec <name> <command...>")
    .description(
      "run a command as if on the VM: hsmlink env --vm NAME, plus HSMLINK_VM_DNS_SERVER/HSMLINK_VM_DNS_PORT (use: hsmlink vm exec vm1 -- sh -c 'dig @$HSMLINK_VM_DNS_SERVER -p $HSMLINK_VM_DNS_PORT name')",
    )
    .option("--data-dir <dir>", "data dir [env HSMLINK_HOME]")
    .action(async (name: string, command: string[], o: { dataDir?: string }) => {
      const e = readEndpoints(dataDirFrom(o.dataDir));
      const v = await adminRequest<VmView>(e, "GET", `/_hsmlink/vms/${encodeURIComponent(name)}`);
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const [k, val] of clientEnvironment(e, v.name, readInstanceSecret(e.dataDir))) env[k] = val;
      env.HSMLINK_VM = v.name;
      env.HSMLINK_VM_DNS_SERVER = v.dns.host;
      if (v.dns.port) env.HSMLINK_VM_DNS_PORT = String(v.dns.port);
      const child = spawn(command[0], command.slice(1), { stdio: "inherit", env });
      const code = await new Promise<number>((resolve) => {
        child.on("error", (err) => {
          process.stderr.write(`hsmlink: cannot run ${command[0]}: ${err.message}\n`);
          resolve(127);
        });
        child.on("exit", (c, sig) => resolve(c ?? (sig ? 128 : 1)));
      });
      process.exit(code);
    });
}
