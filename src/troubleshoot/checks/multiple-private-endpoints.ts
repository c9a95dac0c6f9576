/**
 * X-MULTI-PE (field case FC-04): several private endpoints to one HSM compete for the single `{hsm}` A record.
 * Only one address can be published; clients relying on the others use the one in the record, and deleting
 * either zone-group owner removes the record.
 */
import { sameIpv4 } from "../../network/topology.js";
import { aRecordIps, hsmARecord, isApproved, privateEndpointFacts, relevantZone } from "../facts.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "multiple-private-endpoints",
  run(ctx) {
    const facts = privateEndpointFacts(ctx);
    const pes = [...new Map(facts.map((f) => [f.pe.id.toLowerCase(), f])).values()];
    if (pes.length <= 1)
      return finding(this.id, "pass", `${pes.length} private endpoint(s) to ${ctx.hsmName}`, {
        values: { count: pes.length },
      });
    const zone = relevantZone(ctx);
    const rs = zone ? hsmARecord(ctx, zone) : undefined;
    const ips = rs ? aRecordIps(rs) : [];
    const winner = pes.find((f) => f.ips.some((ip) => ips.some((r) => sameIpv4(r, ip))));
    const approved = pes.filter(isApproved);
    const values = {
      privateEndpoints: pes.map((f) => ({
        name: f.pe.name,
        ips: f.ips,
        status: f.connection.state.status,
        inRecord: f === winner,
      })),
      recordIps: ips,
      lastWriter: rs?.properties.metadata?.creator ?? null,
    };
    const resources = pes.map((f) => f.pe.id);
    const message = rs
      ? `${pes.length} private endpoints to ${ctx.hsmName} share one A record; it points at ${winner ? winner.pe.name : ips.join(", ")}; clients that rely on ${pes
          .filter((f) => f !== winner)
          .map((f) => f.pe.name)
          .join(", ")} use that one, and deleting any zone-group owner removes the record`
      : `${pes.length} private endpoints to ${ctx.hsmName} (${approved.length} approved: ${approved.map((f) => f.pe.name).join(", ")}) but no A record; deleting one endpoint removed the shared record`;
    return finding(this.id, "warn", message, {
      code: "X_MULTI_PE",
      resources,
      values,
      fix: zone
        ? `keep one private endpoint per DNS zone, or use separate zones per VNet; re-add the record: az network private-dns record-set a add-record -g ${ctx.resourceGroup} -z ${zone.name} -n ${ctx.hsmName} -a ${(approved.find((f) => f.reachable) ?? approved[0])?.ips[0] ?? "<pe-nic-ip>"}`
        : "keep one private endpoint per DNS zone, or use separate zones per VNet",
    });
  },
};
