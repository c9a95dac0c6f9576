/**
 * CHK-2 (how-to step 2): a private DNS zone named exactly `privatelink.managedhsm.azure.net` exists.
 * A near-miss name (FC-01) is named in the message; the `zone-name-near-miss` check reports it in full.
 */

import { correctZones } from "../facts.js";
import { finding, type Check } from "../types.js";
import { nearMissZones } from "./zone-name-near-miss.js";
import { MANAGED_HSM_PRIVATELINK_ZONE } from "../../kernel/azure-names.js";

export const check: Check = {
  id: "dns-zone-exists",
  run(ctx) {
    const zones = correctZones(ctx);
    if (zones.length > 0)
      return finding(this.id, "pass", `private DNS zone ${MANAGED_HSM_PRIVATELINK_ZONE} exists`, {
        resources: zones.map((z) => z.id),
        values: { zones: zones.map((z) => z.id) },
      });
    const near = nearMissZones(ctx);
    return finding(
      this.id,
      "fail",
      near.length > 0
        ? `no private DNS zone named exactly ${MANAGED_HSM_PRIVATELINK_ZONE}; found similar ${near.map((z) => z.name).join(", ")}`
        : `no private DNS zone named ${MANAGED_HSM_PRIVATELINK_ZONE}`,
      {
        code: near.length > 0 ? "DNS_ZONE_NAME_MISMATCH" : "DNS_ZONE_MISSING",
        resources: near.map((z) => z.id),
        values: { expected: MANAGED_HSM_PRIVATELINK_ZONE, similar: near.map((z) => z.name) },
        fix: `az network private-dns zone create -g ${ctx.resourceGroup} -n ${MANAGED_HSM_PRIVATELINK_ZONE}`,
      },
    );
  },
};
