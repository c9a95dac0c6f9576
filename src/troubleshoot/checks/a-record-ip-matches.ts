/**
 * CHK-5 (how-to step 5): the A record's address is the private IP of an approved private endpoint's NIC.
 */
import { sameIpv4 } from "../../network/topology.js";
import { aRecordIps, hsmARecord, isApproved, privateEndpointFacts, relevantZone, zoneResourceGroup } from "../facts.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "a-record-ip-matches",
  run(ctx) {
    const zone = relevantZone(ctx);
    const rs = zone ? hsmARecord(ctx, zone) : undefined;
    if (!zone || !rs) return finding(this.id, "skip", "no A record to compare (see a-record-exists)");
    const ips = aRecordIps(rs);
    const facts = privateEndpointFacts(ctx);
    const nicIps = facts.flatMap((f) =>
      f.ips.map((ip) => ({ ip, pe: f.pe.name, peId: f.pe.id, approved: isApproved(f), reachable: f.reachable })),
    );
    const values = {
      recordIps: ips,
      privateEndpointIps: nicIps.map(({ ip, pe, approved }) => ({ ip, privateEndpoint: pe, approved })),
    };
    if (facts.length > 0 && nicIps.length === 0) {
      return finding(
        this.id,
        "warn",
        `the private endpoints' NICs are not in the data; cannot compare ${ips.join(", ")}`,
        { code: "PE_NIC_UNKNOWN", resources: [rs.id], values },
      );
    }
    const match = nicIps.find((n) => n.approved && ips.some((ip) => sameIpv4(ip, n.ip)));
    if (match)
      return finding(this.id, "pass", `A record ${rs.name} → ${match.ip}, the NIC address of ${match.pe}`, {
        resources: [rs.id, match.peId],
        values,
      });
    const want = nicIps.find((n) => n.approved && n.reachable) ?? nicIps.find((n) => n.approved);
    const stale = nicIps.find((n) => ips.some((ip) => sameIpv4(ip, n.ip)));
    if (stale && !want) {
      // The record already names the endpoint's address; what is wrong is the connection (connection-approved says so).
      return finding(
        this.id,
        "skip",
        `A record ${rs.name} → ${stale.ip}, the NIC address of ${stale.pe}; its connection is not Approved (see connection-approved)`,
        { resources: [rs.id, stale.peId], values },
      );
    }
    const rg = zoneResourceGroup(ctx, zone);
    const target = want ?? nicIps[0];
    return finding(
      this.id,
      "fail",
      `A record ${rs.name} → ${ips.join(", ") || "(empty)"} ${stale ? `is the address of ${stale.pe}, whose connection is not Approved` : "is no private endpoint NIC address of this HSM"}${target ? `; expected ${target.ip} (${target.pe})` : ""}`,
      {
        code: "A_RECORD_IP_MISMATCH",
        resources: [rs.id, ...(target ? [target.peId] : [])],
        values,
        ...(target
          ? {
              fix: `az network private-dns record-set a update -g ${rg} -z ${zone.name} -n ${rs.name} --set 'aRecords=[{"ipv4Address":"${target.ip}"}]'`,
            }
          : {}),
      },
    );
  },
};
