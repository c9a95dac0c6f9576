/**
 * FC-13 (IaC race: private endpoint "Succeeded" before DNS is usable): an approved private endpoint the client can
 * reach is worthless until something publishes its address as `{hsm}` in `privatelink.managedhsm.azure.net` — a
 * private DNS zone group (which writes the record, TTL 10) or a record added by hand. Reports:
 * - a zone group still provisioning (not `Succeeded`) and no record yet → warn `DNS_RECORD_PENDING` (retry later);
 * - no record and no zone group → fail `DNS_RECORD_NOT_CREATED`: the first data-plane call after creation
 *   resolves what the DNS view answers (public address or NXDOMAIN), and so does every later one;
 * - no record although a Succeeded zone group references the right zone → fail `ZONE_GROUP_RECORD_MISSING`.
 * A zone group pointing at another zone is the `private-dns-zone-group` check's finding.
 */

import { sameIpv4, sameResourceId, type PrivateDnsZoneGroup } from "../../network/topology.js";
import {
  aRecordIps,
  distinctPrivateEndpoints,
  hsmARecord,
  isApproved,
  privateEndpointFacts,
  relevantZone,
  resourceGroupOf,
  zoneGroupsOf,
} from "../facts.js";
import { chainText, clientPath } from "../path.js";
import { finding, type Check } from "../types.js";
import { MANAGED_HSM_PRIVATELINK_ZONE } from "../../kernel/azure-names.js";

export const check: Check = {
  id: "private-endpoint-dns-record",
  run(ctx) {
    const pes = distinctPrivateEndpoints(privateEndpointFacts(ctx).filter((f) => isApproved(f) && f.reachable));
    if (pes.length === 0)
      return finding(
        this.id,
        "skip",
        "no approved private endpoint reachable from the client (see connection-approved, connection-vnet)",
      );
    const zone = relevantZone(ctx);
    if (!zone) return finding(this.id, "skip", `no ${MANAGED_HSM_PRIVATELINK_ZONE} zone (see dns-zone-exists)`);
    const rs = hsmARecord(ctx, zone);
    const ips = rs ? aRecordIps(rs) : [];
    const groups = (pe: (typeof pes)[number]) => zoneGroupsOf(ctx, pe.pe);
    const values = (extra: Record<string, unknown> = {}) => ({
      privateEndpoints: pes.map((f) => ({
        name: f.pe.name,
        provisioningState: f.pe.properties.provisioningState ?? null,
        ips: f.ips,
        zoneGroups:
          groups(f)?.map((g) => ({
            name: g.name,
            provisioningState: g.properties.provisioningState ?? null,
            zones: g.properties.privateDnsZoneConfigs.map((c) => c.properties.privateDnsZoneId),
          })) ?? null,
      })),
      zone: zone.id,
      recordIps: ips,
      ...extra,
    });
    const published = pes.find((f) => f.ips.some((ip) => ips.some((r) => sameIpv4(r, ip))));
    if (published) {
      const g = groups(published)?.find((x) => refsZone(x, zone.id));
      return finding(
        this.id,
        "pass",
        `the address of ${published.pe.name} is published as ${ctx.hsmName} in ${zone.name}${g ? ` by zone group ${g.name}` : " (record managed by hand)"}`,
        {
          resources: [published.pe.id, ...(rs ? [rs.id] : [])],
          values: values(),
        },
      );
    }
    if (rs)
      return finding(
        this.id,
        "skip",
        `record ${ctx.hsmName} exists but holds no reachable private endpoint address (see a-record-ip-matches)`,
        { resources: [rs.id], values: values() },
      );
    const pe = pes[0];
    const peRg = resourceGroupOf(pe.pe.id) ?? ctx.resourceGroup;
    const createGroup = `az network private-endpoint dns-zone-group create -g ${peRg} --endpoint-name ${pe.pe.name} -n default --private-dns-zone ${zone.id} --zone-name managedhsm`;
    const pending = pes.flatMap((f) =>
      (groups(f) ?? [])
        .filter((g) => (g.properties.provisioningState ?? "Succeeded").toLowerCase() !== "succeeded")
        .map((g) => ({ f, g })),
    );
    if (pending.length > 0) {
      const { f, g } = pending[0];
      return finding(
        this.id,
        "warn",
        `record for ${ctx.hsmName} not yet present: zone group ${g.name} of ${f.pe.name} is ${g.properties.provisioningState} (zone group provisioning); calls made now resolve ${chainText(clientPath(ctx))}`,
        {
          code: "DNS_RECORD_PENDING",
          resources: [f.pe.id, g.id],
          values: values({ clientAnswer: chainText(clientPath(ctx)) }),
          fix: `wait for zone group ${g.name} to finish (az network private-endpoint dns-zone-group show -g ${resourceGroupOf(f.pe.id) ?? ctx.resourceGroup} --endpoint-name ${f.pe.name} -n ${g.name} --query provisioningState), then retry; clients cache the old answer for its TTL`,
        },
      );
    }
    const writer = pes.flatMap((f) => (groups(f) ?? []).filter((g) => refsZone(g, zone.id)).map((g) => ({ f, g })))[0];
    if (writer) {
      return finding(
        this.id,
        "fail",
        `zone group ${writer.g.name} of ${writer.f.pe.name} references ${zone.name} and is Succeeded, yet ${zone.name} has no record ${ctx.hsmName} (deleted by hand, or withdrawn with another private endpoint)`,
        {
          code: "ZONE_GROUP_RECORD_MISSING",
          resources: [writer.f.pe.id, writer.g.id, zone.id],
          values: values(),
          fix: `re-create the zone group so it writes the record again: az network private-endpoint dns-zone-group delete -g ${resourceGroupOf(writer.f.pe.id) ?? ctx.resourceGroup} --endpoint-name ${writer.f.pe.name} -n ${writer.g.name} && ${createGroup.replace(pe.pe.name, writer.f.pe.name)}`,
        },
      );
    }
    const known = pes.every((f) => groups(f) !== undefined);
    return finding(
      this.id,
      "fail",
      `private endpoint ${pe.pe.name} is ${pe.pe.properties.provisioningState ?? "Succeeded"} but nothing publishes its address: no record ${ctx.hsmName} in ${zone.name} and ${known ? "no private DNS zone group" : "no zone group in the data"}; the client resolves ${chainText(clientPath(ctx))}`,
      {
        code: "DNS_RECORD_NOT_CREATED",
        resources: [pe.pe.id, zone.id],
        values: values({ clientAnswer: chainText(clientPath(ctx)) }),
        fix: `${createGroup}  (or by hand: az network private-dns record-set a add-record -g ${resourceGroupOf(zone.id) ?? ctx.resourceGroup} -z ${zone.name} -n ${ctx.hsmName} -a ${pe.ips[0] ?? "<pe-nic-ip>"})`,
      },
    );
  },
};

function refsZone(g: PrivateDnsZoneGroup, zoneId: string): boolean {
  return g.properties.privateDnsZoneConfigs.some((c) => sameResourceId(c.properties.privateDnsZoneId, zoneId));
}
