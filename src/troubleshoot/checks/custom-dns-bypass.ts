/**
 * X-DNS-PATH (FC-06, FC-11): the client VNet sets custom DNS servers (`dhcpOptions.dnsServers`). Asks the DNS view
 * what those servers answer ({@link resolve} from the client vantage) and compares with Azure DNS of the client's
 * own VNet ({@link resolveInVnet}):
 * - no server answers (none is 168.63.129.16 or a forwarder the model knows) → fail, resolution leaves Azure DNS;
 * - the servers answer something other than an approved private endpoint address while Azure DNS would → fail;
 * - the servers answer privately but the zone is not linked to the client VNet itself → warn (platform callers
 *   such as Application Gateway ignore custom DNS for *.azure.net and need the link: FC-11).
 */
import { AZURE_DNS_ADDRESS, resolve, resolveInVnet } from "../../network/dns-view.js";
import { sameIpv4 } from "../../network/topology.js";
import {
  correctZones,
  isApproved,
  linkedCorrectZone,
  privateEndpointFacts,
  resourceGroupOf,
  zoneResourceGroup,
} from "../facts.js";
import { clientVantage, hsmHost } from "../path.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "custom-dns-bypass",
  run(ctx) {
    const servers = ctx.vnet.properties.dhcpOptions?.dnsServers ?? [];
    if (servers.length === 0)
      return finding(this.id, "pass", `VNet ${ctx.vnet.name} uses Azure-provided DNS (${AZURE_DNS_ADDRESS})`, {
        resources: [ctx.vnet.id],
        values: { dnsServers: [] },
      });
    const host = hsmHost(ctx);
    const viaCustom = resolve(ctx.snapshot, clientVantage(ctx), host, "A");
    const viaAzure = resolveInVnet(ctx.snapshot, ctx.vnet, host, "A");
    const addr = (a: typeof viaCustom) => a.answers.find((r) => r.type === "A")?.data;
    const peIps = privateEndpointFacts(ctx)
      .filter((f) => isApproved(f) && f.reachable)
      .flatMap((f) => f.ips);
    const isPe = (ip: string | undefined) => ip !== undefined && peIps.some((p) => sameIpv4(p, ip));
    const values = {
      dnsServers: servers,
      customAnswer: `${viaCustom.rcode} ${addr(viaCustom) ?? ""}`.trim(),
      azureDnsAnswer: `${viaAzure.rcode} ${addr(viaAzure) ?? ""}`.trim(),
      trace: viaCustom.trace.map((s) => s.rule),
    };
    const resources = [ctx.vnet.id];
    const fix = `make the DNS servers of ${ctx.vnet.name} forward managedhsm.azure.net (the public zone, not only privatelink.*) to ${AZURE_DNS_ADDRESS} from a VNet linked to privatelink.managedhsm.azure.net, or: az network vnet update -g ${resourceGroupOf(ctx.vnet.id) ?? ctx.resourceGroup} -n ${ctx.vnet.name} --dns-servers ${AZURE_DNS_ADDRESS}`;
    if (viaCustom.trace.some((s) => s.rule === "custom-dns-exhausted") || viaCustom.rcode === "SERVFAIL") {
      return finding(
        this.id,
        "fail",
        `custom DNS ${servers.join(", ")} of ${ctx.vnet.name} does not reach Azure DNS: ${host} gets ${viaCustom.rcode}`,
        { code: "X_DNS_PATH", resources, values, fix },
      );
    }
    if (!isPe(addr(viaCustom)) && isPe(addr(viaAzure))) {
      return finding(
        this.id,
        "fail",
        `custom DNS ${servers.join(", ")} answers ${values.customAnswer} for ${host}, while Azure DNS in ${ctx.vnet.name} would answer the private endpoint ${addr(viaAzure)}; resolution leaves Azure DNS of this VNet`,
        { code: "X_DNS_PATH", resources, values, fix },
      );
    }
    if (isPe(addr(viaCustom)) && !linkedCorrectZone(ctx)) {
      const z = correctZones(ctx)[0];
      const zoneRg = z ? zoneResourceGroup(ctx, z) : ctx.resourceGroup;
      return finding(
        this.id,
        "warn",
        `custom DNS resolves ${host} privately, but the zone is not linked to ${ctx.vnet.name}; platform callers (e.g. Application Gateway) ignore custom DNS for *.azure.net and will get the public address`,
        {
          code: "PLATFORM_IGNORES_CUSTOM_DNS",
          resources,
          values,
          fix: `az network private-dns link vnet create -g ${zoneRg} -z privatelink.managedhsm.azure.net -n ${ctx.vnet.name}-link -v ${ctx.vnet.id} -e false`,
        },
      );
    }
    return finding(
      this.id,
      "pass",
      `custom DNS ${servers.join(", ")} answers ${values.customAnswer} for ${host}, as Azure DNS would`,
      { resources, values },
    );
  },
};
