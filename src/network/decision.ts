/**
 * The network-rules step of the one decision pipeline (architecture.md): given the managed HSM a request is
 * addressed to, the route the request took (route.ts) and the authenticated caller, allow it or refuse it with a typed
 * reason ({@link NetworkRefusal}); the pipeline's surface renders the reason (the Key Vault-envelope 403 Azure
 * returns). Pure; the data plane, `hsmlink explain` and the troubleshooter call it.
 *
 * Order (field-cases.md FC-21, data-plane.md §0.11, §5):
 * 1. Private path: the request arrived through a private endpoint. Its connection must target THIS HSM and be
 *    `Approved` on both sides (the PE's `privateLinkServiceConnections[].privateLinkServiceConnectionState` and
 *    the HSM's `properties.privateEndpointConnections[]`); then it is allowed and publicNetworkAccess / network
 *    ACLs are NOT evaluated. A PE the HSM does not list (HSM deleted and recovered or recreated: FC-29, FC-30)
 *    counts as `Disconnected`. A non-approved connection is a `drop` (Azure answers nothing; see {@link NetworkRefusal}).
 *    A PE connected to another HSM gets 403 `ForbiddenByConnection` (hsmlink's wording; vaults say "This TCP
 *    connection does not allow access to {host}", field reports).
 * 2. Public path: publicNetworkAccess `Disabled` → 403 `ForbiddenByConnection` unless bypass `AzureServices`
 *    and the caller is a trusted-service identity. Then `defaultAction: Deny` → allowed when the source address
 *    is in `ipRules`, or when bypass `AzureServices` and the caller is a trusted service; else 403
 *    `ForbiddenByFirewall`. The message texts are the four variants of FC-18.
 * Defaults when a field is absent: publicNetworkAccess `Enabled`, defaultAction `Allow`, bypass `AzureServices`
 * (the service's defaults for a new managed HSM; control-plane.md §3.2).
 */
import { trustedServiceNamespace } from "./trusted-services.js";
import { ipInCidr, tryParseCidr, tryParseIpv4 } from "./cidr.js";
import { route as routeTo, type RouteDecision, type RouteOptions } from "./route.js";
import { resolve, type DnsAnswer } from "./dns-view.js";
import {
  findManagedHsmByName,
  resourceName,
  sameResourceId,
  type ManagedHsm,
  type NetworkSnapshot,
  type Vantage,
} from "./topology.js";
import type { TraceRefs, TraceStep } from "../kernel/trace.js";
import { parseManagedHsmHost } from "../kernel/azure-names.js";

/** Who is calling, as authentication established it. Undefined fields print empty. */
export interface CallerInfo {
  readonly appId?: string;
  readonly objectId?: string;
  /** Token issuer (`iss`), e.g. `https://sts.windows.net/{tenant}/`. */
  readonly issuer?: string;
  /** Resource provider namespace when the principal is a trusted Azure service (`hsmlink identity create --trusted-service`). */
  readonly trustedService?: string;
}

/** Rules the network-rules step reports (stable; switch on them). */
export type NetworkRule =
  | "private-endpoint-approved"
  | "private-endpoint-other-hsm"
  | "private-endpoint-not-approved"
  | "private-endpoint-unknown-to-hsm"
  | "acls-not-evaluated"
  | "public-access-disabled"
  | "trusted-service-bypass"
  | "default-action-allow"
  | "ip-rule-allow"
  | "firewall-deny";

/** One step of the decision trace written by this module. */
export interface NetworkRuleStep {
  readonly step: "network";
  readonly rule: NetworkRule;
  readonly detail: string;
  readonly refs?: TraceRefs;
}

/** The inputs of {@link evaluateNetworkRules}. */
export interface NetworkRulesInput {
  /** The managed HSM the request is addressed to (by host name). */
  readonly hsm: ManagedHsm;
  /** The route the connection took; `none` never reaches the data plane (the gateway refuses the CONNECT). */
  readonly route: Extract<RouteDecision, { path: "private" | "public" }>;
  /** The authenticated caller; undefined when authentication was not evaluated (`hsmlink explain`). */
  readonly caller?: CallerInfo;
}

/**
 * Why the network rules refuse a request. `action` says what the service does with it:
 * - `forbid`: answer 403 `Forbidden` with `innerCode` and `message` (the pipeline renders the Key Vault envelope);
 * - `drop`: answer nothing. "Only a private endpoint in an approved state can send traffic to a given private link
 *   resource" (MicrosoftDocs/azure-docs articles/private-link/private-endpoint-overview.md); the symptom is "timeouts
 *   or network errors" (MicrosoftDocs/azure-security-docs articles/key-vault/general/private-link-diagnostics.md). No
 *   403 is documented for it, so traffic through a Pending, Rejected or Disconnected endpoint is dropped; the gateway
 *   renders the drop (it holds the CONNECT for `--drop-after` seconds, then fails the tunnel saying why).
 */
export type NetworkRefusal =
  | {
      readonly action: "forbid";
      readonly innerCode: "ForbiddenByFirewall" | "ForbiddenByConnection";
      /** `{variant}\r\nClient address: {ip}\r\nCaller: {caller}\r\nVault: {name};location={loc}` (FC-18). */
      readonly message: string;
      /** The address the service saw (`x-ms-keyvault-network-info`). */
      readonly sourceAddress: string;
    }
  | {
      readonly action: "drop";
      /** The connection state that drops the traffic: `Pending`, `Rejected`, `Disconnected`, … */
      readonly state: string;
      /** `dropped: connection {state} (…)`: what the gateway's status line, `explain`, `log` and `troubleshoot` say. */
      readonly reason: string;
      readonly sourceAddress: string;
    };

/** Result of {@link evaluateNetworkRules}. `sourceAddress` is what the service saw (x-ms-keyvault-network-info). */
export type NetworkRulesOutcome =
  | { readonly allowed: true; readonly sourceAddress: string; readonly steps: readonly NetworkRuleStep[] }
  | {
      readonly allowed: false;
      readonly sourceAddress: string;
      /** The inner code of a `forbid`; undefined for a `drop` (nothing is answered). */
      readonly innerCode?: Extract<NetworkRefusal, { action: "forbid" }>["innerCode"];
      readonly refusal: NetworkRefusal;
      readonly steps: readonly NetworkRuleStep[];
    };

/** The FC-18 message openings, in one place. */
export const FIREWALL_MESSAGES = {
  denyBypassAzureServices: "Client address is not authorized and caller is not a trusted service.",
  denyBypassNone: "Client address is not authorized and caller was ignored because bypass is set to None",
  pnaDisabledBypassAzureServices:
    "Public network access is disabled and request is not from a trusted service nor via an approved private link.",
  pnaDisabledBypassNone:
    "Connection is not an approved private link and caller was ignored because bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'.",
} as const;

/**
 * `x-ms-keyvault-network-info` value for a source address.
 * - Public path: `conn_type=Ipv4;addr={ip};act_addr_fam=Ipv4;` as recorded from Managed HSM (Azure/azure-sdk-for-js
 *   sdk/keyvault/keyvault-admin/recordings, 2022; Azure/azure-sdk-assets ManagedHsmLiveTests, 2026). Vault logs show
 *   `act_addr_fam=InterNetwork` (field-cases.md FC-18); the managed HSM recordings win.
 * - Private path (`privateEndpointId` given): `conn_type=PrivateLink;private_endpoint={PE id};addr={ip};act_addr_fam=Ipv4;`
 *   — vault-derived: a Key Vault vault over a private endpoint answers `conn_type=PrivateLink;private_endpoint=…;addr=…`
 *   (third-party capture, 2026; no managed HSM capture found), with managed HSM's `Ipv4` family token.
 */
export function networkInfoHeader(sourceAddress: string, privateEndpointId?: string): string {
  if (privateEndpointId)
    return `conn_type=PrivateLink;private_endpoint=${privateEndpointId};addr=${sourceAddress};act_addr_fam=Ipv4;`;
  return `conn_type=Ipv4;addr=${sourceAddress};act_addr_fam=Ipv4;`;
}

/** `Caller: appid=…;oid=…[;iss=…]` text of a caller; `(not evaluated)` when unknown. */
export function callerText(caller: CallerInfo | undefined): string {
  if (!caller) return "appid=(not evaluated);oid=(not evaluated)";
  return `appid=${caller.appId ?? ""};oid=${caller.objectId ?? ""}${caller.issuer ? `;iss=${caller.issuer}` : ""}`;
}

function eq(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

function inIpRules(hsm: ManagedHsm, address: string): string | undefined {
  if (tryParseIpv4(address) === undefined) return undefined;
  for (const rule of hsm.properties.networkAcls?.ipRules ?? []) {
    const value = rule.value.includes("/") ? rule.value : `${rule.value}/32`;
    const cidr = tryParseCidr(value);
    if (cidr.ok && ipInCidr(address, cidr.value)) return rule.value;
  }
  return undefined;
}

/**
 * Decides the network rules for one request. Never throws; a refusal is returned as a {@link NetworkRefusal}
 * whose message is `{variant}\r\nClient address: {ip}\r\nCaller: {caller}\r\nVault: {name};location={loc}`
 * (the Key Vault renderer appends ` (Activity ID: …)`).
 */
export function evaluateNetworkRules(input: NetworkRulesInput): NetworkRulesOutcome {
  const { hsm, route, caller } = input;
  const steps: NetworkRuleStep[] = [];
  const sourceAddress = route.sourceAddress;
  const add = (rule: NetworkRule, detail: string, refs?: TraceRefs) =>
    steps.push(refs ? { step: "network", rule, detail, refs } : { step: "network", rule, detail });
  const deny = (innerCode: "ForbiddenByFirewall" | "ForbiddenByConnection", opening: string): NetworkRulesOutcome => {
    const message = `${opening}\r\nClient address: ${sourceAddress}\r\nCaller: ${callerText(caller)}\r\nVault: ${hsm.name};location=${hsm.location ?? ""}`;
    return {
      allowed: false,
      sourceAddress,
      innerCode,
      refusal: { action: "forbid", innerCode, message, sourceAddress },
      steps,
    };
  };
  const allow = (): NetworkRulesOutcome => ({ allowed: true, sourceAddress, steps });
  const drop = (state: string, why: string): NetworkRulesOutcome => {
    const reason = `dropped: connection ${state} (${why}); Azure discards traffic through a private endpoint whose connection is not Approved, so the client times out`;
    return { allowed: false, sourceAddress, refusal: { action: "drop", state, reason, sourceAddress }, steps };
  };

  if (route.path === "private") {
    const peName = resourceName(route.privateEndpointId);
    const refs = { privateEndpointId: route.privateEndpointId, hsmId: hsm.id };
    if (!sameResourceId(route.hsmId, hsm.id)) {
      add(
        "private-endpoint-other-hsm",
        `the request for managed HSM ${hsm.name} arrived through private endpoint ${peName}, whose connection targets ${resourceName(route.hsmId)}: not a private link to ${hsm.name} (ForbiddenByConnection)`,
        { ...refs, targetId: route.hsmId },
      );
      return deny(
        "ForbiddenByConnection",
        `Connection is not an approved private link: it arrived through private endpoint ${peName}, which is connected to ${resourceName(route.hsmId)}, not to ${hsm.name}.`,
      );
    }
    const hsmSide = (hsm.properties.privateEndpointConnections ?? []).find((c) =>
      sameResourceId(c.properties.privateEndpoint?.id, route.privateEndpointId),
    );
    if (!hsmSide) {
      add(
        "private-endpoint-unknown-to-hsm",
        `managed HSM ${hsm.name} has no private endpoint connection for ${peName} (the HSM was deleted and recovered or recreated, or the connection was deleted): the connection is Disconnected; its traffic is dropped`,
        { ...refs, status: "Disconnected" },
      );
      return drop("Disconnected", `private endpoint ${peName} is Disconnected from ${hsm.name}`);
    }
    const peStatus = route.connectionState.status;
    const hsmStatus = hsmSide.properties.privateLinkServiceConnectionState?.status ?? "Pending";
    const notApproved = !eq(hsmStatus, "Approved") ? hsmStatus : !eq(peStatus, "Approved") ? peStatus : undefined;
    if (notApproved !== undefined) {
      add(
        "private-endpoint-not-approved",
        `private endpoint ${peName} connection ${route.connectionName}${route.manualRequest ? " (manual request)" : ""} is ${notApproved} (HSM side ${hsmStatus}, PE side ${peStatus}); only Approved connections carry traffic: dropped`,
        { ...refs, status: notApproved },
      );
      return drop(notApproved, `private endpoint ${peName}, connection ${route.connectionName} to ${hsm.name}`);
    }
    add(
      "private-endpoint-approved",
      `private endpoint ${peName} connection ${route.connectionName} to ${hsm.name} is Approved; the HSM sees client address ${sourceAddress}`,
      refs,
    );
    add(
      "acls-not-evaluated",
      "publicNetworkAccess and network ACLs govern only the public endpoint; not evaluated for private endpoint traffic",
    );
    return allow();
  }

  const pna = hsm.properties.publicNetworkAccess ?? "Enabled";
  const acls = hsm.properties.networkAcls ?? {};
  const bypass = acls.bypass ?? "AzureServices";
  const defaultAction = acls.defaultAction ?? "Allow";
  const bypassAzure = eq(bypass, "AzureServices");
  // Only the Managed HSM allow-list counts, whatever an identity claims to be (FC-20).
  const trusted = trustedServiceNamespace(caller?.trustedService);
  const trustedText = caller
    ? trusted
      ? `caller is trusted service ${trusted}`
      : "caller is not a trusted service"
    : "caller not evaluated";

  if (eq(pna, "Disabled")) {
    if (bypassAzure && trusted) {
      add(
        "trusted-service-bypass",
        `publicNetworkAccess is Disabled, bypass is AzureServices and the caller is trusted service ${trusted}: allowed (RBAC still applies)`,
      );
      return allow();
    }
    add(
      "public-access-disabled",
      `publicNetworkAccess of ${hsm.name} is Disabled and the request came over the public endpoint from ${sourceAddress}; bypass ${bypass}, ${trustedText} (ForbiddenByConnection)`,
      { hsmId: hsm.id, sourceAddress },
    );
    return deny(
      "ForbiddenByConnection",
      bypassAzure ? FIREWALL_MESSAGES.pnaDisabledBypassAzureServices : FIREWALL_MESSAGES.pnaDisabledBypassNone,
    );
  }
  if (!eq(defaultAction, "Deny")) {
    add(
      "default-action-allow",
      `publicNetworkAccess is ${pna} and networkAcls.defaultAction is ${defaultAction}: client address ${sourceAddress} allowed`,
    );
    return allow();
  }
  const rule = inIpRules(hsm, sourceAddress);
  if (rule !== undefined) {
    add("ip-rule-allow", `client address ${sourceAddress} matches ipRule ${rule}: allowed`, {
      sourceAddress,
      ipRule: rule,
    });
    return allow();
  }
  if (bypassAzure && trusted) {
    add(
      "trusted-service-bypass",
      `defaultAction is Deny, bypass is AzureServices and the caller is trusted service ${trusted}: allowed (RBAC still applies)`,
    );
    return allow();
  }
  add(
    "firewall-deny",
    `defaultAction of ${hsm.name} is Deny, client address ${sourceAddress} matches no ipRule, bypass ${bypass}, ${trustedText} (ForbiddenByFirewall)`,
    { hsmId: hsm.id, sourceAddress },
  );
  return deny(
    "ForbiddenByFirewall",
    bypassAzure ? FIREWALL_MESSAGES.denyBypassAzureServices : FIREWALL_MESSAGES.denyBypassNone,
  );
}

// ---------------------------------------------------------------------------------------------
// The connect half of the pipeline (vantage → DNS → route), shared by the gateway and `explain`
// ---------------------------------------------------------------------------------------------

/**
 * Why a connection cannot be made: the name does not resolve from the vantage (`no-resolution`), or no path
 * leads to its address (`no-route`). The gateway answers either as a failed CONNECT (src/pipeline/connect.ts).
 */
export interface ConnectRefusal {
  /**
   * `soft-deleted`: the name of a soft-deleted HSM resolves but nothing serves it (hsmlink's choice); `dropped`: the
   * path is a private endpoint whose connection is not Approved — Azure drops that traffic (see {@link NetworkRefusal}),
   * the gateway holds the CONNECT for `--drop-after` seconds, then fails it.
   */
  readonly kind: "no-resolution" | "no-route" | "soft-deleted" | "dropped";
  readonly reason: string;
}

/** What {@link evaluateConnect} found. `refusal` set = the CONNECT fails (no path, like Azure). */
export interface ConnectEvaluation {
  readonly vantage: Vantage;
  readonly hostName: string;
  readonly dns: DnsAnswer;
  /** The address the client connects to (first A record of the answer), if any. */
  readonly address?: string;
  readonly route?: RouteDecision;
  readonly refusal?: ConnectRefusal;
  readonly steps: readonly TraceStep[];
}

/** Human text of a vantage. */
export function vantageText(vantage: Vantage): string {
  return vantage.kind === "internet"
    ? "the public internet"
    : `VM ${vantage.vm.name} (${vantage.vm.privateIpAddress} in ${resourceName(vantage.vm.subnetId)} of ${resourceName(vantage.vm.vnetId)})`;
}

/**
 * Resolves `hostName` (A) in the vantage's DNS view and routes the first address: the decision a client's
 * `CONNECT host:443` takes. NXDOMAIN/SERVFAIL/NODATA → refusal "could not resolve"; route `none` → refusal with
 * the route's reason. Pure.
 */
export function evaluateConnect(
  snapshot: NetworkSnapshot,
  vantage: Vantage,
  hostName: string,
  options: RouteOptions = {},
): ConnectEvaluation {
  const steps: TraceStep[] = [];
  steps.push({
    step: "vantage",
    rule: vantage.kind === "internet" ? "internet" : "vm",
    detail: `request from ${vantageText(vantage)}`,
    ...(vantage.kind === "vm"
      ? { refs: { vmName: vantage.vm.name, vnetId: vantage.vm.vnetId, subnetId: vantage.vm.subnetId } }
      : {}),
  });
  const dns = resolve(snapshot, vantage, hostName, "A");
  steps.push(...dns.trace);
  const chain = dns.answers.map((r) => `${r.name} ${r.type} ${r.data} (ttl ${r.ttl})`).join("; ");
  const address = dns.answers.find((r) => r.type === "A")?.data;
  if (dns.rcode !== "NOERROR" || address === undefined) {
    const why = dns.rcode !== "NOERROR" ? dns.rcode : "no address (NODATA)";
    steps.push({ step: "dns", rule: "answer", detail: `${hostName}: ${why}${chain ? ` after ${chain}` : ""}` });
    return {
      vantage,
      hostName,
      dns,
      steps,
      refusal: { kind: "no-resolution", reason: `could not resolve ${hostName} from ${vantageText(vantage)}: ${why}` },
    };
  }
  steps.push({ step: "dns", rule: "answer", detail: `${hostName} → ${chain}`, refs: { address } });
  const softDeleted = dns.trace.find((t) => t.rule === "public-soft-deleted");
  if (softDeleted) {
    // What a soft-deleted HSM's endpoint answers is not documented nor recorded; hsmlink's choice: the name resolves
    // (soft-delete-overview.md) but nothing serves it, so the connection fails and says why.
    const hsmName = parseManagedHsmHost(hostName)?.hsmName ?? hostName;
    const reason = `managed HSM ${hsmName} is soft-deleted: its name resolves (${address}) until it is purged, but it serves no requests; recover it ('az keyvault recover --hsm-name ${hsmName} -g <resource group> -l <location>') or purge it`;
    steps.push({
      step: "route",
      rule: "soft-deleted-hsm",
      detail: reason,
      ...(softDeleted.refs ? { refs: softDeleted.refs } : {}),
    });
    return { vantage, hostName, dns, address, steps, refusal: { kind: "soft-deleted", reason } };
  }
  const route = routeTo(snapshot, vantage, address, hostName, options);
  steps.push(...route.trace);
  if (route.path === "none") {
    const last = route.trace[route.trace.length - 1];
    return {
      vantage,
      hostName,
      dns,
      address,
      route,
      steps,
      refusal: {
        kind: "no-route",
        reason: `connection to ${address}:443 (${hostName}) failed: ${last?.detail ?? route.reason}`,
      },
    };
  }
  if (route.path === "private") {
    // Whether a private endpoint carries traffic depends on its connection state only (not on the caller), so the
    // network rules decide it here, at CONNECT time: a drop never reaches TLS.
    const parsed = parseManagedHsmHost(hostName);
    const hsm = parsed ? findManagedHsmByName(snapshot, parsed.hsmName) : undefined;
    if (hsm) {
      const rules = evaluateNetworkRules({ hsm, route });
      if (!rules.allowed && rules.refusal.action === "drop") {
        steps.push(...rules.steps);
        return {
          vantage,
          hostName,
          dns,
          address,
          route,
          steps,
          refusal: { kind: "dropped", reason: rules.refusal.reason },
        };
      }
    }
  }
  return { vantage, hostName, dns, address, route, steps };
}

/**
 * The whole network half of the pipeline for a request to `hostName`: {@link evaluateConnect}, then the managed
 * HSM the host names and {@link evaluateNetworkRules}. `caller` undefined = authentication not evaluated.
 * `hsm` undefined in the result = the host names no existing managed HSM (the data plane answers that).
 */
export function evaluateRequestNetwork(
  snapshot: NetworkSnapshot,
  vantage: Vantage,
  hostName: string,
  caller: CallerInfo | undefined,
  options: RouteOptions = {},
): {
  readonly connect: ConnectEvaluation;
  readonly hsm?: ManagedHsm;
  readonly rules?: NetworkRulesOutcome;
  readonly steps: readonly TraceStep[];
} {
  const connect = evaluateConnect(snapshot, vantage, hostName, options);
  if (connect.refusal || !connect.route || connect.route.path === "none") return { connect, steps: connect.steps };
  const parsed = parseManagedHsmHost(hostName);
  const hsm = parsed ? findManagedHsmByName(snapshot, parsed.hsmName) : undefined;
  if (!hsm)
    return {
      connect,
      steps: [
        ...connect.steps,
        { step: "network", rule: "no-such-hsm", detail: `${hostName} names no existing managed HSM` },
      ],
    };
  const rules = evaluateNetworkRules({ hsm, route: connect.route, caller });
  return { connect, hsm, rules, steps: [...connect.steps, ...rules.steps] };
}
