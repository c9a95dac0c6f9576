/**
 * Azure RBAC built-in role definitions hsmlink knows (control plane only), with their real ids, names,
 * descriptions, actions and notActions, and the action-matching rule ARM applies.
 *
 * Source: azure-docs, articles/role-based-access-control/built-in-roles/general.md (Owner, Contributor, Reader),
 * built-in-roles/networking.md (Network Contributor, Private DNS Zone Contributor), built-in-roles/security.md
 * (Key Vault Contributor, Managed HSM contributor — Azure spells that role name with a lower-case "c").
 * The matching rule (wildcards, actions minus notActions per role, union across assignments) follows
 * learn.microsoft.com "Understand Azure role definitions" (Actions, NotActions, wildcard `*`).
 */

export interface BuiltInRole {
  /** The role definition GUID (the same in every subscription). */
  name: string;
  roleName: string;
  description: string;
  actions: string[];
  notActions: string[];
}

export const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
export const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
export const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
export const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";
export const PRIVATE_DNS_ZONE_CONTRIBUTOR = "b12aa53e-6015-4669-85d0-8515ebb3ae7f";
export const KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395";
export const MANAGED_HSM_CONTRIBUTOR = "18500a29-7fe2-46b2-a342-b16a415e101d";

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    name: OWNER,
    roleName: "Owner",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions: ["*"],
    notActions: [],
  },
  {
    name: CONTRIBUTOR,
    roleName: "Contributor",
    description:
      "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    actions: ["*"],
    notActions: [
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/elevateAccess/Action",
      "Microsoft.Blueprint/blueprintAssignments/write",
      "Microsoft.Blueprint/blueprintAssignments/delete",
      "Microsoft.Compute/galleries/share/action",
      "Microsoft.Purview/consents/write",
      "Microsoft.Purview/consents/delete",
    ],
  },
  {
    name: READER,
    roleName: "Reader",
    description: "View all resources, but does not allow you to make any changes.",
    actions: ["*/read"],
    notActions: [],
  },
  {
    name: NETWORK_CONTRIBUTOR,
    roleName: "Network Contributor",
    description: "Lets you manage networks, but not access to them.",
    actions: [
      "Microsoft.Authorization/*/read",
      "Microsoft.Insights/alertRules/*",
      "Microsoft.Network/*",
      "Microsoft.ResourceHealth/availabilityStatuses/read",
      "Microsoft.Resources/deployments/*",
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      "Microsoft.Support/*",
    ],
    notActions: [],
  },
  {
    name: PRIVATE_DNS_ZONE_CONTRIBUTOR,
    roleName: "Private DNS Zone Contributor",
    description: "Lets you manage private DNS zone resources, but not the virtual networks they are linked to.",
    actions: [
      "Microsoft.Insights/alertRules/*",
      "Microsoft.Resources/deployments/*",
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      "Microsoft.Support/*",
      "Microsoft.Network/privateDnsZones/*",
      "Microsoft.Network/privateDnsOperationResults/*",
      "Microsoft.Network/privateDnsOperationStatuses/*",
      "Microsoft.Network/virtualNetworks/read",
      "Microsoft.Network/virtualNetworks/join/action",
      "Microsoft.Authorization/*/read",
    ],
    notActions: [],
  },
  {
    name: KEY_VAULT_CONTRIBUTOR,
    roleName: "Key Vault Contributor",
    description: "Lets you manage key vaults, but not access to them.",
    actions: [
      "Microsoft.Authorization/*/read",
      "Microsoft.Insights/alertRules/*",
      "Microsoft.KeyVault/*",
      "Microsoft.Resources/deployments/*",
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      "Microsoft.Support/*",
    ],
    notActions: [
      "Microsoft.KeyVault/locations/deletedVaults/purge/action",
      "Microsoft.KeyVault/hsmPools/*",
      "Microsoft.KeyVault/managedHsms/*",
    ],
  },
  {
    name: MANAGED_HSM_CONTRIBUTOR,
    roleName: "Managed HSM contributor",
    description: "Lets you manage managed HSM pools, but not access to them.",
    actions: [
      "Microsoft.KeyVault/managedHSMs/*",
      "Microsoft.KeyVault/deletedManagedHsms/read",
      "Microsoft.KeyVault/locations/deletedManagedHsms/read",
      "Microsoft.KeyVault/locations/deletedManagedHsms/purge/action",
      "Microsoft.KeyVault/locations/managedHsmOperationResults/read",
    ],
    notActions: [],
  },
];

/** The built-in role with this GUID (any casing), or undefined. */
export function builtInRole(guid: string): BuiltInRole | undefined {
  const g = guid.toLowerCase();
  return BUILT_IN_ROLES.find((r) => r.name === g);
}

const patternCache = new Map<string, RegExp>();

/** Whether an action pattern (`*`, `Microsoft.Network/*`, `*` then `/read`; case-insensitive) matches `action`. */
export function actionMatches(pattern: string, action: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(
      `^${pattern
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
        .join(".*")}$`,
      "i",
    );
    patternCache.set(pattern, re);
  }
  return re.test(action);
}

/** The permission part of any role definition (built-in or read from ARM). */
export interface RolePermissions {
  actions: readonly string[];
  notActions: readonly string[];
}

/** Whether the role grants `action`: one of its actions matches and none of its notActions does. */
export function roleGrants(role: RolePermissions, action: string): boolean {
  return role.actions.some((a) => actionMatches(a, action)) && !role.notActions.some((n) => actionMatches(n, action));
}

/** The wire JSON of a role definition as seen at `scope` (`GET {scope}/providers/Microsoft.Authorization/roleDefinitions`, api-version 2022-04-01). */
export function roleDefinitionBody(role: BuiltInRole, subscriptionId: string) {
  return {
    id: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
    type: "Microsoft.Authorization/roleDefinitions",
    name: role.name,
    properties: {
      roleName: role.roleName,
      type: "BuiltInRole",
      description: role.description,
      assignableScopes: ["/"],
      permissions: [
        { actions: [...role.actions], notActions: [...role.notActions], dataActions: [], notDataActions: [] },
      ],
      createdOn: "2015-02-02T21:55:09.8806423Z",
      updatedOn: "2025-01-25T00:00:00.0000000Z",
      createdBy: null,
      updatedBy: null,
    },
  };
}

/** Whether `outer` is `inner` or one of its ancestors (case-insensitive, whole segments): assignments inherit down the scope. */
export function scopeCovers(outer: string, inner: string): boolean {
  const o = outer.toLowerCase().replace(/\/+$/, "");
  const i = inner.toLowerCase().replace(/\/+$/, "");
  return o === "" || i === o || i.startsWith(o + "/");
}

/** Built-in roles from the narrowest to the broadest (hsmlink's ordering: one resource type, one provider, everything). */
const NARROWEST_FIRST = [
  MANAGED_HSM_CONTRIBUTOR,
  PRIVATE_DNS_ZONE_CONTRIBUTOR,
  KEY_VAULT_CONTRIBUTOR,
  NETWORK_CONTRIBUTOR,
  READER,
  CONTRIBUTOR,
  OWNER,
];

/** The built-in roles that grant every one of `actions`, narrowest first: what the troubleshooter suggests assigning. */
export function rolesGranting(actions: readonly string[]): BuiltInRole[] {
  return NARROWEST_FIRST.map((g) => builtInRole(g)!).filter((r) => actions.every((a) => roleGrants(r, a)));
}

/** The action a private endpoint creator needs on the target for the connection to be approved automatically (private-link/rbac-permissions.md). */
export const MHSM_APPROVAL_ACTION = "Microsoft.KeyVault/managedHSMs/privateEndpointConnectionsApproval/action";
/** Joining a subnet (placing a NIC of a private endpoint or VM in it). */
export const SUBNET_JOIN_ACTION = "Microsoft.Network/virtualNetworks/subnets/join/action";
/** Joining a private DNS zone (a private DNS zone group writing records into it). */
export const ZONE_JOIN_ACTION = "Microsoft.Network/privateDnsZones/join/action";
