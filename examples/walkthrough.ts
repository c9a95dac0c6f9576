/**
 * The how-to "Integrate Managed HSM with Azure Private Link" (../shared/seed/private-link-howto.txt), end to end,
 * with the real Azure CLI against a fresh hsmlink. Every step prints the command, what the how-to promises and
 * what came back; the script stops with exit 1 at the first difference.
 *
 *   npm run walkthrough            (needs Debian's azure-cli and dnsutils; see README "Try it")
 *
 * Sample names fill the how-to's placeholders; `--name` replaces its garbled `–-name`. Debian's az 2.45 needs the
 * packaging shim in tests/support/azshim (PYTHONPATH), as the README explains.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cliMain = join(root, "src", "cli", "main.ts");
const shim = join(root, "tests", "support", "azshim");

const RG = "rg-hsm-privatelink";
const REGION = "westeurope";
const HSM = "contoso-mhsm1";
const VNET = "vnet-app";
const SUBNET = "snet-pe";
const LINK = "link-vnet-app";
const ZONE = "privatelink.managedhsm.azure.net";
const PE_AUTO = "pe-hsm-auto";
const CONN_AUTO = "conn-hsm-auto";
const PE_MANUAL = "pe-hsm-manual";
const CONN_MANUAL = "conn-hsm-manual";
const VM = "vm-validate";

let stepNo = 0;
let failed = false;

function show(label: string, value: unknown): void {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  process.stdout.write(`    ${label}: ${text.length > 400 ? text.slice(0, 400) + "…" : text}\n`);
}

/** One how-to step: runs `action`, prints the promise and the result, stops the walkthrough on a difference. */
async function step(
  title: string,
  command: string,
  promise: string,
  action: () => Promise<{ ok: boolean; got: unknown }>,
): Promise<void> {
  stepNo += 1;
  process.stdout.write(`\n[${String(stepNo).padStart(2, "0")}] ${title}\n    $ ${command}\n`);
  show("how-to promises", promise);
  const { ok, got } = await action();
  show("hsmlink gave", got);
  process.stdout.write(`    ${ok ? "OK" : "DIFFERENT"}\n`);
  if (!ok) {
    failed = true;
    throw new Error(`step ${stepNo} (${title}) differs from the how-to`);
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

function hsmlinkCli(args: string[], env: NodeJS.ProcessEnv): Run {
  const r = spawnSync(process.execPath, ["--import", "tsx", cliMain, ...args], { env, encoding: "utf8" });
  let json: unknown;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

function parseEnv(text: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const line of text.trim().split("\n")) {
    const m = /^export (\w+)='(.*)'$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/'\\''/g, "'");
  }
  return out;
}

async function main(): Promise<void> {
  for (const tool of ["az", "nslookup", "openssl"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) {
      process.stderr.write(
        `walkthrough: '${tool}' is not installed (Debian: apt-get install azure-cli dnsutils openssl)\n`,
      );
      process.exit(2);
    }
  }
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-walkthrough-"));
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? "C.UTF-8",
    HSMLINK_HOME: dataDir,
  };
  const server: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      cliMain,
      "start",
      "--data-dir",
      dataDir,
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
      "--log-level",
      "warn",
    ],
    {
      env: baseEnv,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      server.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("hsmlink ready:")) resolve();
      });
      server.once("exit", (c) => reject(new Error(`hsmlink exited ${c} before it was ready`)));
    });
    process.stdout.write(`hsmlink started with data dir ${dataDir}\n`);
    const endpoints = JSON.parse(readFileSync(join(dataDir, "endpoints.json"), "utf8"));
    const internetEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      ...parseEnv(hsmlinkCli(["env"], baseEnv).stdout),
      PYTHONPATH: shim,
    };
    const az = (args: string[], env: NodeJS.ProcessEnv = internetEnv) => run("az", [...args, "-o", "json"], env);
    const hsmId = `/subscriptions/${endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/${HSM}`;

    await step("Sign in", "az login --identity", "signed in to the subscription", async () => {
      const r = await az(["login", "--identity"]);
      return {
        ok: r.code === 0 && r.json?.[0]?.id === endpoints.subscriptionId,
        got: r.code === 0 ? r.json?.[0]?.id : r.stderr,
      };
    });
    await step(
      "Select the subscription",
      `az account set --subscription ${endpoints.subscriptionId}`,
      "no output, exit 0",
      async () => {
        const r = await az(["account", "set", "--subscription", endpoints.subscriptionId]);
        return { ok: r.code === 0, got: `exit ${r.code}` };
      },
    );
    await step(
      "Create a resource group",
      `az group create -n ${RG} -l ${REGION}`,
      "provisioningState Succeeded",
      async () => {
        const r = await az(["group", "create", "-n", RG, "-l", REGION]);
        return { ok: r.json?.properties?.provisioningState === "Succeeded", got: r.json?.properties ?? r.stderr };
      },
    );
    await step("Register Key Vault as a provider", "az provider register -n Microsoft.KeyVault", "exit 0", async () => {
      const r = await az(["provider", "register", "-n", "Microsoft.KeyVault"]);
      return { ok: r.code === 0, got: `exit ${r.code}` };
    });
    await step(
      "Prerequisite: a managed HSM",
      `az keyvault create --hsm-name ${HSM} -g ${RG} -l ${REGION} --administrators ${endpoints.principalObjectId} --retention-days 7`,
      "provisioningState Succeeded, hsmUri https://{name}.managedhsm.azure.net/",
      async () => {
        const r = await az([
          "keyvault",
          "create",
          "--hsm-name",
          HSM,
          "-g",
          RG,
          "-l",
          REGION,
          "--administrators",
          endpoints.principalObjectId,
          "--retention-days",
          "7",
        ]);
        return {
          ok:
            r.json?.properties?.provisioningState === "Succeeded" &&
            r.json?.properties?.hsmUri === `https://${HSM}.managedhsm.azure.net/`,
          got: r.json?.properties?.hsmUri ?? r.stderr,
        };
      },
    );
    // Microsoft's quickstart "Provision and activate a managed HSM using Azure CLI": a new HSM is NotActivated until
    // its security domain is downloaded with 3 RSA wrapping keys (openssl) and a quorum.
    const sdDir = join(dataDir, "walkthrough-sd");
    await step(
      "Prerequisite: activate the HSM — three wrapping key pairs",
      `openssl req -newkey rsa:2048 -nodes -keyout cert_{0,1,2}.key -x509 -days 365 -out cert_{0,1,2}.cer`,
      "three RSA-2048 self-signed certificates",
      async () => {
        spawnSync("mkdir", ["-p", sdDir]);
        const codes = [0, 1, 2].map(
          (i) =>
            spawnSync("openssl", [
              "req",
              "-newkey",
              "rsa:2048",
              "-nodes",
              "-keyout",
              join(sdDir, `cert_${i}.key`),
              "-x509",
              "-days",
              "365",
              "-out",
              join(sdDir, `cert_${i}.cer`),
              "-subj",
              `/CN=${HSM} wrapping key ${i}`,
            ]).status,
        );
        return { ok: codes.every((c) => c === 0), got: codes.map((c) => `exit ${c}`).join(", ") };
      },
    );
    await step(
      "Prerequisite: activate the HSM — download the security domain",
      `az keyvault security-domain download --hsm-name ${HSM} --sd-wrapping-keys cert_0.cer cert_1.cer cert_2.cer --sd-quorum 2 --security-domain-file ${HSM}-SD.json`,
      "status Success; the HSM's activationStatus becomes Active",
      async () => {
        const r = await az([
          "keyvault",
          "security-domain",
          "download",
          "--hsm-name",
          HSM,
          "--sd-wrapping-keys",
          ...[0, 1, 2].map((i) => join(sdDir, `cert_${i}.cer`)),
          "--sd-quorum",
          "2",
          "--security-domain-file",
          join(sdDir, `${HSM}-SD.json`),
        ]);
        const shown = await az([
          "rest",
          "--method",
          "get",
          "--url",
          `https://management.azure.com${hsmId}?api-version=2023-07-01`,
        ]);
        const status = shown.json?.properties?.securityDomainProperties?.activationStatus;
        return {
          ok:
            r.code === 0 &&
            r.json?.status === "Success" &&
            existsSync(join(sdDir, `${HSM}-SD.json`)) &&
            status === "Active",
          got: r.code === 0 ? { download: r.json?.status, activationStatus: status } : r.stderr,
        };
      },
    );
    await step(
      "Turn on the firewall",
      `az keyvault update-hsm --hsm-name ${HSM} -g ${RG} --default-action deny`,
      "networkAcls.defaultAction Deny",
      async () => {
        const r = await az(["keyvault", "update-hsm", "--hsm-name", HSM, "-g", RG, "--default-action", "deny"]);
        return {
          ok: r.json?.properties?.networkAcls?.defaultAction === "Deny",
          got: r.json?.properties?.networkAcls ?? r.stderr,
        };
      },
    );
    await step(
      "Create a virtual network",
      `az network vnet create -g ${RG} -n ${VNET} --location ${REGION}`,
      "a VNet (default 10.0.0.0/16), Succeeded",
      async () => {
        const r = await az(["network", "vnet", "create", "-g", RG, "-n", VNET, "--location", REGION]);
        const v = r.json?.newVNet;
        return {
          ok: v?.provisioningState === "Succeeded" && v?.addressSpace?.addressPrefixes?.[0] === "10.0.0.0/16",
          got: v?.addressSpace ?? r.stderr,
        };
      },
    );
    await step(
      "Create a subnet",
      `az network vnet subnet create -g ${RG} --vnet-name ${VNET} --name ${SUBNET} --address-prefixes 10.0.1.0/24`,
      "subnet 10.0.1.0/24, Succeeded",
      async () => {
        const r = await az([
          "network",
          "vnet",
          "subnet",
          "create",
          "-g",
          RG,
          "--vnet-name",
          VNET,
          "--name",
          SUBNET,
          "--address-prefixes",
          "10.0.1.0/24",
        ]);
        return {
          ok: r.json?.addressPrefix === "10.0.1.0/24" && r.json?.provisioningState === "Succeeded",
          got: r.json?.addressPrefix ?? r.stderr,
        };
      },
    );
    await step(
      "Disable virtual network policies",
      `az network vnet subnet update --name ${SUBNET} --resource-group ${RG} --vnet-name ${VNET} --disable-private-endpoint-network-policies true`,
      "privateEndpointNetworkPolicies Disabled",
      async () => {
        const r = await az([
          "network",
          "vnet",
          "subnet",
          "update",
          "--name",
          SUBNET,
          "--resource-group",
          RG,
          "--vnet-name",
          VNET,
          "--disable-private-endpoint-network-policies",
          "true",
        ]);
        return {
          ok: r.json?.privateEndpointNetworkPolicies === "Disabled",
          got: r.json?.privateEndpointNetworkPolicies ?? r.stderr,
        };
      },
    );
    await step(
      "Create a private DNS zone",
      `az network private-dns zone create --resource-group ${RG} --name ${ZONE}`,
      `zone ${ZONE}, Succeeded`,
      async () => {
        const r = await az(["network", "private-dns", "zone", "create", "--resource-group", RG, "--name", ZONE]);
        return {
          ok: r.json?.name === ZONE && r.json?.provisioningState === "Succeeded",
          got: r.json?.name ?? r.stderr,
        };
      },
    );
    await step(
      "Link the private DNS zone to the virtual network",
      `az network private-dns link vnet create --resource-group ${RG} --virtual-network ${VNET} --zone-name ${ZONE} --name ${LINK} --registration-enabled true`,
      "link Completed, registrationEnabled true",
      async () => {
        const r = await az([
          "network",
          "private-dns",
          "link",
          "vnet",
          "create",
          "--resource-group",
          RG,
          "--virtual-network",
          VNET,
          "--zone-name",
          ZONE,
          "--name",
          LINK,
          "--registration-enabled",
          "true",
        ]);
        return {
          ok: r.json?.virtualNetworkLinkState === "Completed" && r.json?.registrationEnabled === true,
          got: r.json
            ? { state: r.json.virtualNetworkLinkState, registrationEnabled: r.json.registrationEnabled }
            : r.stderr,
        };
      },
    );
    await step(
      "Allow trusted services",
      `az keyvault update-hsm --hsm-name ${HSM} -g ${RG} --default-action deny --bypass AzureServices`,
      "defaultAction Deny, bypass AzureServices",
      async () => {
        const r = await az([
          "keyvault",
          "update-hsm",
          "--hsm-name",
          HSM,
          "-g",
          RG,
          "--default-action",
          "deny",
          "--bypass",
          "AzureServices",
        ]);
        const acls = r.json?.properties?.networkAcls;
        return { ok: acls?.defaultAction === "Deny" && acls?.bypass === "AzureServices", got: acls ?? r.stderr };
      },
    );
    await step(
      "Create a private endpoint (automatically approved)",
      `az network private-endpoint create --resource-group ${RG} --vnet-name ${VNET} --subnet ${SUBNET} --name ${PE_AUTO} --private-connection-resource-id "${hsmId}" --group-id managedhsm --connection-name ${CONN_AUTO} --location ${REGION}`,
      "connection state Approved",
      async () => {
        const r = await az([
          "network",
          "private-endpoint",
          "create",
          "--resource-group",
          RG,
          "--vnet-name",
          VNET,
          "--subnet",
          SUBNET,
          "--name",
          PE_AUTO,
          "--private-connection-resource-id",
          hsmId,
          "--group-id",
          "managedhsm",
          "--connection-name",
          CONN_AUTO,
          "--location",
          REGION,
        ]);
        const st = r.json?.privateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status;
        return { ok: st === "Approved", got: st ?? r.stderr };
      },
    );
    await step(
      "Create a private endpoint (manual approval)",
      `az network private-endpoint create --resource-group ${RG} --vnet-name ${VNET} --subnet ${SUBNET} --name ${PE_MANUAL} --private-connection-resource-id "${hsmId}" --group-id managedhsm --connection-name ${CONN_MANUAL} --location ${REGION} --manual-request`,
      "connection state Pending",
      async () => {
        const r = await az([
          "network",
          "private-endpoint",
          "create",
          "--resource-group",
          RG,
          "--vnet-name",
          VNET,
          "--subnet",
          SUBNET,
          "--name",
          PE_MANUAL,
          "--private-connection-resource-id",
          hsmId,
          "--group-id",
          "managedhsm",
          "--connection-name",
          CONN_MANUAL,
          "--location",
          REGION,
          "--manual-request",
        ]);
        const st = r.json?.manualPrivateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status;
        return { ok: st === "Pending", got: st ?? r.stderr };
      },
    );
    await step(
      "Show connection status",
      `az network private-endpoint show --resource-group ${RG} --name ${PE_MANUAL}`,
      "Pending",
      async () => {
        const r = await az(["network", "private-endpoint", "show", "--resource-group", RG, "--name", PE_MANUAL]);
        const st = r.json?.manualPrivateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status;
        return { ok: st === "Pending", got: st ?? r.stderr };
      },
    );
    await step(
      "Approve a private link connection request",
      `az keyvault private-endpoint-connection approve --description "Approved by the walkthrough" --resource-group ${RG} --hsm-name ${HSM} --name ${CONN_MANUAL}`,
      "Approved, provisioningState Succeeded",
      async () => {
        const r = await az([
          "keyvault",
          "private-endpoint-connection",
          "approve",
          "--description",
          "Approved by the walkthrough",
          "--resource-group",
          RG,
          "--hsm-name",
          HSM,
          "--name",
          CONN_MANUAL,
        ]);
        const st = r.json?.privateLinkServiceConnectionState?.status;
        return { ok: st === "Approved" && r.json?.provisioningState === "Succeeded", got: st ?? r.stderr };
      },
    );
    await step(
      "Deny a private link connection request",
      `az keyvault private-endpoint-connection reject --description "Rejected by the walkthrough" --resource-group ${RG} --hsm-name ${HSM} --name ${CONN_MANUAL}`,
      "Rejected",
      async () => {
        const r = await az([
          "keyvault",
          "private-endpoint-connection",
          "reject",
          "--description",
          "Rejected by the walkthrough",
          "--resource-group",
          RG,
          "--hsm-name",
          HSM,
          "--name",
          CONN_MANUAL,
        ]);
        const st = r.json?.privateLinkServiceConnectionState?.status;
        return { ok: st === "Rejected", got: st ?? r.stderr };
      },
    );
    await step(
      "Delete a private link connection request",
      `az keyvault private-endpoint-connection delete --resource-group ${RG} --hsm-name ${HSM} --name ${CONN_MANUAL}`,
      "deleted; the private endpoint is left Disconnected",
      async () => {
        const r = await az([
          "keyvault",
          "private-endpoint-connection",
          "delete",
          "--resource-group",
          RG,
          "--hsm-name",
          HSM,
          "--name",
          CONN_MANUAL,
        ]);
        const pe = await az(["network", "private-endpoint", "show", "--resource-group", RG, "--name", PE_MANUAL]);
        const st = pe.json?.manualPrivateLinkServiceConnections?.[0]?.privateLinkServiceConnectionState?.status;
        return {
          ok: r.code === 0 && st === "Disconnected",
          got: { exit: r.code, privateEndpointSide: st ?? pe.stderr },
        };
      },
    );

    let nicId = "";
    await step(
      "Determine the private endpoint's network interface",
      `az network private-endpoint show -g ${RG} -n ${PE_AUTO}`,
      "networkInterfaces[0].id",
      async () => {
        const r = await az(["network", "private-endpoint", "show", "-g", RG, "-n", PE_AUTO]);
        nicId = r.json?.networkInterfaces?.[0]?.id ?? "";
        return { ok: /\/networkInterfaces\/pe-hsm-auto\.nic\.[0-9a-f-]{36}$/.test(nicId), got: nicId || r.stderr };
      },
    );
    let nicIp = "";
    await step(
      "Read the private IP address",
      `az network nic show --ids ${nicId}`,
      "ipConfigurations[0].privateIpAddress in the subnet (first free: 10.0.1.4)",
      async () => {
        const r = await az(["network", "nic", "show", "--ids", nicId]);
        nicIp = r.json?.ipConfigurations?.[0]?.privateIpAddress ?? "";
        return { ok: nicIp === "10.0.1.4", got: nicIp || r.stderr };
      },
    );
    await step("List private DNS zones", `az network private-dns zone list -g ${RG}`, `contains ${ZONE}`, async () => {
      const r = await az(["network", "private-dns", "zone", "list", "-g", RG]);
      const names = (r.json ?? []).map((z: { name: string }) => z.name);
      return { ok: names.includes(ZONE), got: names };
    });
    await step(
      "Add the A record",
      `az network private-dns record-set a add-record -g ${RG} -z "${ZONE}" -n ${HSM} -a ${nicIp}`,
      `A ${HSM} → ${nicIp}`,
      async () => {
        const r = await az([
          "network",
          "private-dns",
          "record-set",
          "a",
          "add-record",
          "-g",
          RG,
          "-z",
          ZONE,
          "-n",
          HSM,
          "-a",
          nicIp,
        ]);
        const ips = (r.json?.aRecords ?? []).map((a: { ipv4Address: string }) => a.ipv4Address);
        return { ok: ips.includes(nicIp), got: ips.length ? ips : r.stderr };
      },
    );
    await step(
      "List the record sets",
      `az network private-dns record-set list -g ${RG} -z "${ZONE}"`,
      "the SOA record set and the A record",
      async () => {
        const r = await az(["network", "private-dns", "record-set", "list", "-g", RG, "-z", ZONE]);
        const sets = (r.json ?? []).map((s: { name: string; type: string }) => `${s.type.split("/").pop()} ${s.name}`);
        return { ok: sets.includes(`SOA @`) && sets.includes(`A ${HSM}`), got: sets };
      },
    );

    const dnsArgs = (port: number, host: string, name: string) => [`-port=${port}`, name, host];
    await step(
      "nslookup from the public network",
      `nslookup ${HSM}.managedhsm.azure.net  (internet DNS view)`,
      "a public IP, alias through privatelink",
      async () => {
        const r = await run(
          "nslookup",
          dnsArgs(endpoints.dns.port, endpoints.dns.host, `${HSM}.managedhsm.azure.net`),
          baseEnv,
        );
        const ok =
          r.code === 0 &&
          r.stdout.includes(`canonical name = ${HSM}.privatelink.managedhsm.azure.net`) &&
          !/Address: 10\./.test(r.stdout) &&
          /Address: \d+\.\d+\.\d+\.\d+\s*$/m.test(r.stdout);
        return { ok, got: r.stdout.trim().split("\n").slice(-3).join(" | ") };
      },
    );

    let vm: { privateIpAddress: string; dns: { host: string; port: number } } | undefined;
    await step(
      "Validate: a VM in the subnet",
      `hsmlink vm create ${VM} -g ${RG} --vnet ${VNET} --subnet ${SUBNET} -o json`,
      "a VM with a private address in the subnet (not the private endpoint's)",
      async () => {
        const r = hsmlinkCli(["vm", "create", VM, "-g", RG, "--vnet", VNET, "--subnet", SUBNET, "-o", "json"], baseEnv);
        vm = r.json;
        return {
          ok: r.code === 0 && /^10\.0\.1\.\d+$/.test(vm?.privateIpAddress ?? "") && vm?.privateIpAddress !== nicIp,
          got: r.code === 0 ? vm : r.stderr,
        };
      },
    );
    await step(
      "nslookup inside the VNet",
      `nslookup ${HSM}.managedhsm.azure.net  (from ${VM})`,
      `${nicIp} (private IP address), alias ${HSM}.privatelink.managedhsm.azure.net`,
      async () => {
        const r = await run("nslookup", dnsArgs(vm!.dns.port, vm!.dns.host, `${HSM}.managedhsm.azure.net`), baseEnv);
        const ok =
          r.stdout.includes(`canonical name = ${HSM}.privatelink.managedhsm.azure.net`) &&
          r.stdout.includes(`Address: ${nicIp}`);
        return { ok, got: r.stdout.trim().split("\n").slice(-3).join(" | ") };
      },
    );
    await step(
      "nslookup of the privatelink name inside the VNet",
      `nslookup ${HSM}.privatelink.managedhsm.azure.net  (from ${VM})`,
      nicIp,
      async () => {
        const r = await run(
          "nslookup",
          dnsArgs(vm!.dns.port, vm!.dns.host, `${HSM}.privatelink.managedhsm.azure.net`),
          baseEnv,
        );
        return { ok: r.stdout.includes(`Address: ${nicIp}`), got: r.stdout.trim().split("\n").slice(-2).join(" | ") };
      },
    );

    const vmEnv = {
      ...baseEnv,
      ...parseEnv(hsmlinkCli(["env", "--vm", VM], baseEnv).stdout),
      PYTHONPATH: shim,
      AZURE_CONFIG_DIR: internetEnv.AZURE_CONFIG_DIR,
    };
    await step(
      "Give the signed-in identity the Crypto User role (from the VM, through the private endpoint)",
      `az rest --method put --url https://${HSM}.managedhsm.azure.net/providers/Microsoft.Authorization/roleAssignments/<guid>?api-version=7.4 --resource https://managedhsm.azure.net --body {...}`,
      "a role assignment at scope /",
      async () => {
        const body = JSON.stringify({
          properties: {
            roleDefinitionId:
              "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/21dbd100-6940-42c2-9190-5d6cb909625b",
            principalId: endpoints.principalObjectId,
          },
        });
        const r = await az(
          [
            "rest",
            "--method",
            "put",
            "--url",
            `https://${HSM}.managedhsm.azure.net/providers/Microsoft.Authorization/roleAssignments/0b4e1e6f-5b5a-4d4b-9d8e-6f7a8b9c0d1e?api-version=7.4`,
            "--resource",
            "https://managedhsm.azure.net",
            "--body",
            body,
          ],
          vmEnv,
        );
        return { ok: r.json?.properties?.scope === "/", got: r.json?.properties ?? r.stderr };
      },
    );
    await step(
      "Create and use a key from the VM",
      `az keyvault key create --hsm-name ${HSM} -n key1 --kty RSA-HSM  (from ${VM})`,
      "an RSA-HSM key",
      async () => {
        const r = await az(["keyvault", "key", "create", "--hsm-name", HSM, "-n", "key1", "--kty", "RSA-HSM"], vmEnv);
        return {
          ok:
            r.json?.key?.kty === "RSA-HSM" &&
            String(r.json?.key?.kid).startsWith(`https://${HSM}.managedhsm.azure.net/keys/key1/`),
          got: r.json?.key?.kid ?? r.stderr,
        };
      },
    );
    await step(
      "The same request from the internet is refused",
      `az keyvault key show --hsm-name ${HSM} -n key1  (from the internet)`,
      "403 Forbidden by the firewall",
      async () => {
        const r = await az(["keyvault", "key", "show", "--hsm-name", HSM, "-n", "key1"]);
        return {
          ok: r.code !== 0 && /ForbiddenByFirewall|Client address is not authorized/.test(r.stderr),
          got: r.stderr.trim().split("\n")[0],
        };
      },
    );
    process.stdout.write(`\nwalkthrough: all ${stepNo} steps gave what the how-to describes\n`);
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`\nwalkthrough: ${e.message}\n`);
  process.exit(failed ? 1 : 2);
});
