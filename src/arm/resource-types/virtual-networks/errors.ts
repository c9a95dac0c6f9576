/**
 * Microsoft.Network resource-provider errors (virtual networks, subnets, peerings, private endpoints, NICs), with
 * the codes and wording the real service returns (control-plane.md §4.3, §4.5, §7; field reports cited per entry).
 * Entries marked "(chosen)" have no recorded real counterpart: the code and text are hsmlink's, in Azure's style.
 * Every error is HTTP 400 unless stated, and renders in the ARM envelope with `details: []` as the network RP does.
 */
import { AzureError, type ErrorDetail } from "../../../kernel/errors.js";

const net = (code: string, message: string, details: ErrorDetail[] = [], status = 400) =>
  new AzureError(status, code, message, { surface: "arm", details });

export const networkErrors = {
  /** Name rule of every Microsoft.Network resource (field reports, e.g. Azure ARM deployment errors). */
  InvalidResourceName: (name: string) =>
    net(
      "InvalidResourceName",
      `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
    ),
  /** A child resource (subnet, peering, ip configuration) that does not exist (control-plane.md §7 `NotFound`). */
  NotFound: (id: string) => net("NotFound", `Resource ${id} not found.`, [], 404),
  /** JSON that does not deserialize into the RP's contract (wrong type, unknown enum value). */
  InvalidRequestFormat: (path: string, problem: string) =>
    net("InvalidRequestFormat", "Cannot parse the request.", [
      { code: "InvalidJson", message: `${problem} Path '${path}'.` },
    ]),
  /** A `{ "id": … }` reference that is missing (network RP wording). */
  MissingJsonReferenceId: (path: string) =>
    net("MissingJsonReferenceId", `Value for reference id is missing. Path ${path}.`),
  /** Two children of one parent with the same name in one request (e.g. two inline subnets `default`). */
  DuplicateResourceName: (parentId: string, name: string) =>
    net("DuplicateResourceName", `Resource ${parentId} has two child resources with the same name (${name}).`),
  /** (chosen) VNet without address prefixes; wording from an ARM deployment error quoted in Azure/bicep#2576. */
  AddressSpaceHasNoPrefixes: (vnetId: string) =>
    net(
      "AddressSpaceHasNoPrefixes",
      `AddressSpace of the virtual network ${vnetId} does not have any address prefixes in addressPrefixes array. AddressSpace and prefixes must be specified within properties object.`,
    ),
  /** Malformed address prefix (not a.b.c.d/n). */
  InvalidAddressPrefixFormat: (prefix: string, resourceId: string) =>
    net(
      "InvalidAddressPrefixFormat",
      `Address prefix ${prefix} of resource ${resourceId} is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.`,
    ),
  /** Prefix with host bits set; `message` comes from src/network/cidr.ts (Azure's wording). */
  InvalidCIDRNotation: (message: string) => net("InvalidCIDRNotation", message),
  /** Subnet without a usable prefix (none, or a size Azure does not allow). (memory) */
  NetcfgInvalidSubnet: (subnet: string, vnet: string) =>
    net("NetcfgInvalidSubnet", `Subnet '${subnet}' is not valid in virtual network '${vnet}'.`),
  NetcfgSubnetRangeOutsideVnet: (subnet: string, vnet: string) =>
    net(
      "NetcfgSubnetRangeOutsideVnet",
      `Subnet '${subnet}' is not valid because its IP address range is outside the IP address range of virtual network '${vnet}'.`,
    ),
  NetcfgSubnetRangesOverlap: (subnet: string, vnet: string) =>
    net(
      "NetcfgSubnetRangesOverlap",
      `Subnet '${subnet}' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '${vnet}'.`,
    ),
  /** Two prefixes of one VNet address space that overlap. (chosen wording) */
  NetcfgDuplicateAddressPrefix: (vnetId: string, a: string, b: string) =>
    net(
      "NetcfgDuplicateAddressPrefix",
      `Address prefixes ${a} and ${b} of virtual network ${vnetId} overlap. The address prefixes of a virtual network must not overlap.`,
    ),
  /** (chosen) DNS server that is not an IPv4 address. */
  InvalidDnsServerIpAddress: (ip: string, vnetId: string) =>
    net(
      "InvalidDnsServerIpAddress",
      `DNS server IP address '${ip}' of virtual network ${vnetId} is not a valid IPv4 address.`,
    ),
  /** Real wording (Azure/bicep#13267, control-plane.md §4.5); also used for VNet delete and for a VNet PUT that drops a used subnet. */
  InUseSubnetCannotBeDeleted: (subnet: string, usedBy: string) =>
    net(
      "InUseSubnetCannotBeDeleted",
      `Subnet ${subnet} is in use by ${usedBy} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
    ),
  /** (chosen) Changing a used subnet's prefix so that an allocated address falls outside it. */
  InUseSubnetCannotBeUpdated: (subnet: string, usedBy: string, ip: string) =>
    net(
      "InUseSubnetCannotBeUpdated",
      `Subnet ${subnet} is in use by ${usedBy} with private IP address ${ip}; its address prefix cannot be changed to exclude that address.`,
    ),

  // Peerings (wording from field reports quoted in kyma-project/cloud-manager and Azure/ResourceModules#731).
  VnetAddressSpacesOverlap: (peeringId: string, vnetA: string, vnetB: string, prefixes: string[]) =>
    net(
      "VnetAddressSpacesOverlap",
      `Cannot create or update peering ${peeringId}. Virtual networks ${vnetA} and ${vnetB} cannot be peered because their address spaces overlap. Overlapping address prefixes: ${prefixes.join(", ")}`,
    ),
  RemotePeeringIsDisconnected: (peeringId: string, remotePeeringId: string, vnetId: string) =>
    net(
      "RemotePeeringIsDisconnected",
      `Cannot create or update peering ${peeringId} because remote peering ${remotePeeringId} referencing parent virtual network ${vnetId} is in Disconnected state. Update or re-create the remote peering to get it back to Initiated state. Peering gets Disconnected when remote vnet or remote peering is deleted and re-created.`,
    ),
  AnotherPeeringAlreadyReferencesRemoteVnet: (peeringId: string, otherPeeringId: string, remoteVnetId: string) =>
    net(
      "AnotherPeeringAlreadyReferencesRemoteVnet",
      `Peering ${peeringId} cannot be created because peering ${otherPeeringId} already references remote virtual network ${remoteVnetId}. Cannot add another peering referencing the same remote virtual network.`,
    ),
  /** (chosen) A VNet peered with itself. */
  CannotPeerVirtualNetworkWithItself: (peeringId: string) =>
    net(
      "CannotPeerVirtualNetworkWithItself",
      `Cannot create peering ${peeringId}: a virtual network cannot be peered with itself.`,
    ),
  /** (chosen) `useRemoteGateways: true`; hsmlink emulates no virtual network gateways. */
  RemoteVnetHasNoGateways: (peeringId: string, remoteVnetId: string) =>
    net(
      "RemoteVnetHasNoGateways",
      `Peering ${peeringId} cannot have UseRemoteGateways flag set to true because remote virtual network ${remoteVnetId} referenced by the peering does not have any gateways.`,
    ),

  // Private endpoints.
  /** Real (control-plane.md §4.3): subnet/VNet missing or in another region than the private endpoint. */
  InvalidResourceReference: (referencedId: string, byId: string) =>
    net(
      "InvalidResourceReference",
      `Resource ${referencedId} referenced by resource ${byId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
      [{ code: "NotFound", message: `Resource ${referencedId} not found.` }],
    ),
  /** (chosen) Neither or both connection arrays, or more than one connection. */
  InvalidPrivateLinkServiceConnectionCount: (peId: string) =>
    net(
      "InvalidPrivateLinkServiceConnectionCount",
      `Private endpoint ${peId} must have exactly one private link service connection, in either privateLinkServiceConnections or manualPrivateLinkServiceConnections.`,
    ),
  /** (chosen) `requestMessage` longer than the 140 characters az documents (control-plane.md §8). */
  RequestMessageTooLong: (connectionId: string, length: number) =>
    net(
      "RequestMessageTooLong",
      `Request message of private link service connection ${connectionId} is ${length} characters long; the maximum is 140 characters.`,
    ),
  /** (chosen) PUT of an existing private endpoint with another subnet. */
  PrivateEndpointSubnetCannotBeChanged: (peId: string, from: string, to: string) =>
    net(
      "PrivateEndpointSubnetCannotBeChanged",
      `Subnet of private endpoint ${peId} cannot be changed from ${from} to ${to}. Delete and re-create the private endpoint.`,
    ),
  /** (chosen) PUT of an existing private endpoint with other static ip configurations. */
  PrivateEndpointIpConfigurationsCannotBeChanged: (peId: string) =>
    net(
      "PrivateEndpointIpConfigurationsCannotBeChanged",
      `Static ip configurations of private endpoint ${peId} cannot be changed. Delete and re-create the private endpoint.`,
    ),
  /** Real wording of FC-34 (static ip configuration for the wrong group id / member name). */
  PrivateEndpointStaticIpConfigurationMissingMemberNames: (
    peId: string,
    given: { ip: string; groupId: string; memberName: string }[],
    groupId: string,
  ) =>
    net(
      "PrivateEndpointStaticIpConfigurationMissingMemberNames",
      `Private Endpoint ${peId} contains static ipconfigurations: [${given.map((g) => `PrivateIPAddress: ${g.ip}, GroupId: ${g.groupId}, MemberName: ${g.memberName}`).join("; ")}] and its missing these membernames/groupids requested by Private Link service [GroupId: ${groupId}, MemberName: default]. Private Endpoint needs to be reconfigured with missing memberNames.`,
    ),
  /** (memory) No free address left for a dynamic allocation. */
  SubnetIsFull: (subnet: string, prefix: string) =>
    net(
      "SubnetIsFull",
      `Subnet ${subnet} with address prefix ${prefix} does not have enough capacity for 1 IP addresses.`,
    ),
  /** (memory) Static address outside the subnet. */
  PrivateIPAddressNotInSubnet: (ip: string, prefix: string) =>
    net(
      "PrivateIPAddressNotInSubnet",
      `Private static IP address ${ip} does not belong to the range of subnet prefix ${prefix}.`,
    ),
  /** (memory) Static address among the five Azure reserves. */
  PrivateIPAddressInReservedRange: (ip: string, prefix: string) =>
    net(
      "PrivateIPAddressInReservedRange",
      `Private static IP address ${ip} falls within reserved IP range of subnet prefix ${prefix}.`,
    ),
  /** (memory) Static address already allocated. */
  PrivateIPAddressInUse: (ipConfigId: string, ip: string, otherId: string) =>
    net(
      "PrivateIPAddressInUse",
      `IP configuration ${ipConfigId} is using the private IP address ${ip} which is already allocated to resource ${otherId}.`,
    ),

  // Network interfaces.
  /** Code from field reports (Azure/azure-sdk-for-python#18911); wording after "It can not be modified by user." */
  CannotModifyNicAttachedToPrivateEndpoint: (nicId: string, peId: string) =>
    net(
      "CannotModifyNicAttachedToPrivateEndpoint",
      `Network interface ${nicId} is attached to private endpoint ${peId}. It can not be modified by user.`,
    ),
  /** (memory) Deleting a NIC a VM still uses. */
  NicInUse: (nicId: string, vmId: string) =>
    net(
      "NicInUse",
      `Network Interface ${nicId} is used by existing resource ${vmId}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
    ),
  /** (chosen) hsmlink emulates only the NICs private endpoints create. */
  NetworkInterfaceCreationNotSupported: (nicId: string) =>
    net(
      "NetworkInterfaceCreationNotSupported",
      `Network interface ${nicId} cannot be created: hsmlink emulates only the read-only network interfaces that private endpoints create.`,
    ),
};
