/**
 * Shapes of the troubleshooter: the context every check reads, and the finding each one returns.
 * Checks never re-implement a network rule: they ask src/network/ (DNS view, route, topology lookups).
 */
import type { ManagedHsm, NetworkSnapshot, VirtualNetwork, Vm } from "../network/topology.js";

/** Outcome of one check. `skip` = not applicable (a prerequisite failed or the data is not there). */
export type FindingStatus = "pass" | "fail" | "warn" | "skip";

/** One line of the report. */
export interface Finding {
  /** Stable check id, e.g. `dns-zone-linked`. */
  readonly id: string;
  readonly status: FindingStatus;
  /** Machine-readable reason, e.g. `DNS_ZONE_NOT_LINKED` (field-cases.md wording); absent on pass/skip when nothing to add. */
  readonly code?: string;
  /** One human sentence. */
  readonly message: string;
  /** What the check looked at: ARM ids and values. */
  readonly evidence: { readonly resources: readonly string[]; readonly values: Readonly<Record<string, unknown>> };
  /** The az command(s) that mend it (fail/warn only). */
  readonly fix?: string;
}

/** Everything the checks read, resolved once by {@link buildContext}. */
export interface CheckContext {
  readonly snapshot: NetworkSnapshot;
  /** Gaps of the source (see snapshotFromResources). */
  readonly missing: readonly string[];
  /** HSM name as given (`--hsm`). */
  readonly hsmName: string;
  /** Resource group as given (`-g`). */
  readonly resourceGroup: string;
  readonly hsm: ManagedHsm | undefined;
  /** The client's VNet (from `--vnet`, or the VM's). */
  readonly vnet: VirtualNetwork;
  /** The client VM (`--vm`), else a synthetic VM in the VNet standing for "a client in this VNet". */
  readonly vm: Vm;
  /** True when `vm` is synthetic (`--vnet`). */
  readonly syntheticVm: boolean;
  /** Host name the client is configured with (`--host`, normalised: no scheme, port, path or trailing dot), if given. */
  readonly clientHost?: string;
  /** The identity that sets up the private endpoint (`--principal`) and its Azure RBAC roles; absent = not asked. */
  readonly rights?: PrincipalRights;
}

/** A principal's role assignments and the role definitions they name (ARM's wire values, normalised). */
export interface PrincipalRights {
  readonly principalId: string;
  readonly assignments: readonly { readonly id: string; readonly scope: string; readonly roleDefinitionGuid: string }[];
  /** By lower-case GUID. */
  readonly definitions: ReadonlyMap<
    string,
    { readonly roleName: string; readonly actions: readonly string[]; readonly notActions: readonly string[] }
  >;
}

/** One check: one file under checks/. */
export interface Check {
  readonly id: string;
  run(ctx: CheckContext): Finding;
}

/** Small constructor so checks stay terse. */
export function finding(
  id: string,
  status: FindingStatus,
  message: string,
  opts: {
    code?: string;
    resources?: readonly (string | undefined)[];
    values?: Record<string, unknown>;
    fix?: string;
  } = {},
): Finding {
  return {
    id,
    status,
    ...(opts.code ? { code: opts.code } : {}),
    message,
    evidence: {
      resources: (opts.resources ?? []).filter((x): x is string => typeof x === "string" && x.length > 0),
      values: opts.values ?? {},
    },
    ...(opts.fix && (status === "fail" || status === "warn") ? { fix: opts.fix } : {}),
  };
}
