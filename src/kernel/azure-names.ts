/**
 * Azure's names in one place: the emulated host names, the managed HSM DNS zones and the one parser of a
 * managed HSM data-plane host, and the region names of the public cloud.
 *
 * Host names follow "Azure Private Link DNS zone values" (learn.microsoft.com/azure/private-link/private-endpoint-dns):
 * a managed HSM is `{name}.managedhsm.azure.net`, its private endpoint record lives in
 * `privatelink.managedhsm.azure.net`.
 */

/** Azure Resource Manager. */
export const ARM_HOST = "management.azure.com";
/** Entra ID (login). */
export const LOGIN_HOST = "login.microsoftonline.com";
/** The instance metadata service (managed identity tokens from inside a VM). */
export const IMDS_HOST = "169.254.169.254";
/** Microsoft Graph: not emulated; hsmlink answers every request there with an error that says so. */
export const GRAPH_HOST = "graph.microsoft.com";
/**
 * Azure Blob Storage, `{account}.blob.core.windows.net` (account: 3–24 lower-case letters and digits); served by
 * Azurite behind the gateway (src/hsm/backup/blob-storage.ts).
 */
export const BLOB_HOST_PATTERN = /^[a-z0-9]{3,24}\.blob\.core\.windows\.net$/;
/** The public DNS zone of managed HSM data-plane hosts. */
export const MANAGED_HSM_PUBLIC_ZONE = "managedhsm.azure.net";
/** The private DNS zone Azure's private endpoint DNS integration uses for managed HSMs. */
export const MANAGED_HSM_PRIVATELINK_ZONE = "privatelink.managedhsm.azure.net";
/** The token audience (resource) of the managed HSM data plane. */
export const MHSM_RESOURCE = "https://managedhsm.azure.net";

/** Lower-cases a DNS name and drops surrounding whitespace and one trailing dot. */
export function normalizeDnsName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed;
}

/** A managed HSM host: the HSM's name (lower case) and the zone it was named in. */
export interface ManagedHsmHost {
  readonly hsmName: string;
  /** True for `{name}.privatelink.managedhsm.azure.net`, false for `{name}.managedhsm.azure.net`. */
  readonly privatelink: boolean;
}

/**
 * THE parser of a managed HSM host: `{hsm}.managedhsm.azure.net` (`privatelink: false`) or
 * `{hsm}.privatelink.managedhsm.azure.net` (`privatelink: true`); undefined for anything else. The name is one DNS
 * label. A port suffix is not accepted; pass the bare host.
 *
 * `privatelink.managedhsm.azure.net` itself is the private zone's apex, never an HSM host (hsmlink's choice: an HSM
 * literally named `privatelink` is not addressable by its public name, because its public name is the zone Azure's
 * private DNS integration uses; Azure's behaviour for that name is not documented).
 */
export function parseManagedHsmHost(host: string): ManagedHsmHost | undefined {
  const name = normalizeDnsName(host);
  for (const [zone, privatelink] of [
    [MANAGED_HSM_PRIVATELINK_ZONE, true],
    [MANAGED_HSM_PUBLIC_ZONE, false],
  ] as const) {
    if (!name.endsWith(`.${zone}`)) continue;
    const label = name.slice(0, -(zone.length + 1));
    if (label.length === 0 || label.includes(".")) return undefined;
    if (!privatelink && label === "privatelink") return undefined;
    return { hsmName: label, privatelink };
  }
  return undefined;
}

/**
 * The HSM name of a data-plane host a client addresses: `{name}.managedhsm.azure.net`, one DNS label of letters,
 * digits and hyphens; undefined otherwise (also for the privatelink alias, which clients never address: its
 * certificate would not match).
 */
export function managedHsmNameOfHost(host: string): string | undefined {
  // A pure function of the host, asked several times per data-plane request: answers are kept per host (null for
  // none), at most HOST_NAMES_KEPT of them (the set starts over when full).
  const kept = hsmNameOfHost.get(host);
  if (kept !== undefined) return kept ?? undefined;
  const parsed = parseManagedHsmHost(host);
  const name = parsed && !parsed.privatelink && /^[a-z0-9-]{1,63}$/.test(parsed.hsmName) ? parsed.hsmName : undefined;
  if (hsmNameOfHost.size >= HOST_NAMES_KEPT) hsmNameOfHost.clear();
  hsmNameOfHost.set(host, name ?? null);
  return name;
}
const HOST_NAMES_KEPT = 1024;
const hsmNameOfHost = new Map<string, string | null>();

/** Regions the emulated cloud offers (Azure public cloud region names). */
export const KNOWN_LOCATIONS = [
  "eastus",
  "eastus2",
  "westus",
  "westus2",
  "westus3",
  "centralus",
  "northcentralus",
  "southcentralus",
  "westcentralus",
  "canadacentral",
  "canadaeast",
  "brazilsouth",
  "northeurope",
  "westeurope",
  "uksouth",
  "ukwest",
  "francecentral",
  "germanywestcentral",
  "norwayeast",
  "swedencentral",
  "switzerlandnorth",
  "polandcentral",
  "italynorth",
  "spaincentral",
  "eastasia",
  "southeastasia",
  "japaneast",
  "japanwest",
  "australiaeast",
  "australiasoutheast",
  "centralindia",
  "southindia",
  "koreacentral",
  "uaenorth",
  "southafricanorth",
  "qatarcentral",
  "israelcentral",
  "mexicocentral",
  "eastus2euap",
  "centraluseuap",
];

/** Normalises a user-given region ("West Europe", "westeurope") to Azure's short name, or undefined. */
export function normalizeLocation(loc: unknown): string | undefined {
  if (typeof loc !== "string") return undefined;
  const key = loc.replace(/\s+/g, "").toLowerCase();
  return KNOWN_LOCATIONS.includes(key) ? key : key === "global" ? "global" : undefined;
}

/** Resource provider namespaces hsmlink serves. */
export const NAMESPACES = {
  network: "Microsoft.Network",
  keyVault: "Microsoft.KeyVault",
  resources: "Microsoft.Resources",
  compute: "Microsoft.Compute",
} as const;

/**
 * ARM resource types as stored and compared (canonical casing of the REST specs). Where the wire spells a type
 * differently (e.g. the managed HSM's private endpoint connections), the resource type's module says so.
 */
export const RESOURCE_TYPES = {
  resourceGroup: "Microsoft.Resources/resourceGroups",
  managedHsm: "Microsoft.KeyVault/managedHSMs",
  managedHsmPrivateEndpointConnection: "Microsoft.KeyVault/managedHSMs/privateEndpointConnections",
  managedHsmPrivateLinkResource: "Microsoft.KeyVault/managedHSMs/privateLinkResources",
  deletedManagedHsm: "Microsoft.KeyVault/deletedManagedHSMs",
  virtualNetwork: "Microsoft.Network/virtualNetworks",
  subnet: "Microsoft.Network/virtualNetworks/subnets",
  virtualNetworkPeering: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
  privateEndpoint: "Microsoft.Network/privateEndpoints",
  privateDnsZoneGroup: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
  networkInterface: "Microsoft.Network/networkInterfaces",
  networkInterfaceIpConfiguration: "Microsoft.Network/networkInterfaces/ipConfigurations",
  privateDnsZone: "Microsoft.Network/privateDnsZones",
  virtualNetworkLink: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
  virtualMachine: "Microsoft.Compute/virtualMachines",
} as const;
