/**
 * Subnet network policies of the private endpoints' subnets. Since network security group and route table support
 * for private endpoints went GA (2022; MicrosoftDocs/azure-docs articles/private-link/disable-private-endpoint-network-policy.md),
 * `privateEndpointNetworkPolicies` no longer blocks creating an endpoint: `Enabled` makes both the subnet's NSG rules
 * and its route tables apply to private endpoint traffic, `NetworkSecurityGroupEnabled` / `RouteTableEnabled` one of
 * them, `Disabled` neither. hsmlink does not model NSGs or user-defined routes, so a subnet with policies on is a
 * warning to look at them, not a failure.
 */
import { privateEndpointFacts } from "../facts.js";
import { findSubnet } from "../../network/topology.js";
import { finding, type Check } from "../types.js";

const APPLIES: Record<string, string> = {
  enabled: "network security groups and route tables",
  networksecuritygroupenabled: "network security groups",
  routetableenabled: "route tables",
};

export const check: Check = {
  id: "subnet-network-policies",
  run(ctx) {
    const facts = privateEndpointFacts(ctx);
    if (facts.length === 0)
      return finding(this.id, "skip", "no private endpoint to check", { resources: [ctx.vnet.id] });
    const subnets = facts.map((f) => {
      const subnetId = f.pe.properties.subnet?.id ?? "";
      const policy =
        (subnetId && findSubnet(ctx.snapshot, subnetId)?.subnet.properties.privateEndpointNetworkPolicies) ||
        "Disabled";
      return { pe: f.pe.name, subnetId, policy };
    });
    const values = { subnets };
    const resources = subnets.map((s) => s.subnetId);
    const on = subnets.filter((s) => APPLIES[s.policy.toLowerCase()] !== undefined);
    if (on.length === 0)
      return finding(
        this.id,
        "pass",
        `private endpoint network policies are Disabled on the endpoints' subnets: no NSG or route table applies to their traffic`,
        { resources, values },
      );
    const first = on[0]!;
    const [, , , rg = "<rg>", , , , vnet = "<vnet>", , subnet = "<subnet>"] = first.subnetId.split("/");
    return finding(
      this.id,
      "warn",
      on
        .map(
          (s) =>
            `subnet ${s.subnetId.split("/").pop()} of private endpoint ${s.pe} has privateEndpointNetworkPolicies ${s.policy}: its ${APPLIES[s.policy.toLowerCase()]} apply to the endpoint's traffic (hsmlink does not model them; check they let port 443 through)`,
        )
        .join("; "),
      {
        code: "PRIVATE_ENDPOINT_NETWORK_POLICIES_ON",
        resources,
        values,
        fix: `az network vnet subnet update -g ${rg} --vnet-name ${vnet} -n ${subnet} --disable-private-endpoint-network-policies true  (only if those NSG rules or routes are not wanted)`,
      },
    );
  },
};
