/**
 * The zone is linked to a VNet peered with the client's, but not to the client's own VNet. Azure DNS consults
 * only zones linked to the asking VNet (network model: `linkedZones` excludes peers), so peering does not help.
 */

import { linkedZones, peeredVnets } from "../../network/topology.js";
import { correctZones, linkedCorrectZone, zoneResourceGroup } from "../facts.js";
import { finding, type Check } from "../types.js";
import { MANAGED_HSM_PRIVATELINK_ZONE } from "../../kernel/azure-names.js";

export const check: Check = {
  id: "zone-linked-to-peer-only",
  run(ctx) {
    if (correctZones(ctx).length === 0) return finding(this.id, "skip", `no ${MANAGED_HSM_PRIVATELINK_ZONE} zone`);
    if (linkedCorrectZone(ctx)) return finding(this.id, "pass", `zone is linked to ${ctx.vnet.name} itself`);
    const peers = peeredVnets(ctx.snapshot, ctx.vnet.id);
    const hits = peers
      .map((p) => ({
        peer: p,
        lz: linkedZones(ctx.snapshot, p.id).find((l) => l.zone.name.toLowerCase() === MANAGED_HSM_PRIVATELINK_ZONE),
      }))
      .filter((x) => x.lz !== undefined);
    if (hits.length === 0)
      return finding(
        this.id,
        "pass",
        `zone is not linked to any peer of ${ctx.vnet.name} either (see dns-zone-linked)`,
        { values: { peers: peers.map((p) => p.id) } },
      );
    const { peer, lz } = hits[0];
    return finding(
      this.id,
      "fail",
      `zone ${lz!.zone.name} is linked only to peered VNet ${peer.name}, not to ${ctx.vnet.name}; peering does not share private DNS zone links`,
      {
        code: "DNS_ZONE_LINKED_TO_PEER_ONLY",
        resources: [lz!.zone.id, lz!.link.id, peer.id, ctx.vnet.id],
        values: { peers: hits.map((h) => h.peer.id) },
        fix: `az network private-dns link vnet create -g ${zoneResourceGroup(ctx, lz!.zone)} -z ${lz!.zone.name} -n ${ctx.vnet.name}-link -v ${ctx.vnet.id} -e false`,
      },
    );
  },
};
