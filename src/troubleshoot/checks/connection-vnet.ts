/**
 * How-to step 1, second half: "Make sure the virtual network matches the one you are using" — an approved private
 * endpoint to the HSM sits in the client's VNet or in a Connected peer of it (network model: reachableVnetIds).
 */
import { clientSubnetId, isApproved, privateEndpointCreateCommand, privateEndpointFacts } from "../facts.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "connection-vnet",
  run(ctx) {
    const facts = privateEndpointFacts(ctx);
    if (facts.length === 0)
      return finding(this.id, "skip", "no private endpoint to check", { resources: [ctx.vnet.id] });
    const values = {
      clientVnet: ctx.vnet.id,
      privateEndpoints: facts.map((f) => ({
        name: f.pe.name,
        vnet: f.vnetId,
        reachable: f.reachable,
        status: f.connection.state.status,
      })),
    };
    const resources = [ctx.vnet.id, ...facts.map((f) => f.pe.id)];
    const ok = facts.find((f) => f.reachable && isApproved(f));
    if (ok)
      return finding(
        this.id,
        "pass",
        `private endpoint ${ok.pe.name} is in ${ok.vnetId === ctx.vnet.id ? "the client VNet" : "a peered VNet"} ${ok.vnetId.split("/").pop()}`,
        { resources, values },
      );
    const reachable = facts.find((f) => f.reachable);
    if (reachable) {
      return finding(
        this.id,
        "skip",
        `private endpoint ${reachable.pe.name} is reachable from ${ctx.vnet.name} but its connection is not Approved (see connection-approved)`,
        { resources, values },
      );
    }
    return finding(
      this.id,
      "fail",
      `no private endpoint to ${ctx.hsmName} is in VNet ${ctx.vnet.name} or a Connected peer of it; endpoints are in ${[...new Set(facts.map((f) => f.vnetId.split("/").pop()))].join(", ")}`,
      {
        code: "PRIVATE_ENDPOINT_OTHER_VNET",
        resources,
        values,
        fix: `${privateEndpointCreateCommand(ctx, { rg: ctx.resourceGroup, name: `${ctx.hsmName}-pe-${ctx.vnet.name}`, subnetId: clientSubnetId(ctx), connectionName: `${ctx.hsmName}-conn-${ctx.vnet.name}` })}  (or peer ${ctx.vnet.name} with the endpoint's VNet)`,
      },
    );
  },
};
