/**
 * X-REGION: a private endpoint must be in the region of its VNet; the HSM may be elsewhere (cross-region private
 * link is allowed, reported as a value). Locations compare case- and space-insensitively.
 */
import { findVirtualNetwork } from "../../network/topology.js";
import { normalizeLocation, privateEndpointFacts } from "../facts.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "region-mismatch",
  run(ctx) {
    const facts = privateEndpointFacts(ctx);
    if (facts.length === 0) return finding(this.id, "skip", "no private endpoint to check");
    const rows = facts.map((f) => ({
      privateEndpoint: f.pe.name,
      peId: f.pe.id,
      peLocation: f.pe.location ?? null,
      vnetLocation: findVirtualNetwork(ctx.snapshot, f.vnetId)?.location ?? null,
    }));
    const values = { hsmLocation: ctx.hsm?.location ?? null, privateEndpoints: rows.map(({ peId: _peId, ...r }) => r) };
    const bad = rows.find(
      (r) => r.peLocation && r.vnetLocation && normalizeLocation(r.peLocation) !== normalizeLocation(r.vnetLocation),
    );
    if (bad) {
      return finding(
        this.id,
        "fail",
        `private endpoint ${bad.privateEndpoint} is in ${bad.peLocation} but its VNet is in ${bad.vnetLocation}`,
        {
          code: "REGION_MISMATCH",
          resources: [bad.peId],
          values,
          fix: `recreate the private endpoint in ${bad.vnetLocation}: az network private-endpoint create -l ${bad.vnetLocation} …`,
        },
      );
    }
    return finding(this.id, "pass", "every private endpoint is in its VNet's region", {
      resources: rows.map((r) => r.peId),
      values,
    });
  },
};
