/**
 * FC-14 (zone group points at a bad or typo'd zone id) and the zone-group side of FC-01: every private DNS zone
 * group (`Microsoft.Network/privateEndpoints/privateDnsZoneGroups`) of a private endpoint to the HSM must reference
 * an existing zone named exactly `privatelink.managedhsm.azure.net`. A zone group writes no record into a zone of
 * another name (and no error says so), and a reference to a zone that no longer exists writes nothing at all.
 * No zone group = records managed by hand: pass (the record checks judge them).
 */

import { resourceName, sameResourceId } from "../../network/topology.js";
import {
  correctZones,
  distinctPrivateEndpoints,
  privateEndpointFacts,
  resourceGroupOf,
  zoneGroupsOf,
} from "../facts.js";
import { finding, type Check } from "../types.js";
import { MANAGED_HSM_PRIVATELINK_ZONE } from "../../kernel/azure-names.js";

interface Problem {
  readonly code: "ZONE_GROUP_ZONE_NOT_FOUND" | "ZONE_GROUP_WRONG_ZONE";
  readonly pe: string;
  readonly peId: string;
  readonly group: string;
  readonly groupId: string;
  readonly zoneId: string;
}

export const check: Check = {
  id: "private-dns-zone-group",
  run(ctx) {
    const pes = distinctPrivateEndpoints(privateEndpointFacts(ctx));
    if (pes.length === 0) return finding(this.id, "skip", "no private endpoint to check");
    if (ctx.snapshot.privateDnsZoneGroups === undefined)
      return finding(
        this.id,
        "pass",
        "no private DNS zone group in the data (records managed by hand, or not exported)",
        { values: { zoneGroups: [] } },
      );
    const rows: { pe: string; group: string; zones: { id: string; exists: boolean; name: string }[] }[] = [];
    const problems: Problem[] = [];
    for (const f of pes) {
      for (const g of zoneGroupsOf(ctx, f.pe) ?? []) {
        const zones = g.properties.privateDnsZoneConfigs.map((c) => {
          const id = c.properties.privateDnsZoneId;
          const zone = ctx.snapshot.privateDnsZones.find((z) => sameResourceId(z.id, id));
          return { id, exists: zone !== undefined, name: zone?.name ?? resourceName(id) };
        });
        rows.push({ pe: f.pe.name, group: g.name, zones });
        for (const z of zones) {
          if (!z.exists)
            problems.push({
              code: "ZONE_GROUP_ZONE_NOT_FOUND",
              pe: f.pe.name,
              peId: f.pe.id,
              group: g.name,
              groupId: g.id,
              zoneId: z.id,
            });
          else if (z.name.toLowerCase() !== MANAGED_HSM_PRIVATELINK_ZONE)
            problems.push({
              code: "ZONE_GROUP_WRONG_ZONE",
              pe: f.pe.name,
              peId: f.pe.id,
              group: g.name,
              groupId: g.id,
              zoneId: z.id,
            });
        }
      }
    }
    const values = { zoneGroups: rows, expected: MANAGED_HSM_PRIVATELINK_ZONE };
    if (rows.length === 0)
      return finding(this.id, "pass", "no private DNS zone group on the private endpoints (records managed by hand)", {
        resources: pes.map((f) => f.pe.id),
        values,
      });
    const p = problems[0];
    if (!p)
      return finding(
        this.id,
        "pass",
        `zone group(s) ${rows.map((r) => `${r.group} on ${r.pe}`).join(", ")} reference ${MANAGED_HSM_PRIVATELINK_ZONE}`,
        { resources: pes.map((f) => f.pe.id), values },
      );
    const target = correctZones(ctx)[0];
    const rg = resourceGroupOf(p.peId) ?? ctx.resourceGroup;
    const zoneArg = target?.id ?? `<id of ${MANAGED_HSM_PRIVATELINK_ZONE}>`;
    const fix = `az network private-endpoint dns-zone-group delete -g ${rg} --endpoint-name ${p.pe} -n ${p.group} && az network private-endpoint dns-zone-group create -g ${rg} --endpoint-name ${p.pe} -n ${p.group} --private-dns-zone ${zoneArg} --zone-name managedhsm${target ? "" : `  (create the zone first: az network private-dns zone create -g ${ctx.resourceGroup} -n ${MANAGED_HSM_PRIVATELINK_ZONE})`}`;
    const message =
      p.code === "ZONE_GROUP_ZONE_NOT_FOUND"
        ? `zone group ${p.group} on ${p.pe} references non-existent zone ${p.zoneId}${target && !sameResourceId(target.id, p.zoneId) ? `; did you mean ${target.id}?` : ""}; no record is written`
        : `zone group ${p.group} on ${p.pe} references zone ${resourceName(p.zoneId)}, which is not ${MANAGED_HSM_PRIVATELINK_ZONE}: the private endpoint's record is never written there, and no error says so`;
    return finding(this.id, "fail", message, {
      code: p.code,
      resources: [p.groupId, p.zoneId],
      values: {
        ...values,
        problems: problems.map(({ code, pe, group, zoneId }) => ({ code, privateEndpoint: pe, group, zone: zoneId })),
      },
      fix,
    });
  },
};
