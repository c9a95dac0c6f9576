/**
 * Rights: may the setup's principal have its private endpoint approved on creation? Azure approves an
 * automatic connection only when the creator holds `Microsoft.KeyVault/managedHSMs/privateEndpointConnectionsApproval/action`
 * on the HSM (private-link/rbac-permissions.md); without it the create is refused with LinkedAuthorizationFailed and
 * only a manual request (Pending until the HSM's owner approves) works. Warn, not fail: the manual path remains.
 */
import { MHSM_APPROVAL_ACTION } from "../../kernel/azure-roles.js";
import { grantCommand, grantingAssignments } from "../rights.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "rights-auto-approval",
  run(ctx) {
    if (!ctx.rights) return finding(this.id, "skip", "no --principal given");
    if (!ctx.hsm) return finding(this.id, "skip", `managed HSM ${ctx.hsmName} is not in the data`);
    const p = ctx.rights.principalId;
    const grants = grantingAssignments(ctx.rights, MHSM_APPROVAL_ACTION, ctx.hsm.id);
    const values = { principal: p, action: MHSM_APPROVAL_ACTION, grantedBy: grants };
    if (grants.length > 0) {
      return finding(
        this.id,
        "pass",
        `${p} may approve connections on ${ctx.hsm.name} (${grants[0].roleName} at ${grants[0].scope}): its private endpoints are approved on creation`,
        { resources: [ctx.hsm.id], values },
      );
    }
    const { role, command } = grantCommand(p, [MHSM_APPROVAL_ACTION], ctx.hsm.id);
    return finding(
      this.id,
      "warn",
      `${p} lacks ${MHSM_APPROVAL_ACTION} on ${ctx.hsm.name}: a private endpoint it creates without --manual-request is refused (LinkedAuthorizationFailed); with --manual-request it stays Pending until the HSM's owner approves it. The role "${role}" on the HSM would grant it`,
      {
        code: "AUTO_APPROVAL_NOT_PERMITTED",
        resources: [ctx.hsm.id],
        values: { ...values, missingRole: role },
        fix: `${command}  (or create the private endpoint with --manual-request and have the HSM's owner approve it)`,
      },
    );
  },
};
