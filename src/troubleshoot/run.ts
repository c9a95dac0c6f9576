/**
 * `hsmlink troubleshoot` as a library: picks the client vantage (`--vm` or `--vnet`), runs every check of
 * checks/index.ts against one {@link NetworkSnapshot}, and renders the findings.
 */
import { assignableRange, formatIpv4 } from "../network/cidr.js";
import { EXPORT_COMMANDS, snapshotFromResources } from "../network/from-resources.js";
import { DEFAULT_INTERNET_CLIENT_ADDRESS } from "../network/route.js";
import {
  findManagedHsmByName,
  findVirtualNetwork,
  findVm,
  type NetworkSnapshot,
  type VirtualNetwork,
  type Vm,
} from "../network/topology.js";
import { CHECKS, RIGHTS_CHECKS } from "./checks/index.js";
import { principalRights } from "./rights.js";
import { clientVantage, hsmHost } from "./path.js";
import { explainRequest, type Explanation } from "../pipeline/explain.js";
import { renderSteps } from "../pipeline/trace-log.js";
import { resourceGroupOf } from "./facts.js";
import { finding, type CheckContext, type Finding } from "./types.js";

/** Bad input (unknown VM/VNet, both or neither given): the CLI exits 2. */
export class TroubleshootUsageError extends Error {}

export interface TroubleshootOptions {
  readonly hsm: string;
  readonly resourceGroup: string;
  readonly vm?: string;
  /** VNet name (looked up in `resourceGroup` first, then anywhere if unique) or ARM id. */
  readonly vnet?: string;
  /** Host name (or URL) the client uses to reach the HSM (`--host`); checked by `client-host-name`. */
  readonly host?: string;
  /** Object id of the identity that sets up the private endpoint (`--principal`): the rights checks judge its roles. */
  readonly principal?: string;
}

/** `https://Name.Example:443/path` → `name.example`; undefined for an empty value. */
export function normalizeClientHost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let v = value.trim().toLowerCase();
  v = v.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  v = v
    .replace(/[/?#].*$/, "")
    .replace(/:\d+$/, "")
    .replace(/\.$/, "");
  return v === "" ? undefined : v;
}

export interface TroubleshootReport {
  readonly findings: Finding[];
  /**
   * The decision trace of `GET https://{hsm}.managedhsm.azure.net/keys` from the client vantage, computed by the
   * pipeline's explain (src/pipeline/explain.ts): the steps `hsmlink explain` prints for the same request.
   */
  readonly trace?: Explanation;
}

function pickVnet(snapshot: NetworkSnapshot, nameOrId: string, rg: string): VirtualNetwork {
  if (nameOrId.startsWith("/")) {
    const v = findVirtualNetwork(snapshot, nameOrId);
    if (!v) throw new TroubleshootUsageError(`virtual network ${nameOrId} not found`);
    return v;
  }
  const byName = snapshot.virtualNetworks.filter((v) => v.name.toLowerCase() === nameOrId.toLowerCase());
  const inRg = byName.filter((v) => (resourceGroupOf(v.id) ?? "").toLowerCase() === rg.toLowerCase());
  if (inRg.length === 1) return inRg[0];
  if (byName.length === 1) return byName[0];
  if (byName.length === 0)
    throw new TroubleshootUsageError(
      `virtual network ${nameOrId} not found (known: ${snapshot.virtualNetworks.map((v) => v.name).join(", ") || "none"})`,
    );
  throw new TroubleshootUsageError(
    `virtual network name ${nameOrId} is ambiguous; pass its ARM id: ${byName.map((v) => v.id).join(", ")}`,
  );
}

/**
 * A stand-in for "a client in this VNet": first assignable address of the VNet's first subnet, with outbound
 * internet access from {@link DEFAULT_INTERNET_CLIENT_ADDRESS} (Azure's default outbound access) so the public
 * path is evaluated too.
 */
function syntheticVm(vnet: VirtualNetwork): Vm {
  const subnet = vnet.properties.subnets?.[0];
  const prefix =
    subnet?.properties.addressPrefix ??
    subnet?.properties.addressPrefixes?.[0] ??
    vnet.properties.addressSpace.addressPrefixes[0];
  const range = prefix ? assignableRange(prefix) : undefined;
  return {
    name: `client-in-${vnet.name}`,
    vnetId: vnet.id,
    subnetId: subnet?.id ?? `${vnet.id}/subnets/default`,
    privateIpAddress: range ? formatIpv4(range.first) : "0.0.0.0",
    publicIpAddress: DEFAULT_INTERNET_CLIENT_ADDRESS,
  };
}

/** Builds the check context. @throws TroubleshootUsageError for an unknown VM/VNet or a wrong flag combination */
export function buildContext(
  snapshot: NetworkSnapshot,
  missing: readonly string[],
  opts: TroubleshootOptions,
): CheckContext {
  if ((opts.vm === undefined) === (opts.vnet === undefined))
    throw new TroubleshootUsageError("give exactly one of --vm NAME or --vnet NAME_OR_ID");
  let vm: Vm;
  let vnet: VirtualNetwork;
  let synthetic = false;
  if (opts.vm !== undefined) {
    const found = findVm(snapshot, opts.vm);
    if (!found)
      throw new TroubleshootUsageError(
        `VM ${opts.vm} not found (known: ${snapshot.vms.map((v) => v.name).join(", ") || "none"}); pass --vnet instead`,
      );
    const v = findVirtualNetwork(snapshot, found.vnetId);
    if (!v) throw new TroubleshootUsageError(`VNet ${found.vnetId} of VM ${opts.vm} is not in the data`);
    vm = found;
    vnet = v;
  } else {
    vnet = pickVnet(snapshot, opts.vnet!, opts.resourceGroup);
    vm = syntheticVm(vnet);
    synthetic = true;
  }
  const clientHost = normalizeClientHost(opts.host);
  return {
    snapshot,
    missing,
    hsmName: opts.hsm,
    resourceGroup: opts.resourceGroup,
    hsm: findManagedHsmByName(snapshot, opts.hsm),
    vnet,
    vm,
    syntheticVm: synthetic,
    ...(clientHost !== undefined ? { clientHost } : {}),
  };
}

/** Runs every check. A check that throws becomes a `fail` finding naming the exception (never a crash). */
export function runChecks(ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  findings.push(
    ctx.hsm
      ? finding("hsm-exists", "pass", `managed HSM ${ctx.hsm.name} found`, {
          resources: [ctx.hsm.id],
          values: { location: ctx.hsm.location ?? null },
        })
      : finding("hsm-exists", "fail", `managed HSM ${ctx.hsmName} is not in the data`, {
          code: "HSM_NOT_FOUND",
          fix: `az keyvault show --hsm-name ${ctx.hsmName} -g ${ctx.resourceGroup}`,
        }),
  );
  if (ctx.missing.length > 0) {
    findings.push(
      finding(
        "data-complete",
        "warn",
        `the data lacks ${ctx.missing.length} referenced item(s); some checks may be wrong`,
        { code: "DATA_INCOMPLETE", values: { missing: ctx.missing }, fix: "export the missing resources too" },
      ),
    );
  }
  for (const c of ctx.rights ? [...CHECKS, ...RIGHTS_CHECKS] : CHECKS) {
    try {
      findings.push(c.run(ctx));
    } catch (e) {
      findings.push(finding(c.id, "fail", `check crashed: ${(e as Error).message}`, { code: "CHECK_ERROR" }));
    }
  }
  return findings;
}

/** The request the troubleshooter explains: a key list from the client vantage. */
export function troubleshootRequestUrl(ctx: CheckContext): string {
  return `https://${hsmHost(ctx)}/keys`;
}

/** Context + checks (with `opts.principal`, the rights checks over `roles` too), and the decision trace of a request from the client vantage. */
export function troubleshoot(
  snapshot: NetworkSnapshot,
  missing: readonly string[],
  opts: TroubleshootOptions,
  roles?: { assignments: readonly unknown[]; definitions: readonly unknown[] },
): TroubleshootReport {
  const base = buildContext(snapshot, missing, opts);
  const ctx = opts.principal
    ? { ...base, rights: principalRights(opts.principal, roles?.assignments ?? [], roles?.definitions ?? []) }
    : base;
  const trace = explainRequest(
    { snapshot: () => snapshot, internetClientAddress: DEFAULT_INTERNET_CLIENT_ADDRESS },
    clientVantage(ctx),
    "GET",
    troubleshootRequestUrl(ctx),
  );
  return { findings: runChecks(ctx), trace };
}

/** Where the resources came from (see sources.ts): the running hsmlink, a `--from` file, or `--subscription`. */
export type SourceKind = "hsmlink" | "file" | "subscription";

/**
 * {@link troubleshoot} over what a source read (`resources`, its `missing` lists, hsmlink's `vms`).
 * @throws TroubleshootUsageError for an export without properties, `--vm` where there are no hsmlink VMs, and
 *   everything {@link buildContext} refuses
 */
export function troubleshootSource(
  source: {
    readonly resources: unknown[];
    readonly missing: readonly string[];
    readonly vms?: readonly Vm[];
    readonly roles?: { assignments: readonly unknown[]; definitions: readonly unknown[] };
  },
  kind: SourceKind,
  opts: TroubleshootOptions,
): TroubleshootReport {
  if (opts.vm !== undefined && kind === "subscription") {
    throw new TroubleshootUsageError(
      `--vm names a simulated VM of the running hsmlink ('hsmlink vm list'); a subscription has none: pass --vnet NAME_OR_ID (the client's virtual network) instead`,
    );
  }
  const { snapshot, missing, withoutProperties } = snapshotFromResources(source.resources, source.vms ?? []);
  if (kind === "file" && withoutProperties.length > 0) {
    throw new TroubleshootUsageError(
      `${withoutProperties.length} resource(s) in the --from file have no properties ('properties: null', as plain 'az resource list' prints them), so their addresses, links and records are unknown; export with ${EXPORT_COMMANDS}`,
    );
  }
  if (opts.vm !== undefined && kind === "file" && !findVm(snapshot, opts.vm)) {
    throw new TroubleshootUsageError(
      `--vm names a simulated VM of the running hsmlink; the --from file holds no VM ${opts.vm}: pass --vnet NAME_OR_ID (the client's virtual network) instead`,
    );
  }
  // Role assignments in a --from export (`az role assignment list` output) count as the principal's assignments.
  const flat: unknown[] = [];
  const push = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(push);
    else if (
      x &&
      typeof x === "object" &&
      Array.isArray((x as { value?: unknown }).value) &&
      (x as { id?: unknown }).id === undefined
    )
      (x as { value: unknown[] }).value.forEach(push);
    else flat.push(x);
  };
  source.resources.forEach(push);
  const exported = flat.filter((r) =>
    /^Microsoft\.Authorization\/roleAssignments$/i.test(String((r as { type?: unknown })?.type ?? "")),
  );
  const roles = source.roles ?? { assignments: exported, definitions: [] };
  return troubleshoot(snapshot, [...source.missing, ...missing], opts, roles);
}

/** 0 when no finding fails, else 1. */
export function exitCodeOf(report: TroubleshootReport): number {
  return report.findings.some((f) => f.status === "fail") ? 1 : 0;
}

/** One line per finding: `STATUS  id  message` (+ `fix:` line for fail/warn). */
export function renderTable(report: TroubleshootReport): string {
  const w = Math.max(...report.findings.map((f) => f.id.length));
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(
      `${f.status.toUpperCase().padEnd(4)}  ${f.id.padEnd(w)}  ${f.code ? `[${f.code}] ` : ""}${f.message}${f.fix ? `  → fix: ${f.fix}` : ""}`,
    );
  }
  if (report.trace) {
    lines.push(
      "",
      `decision trace of ${report.trace.method} ${report.trace.url} from ${report.trace.vantage} (as 'hsmlink explain' prints it):`,
    );
    lines.push(renderSteps(report.trace.steps).trimEnd());
  }
  return lines.join("\n") + "\n";
}

/** `{"findings":[…]}`, pretty-printed. */
export function renderJson(report: TroubleshootReport): string {
  return (
    JSON.stringify(
      report.trace ? { findings: report.findings, trace: report.trace } : { findings: report.findings },
      null,
      2,
    ) + "\n"
  );
}
