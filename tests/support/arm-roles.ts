/**
 * Test support: give a principal an Azure RBAC role through hsmlink's ARM API (a role assignment PUT by the default
 * identity, the Owner of the default subscription), as a tenant admin would before the principal signs in.
 */
import { randomUUID } from "node:crypto";
import type { TestHsmlink } from "./hsmlink.js";
import { armCall } from "./arm-client.js";

/** Assigns `roleGuid` to `principalId` at `scope` (default: the default subscription). @throws when ARM refuses */
export async function grantArmRole(
  h: TestHsmlink,
  principalId: string,
  roleGuid: string,
  scope = `/subscriptions/${h.endpoints.subscriptionId}`,
): Promise<void> {
  const sub = scope.split("/")[2] ?? h.endpoints.subscriptionId;
  const r = await armCall(
    h,
    "PUT",
    `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`,
    {
      body: {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
          principalId,
          principalType: "ServicePrincipal",
        },
      },
    },
  );
  if (r.status !== 201) throw new Error(`role assignment for ${principalId} at ${scope}: ${r.status} ${r.text}`);
}
