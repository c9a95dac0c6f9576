/**
 * The ARM wire JSON of the resources hsmlink serves and the network model reads, declared once: what a GET returns
 * (the REST specs' shapes: Microsoft.Network virtualNetwork.json, privateEndpoint.json, networkInterface.json and
 * privatedns.json; Microsoft.KeyVault managedHsm.json; reference/control-plane.md §3–§5), which is also what the
 * store holds (src/arm/resource-types/ writes every body complete). Fields hsmlink always writes are required here.
 *
 * A reader of JSON that may come from Azure itself (a user's report) or from a hand-made fixture takes a
 * {@link ReadView} of these types (src/network/topology.ts): read-only, only the fields it relies on required.
 */

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

/** `T` read-only all the way down. */
export type Frozen<T> = T extends readonly (infer E)[]
  ? readonly Frozen<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Frozen<T[K]> }
    : T;

/**
 * How a tolerant reader sees wire type `T`: read-only all the way down, every field optional, string and boolean
 * literal types widened (Azure may send values hsmlink never writes). A `{id}` reference keeps its `id`.
 */
export type Loose<T> = T extends string
  ? string
  : T extends boolean
    ? boolean
    : T extends readonly (infer E)[]
      ? readonly Loose<E>[]
      : T extends object
        ? [keyof T] extends ["id"]
          ? Frozen<T>
          : { readonly [K in keyof T]?: Loose<T[K]> }
        : T;

/** {@link Loose} `T` with the fields `K` present. */
export type ReadView<T, K extends keyof T = never> = Omit<Loose<T>, K> & {
  readonly [P in K]-?: Loose<NonNullable<T[P]>>;
};

/**
 * The fields `K` of `T` read as declared when present (read-only): for small values Azure always sends whole, such as
 * DNS records and IP rules.
 */
export type AsDeclared<T, K extends keyof T> = { readonly [P in K]?: Frozen<NonNullable<T[P]>> };

/** `T` with the fields of `R` replaced by `R`'s. */
export type Override<T, R> = Omit<T, keyof R> & R;

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/** The fields every ARM sub-resource (subnet, peering, IP configuration, connection entry) carries. */
export interface ArmSubResource {
  id: string;
  name: string;
  etag: string;
  type: string;
}

/** The fields every tracked ARM resource carries besides its properties (ARM RPC: location and tags). */
export interface ArmTrackedResource extends ArmSubResource {
  location: string;
  tags?: Record<string, string>;
}

/** `{ "id": … }` reference to another resource (`SubResource`). */
export interface SubResource {
  id: string;
}

/** `privateLinkServiceConnectionState`, on the private endpoint side and the service (HSM) side. */
export interface PrivateLinkServiceConnectionState {
  /** `Pending` | `Approved` | `Rejected` | `Disconnected`. */
  status: string;
  /** Absent on the HSM side of an automatically approved connection (recorded). */
  description?: string;
  actionsRequired: string;
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network: virtual networks (control-plane.md §4.1, §4.2)
// ---------------------------------------------------------------------------------------------

/** `Microsoft.Network/virtualNetworks/subnets`. */
export interface Subnet extends ArmSubResource {
  properties: {
    provisioningState: string;
    addressPrefix?: string;
    addressPrefixes?: string[];
    delegations: unknown[];
    serviceEndpoints?: unknown[];
    privateEndpointNetworkPolicies: string;
    privateLinkServiceNetworkPolicies: string;
    /** Read-only back-references: NIC ip configurations in this subnet (present only when non-empty). */
    ipConfigurations?: SubResource[];
    /** Read-only back-references: private endpoints in this subnet (present only when non-empty). */
    privateEndpoints?: SubResource[];
  };
}

/** `Microsoft.Network/virtualNetworks/virtualNetworkPeerings`. */
export interface VirtualNetworkPeering extends ArmSubResource {
  properties: {
    provisioningState: string;
    resourceGuid: string;
    remoteVirtualNetwork: SubResource;
    allowVirtualNetworkAccess: boolean;
    allowForwardedTraffic: boolean;
    allowGatewayTransit: boolean;
    useRemoteGateways: boolean;
    doNotVerifyRemoteGateways: boolean;
    /** `Initiated` (the reverse peering does not exist), `Connected`, `Disconnected` (the reverse was deleted). */
    peeringState: "Initiated" | "Connected" | "Disconnected";
    peeringSyncLevel: string;
    remoteAddressSpace: { addressPrefixes: string[] };
    remoteVirtualNetworkAddressSpace: { addressPrefixes: string[] };
  };
}

/** `Microsoft.Network/virtualNetworks`; embeds its subnets and peerings as a GET returns them. */
export interface VirtualNetwork extends ArmTrackedResource {
  properties: {
    provisioningState: string;
    resourceGuid: string;
    addressSpace: { addressPrefixes: string[] };
    /** Custom DNS servers; empty = Azure-provided DNS (168.63.129.16). */
    dhcpOptions: { dnsServers: string[] };
    subnets: Subnet[];
    virtualNetworkPeerings: VirtualNetworkPeering[];
    enableDdosProtection: boolean;
    enableVmProtection?: boolean;
    ddosProtectionPlan?: SubResource;
  };
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network: private endpoints and network interfaces (control-plane.md §4.3, §4.4)
// ---------------------------------------------------------------------------------------------

/** An entry of a private endpoint's `privateLinkServiceConnections` / `manualPrivateLinkServiceConnections`. */
export interface PrivateLinkServiceConnection extends ArmSubResource {
  properties: {
    provisioningState: string;
    privateLinkServiceId: string;
    groupIds: string[];
    requestMessage?: string;
    privateLinkServiceConnectionState: Required<PrivateLinkServiceConnectionState>;
  };
}

/** An entry of a private endpoint's `ipConfigurations`. */
export interface PrivateEndpointIPConfiguration extends ArmSubResource {
  properties: { groupId: string; memberName: string; privateIPAddress: string };
}

/** `Microsoft.Network/privateEndpoints`. */
export interface PrivateEndpoint extends ArmTrackedResource {
  properties: {
    provisioningState: string;
    resourceGuid: string;
    privateLinkServiceConnections: PrivateLinkServiceConnection[];
    manualPrivateLinkServiceConnections: PrivateLinkServiceConnection[];
    customNetworkInterfaceName: string;
    subnet: SubResource;
    ipConfigurations: PrivateEndpointIPConfiguration[];
    applicationSecurityGroups: unknown[];
    networkInterfaces: SubResource[];
    customDnsConfigs: { fqdn: string; ipAddresses: string[] }[];
  };
}

/** An entry of a NIC's `ipConfigurations`. */
export interface NetworkInterfaceIPConfiguration extends ArmSubResource {
  properties: {
    provisioningState: string;
    /** Wire spelling is `privateIPAddress` (az prints `privateIpAddress`). */
    privateIPAddress: string;
    privateIPAllocationMethod: "Dynamic" | "Static";
    subnet: SubResource;
    primary: boolean;
    privateIPAddressVersion: "IPv4";
    privateLinkConnectionProperties?: { groupId: string; requiredMemberName: string; fqdns: string[] };
  };
}

/** `Microsoft.Network/networkInterfaces`. */
export interface NetworkInterface extends ArmSubResource {
  location: string;
  kind: string;
  tags?: Record<string, string>;
  properties: {
    provisioningState: string;
    resourceGuid: string;
    ipConfigurations: NetworkInterfaceIPConfiguration[];
    dnsSettings: { dnsServers: string[]; appliedDnsServers: string[] };
    enableAcceleratedNetworking: boolean;
    vnetEncryptionSupported: boolean;
    enableIPForwarding: boolean;
    disableTcpStateTracking: boolean;
    hostedWorkloads: unknown[];
    tapConfigurations: unknown[];
    /** Back-reference to the owning private endpoint (the NIC is then read-only for users). */
    privateEndpoint?: SubResource;
    /** Back-reference to a VM (NICs of simulated VMs). */
    virtualMachine?: SubResource;
    nicType: string;
  };
}

// ---------------------------------------------------------------------------------------------
// Microsoft.Network: private DNS (control-plane.md §5)
// ---------------------------------------------------------------------------------------------

/** `Microsoft.Network/privateDnsZones`; the zone's DNS name is its `name`. */
export interface PrivateDnsZone extends ArmSubResource {
  location: "global";
  tags?: Record<string, string>;
  properties: {
    maxNumberOfRecordSets: number;
    maxNumberOfVirtualNetworkLinks: number;
    maxNumberOfVirtualNetworkLinksWithRegistration: number;
    numberOfRecordSets: number;
    numberOfVirtualNetworkLinks: number;
    numberOfVirtualNetworkLinksWithRegistration: number;
    provisioningState: "Succeeded";
    /** Present in Azure's responses; hsmlink does not write it. */
    internalId?: string;
  };
}

/** `Microsoft.Network/privateDnsZones/virtualNetworkLinks`; its zone is the parent of its `id`. */
export interface VirtualNetworkLink extends ArmSubResource {
  location: "global";
  tags?: Record<string, string>;
  properties: {
    virtualNetwork: SubResource;
    registrationEnabled: boolean;
    /** `Default` | `NxDomainRedirect` (api-versions newer than 2020-06-01); stored only when a client set it. */
    resolutionPolicy?: string;
    virtualNetworkLinkState: "Completed";
    provisioningState: "Succeeded";
  };
}

/** A zone's `SOA` record. */
export interface SoaRecord {
  host: string;
  email: string;
  serialNumber: number;
  refreshTime: number;
  retryTime: number;
  expireTime: number;
  minimumTtl: number;
}

/** `RecordSetProperties`: `ttl` in seconds (Azure's default for new sets is 3600). */
export interface RecordSetProperties {
  metadata?: Record<string, string>;
  ttl: number;
  fqdn: string;
  isAutoRegistered: boolean;
  aRecords?: { ipv4Address: string }[];
  aaaaRecords?: { ipv6Address: string }[];
  cnameRecord?: { cname: string };
  mxRecords?: { preference: number; exchange: string }[];
  ptrRecords?: { ptrdname: string }[];
  srvRecords?: { priority: number; weight: number; port: number; target: string }[];
  txtRecords?: { value: string[] }[];
  soaRecord?: SoaRecord;
}

/**
 * `Microsoft.Network/privateDnsZones/{type}` record set: `name` is relative to the zone (`@` for the apex), its zone
 * is the grandparent of its `id`, its type the parent segment.
 */
export interface RecordSet {
  id: string;
  name: string;
  /** `Microsoft.Network/privateDnsZones/A` etc. */
  type: string;
  etag: string;
  properties: RecordSetProperties;
}

// ---------------------------------------------------------------------------------------------
// Microsoft.KeyVault/managedHSMs (control-plane.md §3.2, spec managedHsm.json)
// ---------------------------------------------------------------------------------------------

/** `MHSMNetworkRuleSet`. */
export interface NetworkAcls {
  bypass: "AzureServices" | "None";
  defaultAction: "Allow" | "Deny";
  /** `IPRule` of the 2023-07-01 spec: an address or CIDR range. */
  ipRules: { value: string }[];
  /** `VirtualNetworkRule` of the spec: a subnet id. */
  virtualNetworkRules: { id: string }[];
}

/** `MHSMPrivateEndpointConnectionItem`: what the HSM's `properties.privateEndpointConnections` and the list route carry. */
export interface PrivateEndpointConnectionItem {
  id: string;
  etag?: string;
  properties: {
    provisioningState: string;
    privateEndpoint: SubResource;
    privateLinkServiceConnectionState: PrivateLinkServiceConnectionState;
  };
}

/** ARM `systemData`. */
export interface SystemData {
  createdBy: string;
  createdByType: string;
  createdAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
  lastModifiedAt: string;
}

/** `ManagedHsmProperties`. */
export interface ManagedHsmProperties {
  tenantId: string;
  hsmUri: string;
  initialAdminObjectIds: string[];
  enableSoftDelete: true;
  softDeleteRetentionInDays: number;
  enablePurgeProtection: boolean;
  provisioningState: string;
  statusMessage: string;
  networkAcls: NetworkAcls;
  privateEndpointConnections?: PrivateEndpointConnectionItem[];
  publicNetworkAccess: "Enabled" | "Disabled";
  regions: unknown[];
  securityDomainProperties: { activationStatus: string; activationStatusMessage: string };
}

/** `Microsoft.KeyVault/managedHSMs`, as GET returns it. */
export interface ManagedHsm {
  sku: { family: string; name: string };
  id: string;
  name: string;
  type: string;
  location: string;
  tags: Record<string, string>;
  systemData: SystemData;
  properties: ManagedHsmProperties;
}
