/**
 * Microsoft.Network/virtualNetworks/virtualNetworkPeerings: PUT (network LRO), GET, DELETE, list.
 *
 * Azure's state machine (learn.microsoft.com "Create, change, or delete a virtual network peering"; error texts from
 * field reports): a peering is `Initiated` while the reverse peering does not exist; creating the reverse makes both
 * `Connected`; deleting one side (or its VNet) leaves the other `Disconnected`. A `Disconnected` remote blocks creating
 * this side (`RemotePeeringIsDisconnected`) until the remote is updated (PUT again → `Initiated`) or re-created.
 * Address spaces of the two VNets must not overlap. Only `Connected` peerings carry traffic (src/network/topology.ts).
 */
import type { ArmContext, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { parseResourceId, resourceTypeOf, sameId } from "../../../kernel/resource-ids.js";
import type { StoredResource } from "../../../store/resources.js";
import { overlaps } from "../../../network/cidr.js";
import { newGuid } from "../../../kernel/ids.js";
import {
  PEERING_TYPE,
  VNET_TYPE,
  networkDeleteResult,
  networkPutResult,
  okWithEtag,
  readBoolean,
  readObject,
  readProperties,
  validateNetworkName,
} from "./common.js";
import { networkErrors } from "./errors.js";
import {
  getPeering,
  getVnet,
  peeringsOf,
  peeringsPointingAt,
  putVnetChild,
  requireVnet,
  syncVirtualNetwork,
  type PeeringBody,
  type VnetBody,
} from "./model.js";

/** The overlapping prefix pairs of two address spaces, flattened `[a1, b1, a2, b2, …]` (the RP's message lists both sides). */
export function overlappingPrefixes(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (const x of a) for (const y of b) if (overlaps(x, y)) out.push(x, y);
  return out;
}

/** The peering of `vnet` whose remote is `remoteVnetId`, if any. */
function peeringTo(ctx: ArmContext, vnet: string, remoteVnetId: string): StoredResource<PeeringBody> | undefined {
  return peeringsOf(ctx, vnet).find((p) => sameId(p.body.properties.remoteVirtualNetwork.id, remoteVnetId));
}

/** Writes a peering with a new state and the remote's current address space. */
function writePeering(
  ctx: ArmContext,
  p: PeeringBody,
  state: PeeringBody["properties"]["peeringState"],
  remote: VnetBody | undefined,
): void {
  const space = remote
    ? [...remote.properties.addressSpace.addressPrefixes]
    : p.properties.remoteAddressSpace.addressPrefixes;
  putVnetChild(ctx, {
    ...p,
    properties: {
      ...p.properties,
      peeringState: state,
      peeringSyncLevel: state === "Connected" ? "FullyInSync" : p.properties.peeringSyncLevel,
      remoteAddressSpace: { addressPrefixes: space },
      remoteVirtualNetworkAddressSpace: { addressPrefixes: [...space] },
    },
  });
}

/**
 * The other sides of `vnet`'s peerings lose their partner: every peering that points at `vnet` becomes `Disconnected`.
 * Used when `vnet` or one of its peerings is deleted; runs inside the caller's transaction.
 * @param onlyFrom when given, only the peering in that VNet is disconnected (a single peering was deleted)
 */
export function disconnectPeersOf(ctx: ArmContext, vnet: string, onlyFrom?: string): void {
  const backs = onlyFrom
    ? [peeringTo(ctx, onlyFrom, vnet)].filter((b): b is StoredResource<PeeringBody> => !!b)
    : peeringsPointingAt(ctx, vnet);
  for (const back of backs) {
    writePeering(ctx, back.body, "Disconnected", undefined);
    syncVirtualNetwork(ctx, back.parentId!);
  }
}

/**
 * After `vnet`'s address space changed: refresh `remoteAddressSpace` of the peerings that point at it.
 * Runs inside the caller's transaction.
 */
export function refreshPeersOf(ctx: ArmContext, vnet: VnetBody): void {
  for (const back of peeringsPointingAt(ctx, vnet.id)) {
    writePeering(ctx, back.body, back.body.properties.peeringState, vnet);
    syncVirtualNetwork(ctx, back.parentId!);
  }
}

/** Registers the peering routes. */
export function registerPeerings(router: ArmRouter): void {
  const base =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings";
  const one = `${base}/{virtualNetworkPeeringName}`;

  router.add("PUT", one, (req, ctx) => {
    const body = requireObjectBody(req);
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    const name = req.params.virtualNetworkPeeringName;
    validateNetworkName(name);
    const existing = getPeering(ctx, `${vnet.id}/virtualNetworkPeerings/${name}`);
    const id = existing?.id ?? `${vnet.id}/virtualNetworkPeerings/${name}`;
    const props = readProperties(body);
    const remoteRef = readObject(props, "remoteVirtualNetwork", "properties.remoteVirtualNetwork");
    const remoteId = remoteRef?.id;
    if (typeof remoteId !== "string" || !remoteId)
      throw networkErrors.MissingJsonReferenceId("properties.remoteVirtualNetwork");
    const parsed = parseResourceId(remoteId);
    if (!parsed || !parsed.resourceGroup || resourceTypeOf(parsed)?.toLowerCase() !== VNET_TYPE.toLowerCase()) {
      throw armErrors.LinkedInvalidPropertyId(remoteId, "properties.remoteVirtualNetwork.id");
    }
    const remote = getVnet(ctx, remoteId);
    if (!remote) throw networkErrors.InvalidResourceReference(remoteId, id);
    if (sameId(remote.id, vnet.id)) throw networkErrors.CannotPeerVirtualNetworkWithItself(id);
    const other = peeringTo(ctx, vnet.id, remote.id);
    if (other && !sameId(other.id, id))
      throw networkErrors.AnotherPeeringAlreadyReferencesRemoteVnet(id, other.id, remote.id);
    if (existing && !sameId(existing.body.properties.remoteVirtualNetwork.id, remote.id)) {
      throw armErrors.BadRequest(
        `Cannot change remote virtual network of peering ${id} from ${existing.body.properties.remoteVirtualNetwork.id} to ${remote.id}. Delete and re-create the peering.`,
      );
    }
    const allowVirtualNetworkAccess = readBoolean(
      props,
      "allowVirtualNetworkAccess",
      "properties.allowVirtualNetworkAccess",
      true,
    );
    const allowForwardedTraffic = readBoolean(
      props,
      "allowForwardedTraffic",
      "properties.allowForwardedTraffic",
      false,
    );
    const allowGatewayTransit = readBoolean(props, "allowGatewayTransit", "properties.allowGatewayTransit", false);
    const useRemoteGateways = readBoolean(props, "useRemoteGateways", "properties.useRemoteGateways", false);
    const doNotVerifyRemoteGateways = readBoolean(
      props,
      "doNotVerifyRemoteGateways",
      "properties.doNotVerifyRemoteGateways",
      false,
    );
    if (useRemoteGateways) throw networkErrors.RemoteVnetHasNoGateways(id, remote.id);
    const clash = overlappingPrefixes(
      vnet.body.properties.addressSpace.addressPrefixes,
      remote.body.properties.addressSpace.addressPrefixes,
    );
    if (clash.length) throw networkErrors.VnetAddressSpacesOverlap(id, vnet.id, remote.id, clash);
    const reverse = peeringTo(ctx, remote.id, vnet.id);
    if (reverse && reverse.body.properties.peeringState === "Disconnected")
      throw networkErrors.RemotePeeringIsDisconnected(id, reverse.id, vnet.id);

    const state = reverse ? "Connected" : "Initiated";
    const space = [...remote.body.properties.addressSpace.addressPrefixes];
    const peering: PeeringBody = {
      id,
      name: existing?.name ?? name,
      etag: "",
      type: PEERING_TYPE,
      properties: {
        provisioningState: "Succeeded",
        resourceGuid: existing?.body.properties.resourceGuid ?? newGuid(),
        remoteVirtualNetwork: { id: remote.id },
        allowVirtualNetworkAccess,
        allowForwardedTraffic,
        allowGatewayTransit,
        useRemoteGateways,
        doNotVerifyRemoteGateways,
        peeringState: state,
        peeringSyncLevel: "FullyInSync",
        remoteAddressSpace: { addressPrefixes: space },
        remoteVirtualNetworkAddressSpace: { addressPrefixes: [...space] },
      },
    };
    const stored = ctx.store.tx(() => {
      putVnetChild(ctx, peering);
      if (reverse) {
        writePeering(ctx, reverse.body, "Connected", vnet.body);
        syncVirtualNetwork(ctx, remote.id);
      }
      const v = syncVirtualNetwork(ctx, vnet.id)!;
      return v.properties.virtualNetworkPeerings.find((p) => sameId(p.id, id))!;
    });
    return networkPutResult(req, ctx, { created: !existing, body: stored, location: vnet.body.location });
  });

  router.add("GET", one, (req, ctx) => {
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    const id = `${vnet.id}/virtualNetworkPeerings/${req.params.virtualNetworkPeeringName}`;
    const p = getPeering(ctx, id);
    if (!p) throw networkErrors.NotFound(id);
    return okWithEtag(p.body);
  });

  router.add("GET", base, (req, ctx) => {
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    return { status: 200, body: { value: peeringsOf(ctx, vnet.id).map((p) => p.body) } };
  });

  router.add("DELETE", one, (req, ctx) => {
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    const p = getPeering(ctx, `${vnet.id}/virtualNetworkPeerings/${req.params.virtualNetworkPeeringName}`);
    if (!p) return { status: 204 };
    ctx.store.tx(() => {
      ctx.store.resources.delete(p.id);
      disconnectPeersOf(ctx, vnet.id, p.body.properties.remoteVirtualNetwork.id);
      syncVirtualNetwork(ctx, vnet.id);
    });
    return networkDeleteResult(req, ctx, vnet.body.location);
  });
}
