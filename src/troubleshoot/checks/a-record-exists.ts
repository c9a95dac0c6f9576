/**
 * CHK-4 (how-to step 4): an A record named after the HSM (no suffix) exists in `privatelink.managedhsm.azure.net`.
 * FC-04: when it is missing but approved private endpoints remain, the message names them.
 */
import { aRecordIps, hsmARecord, isApproved, privateEndpointFacts, relevantZone, zoneResourceGroup } from "../facts.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "a-record-exists",
  run(ctx) {
    const zone = relevantZone(ctx);
    if (!zone) return finding(this.id, "skip", "no privatelink.managedhsm.azure.net zone (see dns-zone-exists)");
    const rs = hsmARecord(ctx, zone);
    if (rs)
      return finding(this.id, "pass", `A record ${rs.name} exists in ${zone.name}`, {
        resources: [rs.id],
        values: { ips: aRecordIps(rs), ttl: rs.properties.ttl ?? null },
      });
    const approved = privateEndpointFacts(ctx).filter(isApproved);
    const ip = approved.find((f) => f.reachable)?.ips[0] ?? approved[0]?.ips[0] ?? "<pe-nic-ip>";
    const left =
      approved.length > 0
        ? `; ${approved.length} approved connection(s) left (${approved.map((f) => f.pe.name).join(", ")}) but no record`
        : "";
    return finding(this.id, "fail", `zone ${zone.name} has no A record named ${ctx.hsmName}${left}`, {
      code: "A_RECORD_MISSING",
      resources: [zone.id],
      values: { zone: zone.id, expectedName: ctx.hsmName },
      fix: `az network private-dns record-set a add-record -g ${zoneResourceGroup(ctx, zone)} -z ${zone.name} -n ${ctx.hsmName} -a ${ip}`,
    });
  },
};
