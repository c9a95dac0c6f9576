/**
 * Builds the pure {@link NetworkSnapshot} from the ARM resources in the store (their wire JSON, as the
 * resource-type modules under src/arm/resource-types/ write them) plus the simulated VMs.
 *
 * Read per request (every data-plane request, CONNECT and DNS query), so the snapshot is cached per store and
 * rebuilt only when the store's {@link Store.version} changed (any write, by any code path or process): a write
 * is seen by the next request. The cached snapshot is deep-frozen; treat it as read-only. Subnets may be stored both inline
 * in the VNet body and as child rows (`…/virtualNetworks/{v}/subnets/{s}`); child rows win, so a subnet
 * updated on its own (`az network vnet subnet update`) is seen as updated.
 */
import type { Store } from "../store/db.js";
import { perStore } from "../store/version-cache.js";
import { RESOURCE_TYPES } from "../kernel/azure-names.js";
import type { DeletedManagedHsm, NetworkSnapshot, RecordSet, Subnet, VirtualNetwork, Vm } from "./topology.js";
import { resourceIdKey } from "./topology.js";
import type * as Wire from "../kernel/arm-wire.js";

/** Store types (ARM `type`, compared case-insensitively by the repository). */
export const NETWORK_TYPES = {
  virtualNetwork: RESOURCE_TYPES.virtualNetwork,
  subnet: RESOURCE_TYPES.subnet,
  privateEndpoint: RESOURCE_TYPES.privateEndpoint,
  networkInterface: RESOURCE_TYPES.networkInterface,
  privateDnsZone: RESOURCE_TYPES.privateDnsZone,
  virtualNetworkLink: RESOURCE_TYPES.virtualNetworkLink,
  managedHsm: RESOURCE_TYPES.managedHsm,
  deletedManagedHsm: RESOURCE_TYPES.deletedManagedHsm,
  virtualMachine: RESOURCE_TYPES.virtualMachine,
} as const;

/** Record set types of a private DNS zone, as stored (`Microsoft.Network/privateDnsZones/A`, …). */
export const RECORD_SET_STORE_TYPES = ["A", "AAAA", "CNAME", "MX", "PTR", "SOA", "SRV", "TXT"].map(
  (t) => `Microsoft.Network/privateDnsZones/${t}`,
);

/**
 * The emulator's part of a stored VM (`properties.hsmlink` of the `Microsoft.Compute/virtualMachines` body):
 * the vantage-point facts the network model reads, plus the port of the VM's DNS listener.
 */
export interface StoredVmFacts {
  vnetId: string;
  subnetId: string;
  privateIpAddress: string;
  publicIpAddress?: string;
  dnsForwarder?: boolean;
  nicId: string;
  dnsPort?: number;
}

/** The `Microsoft.Compute/virtualMachines` body the VM service stores. */
export interface StoredVmBody {
  id: string;
  name: string;
  type: string;
  location: string;
  properties: {
    provisioningState: string;
    networkProfile: { networkInterfaces: { id: string }[] };
    hsmlink: StoredVmFacts;
  };
}

/** The {@link Vm} (vantage point) of a stored VM body, or undefined when the body lacks the facts. */
export function vmOfBody(body: StoredVmBody): Vm | undefined {
  const f = body.properties?.hsmlink;
  if (!f || typeof f.subnetId !== "string" || typeof f.privateIpAddress !== "string") return undefined;
  return {
    name: body.name,
    vnetId: f.vnetId,
    subnetId: f.subnetId,
    privateIpAddress: f.privateIpAddress,
    ...(f.publicIpAddress ? { publicIpAddress: f.publicIpAddress } : {}),
    ...(f.dnsForwarder ? { dnsForwarder: true } : {}),
  };
}

const snapshots = perStore<NetworkSnapshot>(1);

/**
 * Every network-relevant resource of `store` as a snapshot (deep-frozen, shared until the next write; see the
 * module comment). Never throws for odd stored bodies: rows missing `properties` are skipped.
 */
export function snapshotFromStore(store: Store): NetworkSnapshot {
  return snapshots(store).get("", () => deepFreeze(readSnapshot(store)));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Reads the stored bodies as their wire types (src/kernel/arm-wire.ts, what src/arm/ writes) and hands them on as the
 * network model's views of the same types: the compiler checks here that every stored body reads as its view.
 */
function readSnapshot(store: Store): NetworkSnapshot {
  const bodies = <T>(type: string): T[] =>
    store.resources
      .list<T>(type)
      .map((r) => r.body)
      .filter((b) => b && typeof b === "object" && (b as { properties?: unknown }).properties !== undefined);

  const subnetRows = bodies<Wire.Subnet>(NETWORK_TYPES.subnet);
  // Subnet rows by the key of their VNet (`…/virtualnetworks/{v}`), so merging is linear in VNets + subnets.
  const subnetsByVnet = new Map<string, Subnet[]>();
  for (const s of subnetRows) {
    const key = resourceIdKey(s.id);
    const at = key.lastIndexOf("/subnets/");
    if (at < 0) continue;
    const vnetKey = key.slice(0, at);
    const list = subnetsByVnet.get(vnetKey);
    if (list) list.push(s);
    else subnetsByVnet.set(vnetKey, [s]);
  }
  const virtualNetworks = bodies<Wire.VirtualNetwork>(NETWORK_TYPES.virtualNetwork).map((vnet) =>
    mergeSubnets(vnet, subnetsByVnet.get(resourceIdKey(vnet.id)) ?? []),
  );
  const recordSets: RecordSet[] = [];
  for (const t of RECORD_SET_STORE_TYPES) recordSets.push(...bodies<Wire.RecordSet>(t));
  const vms: Vm[] = [];
  for (const body of bodies<StoredVmBody>(NETWORK_TYPES.virtualMachine)) {
    const vm = vmOfBody(body);
    if (vm) vms.push(vm);
  }
  return {
    virtualNetworks,
    privateEndpoints: bodies<Wire.PrivateEndpoint>(NETWORK_TYPES.privateEndpoint),
    networkInterfaces: bodies<Wire.NetworkInterface>(NETWORK_TYPES.networkInterface),
    privateDnsZones: store.resources.list<Wire.PrivateDnsZone>(NETWORK_TYPES.privateDnsZone).map((r) => r.body),
    virtualNetworkLinks: bodies<Wire.VirtualNetworkLink>(NETWORK_TYPES.virtualNetworkLink),
    recordSets,
    managedHsms: bodies<Wire.ManagedHsm>(NETWORK_TYPES.managedHsm),
    deletedManagedHsms: bodies<DeletedManagedHsm>(NETWORK_TYPES.deletedManagedHsm),
    vms,
  };
}

/** `rows`: the subnet rows under this VNet (their id starts with the VNet's id + `/subnets/`). */
function mergeSubnets(vnet: VirtualNetwork, rows: readonly Subnet[]): VirtualNetwork {
  if (rows.length === 0) return vnet;
  const merged = new Map<string, Subnet>();
  for (const s of vnet.properties.subnets ?? []) if (s.id) merged.set(resourceIdKey(s.id), s);
  for (const s of rows) merged.set(resourceIdKey(s.id), s);
  return { ...vnet, properties: { ...vnet.properties, subnets: [...merged.values()] } };
}
