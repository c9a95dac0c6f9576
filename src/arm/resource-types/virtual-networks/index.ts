/**
 * Microsoft.Network/virtualNetworks (control-plane.md §2 row 8, §2.1, §4.1): PUT (network LRO, 201 new / 200
 * update), GET, DELETE (202), list per resource group and subscription. A PUT states the whole VNet: its inline
 * `subnets` become the subnet child resources (reachable at `…/subnets/{name}`), and a stored subnet missing from
 * the PUT is deleted — refused with `InUseSubnetCannotBeDeleted` when something lives in it, exactly the Azure
 * behaviour that bites ARM-template redeployments (Azure/bicep#13267). Peerings are managed through their own
 * child resource (./peerings.ts); `virtualNetworkPeerings` in a VNet PUT is ignored and the stored ones kept.
 *
 * `registerNetworkResources` registers every Microsoft.Network type of this area: virtual networks, subnets,
 * peerings, private endpoints and network interfaces, with their cascade deleters (private endpoints 10, orphaned
 * NICs 20, virtual networks 90).
 */
import { addListRoutes } from "../lists.js";
import type { ArmContext, ArmRouter, CascadeDeleter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { overlaps, isIpv4 } from "../../../network/cidr.js";
import { newGuid } from "../../../kernel/ids.js";
import { requireResourceGroup } from "../resource-groups/index.js";
import {
  VNET_TYPE,
  networkDeleteResult,
  networkPutResult,
  okWithEtag,
  readArray,
  readBoolean,
  readObject,
  readProperties,
  readTags,
  requireRegion,
  requireSameLocation,
  validateNetworkName,
  type SubResource,
} from "./common.js";
import { networkErrors } from "./errors.js";
import {
  getVnet,
  peeringsOf,
  peeringsPointingAt,
  putVnetChild,
  putVnetRow,
  requireVnet,
  subnetUser,
  subnetsOf,
  syncVirtualNetwork,
  vnetId,
  type SubnetBody,
  type VnetBody,
} from "./model.js";
import { disconnectPeersOf, overlappingPrefixes, refreshPeersOf, registerPeerings } from "./peerings.js";
import { buildSubnet, parsePrefix, registerSubnets } from "./subnets.js";

/**
 * Deletes a virtual network with its subnets and peerings; the peerings pointing at it become `Disconnected`.
 * Runs inside the caller's transaction.
 * @throws AzureError InUseSubnetCannotBeDeleted when a subnet still holds a NIC or private endpoint
 */
export function removeVirtualNetwork(ctx: ArmContext, id: string): void {
  const v = getVnet(ctx, id);
  if (!v) return;
  const subnets = subnetsOf(ctx, v.id);
  for (const s of subnets) {
    const user = subnetUser(s.body);
    if (user) throw networkErrors.InUseSubnetCannotBeDeleted(s.name, user);
  }
  disconnectPeersOf(ctx, v.id);
  for (const p of peeringsOf(ctx, v.id)) ctx.store.resources.delete(p.id);
  for (const s of subnets) ctx.store.resources.delete(s.id);
  ctx.store.resources.delete(v.id);
}

function registerVirtualNetworks(router: ArmRouter, deleters: CascadeDeleter[]): void {
  const rgBase =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks";
  const one = `${rgBase}/{virtualNetworkName}`;

  router.add("PUT", one, (req, ctx) => {
    const body = requireObjectBody(req);
    const name = req.params.virtualNetworkName;
    validateNetworkName(name);
    const rg = requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName);
    const location = requireRegion(body.location, VNET_TYPE);
    const existing = getVnet(ctx, vnetId(ctx.subscriptionId, rg.name, name));
    requireSameLocation(existing && { name: existing.name, location: existing.body.location }, rg.name, location);
    const id = existing?.id ?? vnetId(ctx.subscriptionId, rg.name, name);
    const tags = readTags(body.tags);
    const props = readProperties(body);

    const addressSpace = readObject(props, "addressSpace", "properties.addressSpace") ?? {};
    const prefixTexts = readArray(addressSpace, "addressPrefixes", "properties.addressSpace.addressPrefixes");
    if (prefixTexts.length === 0) throw networkErrors.AddressSpaceHasNoPrefixes(id);
    const cidrs = prefixTexts.map((t) => parsePrefix(t, id));
    for (let i = 0; i < cidrs.length; i++) {
      for (let j = i + 1; j < cidrs.length; j++) {
        if (overlaps(cidrs[i], cidrs[j]))
          throw networkErrors.NetcfgDuplicateAddressPrefix(id, String(prefixTexts[i]), String(prefixTexts[j]));
      }
    }
    const dhcp = readObject(props, "dhcpOptions", "properties.dhcpOptions") ?? {};
    const dnsServers = readArray(dhcp, "dnsServers", "properties.dhcpOptions.dnsServers");
    for (const d of dnsServers)
      if (typeof d !== "string" || !isIpv4(d)) throw networkErrors.InvalidDnsServerIpAddress(String(d), id);
    const enableDdosProtection = readBoolean(props, "enableDdosProtection", "properties.enableDdosProtection", false);
    const enableVmProtection =
      props.enableVmProtection === undefined
        ? undefined
        : readBoolean(props, "enableVmProtection", "properties.enableVmProtection", false);
    const plan = readObject(props, "ddosProtectionPlan", "properties.ddosProtectionPlan");
    if (plan && typeof plan.id !== "string")
      throw networkErrors.MissingJsonReferenceId("properties.ddosProtectionPlan");

    const stored = existing ? subnetsOf(ctx, id) : [];
    const inputs = readArray(props, "subnets", "properties.subnets");
    const built: SubnetBody[] = [];
    inputs.forEach((raw, i) => {
      if (!raw || typeof raw !== "object" || Array.isArray(raw))
        throw networkErrors.InvalidRequestFormat(`properties.subnets[${i}]`, "Expected a JSON object.");
      const sn = (raw as Record<string, unknown>).name;
      if (typeof sn !== "string" || !sn)
        throw networkErrors.InvalidRequestFormat(`properties.subnets[${i}].name`, "A subnet must have a name.");
      if (built.some((b) => b.name.toLowerCase() === sn.toLowerCase()))
        throw networkErrors.DuplicateResourceName(id, sn);
      const ex = stored.find((s) => s.name.toLowerCase() === sn.toLowerCase());
      built.push(
        buildSubnet(
          ctx,
          { vnetId: id, vnetName: name, vnetPrefixes: cidrs, siblings: built, apiVersion: req.apiVersion },
          sn,
          raw as Record<string, unknown>,
          ex,
          `properties.subnets[${i}].properties`,
        ),
      );
    });
    const removed = stored.filter((s) => !built.some((b) => b.id.toLowerCase() === s.id.toLowerCase()));
    for (const r of removed) {
      const user = subnetUser(r.body);
      if (user) throw networkErrors.InUseSubnetCannotBeDeleted(r.name, user);
    }
    if (existing) {
      const texts = prefixTexts as string[];
      const peers = [...peeringsOf(ctx, id), ...peeringsPointingAt(ctx, id)];
      for (const p of peers) {
        const own = p.parentId?.toLowerCase() === id.toLowerCase();
        const otherId = own ? p.body.properties.remoteVirtualNetwork.id : p.parentId!;
        const other = getVnet(ctx, otherId);
        if (!other || p.body.properties.peeringState === "Disconnected") continue;
        const clash = overlappingPrefixes(texts, other.body.properties.addressSpace.addressPrefixes);
        if (clash.length) throw networkErrors.VnetAddressSpacesOverlap(p.id, id, other.id, clash);
      }
    }

    const vnetBody: VnetBody = {
      id,
      name: existing?.name ?? name,
      etag: "",
      type: VNET_TYPE,
      location,
      ...(tags ? { tags } : {}),
      properties: {
        provisioningState: "Succeeded",
        resourceGuid: existing?.body.properties.resourceGuid ?? newGuid(),
        addressSpace: { addressPrefixes: [...(prefixTexts as string[])] },
        dhcpOptions: { dnsServers: [...(dnsServers as string[])] },
        subnets: [],
        virtualNetworkPeerings: [],
        enableDdosProtection,
        ...(enableVmProtection === undefined ? {} : { enableVmProtection }),
        ...(plan ? { ddosProtectionPlan: { id: plan.id as string } satisfies SubResource } : {}),
      },
    };
    const result = ctx.store.tx(() => {
      putVnetRow(ctx, vnetBody);
      for (const r of removed) ctx.store.resources.delete(r.id);
      for (const b of built) putVnetChild(ctx, b);
      const synced = syncVirtualNetwork(ctx, id)!;
      refreshPeersOf(ctx, synced);
      return synced;
    });
    return networkPutResult(req, ctx, { created: !existing, body: result, location });
  });

  router.add("GET", one, (req, ctx) =>
    okWithEtag(requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName).body),
  );

  addListRoutes(router, VNET_TYPE);

  router.add("DELETE", one, (req, ctx) => {
    const v = getVnet(ctx, vnetId(ctx.subscriptionId, req.params.resourceGroupName, req.params.virtualNetworkName));
    if (!v) return { status: 204 };
    ctx.store.tx(() => removeVirtualNetwork(ctx, v.id));
    return networkDeleteResult(req, ctx, v.body.location);
  });

  deleters.push({ type: VNET_TYPE, order: 90, remove: (ctx, id) => removeVirtualNetwork(ctx, id) });
}

/** Registers virtual networks, subnets and peerings (routes and cascade deleters). */
export function registerNetworkResources(router: ArmRouter, deleters: CascadeDeleter[]): void {
  registerVirtualNetworks(router, deleters);
  registerSubnets(router);
  registerPeerings(router);
}
