/**
 * X-DISCONNECTED (field cases FC-29, FC-30): a private endpoint to this HSM is orphaned — its PE-side state is
 * Disconnected, or it says Approved while the HSM has no matching privateEndpointConnections entry (the HSM was
 * deleted and recreated, or the connection deleted on the resource side), or the target HSM does not exist.
 */
import { sameResourceId } from "../../network/topology.js";
import { privateEndpointFacts, recreatePrivateEndpointCommand } from "../facts.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "connection-disconnected",
  run(ctx) {
    const facts = privateEndpointFacts(ctx);
    if (facts.length === 0) return finding(this.id, "skip", "no private endpoint to check");
    const orphans: { pe: string; peId: string; reason: string }[] = [];
    for (const f of facts) {
      const status = f.connection.state.status.toLowerCase();
      if (status === "disconnected") {
        orphans.push({
          pe: f.pe.name,
          peId: f.pe.id,
          reason: "PE-side status is Disconnected (resource side removed)",
        });
      } else if (!ctx.hsm) {
        orphans.push({
          pe: f.pe.name,
          peId: f.pe.id,
          reason: `target ${f.connection.privateLinkServiceId} does not exist`,
        });
      } else if (status === "approved" && ctx.hsm.properties.privateEndpointConnections !== undefined) {
        const known = ctx.hsm.properties.privateEndpointConnections.some((c) =>
          sameResourceId(c.properties.privateEndpoint?.id, f.pe.id),
        );
        if (!known)
          orphans.push({
            pe: f.pe.name,
            peId: f.pe.id,
            reason: `HSM ${ctx.hsm.name} has no connection for it (HSM recreated or connection deleted; the PE predates it)`,
          });
      }
    }
    const values = { orphans };
    if (orphans.length === 0)
      return finding(this.id, "pass", "every private endpoint to the HSM is known on both sides", {
        resources: facts.map((f) => f.pe.id),
        values,
      });
    const o = orphans[0];
    const of = facts.find((f) => sameResourceId(f.pe.id, o.peId))!;
    return finding(
      this.id,
      "fail",
      `private endpoint ${o.pe} is orphaned: ${o.reason}; DNS may still point at it but the path is dead`,
      {
        code: "CONNECTION_DISCONNECTED",
        resources: orphans.map((x) => x.peId),
        values,
        fix: recreatePrivateEndpointCommand(ctx, of),
      },
    );
  },
};
