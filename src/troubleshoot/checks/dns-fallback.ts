/**
 * X-FALLBACK (field case FC-07): a private DNS zone linked to the client VNet answers authoritatively for every
 * name under it, so a name it holds no record for gets NXDOMAIN (e.g. an HSM whose private endpoint lives in
 * someone else's VNet and zone), unless the link's `resolutionPolicy` is `NxDomainRedirect` ("fallback to
 * internet"). Asks the DNS view what the client gets for `{hsm}.managedhsm.azure.net` and reads its trace
 * (`private-zone-nxdomain` / `private-zone-fallback`); reports the policy and whether the answer is NXDOMAIN.
 */
import { resourceName, sameResourceId, type VirtualNetworkLink } from "../../network/topology.js";
import { isApproved, privateEndpointFacts, resourceGroupOf } from "../facts.js";
import { chainText, clientPath, hsmHost } from "../path.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "dns-fallback",
  run(ctx) {
    const r = clientPath(ctx);
    const dns = r.connect.dns;
    const host = hsmHost(ctx);
    const step = dns.trace.find((s) => s.rule === "private-zone-nxdomain" || s.rule === "private-zone-fallback");
    const linkId = step?.refs?.linkId;
    const link: VirtualNetworkLink | undefined = linkId
      ? ctx.snapshot.virtualNetworkLinks.find((l) => sameResourceId(l.id, linkId))
      : undefined;
    const zoneId = step?.refs?.zoneId;
    const values = {
      host,
      answer: chainText(r),
      nxdomain: dns.rcode === "NXDOMAIN",
      resolutionPolicy: link ? (link.properties.resolutionPolicy ?? "Default") : null,
      zone: zoneId ?? null,
      link: linkId ?? null,
    };
    const resources = [zoneId, linkId].filter((x): x is string => typeof x === "string");
    if (!step) {
      return finding(
        this.id,
        "pass",
        `no private DNS zone linked to ${ctx.vnet.name} answers NXDOMAIN for ${host} (${values.answer})`,
        { resources, values },
      );
    }
    const zoneName = zoneId ? resourceName(zoneId) : "the linked zone";
    if (step.rule === "private-zone-fallback") {
      return finding(
        this.id,
        "pass",
        `${zoneName} has no record for ${host}; link ${resourceName(linkId ?? "")} has resolutionPolicy NxDomainRedirect, so it is resolved publicly (${values.answer})`,
        { resources, values },
      );
    }
    const ownPe = privateEndpointFacts(ctx).some((f) => isApproved(f) && f.reachable);
    const rg = (zoneId ? resourceGroupOf(zoneId) : undefined) ?? ctx.resourceGroup;
    const fix = ownPe
      ? `add the A record for ${ctx.hsmName} (see a-record-exists); fallback to internet would only hide the missing record`
      : `az network private-dns link vnet update -g ${rg} -z ${zoneName} -n ${resourceName(linkId ?? "<link>")} --resolution-policy NxDomainRedirect  (az before 2.61: az rest --method patch --url "${linkId ?? "<link-id>"}?api-version=2024-06-01" --body '{"properties":{"resolutionPolicy":"NxDomainRedirect"}}')`;
    return finding(
      this.id,
      "warn",
      `${ctx.hsmName} is not in your zone: ${zoneName} linked to ${ctx.vnet.name} by ${resourceName(linkId ?? "")} has no record for it and resolutionPolicy=${values.resolutionPolicy ?? "Default"} → NXDOMAIN`,
      { code: "X_FALLBACK", resources, values, fix },
    );
  },
};
