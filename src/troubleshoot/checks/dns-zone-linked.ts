/**
 * CHK-3 (how-to step 3): the `privatelink.managedhsm.azure.net` zone has a virtual network link to the client's
 * VNet. Without it, Azure DNS in that VNet answers the public address (FC-02). Also covers FC-11: a VNet whose
 * custom DNS resolves privately still needs the link for platform callers.
 */

import { correctZones, linkedCorrectZone, zoneResourceGroup } from "../facts.js";
import { finding, type Check } from "../types.js";
import { MANAGED_HSM_PRIVATELINK_ZONE } from "../../kernel/azure-names.js";

export const check: Check = {
  id: "dns-zone-linked",
  run(ctx) {
    const zones = correctZones(ctx);
    if (zones.length === 0)
      return finding(this.id, "skip", `no ${MANAGED_HSM_PRIVATELINK_ZONE} zone (see dns-zone-exists)`);
    const linked = linkedCorrectZone(ctx);
    if (linked) {
      return finding(
        this.id,
        "pass",
        `zone ${linked.zone.name} is linked to VNet ${ctx.vnet.name} by ${linked.link.name}`,
        {
          resources: [linked.zone.id, linked.link.id, ctx.vnet.id],
          values: { resolutionPolicy: linked.link.properties.resolutionPolicy ?? "Default" },
        },
      );
    }
    const z = zones[0];
    return finding(
      this.id,
      "fail",
      `zone ${z.name} is not linked to VNet ${ctx.vnet.name}; Azure DNS there answers the HSM's public address (the A record and its IP may be right, that is not sufficient)`,
      {
        code: "DNS_ZONE_NOT_LINKED",
        resources: [z.id, ctx.vnet.id],
        values: { zone: z.id, vnet: ctx.vnet.id },
        fix: `az network private-dns link vnet create -g ${zoneResourceGroup(ctx, z)} -z ${z.name} -n ${ctx.vnet.name}-link -v ${ctx.vnet.id} -e false`,
      },
    );
  },
};
