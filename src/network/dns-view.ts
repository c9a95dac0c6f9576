/**
 * Azure DNS as seen from a vantage point: the public internet, or a VM inside a VNet (Azure-provided
 * DNS at 168.63.129.16 with the VNet's linked private DNS zones, or the VNet's custom DNS servers).
 *
 * Pure: answers are a function of the {@link NetworkSnapshot}; nothing is sent anywhere. The DNS
 * wire server (src/dns/) encodes what {@link resolve} returns. Domain names in inputs may use any
 * case and an optional trailing dot; names in outputs are lower-case without the trailing dot.
 */

import { formatIpv4, tryParseIpv4 } from "./cidr.js";
import {
  MANAGED_HSM_PRIVATELINK_ZONE,
  MANAGED_HSM_PUBLIC_ZONE,
  normalizeDnsName,
  parseManagedHsmHost,
} from "../kernel/azure-names.js";
import {
  findDeletedManagedHsmByName,
  findManagedHsmByName,
  findVirtualNetwork,
  findVmByPrivateAddress,
  linkedZones,
  privateEndpointsTargeting,
  reachableVnetIds,
  recordSetType,
  recordSetsOfZone,
  sameIpv4,
  sameResourceId,
  zoneIdOfChild,
  type LinkedZone,
  type ManagedHsm,
  type NetworkSnapshot,
  type RecordSet,
  type RecordSetType,
  type Vantage,
  type VirtualNetwork,
} from "./topology.js";
import type { DnsRule, TraceRefs, NetworkTraceStep } from "./trace.js";

/** Azure's virtual public IP for platform DNS (learn.microsoft.com "What is IP address 168.63.129.16?"). */
export const AZURE_DNS_ADDRESS = "168.63.129.16";
/**
 * TTL of the public `{hsm}.managedhsm.azure.net` CNAME / A answers, seconds. Chosen value: the real
 * service's TTLs were not captured; 60 s keeps emulator caches short while looking like Azure's
 * front-door names.
 */
export const PUBLIC_TTL_SECONDS = 60;
/** TTL used for a private record set that has no `ttl` (the value az and the portal default to). */
export const DEFAULT_RECORD_SET_TTL_SECONDS = 3600;
/** TTL Azure gives auto-registered VM records (learn.microsoft.com "What is the auto registration feature in Azure DNS private zones?"). */
export const AUTO_REGISTERED_TTL_SECONDS = 10;
/** Longest CNAME chain followed before answering SERVFAIL (resolvers give up on long chains; 16 is ample). */
export const MAX_CNAME_CHAIN = 16;

/** Response codes the model produces. */
export type DnsRcode = "NOERROR" | "NXDOMAIN" | "SERVFAIL";

/** Record types the model can answer (those Azure Private DNS stores). */
export type DnsRecordType = RecordSetType;

/**
 * One resource record. `data` is RFC 1035 presentation format without trailing dots:
 * A/AAAA address; CNAME/PTR name; MX `pref exchange`; SRV `prio weight port target`;
 * TXT `"chunk" "chunk"` (quoted, `"` and `\` escaped); SOA `mname rname serial refresh retry expire minimum`.
 */
export interface DnsRecord {
  readonly name: string;
  readonly type: DnsRecordType;
  /** Seconds. */
  readonly ttl: number;
  readonly data: string;
}

/**
 * Result of a query. `answers` holds the whole CNAME chain followed by the final records; the
 * rcode describes the last name of the chain (RFC 6604), so `NXDOMAIN` may come with a CNAME.
 * `authority` carries the deciding private zone's SOA for negative answers when the zone has one.
 * Responses from Azure DNS are recursive, so they are never authoritative (no AA flag).
 */
export interface DnsAnswer {
  readonly rcode: DnsRcode;
  readonly answers: readonly DnsRecord[];
  readonly authority: readonly DnsRecord[];
  readonly trace: readonly NetworkTraceStep[];
}

/**
 * The public IPv4 address the emulated public DNS gives a managed HSM: a stable function of the
 * (case-insensitive) HSM name inside TEST-NET-3 203.0.113.1–254 (RFC 5737 documentation range,
 * so it never routes anywhere). FNV-1a of the lower-cased UTF-8 name; distinct HSMs may share an
 * address, as real HSMs share regional front ends, so the host name (SNI) selects the HSM.
 */
export function publicAddressOfHsm(name: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name.toLowerCase())) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return formatIpv4(0xcb007100 + 1 + (hash % 254));
}

/**
 * The managed HSM's private endpoint connections (HSM side, `properties.privateEndpointConnections[]`)
 * whose state is `Approved`. Azure publishes `{hsm}.managedhsm.azure.net` as a CNAME into the
 * privatelink zone only while at least one exists: "When the key vault has no private endpoint
 * connection in approved state, resolving the hostname gives … a public IP address, and there is no
 * `privatelink` alias" (MicrosoftDocs/azure-security-docs articles/key-vault/general/private-link-diagnostics.md
 * §5; documented for vaults, applied to managed HSM, which shares the Key Vault front end). So an HSM
 * whose only connection is Pending, Rejected or Disconnected resolves to its public address even
 * inside a VNet that links the privatelink zone, and the public firewall decides.
 */
export function approvedConnectionsOf(hsm: ManagedHsm): readonly string[] {
  return (hsm.properties.privateEndpointConnections ?? [])
    .filter((c) => (c.properties.privateLinkServiceConnectionState?.status ?? "").toLowerCase() === "approved")
    .map((c) => c.properties.privateEndpoint?.id ?? c.id ?? "");
}

/** Private endpoints (any connection state) that target this HSM, for the trace of a public answer. */
function privateEndpointCount(snapshot: NetworkSnapshot, hsm: ManagedHsm): number {
  return privateEndpointsTargeting(snapshot, hsm.id).length;
}

// ---------------------------------------------------------------------------------------------

type View =
  | { readonly kind: "public" }
  | { readonly kind: "vnet"; readonly vnet: VirtualNetwork; readonly zones: readonly LinkedZone[] };

type Step =
  | { readonly kind: "records"; readonly records: DnsRecord[] }
  | { readonly kind: "cname"; readonly record: DnsRecord; readonly target: string }
  | { readonly kind: "nodata"; readonly authority: DnsRecord[] }
  | { readonly kind: "nxdomain"; readonly authority: DnsRecord[] };

interface ChainResult {
  readonly rcode: DnsRcode;
  readonly answers: DnsRecord[];
  readonly authority: DnsRecord[];
}

class Tracer {
  readonly steps: NetworkTraceStep[] = [];
  add(rule: DnsRule, detail: string, refs?: TraceRefs): void {
    this.steps.push(refs ? { step: "dns", rule, detail, refs } : { step: "dns", rule, detail });
  }
}

function servfail(tracer: Tracer): DnsAnswer {
  return { rcode: "SERVFAIL", answers: [], authority: [], trace: tracer.steps };
}

function finish(result: ChainResult, tracer: Tracer): DnsAnswer {
  return { rcode: result.rcode, answers: result.answers, authority: result.authority, trace: tracer.steps };
}

/**
 * Answers a DNS query as Azure would for `vantage`.
 *
 * - Internet: the public view (see {@link resolvePublic}).
 * - VM whose VNet has no custom DNS servers: Azure-provided DNS of the VM's OWN VNet
 *   (see {@link resolveInVnet}); zones linked only to a peered VNet do not count.
 * - VM whose VNet sets `dhcpOptions.dnsServers`: the servers are tried in order, as a stub
 *   resolver fails over on timeout. `168.63.129.16` is Azure DNS of the VM's VNet; the private
 *   address of a VM with `dnsForwarder: true` in the VM's VNet or a connected peer is a forwarder
 *   that answers as Azure DNS of ITS OWN VNet (a definitive answer, NXDOMAIN included, ends the
 *   search); any other address times out (traced), and when all time out the answer is SERVFAIL.
 *   A forwarder's own VNet `dnsServers` are ignored: forwarders send to 168.63.129.16 directly.
 *
 * `qtype` is a record type name (any case); types the model does not know get NODATA for
 * existing names. Never throws for bad input: an unknown VNet gives SERVFAIL with a trace step.
 * Sources: learn.microsoft.com "Name resolution for resources in Azure virtual networks",
 * "What is IP address 168.63.129.16?", "Azure Private Endpoint DNS configuration".
 */
export function resolve(
  snapshot: NetworkSnapshot,
  vantage: Vantage,
  qname: string,
  qtype: DnsRecordType | string,
): DnsAnswer {
  const tracer = new Tracer();
  const name = normalizeDnsName(qname);
  const type = qtype.toUpperCase();
  if (vantage.kind === "internet") {
    tracer.add("vantage-internet", `query ${type} ${name} from the public internet`);
    return finish(chase(snapshot, { kind: "public" }, name, type, tracer), tracer);
  }

  const vm = vantage.vm;
  const vnet = findVirtualNetwork(snapshot, vm.vnetId);
  tracer.add("vantage-vm", `query ${type} ${name} from VM ${vm.name} (${vm.privateIpAddress})`, {
    vmName: vm.name,
    vnetId: vm.vnetId,
  });
  if (!vnet) {
    tracer.add("vnet-missing", `virtual network ${vm.vnetId} of VM ${vm.name} does not exist; no DNS server answers`, {
      vnetId: vm.vnetId,
    });
    return servfail(tracer);
  }

  const servers = (vnet.properties.dhcpOptions?.dnsServers ?? []).filter((s) => s.trim() !== "");
  if (servers.length === 0) {
    tracer.add(
      "azure-dns",
      `${vnet.name} has no custom DNS servers; VM ${vm.name} uses Azure-provided DNS (${AZURE_DNS_ADDRESS})`,
      {
        vnetId: vnet.id,
      },
    );
    return finish(chase(snapshot, vnetView(snapshot, vnet), name, type, tracer), tracer);
  }

  const reachable = reachableVnetIds(snapshot, vnet.id);
  for (const server of servers) {
    if (sameIpv4(server, AZURE_DNS_ADDRESS)) {
      tracer.add(
        "custom-dns-azure",
        `custom DNS server ${server} of ${vnet.name} is Azure DNS; it answers for ${vnet.name}`,
        {
          vnetId: vnet.id,
          server,
        },
      );
      return finish(chase(snapshot, vnetView(snapshot, vnet), name, type, tracer), tracer);
    }
    const forwarder = findVmByPrivateAddress(snapshot, reachable, server);
    if (forwarder?.dnsForwarder) {
      const forwarderVnet = findVirtualNetwork(snapshot, forwarder.vnetId);
      if (forwarderVnet) {
        tracer.add(
          "custom-dns-forwarder",
          `custom DNS server ${server} of ${vnet.name} is forwarder VM ${forwarder.name} in ${forwarderVnet.name}; it asks Azure DNS (${AZURE_DNS_ADDRESS}) of ${forwarderVnet.name}`,
          { vnetId: vnet.id, server, forwarderVm: forwarder.name, forwarderVnetId: forwarderVnet.id },
        );
        return finish(chase(snapshot, vnetView(snapshot, forwarderVnet), name, type, tracer), tracer);
      }
    }
    tracer.add(
      "custom-dns-timeout",
      `custom DNS server ${server} of ${vnet.name}: ${whyNoDnsServer(snapshot, vnet, reachable, server)}; query timed out`,
      {
        vnetId: vnet.id,
        server,
      },
    );
  }
  tracer.add(
    "custom-dns-exhausted",
    `no custom DNS server of ${vnet.name} answered (${servers.join(", ")}): SERVFAIL`,
    { vnetId: vnet.id },
  );
  return servfail(tracer);
}

function whyNoDnsServer(
  snapshot: NetworkSnapshot,
  vnet: VirtualNetwork,
  reachable: readonly string[],
  server: string,
): string {
  const local = findVmByPrivateAddress(snapshot, reachable, server);
  if (local) return `VM ${local.name} at that address runs no DNS forwarder`;
  if (tryParseIpv4(server) === undefined) return "not an IPv4 address";
  const elsewhere = snapshot.vms.find((v) => v.dnsForwarder && sameIpv4(v.privateIpAddress, server));
  if (elsewhere) {
    const where = findVirtualNetwork(snapshot, elsewhere.vnetId)?.name ?? elsewhere.vnetId;
    return `forwarder VM ${elsewhere.name} has that address in ${where}, which is not ${vnet.name} nor a Connected peer of it`;
  }
  return `no DNS server at that address is reachable from ${vnet.name}`;
}

/**
 * Azure-provided DNS (168.63.129.16) as seen inside `vnet`: each name of the CNAME chain is first
 * matched against the private DNS zones linked to that VNet (the longest matching zone name wins;
 * two linked zones with the same name, which ARM forbids, resolve to the lowest zone id). A
 * matching zone answers authoritatively: its record, its CNAME (followed), NODATA when the name
 * exists with other types, else NXDOMAIN — unless that link's `resolutionPolicy` is
 * `NxDomainRedirect`, in which case the name is resolved publicly ("fallback to internet").
 * Names outside every linked zone are resolved publicly ({@link resolvePublic}).
 * VMs in VNets with a registration-enabled link to a zone answer as `{vm}.{zone}` A records
 * (TTL 10) unless a record set of that name exists.
 * Sources: learn.microsoft.com "What is an Azure Private DNS zone?", "Fallback to internet for
 * Azure Private DNS zones", "What is the auto registration feature in Azure DNS private zones?".
 */
export function resolveInVnet(
  snapshot: NetworkSnapshot,
  vnet: VirtualNetwork,
  qname: string,
  qtype: DnsRecordType | string,
): DnsAnswer {
  const tracer = new Tracer();
  return finish(
    chase(snapshot, vnetView(snapshot, vnet), normalizeDnsName(qname), qtype.toUpperCase(), tracer),
    tracer,
  );
}

/**
 * The public view (what a resolver on the internet gets):
 * - `{hsm}.managedhsm.azure.net` for an existing HSM with at least one Approved private endpoint
 *   connection ({@link approvedConnectionsOf}): CNAME `{hsm}.privatelink.managedhsm.azure.net`, whose
 *   A is {@link publicAddressOfHsm}; without one: A {@link publicAddressOfHsm} directly (no regional
 *   CNAME is invented);
 * - `{hsm}.privatelink.managedhsm.azure.net` for an existing HSM: A {@link publicAddressOfHsm};
 * - a soft-deleted, not yet purged HSM: A {@link publicAddressOfHsm} (soft-delete-overview.md keeps the DNS
 *   record during retention; no alias, its connections are gone);
 * - the two zone apexes: NODATA; anything else (unknown or purged HSM, other domains): NXDOMAIN.
 * TTLs are {@link PUBLIC_TTL_SECONDS}. Source: learn.microsoft.com "Azure Private Endpoint DNS
 * configuration" (public CNAME to the privatelink subdomain).
 */
export function resolvePublic(snapshot: NetworkSnapshot, qname: string, qtype: DnsRecordType | string): DnsAnswer {
  const tracer = new Tracer();
  return finish(chase(snapshot, { kind: "public" }, normalizeDnsName(qname), qtype.toUpperCase(), tracer), tracer);
}

function vnetView(snapshot: NetworkSnapshot, vnet: VirtualNetwork): View {
  return { kind: "vnet", vnet, zones: linkedZones(snapshot, vnet.id) };
}

function chase(snapshot: NetworkSnapshot, view: View, start: string, qtype: string, tracer: Tracer): ChainResult {
  const answers: DnsRecord[] = [];
  const seen = new Set<string>();
  let name = start;
  for (let hop = 0; hop < MAX_CNAME_CHAIN; hop++) {
    if (seen.has(name)) {
      tracer.add("cname-loop", `CNAME chain loops back to ${name}: SERVFAIL`);
      return { rcode: "SERVFAIL", answers: [], authority: [] };
    }
    seen.add(name);
    const step =
      view.kind === "vnet"
        ? lookupInVnet(snapshot, view, name, qtype, tracer)
        : lookupPublic(snapshot, name, qtype, tracer);
    switch (step.kind) {
      case "records":
        answers.push(...step.records);
        return { rcode: "NOERROR", answers, authority: [] };
      case "nodata":
        return { rcode: "NOERROR", answers, authority: step.authority };
      case "nxdomain":
        return { rcode: "NXDOMAIN", answers, authority: step.authority };
      case "cname":
        answers.push(step.record);
        if (qtype === "CNAME") return { rcode: "NOERROR", answers, authority: [] };
        name = step.target;
        break;
    }
  }
  tracer.add("cname-chain-too-long", `CNAME chain from ${start} is longer than ${MAX_CNAME_CHAIN}: SERVFAIL`);
  return { rcode: "SERVFAIL", answers: [], authority: [] };
}

// ---------------------------------------------------------------------------------------------
// Azure DNS inside a VNet

function inZone(name: string, zoneName: string): boolean {
  return name === zoneName || name.endsWith(`.${zoneName}`);
}

function lookupInVnet(
  snapshot: NetworkSnapshot,
  view: Extract<View, { kind: "vnet" }>,
  name: string,
  qtype: string,
  tracer: Tracer,
): Step {
  let best: LinkedZone | undefined;
  let bestName = "";
  const sameName: LinkedZone[] = [];
  for (const lz of view.zones) {
    const zoneName = normalizeDnsName(lz.zone.name);
    if (!inZone(name, zoneName)) continue;
    if (best === undefined || zoneName.length > bestName.length) {
      best = lz;
      bestName = zoneName;
      sameName.length = 0;
    } else if (zoneName === bestName && !sameResourceId(lz.zone.id, best.zone.id)) {
      sameName.push(lz);
    }
  }

  if (!best) {
    tracer.add(
      "no-linked-zone",
      `no private DNS zone linked to ${view.vnet.name} contains ${name}; resolving publicly`,
      {
        vnetId: view.vnet.id,
      },
    );
    return lookupPublic(snapshot, name, qtype, tracer);
  }
  if (sameName.length > 0) {
    tracer.add(
      "duplicate-zone-name",
      `${sameName.length + 1} zones named ${bestName} are linked to ${view.vnet.name} (ARM forbids this); using ${best.zone.id}`,
      { vnetId: view.vnet.id, zoneId: best.zone.id },
    );
  }

  const step = lookupPrivateZone(snapshot, view.vnet, best, bestName, name, qtype, tracer);
  if (step.kind !== "nxdomain") return step;

  const where = `zone ${bestName} linked to ${view.vnet.name} via ${best.link.name}`;
  const refs = { zoneId: best.zone.id, linkId: best.link.id, vnetId: view.vnet.id };
  if ((best.link.properties.resolutionPolicy ?? "").toLowerCase() === "nxdomainredirect") {
    tracer.add(
      "private-zone-fallback",
      `${where} has no record for ${name}; resolutionPolicy NxDomainRedirect: resolving publicly`,
      refs,
    );
    return lookupPublic(snapshot, name, qtype, tracer);
  }
  tracer.add(
    "private-zone-nxdomain",
    `${where} has no record for ${name} (resolutionPolicy ${best.link.properties.resolutionPolicy ?? "Default"}): NXDOMAIN`,
    refs,
  );
  return step;
}

function relativeName(name: string, zoneName: string): string {
  return name === zoneName ? "@" : name.slice(0, name.length - zoneName.length - 1);
}

function lookupPrivateZone(
  snapshot: NetworkSnapshot,
  vnet: VirtualNetwork,
  lz: LinkedZone,
  zoneName: string,
  name: string,
  qtype: string,
  tracer: Tracer,
): Step {
  const zoneSets = recordSetsOfZone(snapshot, lz.zone.id);
  const relative = relativeName(name, zoneName);
  const atName = zoneSets.filter((rs) => rs.name.toLowerCase() === relative);
  const where = `zone ${zoneName} linked to ${vnet.name} via ${lz.link.name}`;
  const refs = { zoneId: lz.zone.id, linkId: lz.link.id, vnetId: vnet.id };
  const negative = () => soaOf(zoneSets, zoneName);

  const ofType = atName.find((rs) => recordSetType(rs) === qtype);
  if (ofType) {
    const records = recordsOf(ofType, name);
    if (records.length > 0) {
      tracer.add(
        "private-zone-answer",
        `${where} answered ${records.map((r) => `${r.type} ${r.data}`).join(", ")} for ${name} (ttl ${records[0]!.ttl})`,
        { ...refs, recordSetId: ofType.id },
      );
      return { kind: "records", records };
    }
    tracer.add("private-zone-nodata", `${where}: record set ${qtype} ${relative} is empty: NODATA`, {
      ...refs,
      recordSetId: ofType.id,
    });
    return { kind: "nodata", authority: negative() };
  }

  const cname = atName.find((rs) => recordSetType(rs) === "CNAME" && rs.properties.cnameRecord?.cname);
  if (cname) {
    const [record] = recordsOf(cname, name);
    if (record) {
      tracer.add("private-zone-cname", `${where} answered CNAME ${record.data} for ${name} (ttl ${record.ttl})`, {
        ...refs,
        recordSetId: cname.id,
      });
      return { kind: "cname", record, target: record.data };
    }
  }

  if (atName.length > 0) {
    tracer.add("private-zone-nodata", `${where} has ${relative} but no ${qtype} record: NODATA`, refs);
    return { kind: "nodata", authority: negative() };
  }

  const registered = relative.includes(".") || relative === "@" ? undefined : autoRegisteredVm(snapshot, lz, relative);
  if (registered) {
    if (qtype === "A") {
      const record: DnsRecord = {
        name,
        type: "A",
        ttl: AUTO_REGISTERED_TTL_SECONDS,
        data: registered.privateIpAddress,
      };
      tracer.add(
        "private-zone-auto-registration",
        `${where} answered A ${record.data} for ${name}: auto-registered VM ${registered.name} (ttl ${record.ttl})`,
        { ...refs, vmName: registered.name },
      );
      return { kind: "records", records: [record] };
    }
    tracer.add(
      "private-zone-nodata",
      `${where} has auto-registered VM ${registered.name} but no ${qtype} record: NODATA`,
      refs,
    );
    return { kind: "nodata", authority: negative() };
  }

  const isEmptyNonTerminal = relative === "@" || zoneSets.some((rs) => rs.name.toLowerCase().endsWith(`.${relative}`));
  if (isEmptyNonTerminal) {
    tracer.add("private-zone-nodata", `${where} has names below ${name} but no ${qtype} record at it: NODATA`, refs);
    return { kind: "nodata", authority: negative() };
  }
  // Traced by the caller, which knows whether the link redirects NXDOMAIN to the internet.
  return { kind: "nxdomain", authority: negative() };
}

function autoRegisteredVm(snapshot: NetworkSnapshot, lz: LinkedZone, label: string) {
  const registeringVnets = snapshot.virtualNetworkLinks
    .filter((l) => l.properties.registrationEnabled && sameResourceId(zoneIdOfChild(l.id), lz.zone.id))
    .map((l) => l.properties.virtualNetwork.id);
  return snapshot.vms.find(
    (vm) => vm.name.toLowerCase() === label && registeringVnets.some((id) => sameResourceId(id, vm.vnetId)),
  );
}

function soaOf(zoneSets: readonly RecordSet[], zoneName: string): DnsRecord[] {
  const soa = zoneSets.find((rs) => rs.name === "@" && recordSetType(rs) === "SOA");
  return soa ? recordsOf(soa, zoneName) : [];
}

function quoteTxt(chunk: string): string {
  return `"${chunk.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Records of a record set in presentation format, named `owner`. */
function recordsOf(rs: RecordSet, owner: string): DnsRecord[] {
  const type = recordSetType(rs);
  if (!type) return [];
  const ttl = rs.properties.ttl ?? DEFAULT_RECORD_SET_TTL_SECONDS;
  const p = rs.properties;
  const make = (data: string): DnsRecord => ({ name: owner, type, ttl, data });
  switch (type) {
    case "A":
      return (p.aRecords ?? []).map((r) => make(r.ipv4Address));
    case "AAAA":
      return (p.aaaaRecords ?? []).map((r) => make(r.ipv6Address.toLowerCase()));
    case "CNAME":
      return p.cnameRecord?.cname ? [make(normalizeDnsName(p.cnameRecord.cname))] : [];
    case "MX":
      return (p.mxRecords ?? []).map((r) => make(`${r.preference} ${normalizeDnsName(r.exchange)}`));
    case "PTR":
      return (p.ptrRecords ?? []).map((r) => make(normalizeDnsName(r.ptrdname)));
    case "SRV":
      return (p.srvRecords ?? []).map((r) => make(`${r.priority} ${r.weight} ${r.port} ${normalizeDnsName(r.target)}`));
    case "TXT":
      return (p.txtRecords ?? []).map((r) => make(r.value.map(quoteTxt).join(" ")));
    case "SOA": {
      const s = p.soaRecord;
      if (!s) return [];
      return [
        make(
          [
            normalizeDnsName(s.host ?? "azureprivatedns.net"),
            normalizeDnsName(s.email ?? "azureprivatedns-host.microsoft.com"),
            s.serialNumber ?? 1,
            s.refreshTime ?? 3600,
            s.retryTime ?? 300,
            s.expireTime ?? 2419200,
            s.minimumTtl ?? 300,
          ].join(" "),
        ),
      ];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public view

function lookupPublic(snapshot: NetworkSnapshot, name: string, qtype: string, tracer: Tracer): Step {
  if (name === MANAGED_HSM_PUBLIC_ZONE || name === MANAGED_HSM_PRIVATELINK_ZONE) {
    tracer.add("public-nodata", `public DNS: ${name} is a zone apex with no ${qtype} record: NODATA`);
    return { kind: "nodata", authority: [] };
  }
  const host = parseManagedHsmHost(name);
  const hsm = host ? findManagedHsmByName(snapshot, host.hsmName) : undefined;
  const deleted = host && !hsm ? findDeletedManagedHsmByName(snapshot, host.hsmName) : undefined;
  if (host && deleted) {
    // soft-delete-overview.md: "The DNS record that corresponds to the HSM is also kept during the retention
    // interval". Its connections went with the delete, so there is no privatelink alias; purge removes the record.
    const refs = deleted.properties.mhsmId ? { hsmId: deleted.properties.mhsmId } : undefined;
    if (qtype !== "A") {
      tracer.add(
        "public-nodata",
        `public DNS: ${name} (soft-deleted managed HSM ${deleted.name}) has an A record only, no ${qtype}: NODATA`,
        refs,
      );
      return { kind: "nodata", authority: [] };
    }
    const address = publicAddressOfHsm(deleted.name);
    tracer.add(
      "public-soft-deleted",
      `public DNS answered A ${address} for ${name}: managed HSM ${deleted.name} is soft-deleted${deleted.properties.scheduledPurgeDate ? ` (purge scheduled ${deleted.properties.scheduledPurgeDate})` : ""} and keeps its DNS record until purged (ttl ${PUBLIC_TTL_SECONDS})`,
      refs,
    );
    return { kind: "records", records: [{ name, type: "A", ttl: PUBLIC_TTL_SECONDS, data: address }] };
  }
  if (!host || !hsm) {
    const why = host
      ? `no managed HSM named ${host.hsmName} exists`
      : inZone(name, MANAGED_HSM_PUBLIC_ZONE)
        ? `${name} is not a managed HSM host name`
        : `${name} is outside the emulated public namespace (${MANAGED_HSM_PUBLIC_ZONE})`;
    tracer.add("public-nxdomain", `public DNS: ${why}: NXDOMAIN`);
    return { kind: "nxdomain", authority: [] };
  }

  const refs = { hsmId: hsm.id };
  const address = publicAddressOfHsm(hsm.name);
  const approved = host.privatelink ? [] : approvedConnectionsOf(hsm);
  if (approved.length > 0) {
    const target = `${host.hsmName}.${MANAGED_HSM_PRIVATELINK_ZONE}`;
    tracer.add(
      "public-cname",
      `public DNS: managed HSM ${hsm.name} has ${approved.length} Approved private endpoint connection${approved.length === 1 ? "" : "s"}, so ${name} is CNAME ${target} (ttl ${PUBLIC_TTL_SECONDS})`,
      refs,
    );
    return { kind: "cname", record: { name, type: "CNAME", ttl: PUBLIC_TTL_SECONDS, data: target }, target };
  }
  if (!host.privatelink) {
    const pes = privateEndpointCount(snapshot, hsm);
    if (pes > 0) {
      tracer.add(
        "public-no-approved-connection",
        `public DNS: managed HSM ${hsm.name} has ${pes} private endpoint${pes === 1 ? "" : "s"} but no Approved connection, so ${name} has no privatelink alias and resolves to the public endpoint (Azure publishes the alias only while a connection is Approved)`,
        refs,
      );
    }
  }
  if (qtype !== "A") {
    tracer.add("public-nodata", `public DNS: ${name} has an A record only, no ${qtype}: NODATA`, refs);
    return { kind: "nodata", authority: [] };
  }
  tracer.add(
    "public-answer",
    `public DNS answered A ${address} for ${name}: public endpoint of managed HSM ${hsm.name} (ttl ${PUBLIC_TTL_SECONDS})`,
    refs,
  );
  return { kind: "records", records: [{ name, type: "A", ttl: PUBLIC_TTL_SECONDS, data: address }] };
}
