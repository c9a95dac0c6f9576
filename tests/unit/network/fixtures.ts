// Builders for NetworkSnapshot fixtures in ARM wire shape (reference/control-plane.md §3–§5).
import type {
  ManagedHsm,
  NetworkInterface,
  NetworkSnapshot,
  PrivateDnsZone,
  PrivateEndpoint,
  RecordSet,
  VirtualNetwork,
  VirtualNetworkLink,
  Vm,
} from "../../../src/network/index.js";
import { EMPTY_SNAPSHOT } from "../../../src/network/index.js";

export const RG = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1";
const NET = `${RG}/providers/Microsoft.Network`;

export const ids = {
  vnet: (name: string) => `${NET}/virtualNetworks/${name}`,
  subnet: (vnet: string, subnet: string) => `${NET}/virtualNetworks/${vnet}/subnets/${subnet}`,
  pe: (name: string) => `${NET}/privateEndpoints/${name}`,
  nic: (name: string) => `${NET}/networkInterfaces/${name}`,
  zone: (name: string, rg = RG) => `${rg}/providers/Microsoft.Network/privateDnsZones/${name}`,
  link: (zone: string, link: string, rg = RG) => `${ids.zone(zone, rg)}/virtualNetworkLinks/${link}`,
  recordSet: (zone: string, type: string, name: string, rg = RG) => `${ids.zone(zone, rg)}/${type}/${name}`,
  hsm: (name: string) => `${RG}/providers/Microsoft.KeyVault/managedHSMs/${name}`,
};

export function vnet(
  name: string,
  prefix: string,
  subnets: Record<string, string>,
  options: {
    dnsServers?: string[];
    peerings?: { remote: string; state?: string; allowVirtualNetworkAccess?: boolean }[];
  } = {},
): VirtualNetwork {
  return {
    id: ids.vnet(name),
    name,
    type: "Microsoft.Network/virtualNetworks",
    location: "eastus",
    properties: {
      provisioningState: "Succeeded",
      addressSpace: { addressPrefixes: [prefix] },
      dhcpOptions: { dnsServers: options.dnsServers ?? [] },
      subnets: Object.entries(subnets).map(([subnet, addressPrefix]) => ({
        id: ids.subnet(name, subnet),
        name: subnet,
        properties: { addressPrefix, privateEndpointNetworkPolicies: "Disabled" },
      })),
      virtualNetworkPeerings: (options.peerings ?? []).map((p) => ({
        name: `${name}-to-${p.remote}`,
        properties: {
          remoteVirtualNetwork: { id: ids.vnet(p.remote) },
          peeringState: p.state ?? "Connected",
          ...(p.allowVirtualNetworkAccess === undefined
            ? {}
            : { allowVirtualNetworkAccess: p.allowVirtualNetworkAccess }),
        },
      })),
    },
  };
}

/** A private endpoint to `hsm` in `vnet/subnet` with its NIC at `ip`. */
export function privateEndpoint(
  name: string,
  vnetName: string,
  subnetName: string,
  hsmName: string,
  ip: string,
  options: { status?: string; manual?: boolean } = {},
): { pe: PrivateEndpoint; nic: NetworkInterface } {
  const nicName = `${name}.nic.0000`;
  const connection = {
    name: `${name}-conn`,
    properties: {
      privateLinkServiceId: ids.hsm(hsmName),
      groupIds: ["managedhsm"],
      privateLinkServiceConnectionState: {
        status: options.status ?? "Approved",
        description: "",
        actionsRequired: "None",
      },
    },
  };
  const pe: PrivateEndpoint = {
    id: ids.pe(name),
    name,
    location: "eastus",
    properties: {
      subnet: { id: ids.subnet(vnetName, subnetName) },
      privateLinkServiceConnections: options.manual ? [] : [connection],
      manualPrivateLinkServiceConnections: options.manual ? [connection] : [],
      networkInterfaces: [{ id: ids.nic(nicName) }],
      customDnsConfigs: [{ fqdn: `${hsmName}.managedhsm.azure.net`, ipAddresses: [ip] }],
    },
  };
  const nic: NetworkInterface = {
    id: ids.nic(nicName),
    name: nicName,
    properties: {
      privateEndpoint: { id: ids.pe(name) },
      ipConfigurations: [
        {
          name: "privateEndpointIpConfig.0000",
          properties: {
            privateIPAddress: ip,
            privateIPAllocationMethod: "Dynamic",
            subnet: { id: ids.subnet(vnetName, subnetName) },
            primary: true,
            privateLinkConnectionProperties: {
              groupId: "managedhsm",
              requiredMemberName: "default",
              fqdns: [`${hsmName}.managedhsm.azure.net`],
            },
          },
        },
      ],
    },
  };
  return { pe, nic };
}

export function zone(name: string, rg = RG): PrivateDnsZone {
  return { id: ids.zone(name, rg), name, type: "Microsoft.Network/privateDnsZones", location: "global" };
}

export function link(
  zoneName: string,
  linkName: string,
  vnetName: string,
  options: { registrationEnabled?: boolean; resolutionPolicy?: string; rg?: string } = {},
): VirtualNetworkLink {
  return {
    id: ids.link(zoneName, linkName, options.rg),
    name: linkName,
    location: "global",
    properties: {
      virtualNetwork: { id: ids.vnet(vnetName) },
      registrationEnabled: options.registrationEnabled ?? false,
      ...(options.resolutionPolicy ? { resolutionPolicy: options.resolutionPolicy } : {}),
    },
  };
}

export function aRecord(zoneName: string, name: string, addresses: string[], ttl = 3600, rg = RG): RecordSet {
  return {
    id: ids.recordSet(zoneName, "A", name, rg),
    name,
    type: "Microsoft.Network/privateDnsZones/A",
    properties: { ttl, fqdn: `${name}.${zoneName}.`, aRecords: addresses.map((ipv4Address) => ({ ipv4Address })) },
  };
}

export function cnameRecord(zoneName: string, name: string, cname: string, ttl = 300): RecordSet {
  return {
    id: ids.recordSet(zoneName, "CNAME", name),
    name,
    type: "Microsoft.Network/privateDnsZones/CNAME",
    properties: { ttl, cnameRecord: { cname } },
  };
}

export function soaRecord(zoneName: string): RecordSet {
  return {
    id: ids.recordSet(zoneName, "SOA", "@"),
    name: "@",
    type: "Microsoft.Network/privateDnsZones/SOA",
    properties: {
      ttl: 3600,
      fqdn: `${zoneName}.`,
      soaRecord: {
        email: "azureprivatedns-host.microsoft.com",
        expireTime: 2419200,
        host: "internal.cloudapp.net",
        minimumTtl: 300,
        refreshTime: 3600,
        retryTime: 300,
        serialNumber: 1,
      },
    },
  };
}

/** A managed HSM; `connections` are its HSM-side private endpoint connections (`pe` name → status). */
export function hsm(name: string, connections: { pe: string; status?: string }[] = []): ManagedHsm {
  return {
    id: ids.hsm(name),
    name,
    type: "Microsoft.KeyVault/managedHSMs",
    location: "eastus",
    properties: {
      hsmUri: `https://${name}.managedhsm.azure.net/`,
      publicNetworkAccess: "Enabled",
      networkAcls: { bypass: "AzureServices", defaultAction: "Deny", ipRules: [], virtualNetworkRules: [] },
      ...(connections.length > 0
        ? {
            privateEndpointConnections: connections.map((c) => ({
              id: `${ids.hsm(name)}/privateEndpointConnections/${c.pe}-conn`,
              properties: {
                privateEndpoint: { id: ids.pe(c.pe) },
                privateLinkServiceConnectionState: { status: c.status ?? "Approved", actionsRequired: "None" },
                provisioningState: "Succeeded",
              },
            })),
          }
        : {}),
    },
  };
}

export function vm(name: string, vnetName: string, subnetName: string, ip: string, extra: Partial<Vm> = {}): Vm {
  return {
    name,
    vnetId: ids.vnet(vnetName),
    subnetId: ids.subnet(vnetName, subnetName),
    privateIpAddress: ip,
    ...extra,
  };
}

export function snapshot(parts: Partial<NetworkSnapshot>): NetworkSnapshot {
  return { ...EMPTY_SNAPSHOT, ...parts };
}

export const ZONE = "privatelink.managedhsm.azure.net";

/**
 * The field-cases BASE: myhsm; vnet1 10.0.0.0/16 with subnet1 10.0.1.0/24; pe1 → myhsm at 10.0.1.4;
 * zone privatelink.managedhsm.azure.net linked to vnet1 via link1 with A myhsm → 10.0.1.4;
 * vm1 in vnet1 (10.0.1.5, public 192.0.2.10).
 */
export function base(): NetworkSnapshot {
  const { pe, nic } = privateEndpoint("pe1", "vnet1", "subnet1", "myhsm", "10.0.1.4");
  return snapshot({
    virtualNetworks: [vnet("vnet1", "10.0.0.0/16", { subnet1: "10.0.1.0/24" })],
    privateEndpoints: [pe],
    networkInterfaces: [nic],
    privateDnsZones: [zone(ZONE)],
    virtualNetworkLinks: [link(ZONE, "link1", "vnet1")],
    recordSets: [soaRecord(ZONE), aRecord(ZONE, "myhsm", ["10.0.1.4"])],
    managedHsms: [hsm("myhsm", [{ pe: "pe1" }])],
    vms: [vm("vm1", "vnet1", "subnet1", "10.0.1.5", { publicIpAddress: "192.0.2.10" })],
  });
}
