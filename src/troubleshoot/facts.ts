/**
 * Read-only questions the checks share, answered from the network model's lookups (src/network/topology.ts).
 */

import {
  linkedZones,
  parentResourceId,
  privateEndpointsTargeting,
  reachableVnetIds,
  recordSetsOfZone,
  recordSetType,
  resourceIdKey,
  sameResourceId,
  connectionsOfPrivateEndpoint,
  type PrivateDnsZone,
  type PrivateDnsZoneGroup,
  type PrivateEndpoint,
  type PrivateEndpointConnectionRef,
  type RecordSet,
  type VirtualNetworkLink,
} from "../network/topology.js";
import type { CheckContext } from "./types.js";
import { MANAGED_HSM_PRIVATELINK_ZONE } from "../kernel/azure-names.js";

/** A private endpoint to the HSM with the facts the checks need. */
export interface PeFact {
  readonly pe: PrivateEndpoint;
  readonly connection: PrivateEndpointConnectionRef;
  /** Private IPs of the PE's NICs found in the snapshot (falls back to `customDnsConfigs`). */
  readonly ips: readonly string[];
  readonly vnetId: string;
  /** The PE's VNet is the client VNet or a Connected peer of it. */
  readonly reachable: boolean;
}

/** Resource group name of an ARM id (`…/resourceGroups/{rg}/…`), or undefined. */
export function resourceGroupOf(id: string): string | undefined {
  const m = /\/resourcegroups\/([^/]+)/i.exec(id);
  return m?.[1];
}

/** The HSM's ARM id: from the snapshot, else the one the private endpoints name. */
export function hsmIdOf(ctx: CheckContext): string | undefined {
  if (ctx.hsm) return ctx.hsm.id;
  for (const pe of ctx.snapshot.privateEndpoints) {
    for (const c of connectionsOfPrivateEndpoint(pe)) {
      if (
        /\/providers\/microsoft\.keyvault\/managedhsms\/[^/]+$/i.test(c.privateLinkServiceId) &&
        c.privateLinkServiceId.split("/").pop()!.toLowerCase() === ctx.hsmName.toLowerCase()
      ) {
        return c.privateLinkServiceId;
      }
    }
  }
  return undefined;
}

/** Every private endpoint connection to the HSM (one entry per connection), in snapshot order. */
export function privateEndpointFacts(ctx: CheckContext): PeFact[] {
  const hsmId = hsmIdOf(ctx);
  if (!hsmId) return [];
  const reachable = reachableVnetIds(ctx.snapshot, ctx.vnet.id).map(resourceIdKey);
  const out: PeFact[] = [];
  for (const { privateEndpoint: pe, connections } of privateEndpointsTargeting(ctx.snapshot, hsmId)) {
    const ips: string[] = [];
    for (const ref of pe.properties.networkInterfaces ?? []) {
      const nic = ctx.snapshot.networkInterfaces.find((n) => sameResourceId(n.id, ref.id));
      for (const c of nic?.properties.ipConfigurations ?? [])
        if (c.properties.privateIPAddress) ips.push(c.properties.privateIPAddress);
    }
    if (ips.length === 0) for (const d of pe.properties.customDnsConfigs ?? []) ips.push(...(d.ipAddresses ?? []));
    const vnetId = parentResourceId(pe.properties.subnet.id);
    for (const connection of connections)
      out.push({ pe, connection, ips, vnetId, reachable: reachable.includes(resourceIdKey(vnetId)) });
  }
  return out;
}

/** True for a connection that carries traffic: PE side Approved (and not failed provisioning). */
export function isApproved(f: PeFact): boolean {
  return (
    f.connection.state.status.toLowerCase() === "approved" &&
    (f.pe.properties.provisioningState ?? "Succeeded").toLowerCase() === "succeeded"
  );
}

/** Zones named exactly `privatelink.managedhsm.azure.net`. */
export function correctZones(ctx: CheckContext): PrivateDnsZone[] {
  return ctx.snapshot.privateDnsZones.filter((z) => z.name.toLowerCase() === MANAGED_HSM_PRIVATELINK_ZONE);
}

/** The correctly named zone linked to the client VNet, with its link, or undefined. */
export function linkedCorrectZone(ctx: CheckContext): { zone: PrivateDnsZone; link: VirtualNetworkLink } | undefined {
  return linkedZones(ctx.snapshot, ctx.vnet.id).find(
    (lz) => lz.zone.name.toLowerCase() === MANAGED_HSM_PRIVATELINK_ZONE,
  );
}

/** The zone the record checks look at: the linked one, else the first correctly named one. */
export function relevantZone(ctx: CheckContext): PrivateDnsZone | undefined {
  return linkedCorrectZone(ctx)?.zone ?? correctZones(ctx)[0];
}

/** The A record set named after the HSM in `zone`, or undefined. */
export function hsmARecord(ctx: CheckContext, zone: PrivateDnsZone): RecordSet | undefined {
  return recordSetsOfZone(ctx.snapshot, zone.id).find(
    (rs) => recordSetType(rs) === "A" && rs.name.toLowerCase() === ctx.hsmName.toLowerCase(),
  );
}

/** IPv4 addresses of an A record set. */
export function aRecordIps(rs: RecordSet): string[] {
  return (rs.properties.aRecords ?? []).map((a) => a.ipv4Address);
}

/** Resource group of the zone (for fix commands), defaulting to the HSM's `-g`. */
export function zoneResourceGroup(ctx: CheckContext, zone: PrivateDnsZone): string {
  return resourceGroupOf(zone.id) ?? ctx.resourceGroup;
}

/** Normalised Azure region name (`West Europe` ≡ `westeurope`). */
export function normalizeLocation(l: string | undefined): string | undefined {
  return l === undefined ? undefined : l.replace(/\s+/g, "").toLowerCase();
}

/**
 * The private DNS zone groups of a private endpoint (children of its id), or undefined when the source did not
 * read zone groups at all (an export without them).
 */
export function zoneGroupsOf(ctx: CheckContext, pe: PrivateEndpoint): PrivateDnsZoneGroup[] | undefined {
  const all = ctx.snapshot.privateDnsZoneGroups;
  if (all === undefined) return undefined;
  return all.filter((g) => sameResourceId(parentResourceId(g.id), pe.id));
}

/** Distinct private endpoints of {@link privateEndpointFacts} (one fact per PE, first connection). */
export function distinctPrivateEndpoints(facts: readonly PeFact[]): PeFact[] {
  return [...new Map(facts.map((f) => [resourceIdKey(f.pe.id), f])).values()];
}

/** `--vnet-name V --subnet S` when the subnet's VNet is in `rg`, else `--subnet <subnet id>` (az takes either). */
function subnetArgs(subnetId: string, rg: string): string {
  const m =
    /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i.exec(
      subnetId,
    );
  if (m && m[1].toLowerCase() === rg.toLowerCase()) return `--vnet-name ${m[2]} --subnet ${m[3]}`;
  return `--subnet ${subnetId}`;
}

/** The client VNet's first subnet id (where a new private endpoint for the client goes). */
export function clientSubnetId(ctx: CheckContext): string {
  return ctx.vnet.properties.subnets?.[0]?.id ?? ctx.vm.subnetId;
}

/**
 * `az network private-endpoint create` for the HSM with every name filled in: resource group, endpoint name, VNet
 * and subnet (from `subnetId`), connection name.
 */
export function privateEndpointCreateCommand(
  ctx: CheckContext,
  o: { rg: string; name: string; subnetId: string; connectionName: string; hsmId?: string },
): string {
  const hsmId = o.hsmId ?? hsmIdOf(ctx) ?? "<hsm-id>";
  return `az network private-endpoint create -g ${o.rg} -n ${o.name} ${subnetArgs(o.subnetId, o.rg)} --private-connection-resource-id ${hsmId} --group-id managedhsm --connection-name ${o.connectionName}`;
}

/** Delete + create of an existing private endpoint, same names and subnet. */
export function recreatePrivateEndpointCommand(ctx: CheckContext, f: PeFact): string {
  const rg = resourceGroupOf(f.pe.id) ?? ctx.resourceGroup;
  const create = privateEndpointCreateCommand(ctx, {
    rg,
    name: f.pe.name,
    subnetId: f.pe.properties.subnet.id,
    connectionName: f.connection.name,
    hsmId: ctx.hsm?.id ?? f.connection.privateLinkServiceId,
  });
  return `az network private-endpoint delete -g ${rg} -n ${f.pe.name} && ${create}`;
}
