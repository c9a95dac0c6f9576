/**
 * Builds a {@link NetworkSnapshot} from a flat JSON array of ARM resources, whatever printed them:
 * ARM GET/list bodies (`properties` level), `az network … list/show` (AAZ output is FLATTENED: no
 * `properties` level, plus `resourceGroup`), `az resource list --expand properties`, `az graph query`.
 *
 * Pure: no I/O. Resources are grouped by `type` (case-insensitive), child types included
 * (`Microsoft.Network/virtualNetworks/subnets`, `Microsoft.Network/privateDnsZones/virtualNetworkLinks`,
 * `Microsoft.Network/privateDnsZones/{A,AAAA,…}`, `Microsoft.KeyVault/managedHSMs/privateEndpointConnections`,
 * `Microsoft.Network/privateEndpoints/privateDnsZoneGroups`).
 * Only the fields the network model reads are normalised; everything else is kept as given. Unknown types are
 * ignored. What the export lacks for a complete picture is reported in `missing` (one sentence per gap), e.g. a
 * private endpoint whose NIC is not in the export, or a zone exported without its record sets.
 */
import {
  EMPTY_SNAPSHOT,
  parentResourceId,
  resourceIdKey,
  sameResourceId,
  type ManagedHsm,
  type ManagedHsmPrivateEndpointConnection,
  type NetworkInterface,
  type NetworkSnapshot,
  type PrivateDnsZone,
  type PrivateDnsZoneGroup,
  type PrivateEndpoint,
  type RecordSet,
  type Subnet,
  type VirtualNetwork,
  type VirtualNetworkLink,
  type Vm,
} from "./topology.js";

/** Result of {@link snapshotFromResources}. */
export interface SnapshotFromResources {
  readonly snapshot: NetworkSnapshot;
  /** Human sentences naming what the export lacks (resources referenced but absent, bodies without properties). */
  readonly missing: string[];
  /**
   * Ids of resources of a type this module reads that came without properties (`properties: null`, as plain
   * `az resource list` prints them): the snapshot cannot use them. See {@link EXPORT_COMMANDS}.
   */
  readonly withoutProperties: string[];
}

/** The az commands whose output carries the properties the snapshot needs (for messages). */
export const EXPORT_COMMANDS =
  "'az keyvault list --resource-type hsm', 'az network vnet list', 'az network private-endpoint list', 'az network nic list', " +
  "'az network private-dns zone list', 'az network private-dns link vnet list -z ZONE' and 'az network private-dns record-set list -z ZONE' " +
  "(each with -g RG), concatenated into one JSON array; or 'az resource show --ids ID …'";

/** Lower-cased ARM types this module reads. */
export const RESOURCE_TYPES = {
  managedHsm: "microsoft.keyvault/managedhsms",
  hsmConnection: "microsoft.keyvault/managedhsms/privateendpointconnections",
  virtualNetwork: "microsoft.network/virtualnetworks",
  subnet: "microsoft.network/virtualnetworks/subnets",
  privateEndpoint: "microsoft.network/privateendpoints",
  networkInterface: "microsoft.network/networkinterfaces",
  privateDnsZone: "microsoft.network/privatednszones",
  virtualNetworkLink: "microsoft.network/privatednszones/virtualnetworklinks",
  virtualMachine: "microsoft.compute/virtualmachines",
  privateDnsZoneGroup: "microsoft.network/privateendpoints/privatednszonegroups",
} as const;

const RECORD_TYPES = ["a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt"];

/** Top-level keys that are never moved under `properties` when un-flattening az output. */
const ENVELOPE_KEYS = new Set([
  "id",
  "name",
  "type",
  "location",
  "etag",
  "tags",
  "sku",
  "kind",
  "identity",
  "systemData",
  "managedBy",
  "resourceGroup",
  "extendedLocation",
  "zones",
  "plan",
  "properties",
  "changedTime",
  "createdTime",
]);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The resource with a `properties` object: as given when it has one, else built from the flattened
 * (az AAZ) keys. A body with `properties: null` (plain `az resource list`) gets `undefined` back.
 */
function unflatten(r: Json): Json | undefined {
  if (isObject(r.properties)) return r;
  if (r.properties === null) return undefined;
  const properties: Json = {};
  const envelope: Json = {};
  for (const [k, v] of Object.entries(r)) (ENVELOPE_KEYS.has(k) ? envelope : properties)[k] = v;
  return { ...envelope, properties };
}

function props(r: Json): Json {
  return isObject(r.properties) ? r.properties : {};
}

function arrayOf(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** `{id}` sub-resource or undefined. */
function subRes(v: unknown): { id: string } | undefined {
  const id = isObject(v) ? str(v.id) : undefined;
  return id ? { id } : undefined;
}

function subResList(v: unknown): { id: string }[] {
  return arrayOf(v)
    .map(subRes)
    .filter((x): x is { id: string } => x !== undefined);
}

function normalizeSubnet(raw: Json): Subnet | undefined {
  const s = unflatten(raw);
  if (!s || !str(s.id)) return undefined;
  const p = props(s);
  return { ...(s as object), id: str(s.id)!, name: str(s.name) ?? "", properties: { ...p } } as Subnet;
}

function normalizeVnet(r: Json): VirtualNetwork {
  const p = props(r);
  const addressSpace = isObject(p.addressSpace) ? p.addressSpace : {};
  const prefixes = Array.isArray(addressSpace.addressPrefixes) ? (addressSpace.addressPrefixes as string[]) : [];
  const peerings = arrayOf(p.virtualNetworkPeerings).map((x) => {
    const pr = unflatten(x) ?? { properties: {} };
    const pp = props(pr);
    return { ...pr, properties: { ...pp, remoteVirtualNetwork: subRes(pp.remoteVirtualNetwork) ?? { id: "" } } };
  });
  const subnets = arrayOf(p.subnets)
    .map(normalizeSubnet)
    .filter((s): s is Subnet => s !== undefined);
  return {
    ...(r as object),
    properties: {
      ...p,
      addressSpace: { ...addressSpace, addressPrefixes: prefixes },
      subnets,
      virtualNetworkPeerings: peerings,
    },
  } as unknown as VirtualNetwork;
}

function normalizeConnections(v: unknown): Json[] {
  return arrayOf(v).map((c) => {
    const u = unflatten(c) ?? { properties: {} };
    const p = props(u);
    return {
      ...u,
      name: str(u.name) ?? "",
      properties: { ...p, privateLinkServiceId: str(p.privateLinkServiceId) ?? "" },
    };
  });
}

function normalizePrivateEndpoint(r: Json): PrivateEndpoint {
  const p = props(r);
  return {
    ...(r as object),
    properties: {
      ...p,
      subnet: subRes(p.subnet) ?? { id: "" },
      privateLinkServiceConnections: normalizeConnections(p.privateLinkServiceConnections),
      manualPrivateLinkServiceConnections: normalizeConnections(p.manualPrivateLinkServiceConnections),
      networkInterfaces: subResList(p.networkInterfaces),
    },
  } as unknown as PrivateEndpoint;
}

function normalizeNic(r: Json): NetworkInterface {
  const p = props(r);
  const ipConfigurations = arrayOf(p.ipConfigurations).map((c) => {
    const u = unflatten(c) ?? { properties: {} };
    const cp = props(u);
    // Wire spelling `privateIPAddress`; az prints `privateIpAddress`.
    const address = str(cp.privateIPAddress) ?? str(cp.privateIpAddress);
    const subnet = subRes(cp.subnet);
    return {
      ...u,
      name: str(u.name) ?? "",
      properties: { ...cp, ...(address ? { privateIPAddress: address } : {}), ...(subnet ? { subnet } : {}) },
    };
  });
  const pe = subRes(p.privateEndpoint);
  return {
    ...(r as object),
    properties: { ...p, ipConfigurations, ...(pe ? { privateEndpoint: pe } : {}) },
  } as unknown as NetworkInterface;
}

function normalizeLink(r: Json): VirtualNetworkLink {
  const p = props(r);
  return {
    ...(r as object),
    properties: {
      ...p,
      virtualNetwork: subRes(p.virtualNetwork) ?? { id: "" },
      registrationEnabled: p.registrationEnabled === true,
    },
  } as VirtualNetworkLink;
}

function normalizeRecordSet(r: Json): RecordSet {
  const p = props(r);
  // az prints `aRecords` etc. at the top level (flattened); the keys are the same names.
  return { ...(r as object), properties: { ...p } } as RecordSet;
}

function normalizeZoneGroup(r: Json): PrivateDnsZoneGroup {
  const p = props(r);
  // az prints each config flattened too (`privateDnsZoneId` next to `name`).
  const privateDnsZoneConfigs = arrayOf(p.privateDnsZoneConfigs).map((c) => {
    const u = unflatten(c) ?? { properties: {} };
    const cp = props(u);
    return {
      ...u,
      properties: { ...cp, privateDnsZoneId: str(cp.privateDnsZoneId) ?? "", recordSets: arrayOf(cp.recordSets) },
    };
  });
  return { ...(r as object), properties: { ...p, privateDnsZoneConfigs } } as unknown as PrivateDnsZoneGroup;
}

function normalizeHsmConnection(raw: Json): ManagedHsmPrivateEndpointConnection {
  const u = unflatten(raw) ?? { properties: {} };
  return { ...(u as object), properties: { ...props(u) } } as ManagedHsmPrivateEndpointConnection;
}

function normalizeHsm(r: Json): ManagedHsm {
  const p = props(r);
  const conns = Array.isArray(p.privateEndpointConnections)
    ? arrayOf(p.privateEndpointConnections).map(normalizeHsmConnection)
    : undefined;
  return {
    ...(r as object),
    properties: { ...p, ...(conns ? { privateEndpointConnections: conns } : {}) },
  } as ManagedHsm;
}

/** The simulated VM a `Microsoft.Compute/virtualMachines` body of hsmlink describes (`properties.hsmlink`), or undefined. */
function vmOf(r: Json): Vm | undefined {
  const f = props(r).hsmlink;
  if (!isObject(f)) return undefined;
  const subnetId = str(f.subnetId);
  const ip = str(f.privateIpAddress);
  const name = str(r.name);
  if (!subnetId || !ip || !name) return undefined;
  const publicIp = str(f.publicIpAddress);
  return {
    name,
    vnetId: str(f.vnetId) ?? parentResourceId(subnetId),
    subnetId,
    privateIpAddress: ip,
    ...(publicIp ? { publicIpAddress: publicIp } : {}),
    ...(f.dnsForwarder === true ? { dnsForwarder: true } : {}),
  };
}

/**
 * Groups `resources` by type into a snapshot and reports gaps. Accepts both wire and az-flattened shapes,
 * nested arrays (`{"value": [...]}`) and duplicates (the last body of an id wins). `vms` are added to the
 * VMs read from `Microsoft.Compute/virtualMachines` bodies. Never throws for odd input: non-objects and
 * resources without an `id` are skipped.
 */
export function snapshotFromResources(resources: unknown[], vms: readonly Vm[] = []): SnapshotFromResources {
  const missing: string[] = [];
  const withoutProperties: string[] = [];
  const byType = new Map<string, Map<string, Json>>();
  const flat: unknown[] = [];
  const push = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(push);
    else if (isObject(x) && Array.isArray(x.value) && x.id === undefined) x.value.forEach(push);
    else flat.push(x);
  };
  resources.forEach(push);

  for (const raw of flat) {
    if (!isObject(raw)) continue;
    const id = str(raw.id);
    const type = str(raw.type)?.toLowerCase();
    if (!id || !type) continue;
    const r = unflatten(raw);
    if (!r) {
      if (isReadType(type)) {
        withoutProperties.push(id);
        missing.push(
          `${raw.type} ${id} was exported without properties ('az resource list' prints properties: null; export with ${EXPORT_COMMANDS})`,
        );
      }
      continue;
    }
    if (!byType.has(type)) byType.set(type, new Map());
    byType.get(type)!.set(resourceIdKey(id), r);
  }
  const of = (type: string): Json[] => [...(byType.get(type)?.values() ?? [])];

  // VNets, with child subnet rows merged in (child rows win).
  const subnetRows = of(RESOURCE_TYPES.subnet)
    .map(normalizeSubnet)
    .filter((s): s is Subnet => s !== undefined);
  const vnetById = new Map<string, VirtualNetwork>();
  for (const v of of(RESOURCE_TYPES.virtualNetwork).map(normalizeVnet)) vnetById.set(resourceIdKey(v.id), v);
  for (const s of subnetRows) {
    const key = resourceIdKey(parentResourceId(s.id));
    const vnet = vnetById.get(key);
    if (!vnet) {
      missing.push(`virtual network ${parentResourceId(s.id)} of exported subnet ${s.id}`);
      continue;
    }
    const subnets = (vnet.properties.subnets ?? []).filter((x) => !sameResourceId(x.id, s.id));
    vnetById.set(key, { ...vnet, properties: { ...vnet.properties, subnets: [...subnets, s] } });
  }
  const virtualNetworks = [...vnetById.values()];

  const privateEndpoints = of(RESOURCE_TYPES.privateEndpoint).map(normalizePrivateEndpoint);
  const privateDnsZoneGroups = of(RESOURCE_TYPES.privateDnsZoneGroup).map(normalizeZoneGroup);
  const networkInterfaces = of(RESOURCE_TYPES.networkInterface).map(normalizeNic);
  const privateDnsZones = of(RESOURCE_TYPES.privateDnsZone) as unknown as PrivateDnsZone[];
  const virtualNetworkLinks = of(RESOURCE_TYPES.virtualNetworkLink).map(normalizeLink);
  const recordSets: RecordSet[] = [];
  for (const t of RECORD_TYPES)
    recordSets.push(...of(`microsoft.network/privatednszones/${t}`).map(normalizeRecordSet));

  // HSMs, with child privateEndpointConnections merged in when the HSM body lacks them.
  const connRows = of(RESOURCE_TYPES.hsmConnection).map(normalizeHsmConnection);
  const managedHsms = of(RESOURCE_TYPES.managedHsm).map((raw) => {
    const hsm = normalizeHsm(raw);
    const children = connRows.filter((c) => c.id !== undefined && sameResourceId(parentResourceId(c.id), hsm.id));
    if (children.length === 0) return hsm;
    const own = hsm.properties.privateEndpointConnections ?? [];
    const merged = [...own.filter((o) => !children.some((c) => sameResourceId(c.id, o.id))), ...children];
    return { ...hsm, properties: { ...hsm.properties, privateEndpointConnections: merged } } as ManagedHsm;
  });

  const allVms: Vm[] = [...vms];
  for (const r of of(RESOURCE_TYPES.virtualMachine)) {
    const vm = vmOf(r);
    if (vm && !allVms.some((v) => v.name.toLowerCase() === vm.name.toLowerCase())) allVms.push(vm);
  }

  const snapshot: NetworkSnapshot = {
    ...EMPTY_SNAPSHOT,
    virtualNetworks,
    privateEndpoints,
    networkInterfaces,
    privateDnsZones,
    virtualNetworkLinks,
    recordSets,
    managedHsms,
    vms: allVms,
    ...(byType.has(RESOURCE_TYPES.privateDnsZoneGroup) ? { privateDnsZoneGroups } : {}),
  };
  missing.push(...gaps(snapshot));
  return { snapshot, missing, withoutProperties };
}

/** True for a (lower-cased) type {@link snapshotFromResources} reads. */
function isReadType(type: string): boolean {
  return (
    (Object.values(RESOURCE_TYPES) as string[]).includes(type) ||
    RECORD_TYPES.some((t) => type === `microsoft.network/privatednszones/${t}`)
  );
}

/** Resources the snapshot references but does not hold. */
function gaps(s: NetworkSnapshot): string[] {
  const out: string[] = [];
  const has = (list: readonly { id: string }[], id: string) => list.some((x) => sameResourceId(x.id, id));
  for (const pe of s.privateEndpoints) {
    const nics = pe.properties.networkInterfaces ?? [];
    if (nics.length === 0) out.push(`private endpoint ${pe.id} lists no network interface (its private IP is unknown)`);
    for (const n of nics)
      if (!has(s.networkInterfaces, n.id)) out.push(`network interface ${n.id} of private endpoint ${pe.id}`);
    const subnetId = pe.properties.subnet.id;
    if (subnetId && !has(s.virtualNetworks, parentResourceId(subnetId)))
      out.push(`virtual network ${parentResourceId(subnetId)} of private endpoint ${pe.id}`);
  }
  for (const zone of s.privateDnsZones) {
    const records = s.recordSets.filter((r) => sameResourceId(parentResourceId(r.id), zone.id));
    if (records.length === 0)
      out.push(
        `record sets of private DNS zone ${zone.id} (none exported; list them with 'az network private-dns record-set list -g <rg> -z ${zone.name}')`,
      );
    const declaredLinks = zone.properties?.numberOfVirtualNetworkLinks;
    const links = s.virtualNetworkLinks.filter((l) => sameResourceId(parentResourceId(l.id), zone.id));
    if (typeof declaredLinks === "number" && declaredLinks > links.length) {
      out.push(`virtual network links of private DNS zone ${zone.id} (${links.length} of ${declaredLinks} exported)`);
    }
  }
  for (const link of s.virtualNetworkLinks)
    if (!has(s.privateDnsZones, parentResourceId(link.id)))
      out.push(`private DNS zone ${parentResourceId(link.id)} of virtual network link ${link.id}`);
  for (const rs of s.recordSets) {
    if (!has(s.privateDnsZones, parentResourceId(rs.id)))
      out.push(`private DNS zone ${parentResourceId(rs.id)} of record set ${rs.id}`);
  }
  for (const hsm of s.managedHsms) {
    for (const c of hsm.properties.privateEndpointConnections ?? []) {
      const peId = c.properties.privateEndpoint?.id;
      if (peId && !has(s.privateEndpoints, peId))
        out.push(`private endpoint ${peId} of managed HSM ${hsm.id} (connection ${c.id ?? "?"})`);
    }
  }
  return [...new Set(out)];
}
