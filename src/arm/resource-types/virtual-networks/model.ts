/**
 * Stored shapes and store access for virtual networks, subnets and virtual network peerings.
 *
 * Subnets and peerings are child resources (`…/virtualNetworks/{v}/subnets/{s}`, `…/virtualNetworkPeerings/{p}`)
 * and are the source of truth; the stored VNet body always embeds the full subnet and peering objects (as a GET
 * returns them, control-plane.md §4.1), re-derived by {@link syncVirtualNetwork} after every change, so the
 * stored VNet JSON is the wire JSON and src/network/ can read it as is. One etag covers a VNet and its children
 * (a subnet change changes the VNet's etag, as on Azure).
 */
import type { ArmContext } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { parseResourceId, parentIdOf, resourceId, sameId } from "../../../kernel/resource-ids.js";
import type { StoredResource } from "../../../store/resources.js";
import { takenAddresses } from "../../../network/allocation.js";
import { NETWORK_NS, PEERING_TYPE, SUBNET_TYPE, VNET_TYPE, newEtag, type SubResource } from "./common.js";
import { networkErrors } from "./errors.js";
import type { Subnet, VirtualNetwork, VirtualNetworkPeering } from "../../../kernel/arm-wire.js";

/** A stored subnet: the wire type (src/kernel/arm-wire.ts). */
export type SubnetBody = Subnet;
/** A stored virtual network peering: the wire type. */
export type PeeringBody = VirtualNetworkPeering;
/** A stored virtual network (embedding its subnets and peerings): the wire type. */
export type VnetBody = VirtualNetwork;

/** Canonical id of a virtual network. */
export function vnetId(subscriptionId: string, rg: string, name: string): string {
  return resourceId(subscriptionId, rg, NETWORK_NS, "virtualNetworks", name);
}

/** The stored VNet, or undefined. */
export function getVnet(ctx: ArmContext, id: string): StoredResource<VnetBody> | undefined {
  const r = ctx.store.resources.get<VnetBody>(id);
  return r && r.type.toLowerCase() === VNET_TYPE.toLowerCase() ? r : undefined;
}

/** The stored VNet, or ARM's 404 ResourceNotFound (what ARM answers for a missing parent, too). */
export function requireVnet(ctx: ArmContext, rg: string, name: string): StoredResource<VnetBody> {
  const r = getVnet(ctx, vnetId(ctx.subscriptionId, rg, name));
  if (!r) throw armErrors.ResourceNotFound(`${VNET_TYPE}/${name}`, rg);
  return r;
}

/** The stored subnet (any id casing), or undefined. */
export function getSubnet(ctx: ArmContext, id: string): StoredResource<SubnetBody> | undefined {
  const r = ctx.store.resources.get<SubnetBody>(id);
  return r && r.type.toLowerCase() === SUBNET_TYPE.toLowerCase() ? r : undefined;
}

/** The stored virtual network peering (any id casing), or undefined. */
export function getPeering(ctx: ArmContext, id: string): StoredResource<PeeringBody> | undefined {
  const r = ctx.store.resources.get<PeeringBody>(id);
  return r && r.type.toLowerCase() === PEERING_TYPE.toLowerCase() ? r : undefined;
}

/** The subnet rows of a VNet, in creation order. */
export function subnetsOf(ctx: ArmContext, vnet: string): StoredResource<SubnetBody>[] {
  return ctx.store.resources.list<SubnetBody>(SUBNET_TYPE, { parentId: vnet });
}

/** The peering rows of a VNet, in creation order. */
export function peeringsOf(ctx: ArmContext, vnet: string): StoredResource<PeeringBody>[] {
  return ctx.store.resources.list<PeeringBody>(PEERING_TYPE, { parentId: vnet });
}

/** Every peering in the subscription whose remote is `vnet` (the other sides of `vnet`'s peerings). */
export function peeringsPointingAt(ctx: ArmContext, vnet: string): StoredResource<PeeringBody>[] {
  return ctx.store.resources
    .list<PeeringBody>(PEERING_TYPE, { subscriptionId: ctx.subscriptionId })
    .filter((p) => sameId(p.body.properties.remoteVirtualNetwork.id, vnet));
}

/** The address prefixes of a subnet (`addressPrefix` or `addressPrefixes`). */
export function subnetPrefixes(s: SubnetBody): string[] {
  return s.properties.addressPrefixes ?? (s.properties.addressPrefix ? [s.properties.addressPrefix] : []);
}

/** The first resource using a subnet (an ip configuration, else a private endpoint), or undefined when unused. */
export function subnetUser(s: SubnetBody): string | undefined {
  return s.properties.ipConfigurations?.[0]?.id ?? s.properties.privateEndpoints?.[0]?.id;
}

/** Writes a subnet or peering row (child of its VNet). */
export function putVnetChild(ctx: ArmContext, body: SubnetBody | PeeringBody): void {
  const p = parseResourceId(body.id)!;
  ctx.store.resources.put(
    {
      id: body.id,
      type: body.type,
      name: body.name,
      parentId: parentIdOf(body.id),
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/** Writes a VNet row (without re-deriving its embedded children; use {@link syncVirtualNetwork} for that). */
export function putVnetRow(ctx: ArmContext, body: VnetBody): void {
  const p = parseResourceId(body.id)!;
  ctx.store.resources.put(
    {
      id: body.id,
      type: VNET_TYPE,
      name: body.name,
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/**
 * Re-derives the VNet's embedded `subnets` and `virtualNetworkPeerings` from its child rows and gives the VNet
 * and every child one new etag. Call inside the write's transaction after any change to the VNet or a child.
 * @returns the stored VNet body, or undefined when the VNet does not exist
 */
export function syncVirtualNetwork(ctx: ArmContext, id: string): VnetBody | undefined {
  const vnet = getVnet(ctx, id);
  if (!vnet) return undefined;
  const etag = newEtag();
  const subnets = subnetsOf(ctx, vnet.id).map((s) => ({ ...s.body, etag }));
  const peerings = peeringsOf(ctx, vnet.id).map((p) => ({ ...p.body, etag }));
  for (const c of [...subnets, ...peerings]) putVnetChild(ctx, c);
  const body: VnetBody = {
    ...vnet.body,
    etag,
    properties: { ...vnet.body.properties, subnets, virtualNetworkPeerings: peerings },
  };
  putVnetRow(ctx, body);
  return body;
}

/**
 * Adds or removes back-references on a subnet (the ip configurations and private endpoints living in it) and
 * re-syncs its VNet. Used by private endpoints and NICs; runs inside the caller's transaction. A subnet that no
 * longer exists is left alone.
 */
export function updateSubnetBackReferences(
  ctx: ArmContext,
  subnetId: string,
  change: {
    add?: { ipConfigurations?: string[]; privateEndpoints?: string[] };
    remove?: { ipConfigurations?: string[]; privateEndpoints?: string[] };
  },
): void {
  const s = getSubnet(ctx, subnetId);
  if (!s) return;
  const edit = (
    current: SubResource[] | undefined,
    add: string[] = [],
    remove: string[] = [],
  ): SubResource[] | undefined => {
    const kept = (current ?? []).filter((r) => !remove.some((x) => sameId(x, r.id)));
    for (const a of add) if (!kept.some((r) => sameId(r.id, a))) kept.push({ id: a });
    return kept.length ? kept : undefined;
  };
  const props = { ...s.body.properties };
  const ipc = edit(props.ipConfigurations, change.add?.ipConfigurations, change.remove?.ipConfigurations);
  const pes = edit(props.privateEndpoints, change.add?.privateEndpoints, change.remove?.privateEndpoints);
  delete props.ipConfigurations;
  delete props.privateEndpoints;
  if (ipc) props.ipConfigurations = ipc;
  if (pes) props.privateEndpoints = pes;
  putVnetChild(ctx, { ...s.body, properties: props });
  syncVirtualNetwork(ctx, s.parentId!);
}

/** Canonical subnet id inside a VNet. */
export function subnetIdOf(vnet: string, name: string): string {
  return `${vnet}/subnets/${name}`;
}

/** The subnet row or the network RP's 404 `NotFound` for a child resource. */
export function requireSubnet(
  ctx: ArmContext,
  vnet: StoredResource<VnetBody>,
  name: string,
): StoredResource<SubnetBody> {
  const id = subnetIdOf(vnet.id, name);
  const s = getSubnet(ctx, id);
  if (!s) throw networkErrors.NotFound(id);
  return s;
}

/**
 * Private addresses already taken in a subnet, address → the id of the ip configuration (or VM) holding it
 * (network/allocation.ts {@link takenAddresses}, with the subnet's back-references).
 */
export function allocatedAddresses(ctx: ArmContext, subnet: StoredResource<SubnetBody>): Map<string, string> {
  return takenAddresses(
    ctx.store,
    ctx.subscriptionId,
    subnet.id,
    (subnet.body.properties.ipConfigurations ?? []).map((r) => r.id),
  );
}
