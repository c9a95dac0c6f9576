/**
 * CHK-1 (how-to "Troubleshooting Guide" step 1): a private endpoint connection to the HSM is Approved and its
 * provisioning state is Succeeded. Field cases FC-24 (Rejected), FC-26 (Pending), FC-29/FC-30 (Disconnected).
 */
import {
  clientSubnetId,
  isApproved,
  privateEndpointCreateCommand,
  privateEndpointFacts,
  recreatePrivateEndpointCommand,
  resourceGroupOf,
} from "../facts.js";
import { sameResourceId } from "../../network/topology.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "connection-approved",
  run(ctx) {
    const facts = privateEndpointFacts(ctx);
    const id = this.id;
    if (facts.length === 0) {
      return finding(id, "fail", `no private endpoint connects to managed HSM ${ctx.hsmName}`, {
        code: "NO_PRIVATE_ENDPOINT",
        resources: [ctx.hsm?.id],
        fix: privateEndpointCreateCommand(ctx, {
          rg: ctx.resourceGroup,
          name: `${ctx.hsmName}-pe`,
          subnetId: clientSubnetId(ctx),
          connectionName: `${ctx.hsmName}-conn`,
        }),
      });
    }
    // Prefer the connections the client can reach; report on those.
    const relevant = facts.some((f) => f.reachable) ? facts.filter((f) => f.reachable) : facts;
    const values = {
      connections: relevant.map((f) => ({
        privateEndpoint: f.pe.name,
        connection: f.connection.name,
        status: f.connection.state.status,
        provisioningState: f.pe.properties.provisioningState ?? null,
      })),
    };
    const resources = relevant.map((f) => f.pe.id);
    const good = relevant.find(isApproved);
    if (good)
      return finding(
        id,
        "pass",
        `private endpoint ${good.pe.name} connection ${good.connection.name} is Approved and Succeeded`,
        { resources, values },
      );
    const f = relevant[0];
    const status = f.connection.state.status;
    const recreate = recreatePrivateEndpointCommand(ctx, f);
    // The HSM side names the connection differently from the endpoint side; approve takes the HSM side's name.
    const pec = ctx.hsm?.properties.privateEndpointConnections?.find((c) =>
      sameResourceId(c.properties.privateEndpoint?.id, f.pe.id),
    );
    const pecName = (pec as { name?: string } | undefined)?.name ?? pec?.id?.split("/").pop();
    const hsmRg = ctx.hsm ? (resourceGroupOf(ctx.hsm.id) ?? ctx.resourceGroup) : ctx.resourceGroup;
    switch (status.toLowerCase()) {
      case "pending":
        return finding(
          id,
          "fail",
          `connection ${f.connection.name} of ${f.pe.name} is Pending: awaiting approval by the HSM owner${f.connection.manualRequest ? " (manual request)" : ""}`,
          {
            code: "CONNECTION_PENDING",
            resources,
            values,
            fix: pecName
              ? `az keyvault private-endpoint-connection approve -g ${hsmRg} --hsm-name ${ctx.hsmName} -n ${pecName}`
              : `az keyvault private-endpoint-connection list -g ${hsmRg} --hsm-name ${ctx.hsmName} --query [].id, then: az keyvault private-endpoint-connection approve --id ID`,
          },
        );
      case "rejected":
        return finding(
          id,
          "fail",
          `connection ${f.connection.name} of ${f.pe.name} is Rejected; a rejected connection cannot be re-approved`,
          { code: "CONNECTION_REJECTED", resources, values, fix: recreate },
        );
      case "disconnected":
        return finding(
          id,
          "fail",
          `connection ${f.connection.name} of ${f.pe.name} is Disconnected: the resource side was removed; delete and recreate ${f.pe.name}`,
          { code: "CONNECTION_DISCONNECTED", resources, values, fix: recreate },
        );
      default:
        return finding(
          id,
          "fail",
          `connection ${f.connection.name} of ${f.pe.name} is ${status} (provisioning ${f.pe.properties.provisioningState ?? "unknown"}); it must be Approved and Succeeded`,
          { code: "CONNECTION_NOT_APPROVED", resources, values, fix: recreate },
        );
    }
  },
};
