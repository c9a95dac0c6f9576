/**
 * X-PNA (FC-17..FC-21): what a client on the public internet gets. A private-link HSM normally refuses it
 * (publicNetworkAccess Disabled, or defaultAction Deny). Allowed from the internet = warn: the private endpoint
 * does not make the HSM private. Asked of src/network/decision.ts.
 */
import { resourceGroupOf } from "../facts.js";
import { internetPath } from "../path.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "public-network-access",
  run(ctx) {
    if (!ctx.hsm) return finding(this.id, "skip", `managed HSM ${ctx.hsmName} is not in the data`);
    const r = internetPath(ctx);
    const acl = ctx.hsm.properties.networkAcls ?? {};
    const values = {
      publicNetworkAccess: ctx.hsm.properties.publicNetworkAccess ?? "Enabled",
      defaultAction: acl.defaultAction ?? "Allow",
      bypass: acl.bypass ?? "AzureServices",
      ipRules: (acl.ipRules ?? []).map((x) => x.value),
      internet: r.rules ? (r.rules.allowed ? "allowed" : r.rules.innerCode) : (r.connect.refusal?.reason ?? "no path"),
    };
    if (!r.rules)
      return finding(this.id, "pass", `the internet has no path to ${ctx.hsmName}`, {
        resources: [ctx.hsm.id],
        values,
      });
    if (!r.rules.allowed)
      return finding(
        this.id,
        "pass",
        `a client on the internet gets 403 ${r.rules.innerCode}; bypass=${values.bypass}`,
        { resources: [ctx.hsm.id], values },
      );
    return finding(
      this.id,
      "warn",
      `a client on the internet (${r.rules.sourceAddress}) is allowed: publicNetworkAccess ${values.publicNetworkAccess}, defaultAction ${values.defaultAction}; the private endpoint does not restrict public access`,
      {
        code: "PUBLIC_ACCESS_OPEN",
        resources: [ctx.hsm.id],
        values,
        fix: `az keyvault update-hsm --hsm-name ${ctx.hsm.name} -g ${resourceGroupOf(ctx.hsm.id) ?? ctx.resourceGroup} --default-action Deny --bypass AzureServices  (or turn the public endpoint off: az resource update --ids ${ctx.hsm.id} --set properties.publicNetworkAccess=Disabled)`,
      },
    );
  },
};
