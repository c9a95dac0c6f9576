/**
 * FC-17..FC-21 from the client's side: when the client's traffic takes the public endpoint, what would the HSM's
 * firewall (publicNetworkAccess, networkAcls) answer? Asked of src/network/decision.ts (evaluateNetworkRules via
 * evaluateRequestNetwork). Over an approved private endpoint the ACLs are not evaluated (FC-21): pass.
 */
import { resourceGroupOf } from "../facts.js";
import { clientPath } from "../path.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "public-path-firewall",
  run(ctx) {
    if (!ctx.hsm) return finding(this.id, "skip", `managed HSM ${ctx.hsmName} is not in the data`);
    const r = clientPath(ctx);
    const route = r.connect.route;
    const acl = ctx.hsm.properties.networkAcls ?? {};
    const values = {
      publicNetworkAccess: ctx.hsm.properties.publicNetworkAccess ?? "Enabled",
      defaultAction: acl.defaultAction ?? "Allow",
      bypass: acl.bypass ?? "AzureServices",
      ipRules: (acl.ipRules ?? []).map((x) => x.value),
      path: route?.path ?? "none",
      rules: (r.rules?.steps ?? []).map((s) => s.rule),
    };
    if (route?.path === "private")
      return finding(
        this.id,
        "pass",
        "client traffic arrives via a private endpoint; publicNetworkAccess and network ACLs are not evaluated for it",
        { resources: [ctx.hsm.id], values },
      );
    if (route?.path !== "public" || !r.rules)
      return finding(this.id, "skip", "the client has no path to the public endpoint (see dns-resolves-private)", {
        resources: [ctx.hsm.id],
        values,
      });
    const src = route.sourceAddress;
    if (r.rules.allowed) {
      return finding(
        this.id,
        "warn",
        `client traffic goes to the PUBLIC endpoint from ${src} and the firewall allows it (${r.rules.steps.map((s) => s.rule).join(", ")}); it does not use the private endpoint`,
        {
          code: "PUBLIC_PATH_ALLOWED",
          resources: [ctx.hsm.id],
          values: { ...values, sourceAddress: src },
          fix: "fix private DNS (see the failing dns-* checks) so the client resolves the private endpoint address",
        },
      );
    }
    const inner = r.rules.innerCode;
    const from = ctx.syntheticVm
      ? `${src} (a stand-in address for a client in ${ctx.vnet.name}; pass --vm for a real one)`
      : src;
    const message =
      inner === "ForbiddenByFirewall"
        ? `client traffic takes the public endpoint and gets 403 ForbiddenByFirewall: client IP ${from} is not allowed (defaultAction Deny) and not via a private endpoint`
        : `client traffic takes the public endpoint and gets 403 ForbiddenByConnection: publicNetworkAccess is Disabled; only approved private endpoint traffic${values.bypass.toLowerCase() === "azureservices" ? " (or trusted services)" : ""} is allowed`;
    // az 2.45 has neither --public-network-access on update-hsm nor IP rules for a managed HSM: publicNetworkAccess
    // goes through the generic `az resource update`, the firewall through --default-action.
    const updateHsm = `az keyvault update-hsm --hsm-name ${ctx.hsm.name} -g ${resourceGroupOf(ctx.hsm.id) ?? ctx.resourceGroup}`;
    const open: string[] = [];
    if (values.publicNetworkAccess.toLowerCase() === "disabled")
      open.push(`az resource update --ids ${ctx.hsm.id} --set properties.publicNetworkAccess=Enabled`);
    if (values.defaultAction.toLowerCase() === "deny") open.push(`${updateHsm} --default-action Allow`);
    return finding(this.id, "fail", message, {
      code: inner,
      resources: [ctx.hsm.id],
      values: { ...values, sourceAddress: src, innerCode: inner },
      fix:
        `use the private endpoint (preferred: mend the failing connection-*/dns-* checks so ${ctx.hsmName} resolves to the private endpoint address)` +
        (values.bypass.toLowerCase() === "azureservices"
          ? ""
          : `; for trusted Azure services only: ${updateHsm} --bypass AzureServices`) +
        (open.length > 0 ? `; or open the public endpoint to every address: ${open.join(" && ")}` : ""),
    });
  },
};
