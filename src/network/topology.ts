/**
 * Typed read model of the emulated network: the ARM JSON of each resource (the wire types of
 * src/kernel/arm-wire.ts, declared once and also used by src/arm/), plus the emulator's simulated VMs
 * (vantage points).
 *
 * The network model reads a {@link ReadView} of each wire type: read-only, only the fields it relies on
 * required, so stored bodies, Azure's own JSON (a user's report) and hand-made fixtures all fit. ARM resource ids are compared case-insensitively
 * everywhere (ARM ids are case-insensitive; az sends `/resourcegroups/` and `/resourceGroups/`).
 */

import { tryParseIpv4 } from "./cidr.js";
import type * as Wire from "../kernel/arm-wire.js";
import type { AsDeclared, Frozen, Override, ReadView } from "../kernel/arm-wire.js";

// ---------------------------------------------------------------------------------------------
// Wire shapes (ARM JSON)
// ---------------------------------------------------------------------------------------------

/** `{ "id": "…" }` reference to another resource. */
export type SubResource = Frozen<Wire.SubResource>;

/** Fields every tracked ARM resource carries (`id` and `name` always). */
export type ArmResource = ReadView<
  Pick<Wire.VirtualNetwork, "id" | "name" | "type" | "location" | "etag" | "tags">,
  "id" | "name"
>;

/** `Microsoft.Network/virtualNetworks/subnets` (control-plane.md §4.2). */
export type Subnet = ReadView<Wire.Subnet, "id" | "name" | "properties">;

/** An entry of `properties.virtualNetworkPeerings` (`Microsoft.Network/virtualNetworks/virtualNetworkPeerings`). */
export type VirtualNetworkPeering = Override<
  ReadView<Wire.VirtualNetworkPeering>,
  { readonly properties: ReadView<Wire.VirtualNetworkPeering["properties"], "remoteVirtualNetwork"> }
>;

/** `Microsoft.Network/virtualNetworks` (control-plane.md §4.1); absent `dhcpOptions.dnsServers` = Azure-provided DNS. */
export type VirtualNetwork = Override<
  ReadView<Wire.VirtualNetwork, "id" | "name">,
  {
    readonly properties: Override<
      ReadView<Wire.VirtualNetwork["properties"]>,
      {
        readonly addressSpace: ReadView<Wire.VirtualNetwork["properties"]["addressSpace"], "addressPrefixes">;
        readonly subnets?: readonly Subnet[];
        readonly virtualNetworkPeerings?: readonly VirtualNetworkPeering[];
      }
    >;
  }
>;

/** `privateLinkServiceConnectionState` on both the PE side and the HSM side. */
export type PrivateLinkServiceConnectionState = ReadView<Wire.PrivateLinkServiceConnectionState, "status">;

/** An entry of a private endpoint's `privateLinkServiceConnections` / `manualPrivateLinkServiceConnections`. */
export type PrivateLinkServiceConnection = Override<
  ReadView<Wire.PrivateLinkServiceConnection, "name">,
  {
    readonly properties: Override<
      ReadView<Wire.PrivateLinkServiceConnection["properties"], "privateLinkServiceId">,
      { readonly privateLinkServiceConnectionState?: PrivateLinkServiceConnectionState }
    >;
  }
>;

/** `Microsoft.Network/privateEndpoints` (control-plane.md §4.3). */
export type PrivateEndpoint = Override<
  ReadView<Wire.PrivateEndpoint, "id" | "name">,
  {
    readonly properties: Override<
      ReadView<Wire.PrivateEndpoint["properties"], "subnet">,
      {
        readonly privateLinkServiceConnections?: readonly PrivateLinkServiceConnection[];
        readonly manualPrivateLinkServiceConnections?: readonly PrivateLinkServiceConnection[];
      }
    >;
  }
>;

/** An entry of a NIC's `ipConfigurations` (control-plane.md §4.4); the wire spells `privateIPAddress`. */
export type NetworkInterfaceIpConfiguration = ReadView<Wire.NetworkInterfaceIPConfiguration, "name" | "properties">;

/** `Microsoft.Network/networkInterfaces` (control-plane.md §4.4). */
export type NetworkInterface = Override<
  ReadView<Wire.NetworkInterface, "id" | "name">,
  {
    readonly properties: Override<
      ReadView<Wire.NetworkInterface["properties"]>,
      { readonly ipConfigurations: readonly NetworkInterfaceIpConfiguration[] }
    >;
  }
>;

/** `Microsoft.Network/privateDnsZones` (control-plane.md §5). The zone's DNS name is its `name`. */
export type PrivateDnsZone = ReadView<Wire.PrivateDnsZone, "id" | "name">;

/** `Microsoft.Network/privateDnsZones/virtualNetworkLinks`; its zone is the parent of its `id`. */
export type VirtualNetworkLink = Override<
  ReadView<Wire.VirtualNetworkLink, "id" | "name">,
  { readonly properties: ReadView<Wire.VirtualNetworkLink["properties"], "virtualNetwork" | "registrationEnabled"> }
>;

/** Record set types of Azure Private DNS (`…/privateDnsZones/{zone}/{type}/{name}`). */
export type RecordSetType = "A" | "AAAA" | "CNAME" | "MX" | "PTR" | "SOA" | "SRV" | "TXT";

/** `Microsoft.Network/privateDnsZones/{type}` record set; its zone is the grandparent of its `id`, its type the parent segment. */
export type RecordSet = Override<
  ReadView<Wire.RecordSet, "id" | "name">,
  {
    readonly properties: Override<
      ReadView<Wire.RecordSetProperties>,
      AsDeclared<
        Wire.RecordSetProperties,
        "aRecords" | "aaaaRecords" | "cnameRecord" | "mxRecords" | "ptrRecords" | "srvRecords" | "txtRecords"
      >
    >;
  }
>;

/** HSM-side private endpoint connection item (`properties.privateEndpointConnections[]`). */
export type ManagedHsmPrivateEndpointConnection = Override<
  ReadView<Wire.PrivateEndpointConnectionItem>,
  {
    readonly properties: Override<
      ReadView<Wire.PrivateEndpointConnectionItem["properties"]>,
      { readonly privateLinkServiceConnectionState?: PrivateLinkServiceConnectionState }
    >;
  }
>;

/** `Microsoft.KeyVault/managedHSMs` (control-plane.md §3.2). */
export type ManagedHsm = Override<
  ReadView<Wire.ManagedHsm, "id" | "name">,
  {
    readonly properties: Override<
      ReadView<Wire.ManagedHsmProperties>,
      {
        readonly networkAcls?: Override<
          ReadView<Wire.NetworkAcls>,
          AsDeclared<Wire.NetworkAcls, "ipRules" | "virtualNetworkRules">
        >;
        readonly privateEndpointConnections?: readonly ManagedHsmPrivateEndpointConnection[];
      }
    >;
  }
>;

/**
 * A simulated VM: the vantage point a proxy user name or a DNS client names. Not an ARM resource.
 * `publicIpAddress` absent = no outbound internet path (default outbound access is not modelled).
 * `dnsForwarder: true` = a DNS server listens on `privateIpAddress` and forwards every query to
 * Azure DNS (168.63.129.16) of its own VNet.
 */
export interface Vm {
  readonly name: string;
  readonly vnetId: string;
  readonly subnetId: string;
  readonly privateIpAddress: string;
  readonly publicIpAddress?: string;
  readonly dnsForwarder?: boolean;
}

/**
 * `Microsoft.Network/privateEndpoints/privateDnsZoneGroups` (network api 2022-01-01); its private endpoint is the
 * parent of its `id`. Each config names a zone; `recordSets` lists the A records the group wrote there.
 */
export interface PrivateDnsZoneGroup {
  readonly id: string;
  readonly name: string;
  readonly type?: string;
  readonly etag?: string;
  readonly properties: {
    readonly provisioningState?: string;
    readonly privateDnsZoneConfigs: readonly {
      readonly name?: string;
      readonly properties: {
        readonly privateDnsZoneId: string;
        readonly recordSets?: readonly {
          readonly recordType?: string;
          readonly recordSetName?: string;
          readonly fqdn?: string;
          readonly ttl?: number;
          readonly ipAddresses?: readonly string[];
          readonly provisioningState?: string;
        }[];
      };
    }[];
  };
}

/** Everything the network model reads, as plain data. Build it from the store; never mutate it. */
export interface NetworkSnapshot {
  readonly virtualNetworks: readonly VirtualNetwork[];
  readonly privateEndpoints: readonly PrivateEndpoint[];
  readonly networkInterfaces: readonly NetworkInterface[];
  readonly privateDnsZones: readonly PrivateDnsZone[];
  readonly virtualNetworkLinks: readonly VirtualNetworkLink[];
  readonly recordSets: readonly RecordSet[];
  readonly managedHsms: readonly ManagedHsm[];
  readonly vms: readonly Vm[];
  /** Private DNS zone groups of private endpoints, when the source read them (absent = not known). */
  readonly privateDnsZoneGroups?: readonly PrivateDnsZoneGroup[];
  /** Soft-deleted managed HSMs not yet purged (absent = not known): their names still resolve publicly. */
  readonly deletedManagedHsms?: readonly DeletedManagedHsm[];
}

/**
 * A soft-deleted managed HSM (`Microsoft.KeyVault/locations/deletedManagedHSMs`): kept, with its DNS record, until it
 * is purged (managed-hsm/soft-delete-overview.md: "The DNS record that corresponds to the HSM is also kept during the
 * retention interval").
 */
export interface DeletedManagedHsm {
  readonly name: string;
  readonly properties: {
    readonly mhsmId?: string;
    readonly location?: string;
    readonly deletionDate?: string;
    readonly scheduledPurgeDate?: string;
  };
}

/** The soft-deleted managed HSM named `name` (case-insensitive), if the snapshot knows one. */
export function findDeletedManagedHsmByName(snapshot: NetworkSnapshot, name: string): DeletedManagedHsm | undefined {
  const n = name.toLowerCase();
  return snapshot.deletedManagedHsms?.find((d) => d.name.toLowerCase() === n);
}

/** Where a request or a DNS query comes from: the public internet, or a simulated VM. */
export type Vantage = { readonly kind: "internet" } | { readonly kind: "vm"; readonly vm: Vm };

/** A snapshot with nothing in it; handy as a base for tests and for `{ ...EMPTY_SNAPSHOT, … }`. */
export const EMPTY_SNAPSHOT: NetworkSnapshot = Object.freeze({
  virtualNetworks: [],
  privateEndpoints: [],
  networkInterfaces: [],
  privateDnsZones: [],
  virtualNetworkLinks: [],
  recordSets: [],
  managedHsms: [],
  vms: [],
});

// ---------------------------------------------------------------------------------------------
// Resource ids
// ---------------------------------------------------------------------------------------------

/**
 * Canonical comparison key of an ARM resource id: trimmed, trailing `/` removed, lower-cased.
 * ARM ids are case-insensitive (learn.microsoft.com "Naming rules and restrictions for Azure
 * resources": resource names are case-insensitive); never compare raw ids with `===`.
 */
export function resourceIdKey(id: string): string {
  return id.trim().replace(/\/+$/, "").toLowerCase();
}

/** True when two ARM ids name the same resource (case-insensitive, see {@link resourceIdKey}). */
export function sameResourceId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && resourceIdKey(a) === resourceIdKey(b);
}

/** Last path segment of an ARM id (the resource's name), as stored. */
export function resourceName(id: string): string {
  const trimmed = id.trim().replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** The id with its last `levels` `/{type}/{name}` pairs removed, e.g. a subnet id → its VNet id. */
export function parentResourceId(id: string, levels = 1): string {
  const segments = id.trim().replace(/\/+$/, "").split("/");
  return segments.slice(0, Math.max(0, segments.length - 2 * levels)).join("/");
}

function equalsIgnoreCase(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------

/** The VNet with this id, or undefined. */
export function findVirtualNetwork(snapshot: NetworkSnapshot, vnetId: string): VirtualNetwork | undefined {
  return snapshot.virtualNetworks.find((v) => sameResourceId(v.id, vnetId));
}

/**
 * The VNet holding the subnet `…/virtualNetworks/{v}/subnets/{s}`, or undefined when that VNet is
 * not in the snapshot. The VNet is found from the id alone (the subnet need not be listed in
 * `properties.subnets`), because a subnet id is always its VNet id plus `/subnets/{name}`.
 */
export function vnetOfSubnet(snapshot: NetworkSnapshot, subnetId: string): VirtualNetwork | undefined {
  return findVirtualNetwork(snapshot, parentResourceId(subnetId));
}

/** The subnet object (from its VNet's `properties.subnets`) and its VNet, or undefined. */
export function findSubnet(
  snapshot: NetworkSnapshot,
  subnetId: string,
): { readonly vnet: VirtualNetwork; readonly subnet: Subnet } | undefined {
  const vnet = vnetOfSubnet(snapshot, subnetId);
  const subnet = vnet?.properties.subnets?.find((s) => sameResourceId(s.id, subnetId));
  return vnet && subnet ? { vnet, subnet } : undefined;
}

function connectedPeeringTo(vnet: VirtualNetwork, remoteId: string): VirtualNetworkPeering | undefined {
  return vnet.properties.virtualNetworkPeerings?.find(
    (p) =>
      sameResourceId(p.properties.remoteVirtualNetwork.id, remoteId) &&
      equalsIgnoreCase(p.properties.peeringState, "Connected") &&
      p.properties.allowVirtualNetworkAccess !== false,
  );
}

/**
 * VNets directly peered with `vnetId`, counting a peering only when BOTH sides exist, both say
 * `peeringState: Connected`, and neither sets `allowVirtualNetworkAccess: false`. A one-sided
 * peering is `Initiated` in Azure and carries no traffic; peering is not transitive, so peers of
 * peers are not returned. Result order follows the VNet's `virtualNetworkPeerings` list.
 * Source: learn.microsoft.com "Virtual network peering" (overview; peering status).
 */
export function peeredVnets(snapshot: NetworkSnapshot, vnetId: string): VirtualNetwork[] {
  const vnet = findVirtualNetwork(snapshot, vnetId);
  if (!vnet) return [];
  const result: VirtualNetwork[] = [];
  for (const peering of vnet.properties.virtualNetworkPeerings ?? []) {
    const remoteId = peering.properties.remoteVirtualNetwork.id;
    if (!connectedPeeringTo(vnet, remoteId)) continue;
    const remote = findVirtualNetwork(snapshot, remoteId);
    if (!remote || sameResourceId(remote.id, vnet.id)) continue;
    if (!connectedPeeringTo(remote, vnet.id)) continue;
    if (!result.some((r) => sameResourceId(r.id, remote.id))) result.push(remote);
  }
  return result;
}

/** `vnetId` itself followed by its connected peers ({@link peeredVnets}): the VNets whose private addresses a VM there can reach. */
export function reachableVnetIds(snapshot: NetworkSnapshot, vnetId: string): string[] {
  return [vnetId, ...peeredVnets(snapshot, vnetId).map((v) => v.id)];
}

/** A NIC ip configuration that holds a given private address. */
export interface NicMatch {
  readonly nic: NetworkInterface;
  readonly ipConfiguration: NetworkInterfaceIpConfiguration;
  readonly subnetId: string;
  readonly vnetId: string;
}

/**
 * The NIC ip configuration whose `privateIPAddress` equals `ip` and whose subnet belongs to one of
 * `vnetIds`. VNets are searched in the order given, so a caller passing
 * {@link reachableVnetIds} prefers the own VNet if address spaces ever overlap (Azure forbids
 * overlap between peered VNets, so this only matters for bad data). Addresses are compared
 * numerically (`10.0.0.4` ≡ stored `10.0.0.4`); an unparsable `ip` gives undefined.
 */
export function findNicByAddress(
  snapshot: NetworkSnapshot,
  vnetIds: readonly string[],
  ip: string,
): NicMatch | undefined {
  const wanted = tryParseIpv4(ip);
  if (wanted === undefined) return undefined;
  for (const vnetId of vnetIds) {
    for (const nic of snapshot.networkInterfaces) {
      for (const ipConfiguration of nic.properties.ipConfigurations) {
        const subnetId = ipConfiguration.properties.subnet?.id;
        const address = ipConfiguration.properties.privateIPAddress;
        if (subnetId === undefined || address === undefined) continue;
        if (!sameResourceId(parentResourceId(subnetId), vnetId)) continue;
        if (tryParseIpv4(address) !== wanted) continue;
        return { nic, ipConfiguration, subnetId, vnetId: parentResourceId(subnetId) };
      }
    }
  }
  return undefined;
}

/** The VM with this name (case-insensitive), or undefined. */
export function findVm(snapshot: NetworkSnapshot, name: string): Vm | undefined {
  return snapshot.vms.find((vm) => equalsIgnoreCase(vm.name, name));
}

/** The VM whose `privateIpAddress` is `ip` inside one of `vnetIds` (searched in that order), or undefined. */
export function findVmByPrivateAddress(
  snapshot: NetworkSnapshot,
  vnetIds: readonly string[],
  ip: string,
): Vm | undefined {
  const wanted = tryParseIpv4(ip);
  if (wanted === undefined) return undefined;
  for (const vnetId of vnetIds) {
    const vm = snapshot.vms.find(
      (v) => sameResourceId(v.vnetId, vnetId) && tryParseIpv4(v.privateIpAddress) === wanted,
    );
    if (vm) return vm;
  }
  return undefined;
}

/** The private endpoint owning a NIC (via the NIC's `privateEndpoint` back-reference or the PE's `networkInterfaces`), or undefined. */
export function privateEndpointOfNic(snapshot: NetworkSnapshot, nic: NetworkInterface): PrivateEndpoint | undefined {
  const backRef = nic.properties.privateEndpoint?.id;
  return snapshot.privateEndpoints.find(
    (pe) =>
      sameResourceId(pe.id, backRef) ||
      (pe.properties.networkInterfaces ?? []).some((n) => sameResourceId(n.id, nic.id)),
  );
}

/** A private endpoint's connection, flattened from either connection list. */
export interface PrivateEndpointConnectionRef {
  readonly name: string;
  /** True when it came from `manualPrivateLinkServiceConnections` (approval workflow). */
  readonly manualRequest: boolean;
  readonly privateLinkServiceId: string;
  readonly groupIds: readonly string[];
  /** The PE-side state; `{ status: 'Pending' }` when absent (a manual request not yet processed). */
  readonly state: PrivateLinkServiceConnectionState;
}

/** All connections of a private endpoint: auto-approved ones first, then manual ones, each in stored order. */
export function connectionsOfPrivateEndpoint(pe: PrivateEndpoint): PrivateEndpointConnectionRef[] {
  const flatten = (list: readonly PrivateLinkServiceConnection[] | undefined, manualRequest: boolean) =>
    (list ?? []).map((c) => ({
      name: c.name,
      manualRequest,
      privateLinkServiceId: c.properties.privateLinkServiceId,
      groupIds: c.properties.groupIds ?? [],
      state: c.properties.privateLinkServiceConnectionState ?? { status: "Pending" },
    }));
  return [
    ...flatten(pe.properties.privateLinkServiceConnections, false),
    ...flatten(pe.properties.manualPrivateLinkServiceConnections, true),
  ];
}

/**
 * Every private endpoint with at least one connection (any status, auto or manual) whose
 * `privateLinkServiceId` is `resourceId`, with those connections.
 */
export function privateEndpointsTargeting(
  snapshot: NetworkSnapshot,
  resourceId: string,
): { readonly privateEndpoint: PrivateEndpoint; readonly connections: readonly PrivateEndpointConnectionRef[] }[] {
  const result: { privateEndpoint: PrivateEndpoint; connections: PrivateEndpointConnectionRef[] }[] = [];
  for (const pe of snapshot.privateEndpoints) {
    const connections = connectionsOfPrivateEndpoint(pe).filter((c) =>
      sameResourceId(c.privateLinkServiceId, resourceId),
    );
    if (connections.length > 0) result.push({ privateEndpoint: pe, connections });
  }
  return result;
}

/** The managed HSM with this name (case-insensitive; HSM names are global DNS labels), or undefined. */
export function findManagedHsmByName(snapshot: NetworkSnapshot, name: string): ManagedHsm | undefined {
  return snapshot.managedHsms.find((h) => equalsIgnoreCase(h.name, name));
}

/** The managed HSM with this ARM id, or undefined. */
export function findManagedHsm(snapshot: NetworkSnapshot, hsmId: string): ManagedHsm | undefined {
  return snapshot.managedHsms.find((h) => sameResourceId(h.id, hsmId));
}

/** Zone id of a zone child: strips `/virtualNetworkLinks/{link}` or `/{recordType}/{name}` from the id. */
export function zoneIdOfChild(childId: string): string {
  return parentResourceId(childId);
}

/** The private DNS zone a virtual network link belongs to, or undefined. */
export function zoneOfLink(snapshot: NetworkSnapshot, link: VirtualNetworkLink): PrivateDnsZone | undefined {
  const zoneId = zoneIdOfChild(link.id);
  return snapshot.privateDnsZones.find((z) => sameResourceId(z.id, zoneId));
}

/** A zone linked to a VNet through a link. */
export interface LinkedZone {
  readonly zone: PrivateDnsZone;
  readonly link: VirtualNetworkLink;
}

/**
 * Private DNS zones linked to `vnetId`, each with its link, sorted by zone id key then link id key
 * so callers get a deterministic order. Links whose zone is missing from the snapshot are skipped.
 * Links of peered VNets are NOT included: Azure DNS in a VNet consults only zones linked to that
 * VNet (learn.microsoft.com "What is a virtual network link?").
 */
export function linkedZones(snapshot: NetworkSnapshot, vnetId: string): LinkedZone[] {
  const result: LinkedZone[] = [];
  for (const link of snapshot.virtualNetworkLinks) {
    if (!sameResourceId(link.properties.virtualNetwork.id, vnetId)) continue;
    const zone = zoneOfLink(snapshot, link);
    if (zone) result.push({ zone, link });
  }
  return result.sort(
    (a, b) =>
      compareKeys(resourceIdKey(a.zone.id), resourceIdKey(b.zone.id)) ||
      compareKeys(resourceIdKey(a.link.id), resourceIdKey(b.link.id)),
  );
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const RECORD_SET_TYPES: readonly RecordSetType[] = ["A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT"];

/**
 * The record type of a record set, from its `type` (`Microsoft.Network/privateDnsZones/A`) or, if
 * absent, the type segment of its id; upper-cased. Undefined when neither names a known type.
 */
export function recordSetType(recordSet: RecordSet): RecordSetType | undefined {
  const fromType = recordSet.type ? recordSet.type.slice(recordSet.type.lastIndexOf("/") + 1) : undefined;
  const segments = recordSet.id.trim().replace(/\/+$/, "").split("/");
  const fromId = segments.length >= 2 ? segments[segments.length - 2] : undefined;
  const candidate = (fromType ?? fromId ?? "").toUpperCase();
  return RECORD_SET_TYPES.find((t) => t === candidate);
}

/** Record sets of a zone (matched by the zone part of each record set's id). */
export function recordSetsOfZone(snapshot: NetworkSnapshot, zoneId: string): RecordSet[] {
  return snapshot.recordSets.filter((rs) => sameResourceId(zoneIdOfChild(rs.id), zoneId));
}

/** True when `a` and `b` are the same IPv4 address (numeric compare); false if either is not IPv4. */
export function sameIpv4(a: string, b: string): boolean {
  const x = tryParseIpv4(a);
  return x !== undefined && x === tryParseIpv4(b);
}
