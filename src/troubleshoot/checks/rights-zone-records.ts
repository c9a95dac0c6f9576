/**
 * Rights: may the setup's principal write the HSM's A record into the private DNS zone the client's VNet
 * uses? A private DNS zone group needs `Microsoft.Network/privateDnsZones/join/action` on the zone, a record set by
 * hand `Microsoft.Network/privateDnsZones/A/write` (Private DNS Zone Contributor has both). Without them the private
 * endpoint gets no record and the client keeps resolving the public address.
 */
import { ZONE_JOIN_ACTION } from "../../kernel/azure-roles.js";
import { linkedCorrectZone, relevantZone } from "../facts.js";
import { grantCommand, grantingAssignments } from "../rights.js";
import { finding, type Check } from "../types.js";

const RECORD_WRITE = "Microsoft.Network/privateDnsZones/A/write";

export const check: Check = {
  id: "rights-zone-records",
  run(ctx) {
    if (!ctx.rights) return finding(this.id, "skip", "no --principal given");
    const zone = linkedCorrectZone(ctx)?.zone ?? relevantZone(ctx);
    if (!zone) return finding(this.id, "skip", "no privatelink.managedhsm.azure.net zone in the data");
    const p = ctx.rights.principalId;
    const missing = [ZONE_JOIN_ACTION, RECORD_WRITE].filter(
      (a) => grantingAssignments(ctx.rights!, a, zone.id).length === 0,
    );
    const values = { principal: p, zone: zone.id, missing };
    if (missing.length === 0)
      return finding(this.id, "pass", `${p} may write records into ${zone.name} (zone group or record set)`, {
        resources: [zone.id],
        values,
      });
    const { role, command } = grantCommand(p, missing, zone.id);
    return finding(
      this.id,
      "fail",
      `${p} lacks ${missing.join(" and ")} on ${zone.id}: it cannot add the HSM's A record (private DNS zone group or record set), so clients keep resolving the public address. The role "${role}" on the zone would grant it`,
      {
        code: "ZONE_RECORDS_NOT_PERMITTED",
        resources: [zone.id],
        values: { ...values, missingRole: role },
        fix: command,
      },
    );
  },
};
