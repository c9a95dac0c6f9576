/**
 * The activation status an HSM's ARM resource reports (`properties.securityDomainProperties`), written by the
 * security domain when a download or upload activates the HSM. The data plane's activation step reads the same
 * field (src/hsm/hsm.ts), so ARM and the data plane never disagree.
 */
import type { Store } from "../../store/db.js";
import { MHSM_RESOURCE_TYPE } from "../hsm.js";

/**
 * A new HSM (azure-cli recording `test_mhsm_private_link_resource.yaml`, 2022-11; also the Azure PowerShell
 * `Invoke-AzRestMethod` example of a managed HSM PUT).
 */
export const NOT_ACTIVATED = {
  activationStatus: "NotActivated",
  activationStatusMessage:
    "Your HSM has been provisioned, but cannot be used for cryptographic operations until it is activated. To activate the HSM, download the security domain.",
} as const;

/** An HSM whose security domain was downloaded or uploaded (same recording family, activated HSM). */
export const ACTIVE = {
  activationStatus: "Active",
  activationStatusMessage: "Your HSM has been activated and can be used for cryptographic operations.",
} as const;

/**
 * Sets the ARM resource of the live HSM `hsm` (lower-case name) to Active. Runs inside the caller's transaction.
 * @returns false when there is no live HSM of that name
 */
export function markActive(store: Store, hsm: string, now: number): boolean {
  const r = store.resources
    .list<{ properties?: Record<string, unknown> }>(MHSM_RESOURCE_TYPE)
    .find((x) => x.name.toLowerCase() === hsm);
  if (!r) return false;
  const body = structuredClone(r.body);
  body.properties = { ...(body.properties ?? {}), securityDomainProperties: { ...ACTIVE } };
  store.resources.put(
    {
      id: r.id,
      type: r.type,
      name: r.name,
      parentId: r.parentId,
      subscriptionId: r.subscriptionId,
      resourceGroup: r.resourceGroup,
      body,
    },
    now,
  );
  return true;
}
