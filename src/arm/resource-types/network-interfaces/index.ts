/**
 * Microsoft.Network/networkInterfaces (control-plane.md §4.4): the read-only NIC a private endpoint gets, its
 * private IP allocation in the subnet (Azure's first four + last addresses reserved, so the first is `x.x.x.4`),
 * and the user-facing routes: GET, list per resource group and subscription, ip configurations. Users cannot
 * create, modify or delete a private endpoint's NIC (`CannotModifyNicAttachedToPrivateEndpoint`).
 */
import { addListRoutes } from "../lists.js";
import type { ArmContext, ArmRouter, CascadeDeleter } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { parentIdOf, parseResourceId, resourceId, sameId } from "../../../kernel/resource-ids.js";
import type { StoredResource } from "../../../store/resources.js";
import { isAzureReservedAddress, ipInCidr, nextFreeAddress, tryParseIpv4 } from "../../../network/cidr.js";
import {
  NETWORK_NS,
  NIC_TYPE,
  PE_TYPE,
  newEtag,
  okWithEtag,
  networkDeleteResult,
  type SubResource,
} from "../virtual-networks/common.js";
import { networkErrors } from "../virtual-networks/errors.js";
import {
  allocatedAddresses,
  getSubnet,
  subnetPrefixes,
  updateSubnetBackReferences,
  type SubnetBody,
} from "../virtual-networks/model.js";
import { newGuid } from "../../../kernel/ids.js";
import { RESOURCE_TYPES } from "../../../kernel/azure-names.js";
import type { NetworkInterface, NetworkInterfaceIPConfiguration } from "../../../kernel/arm-wire.js";

/** A stored NIC ip configuration: the wire type (src/kernel/arm-wire.ts). */
export type NicIpConfigurationBody = NetworkInterfaceIPConfiguration;
/** A stored NIC: the wire type. */
export type NicBody = NetworkInterface;

export const NIC_IPCONFIG_TYPE = RESOURCE_TYPES.networkInterfaceIpConfiguration;

/** Canonical NIC id. */
export function nicIdOf(subscriptionId: string, rg: string, name: string): string {
  return resourceId(subscriptionId, rg, NETWORK_NS, "networkInterfaces", name);
}

/** The stored NIC (any id casing), or undefined. */
export function getNic(ctx: ArmContext, id: string): StoredResource<NicBody> | undefined {
  const r = ctx.store.resources.get<NicBody>(id);
  return r && r.type.toLowerCase() === NIC_TYPE.toLowerCase() ? r : undefined;
}

/**
 * Picks the private address of a new ip configuration in a subnet: the static one asked for (validated), or the
 * lowest free one (Azure dynamic allocation; `x.x.x.4` first in a /24).
 * @param ipConfigId id of the ip configuration being allocated (for the in-use message)
 * @returns the address and its allocation method
 * @throws AzureError PrivateIPAddressNotInSubnet, PrivateIPAddressInReservedRange, PrivateIPAddressInUse, SubnetIsFull
 */
export function allocateAddress(
  ctx: ArmContext,
  subnet: StoredResource<SubnetBody>,
  ipConfigId: string,
  requested?: string,
): { ip: string; method: "Dynamic" | "Static" } {
  const prefixes = subnetPrefixes(subnet.body);
  const used = allocatedAddresses(ctx, subnet);
  if (requested !== undefined) {
    const prefix = prefixes.find((p) => ipInCidr(requested, p));
    if (tryParseIpv4(requested) === undefined || !prefix)
      throw networkErrors.PrivateIPAddressNotInSubnet(requested, prefixes.join(", "));
    if (isAzureReservedAddress(prefix, requested))
      throw networkErrors.PrivateIPAddressInReservedRange(requested, prefix);
    const holder = used.get(requested);
    if (holder) throw networkErrors.PrivateIPAddressInUse(ipConfigId, requested, holder);
    return { ip: requested, method: "Static" };
  }
  for (const p of prefixes) {
    const ip = nextFreeAddress(p, used.keys());
    if (ip) return { ip, method: "Dynamic" };
  }
  throw networkErrors.SubnetIsFull(subnet.name, prefixes.join(", "));
}

/**
 * Creates the NIC of a private endpoint (§4.4 shape) in the private endpoint's resource group and region, and
 * adds its ip configurations to the subnet's back-references. Runs inside the caller's transaction.
 * @param o.ipConfigurations one entry per address: ip-config name, address, allocation method, group id and member name
 */
export function createPrivateEndpointNic(
  ctx: ArmContext,
  o: {
    nicId: string;
    location: string;
    tags?: Record<string, string>;
    privateEndpointId: string;
    subnetId: string;
    fqdns: string[];
    ipConfigurations: { name: string; ip: string; method: "Dynamic" | "Static"; groupId: string; memberName: string }[];
  },
): NicBody {
  const etag = newEtag();
  const p = parseResourceId(o.nicId)!;
  const name = p.segments[0].name;
  const body: NicBody = {
    name,
    id: o.nicId,
    etag,
    type: NIC_TYPE,
    location: o.location,
    kind: "Regular",
    ...(o.tags ? { tags: o.tags } : {}),
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: newGuid(),
      ipConfigurations: o.ipConfigurations.map((c, i) => ({
        name: c.name,
        id: `${o.nicId}/ipConfigurations/${c.name}`,
        etag,
        type: NIC_IPCONFIG_TYPE,
        properties: {
          provisioningState: "Succeeded",
          privateIPAddress: c.ip,
          privateIPAllocationMethod: c.method,
          subnet: { id: o.subnetId },
          primary: i === 0,
          privateIPAddressVersion: "IPv4",
          privateLinkConnectionProperties: {
            groupId: c.groupId,
            requiredMemberName: c.memberName,
            fqdns: [...o.fqdns],
          },
        },
      })),
      dnsSettings: { dnsServers: [], appliedDnsServers: [] },
      enableAcceleratedNetworking: false,
      vnetEncryptionSupported: false,
      enableIPForwarding: false,
      disableTcpStateTracking: false,
      hostedWorkloads: [],
      tapConfigurations: [],
      privateEndpoint: { id: o.privateEndpointId },
      nicType: "Standard",
    },
  };
  putNic(ctx, body);
  updateSubnetBackReferences(ctx, o.subnetId, {
    add: { ipConfigurations: body.properties.ipConfigurations.map((c) => c.id) },
  });
  return body;
}

/** Writes a NIC row. */
export function putNic(ctx: ArmContext, body: NicBody): void {
  const p = parseResourceId(body.id)!;
  ctx.store.resources.put(
    {
      id: body.id,
      type: NIC_TYPE,
      name: body.name,
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/** Deletes a NIC and removes its ip configurations from their subnets' back-references. Runs inside the caller's transaction. */
export function removeNic(ctx: ArmContext, nicId: string): void {
  const nic = getNic(ctx, nicId);
  if (!nic) return;
  const bySubnet = new Map<string, string[]>();
  for (const c of nic.body.properties?.ipConfigurations ?? []) {
    const s = c.properties?.subnet?.id;
    if (!s) continue;
    const key = s.toLowerCase();
    bySubnet.set(key, [...(bySubnet.get(key) ?? []), c.id]);
  }
  ctx.store.resources.delete(nic.id);
  for (const [subnetId, ids] of bySubnet)
    if (getSubnet(ctx, subnetId)) updateSubnetBackReferences(ctx, subnetId, { remove: { ipConfigurations: ids } });
}

function requireNic(ctx: ArmContext, rg: string, name: string): StoredResource<NicBody> {
  const nic = getNic(ctx, nicIdOf(ctx.subscriptionId, rg, name));
  if (!nic) throw armErrors.ResourceNotFound(`${NIC_TYPE}/${name}`, rg);
  return nic;
}

/** Registers the NIC routes and the cascade deleter that removes NICs whose private endpoint is already gone. */
export function registerNetworkInterfaces(router: ArmRouter, deleters: CascadeDeleter[]): void {
  const rgBase =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/networkInterfaces";
  const nicPath = `${rgBase}/{networkInterfaceName}`;

  router.add("GET", nicPath, (req, ctx) =>
    okWithEtag(requireNic(ctx, req.params.resourceGroupName, req.params.networkInterfaceName).body),
  );
  addListRoutes(router, NIC_TYPE);
  router.add("GET", `${nicPath}/ipConfigurations`, (req, ctx) => ({
    status: 200,
    body: {
      value: requireNic(ctx, req.params.resourceGroupName, req.params.networkInterfaceName).body.properties
        .ipConfigurations,
    },
  }));
  router.add("GET", `${nicPath}/ipConfigurations/{ipConfigurationName}`, (req, ctx) => {
    const nic = requireNic(ctx, req.params.resourceGroupName, req.params.networkInterfaceName);
    const c = nic.body.properties.ipConfigurations.find(
      (x) => x.name.toLowerCase() === req.params.ipConfigurationName.toLowerCase(),
    );
    if (!c) throw networkErrors.NotFound(`${nic.id}/ipConfigurations/${req.params.ipConfigurationName}`);
    return okWithEtag(c);
  });

  const refuseWrite = (req: { params: Record<string, string> }, ctx: ArmContext) => {
    const id = nicIdOf(ctx.subscriptionId, req.params.resourceGroupName, req.params.networkInterfaceName);
    const nic = getNic(ctx, id);
    if (!nic) throw networkErrors.NetworkInterfaceCreationNotSupported(id);
    if (nic.body.properties.privateEndpoint)
      throw networkErrors.CannotModifyNicAttachedToPrivateEndpoint(nic.id, nic.body.properties.privateEndpoint.id);
    throw networkErrors.NetworkInterfaceCreationNotSupported(nic.id);
  };
  router.add("PUT", nicPath, (req, ctx) => refuseWrite(req, ctx));
  router.add("PATCH", nicPath, (req, ctx) => {
    const nic = getNic(ctx, nicIdOf(ctx.subscriptionId, req.params.resourceGroupName, req.params.networkInterfaceName));
    if (!nic)
      throw armErrors.ResourceNotFound(`${NIC_TYPE}/${req.params.networkInterfaceName}`, req.params.resourceGroupName);
    return refuseWrite(req, ctx);
  });
  router.add("DELETE", nicPath, (req, ctx) => {
    const nic = getNic(ctx, nicIdOf(ctx.subscriptionId, req.params.resourceGroupName, req.params.networkInterfaceName));
    if (!nic) return { status: 204 };
    if (nic.body.properties.privateEndpoint)
      throw networkErrors.CannotModifyNicAttachedToPrivateEndpoint(nic.id, nic.body.properties.privateEndpoint.id);
    if (nic.body.properties.virtualMachine) throw networkErrors.NicInUse(nic.id, nic.body.properties.virtualMachine.id);
    ctx.store.tx(() => removeNic(ctx, nic.id));
    return networkDeleteResult(req, ctx, nic.body.location);
  });

  deleters.push({
    type: NIC_TYPE,
    order: 20,
    remove: (ctx, id) => {
      const nic = getNic(ctx, id);
      const pe = nic?.body.properties.privateEndpoint?.id;
      // A NIC whose private endpoint still exists goes with that endpoint (order 10); only orphans are removed here.
      if (
        nic &&
        (!pe ||
          !ctx.store.resources.get(pe) ||
          ctx.store.resources.get(pe)!.type.toLowerCase() !== PE_TYPE.toLowerCase())
      )
        removeNic(ctx, id);
    },
  });
}
