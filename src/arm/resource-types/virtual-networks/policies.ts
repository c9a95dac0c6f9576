/**
 * Subnet network policies for private endpoints and private link services (control-plane.md §2.1, §4.2).
 *
 * The default of `privateEndpointNetworkPolicies` when a PUT omits it depends on the api-version the client
 * sent: the REST models defaulted to `Enabled` up to the 2021 versions and to `Disabled` from 2022-01-01 on
 * (AAZ 2022-01-01 schema and the 2022-07-01 SDK model say `Disabled`; the 2021-02-01 model says `Enabled`).
 * So az 2.45 (2022-01-01) gets `Disabled` and the how-to's `--disable-private-endpoint-network-policies true` is a
 * no-op there; an old client (2021-x) gets `Enabled`. Sources: azure-rest-api-specs
 * specification/network/resource-manager/Microsoft.Network/stable/2021-08-01/virtualNetwork.json (default `Enabled`)
 * and stable/2022-01-01/virtualNetwork.json (default `Disabled`). No value blocks private endpoints any more: since
 * NSG/UDR support for private endpoints (GA 2022) `Enabled` makes NSGs and route tables apply to their traffic,
 * `NetworkSecurityGroupEnabled` / `RouteTableEnabled` one of them (articles/private-link/disable-private-endpoint-network-policy.md).
 */

export const PRIVATE_ENDPOINT_NETWORK_POLICIES = [
  "Enabled",
  "Disabled",
  "NetworkSecurityGroupEnabled",
  "RouteTableEnabled",
] as const;
export type PrivateEndpointNetworkPolicies = (typeof PRIVATE_ENDPOINT_NETWORK_POLICIES)[number];

export const PRIVATE_LINK_SERVICE_NETWORK_POLICIES = ["Enabled", "Disabled"] as const;
export type PrivateLinkServiceNetworkPolicies = (typeof PRIVATE_LINK_SERVICE_NETWORK_POLICIES)[number];

/**
 * Default of `privateEndpointNetworkPolicies` per api-version, newest first: the first row whose `from` is
 * ≤ the request's api-version (date part, `-preview` ignored) applies.
 *
 * | api-version        | default    |
 * |--------------------|------------|
 * | ≥ 2022-01-01       | `Disabled` |
 * | < 2022-01-01       | `Enabled`  |
 */
export const PRIVATE_ENDPOINT_POLICIES_DEFAULTS: readonly { from: string; value: PrivateEndpointNetworkPolicies }[] = [
  { from: "2022-01-01", value: "Disabled" },
  { from: "0000-00-00", value: "Enabled" },
];

/** `privateLinkServiceNetworkPolicies` defaults to `Enabled` on every api-version. */
export const PRIVATE_LINK_SERVICE_POLICIES_DEFAULT: PrivateLinkServiceNetworkPolicies = "Enabled";

/**
 * The `privateEndpointNetworkPolicies` value a subnet PUT without that property gets.
 * @param apiVersion as sent, e.g. `2022-01-01` or `2021-04-01-preview`; anything unparseable counts as newest
 */
export function defaultPrivateEndpointNetworkPolicies(apiVersion: string): PrivateEndpointNetworkPolicies {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(apiVersion.trim());
  const date = m ? m[1] : "9999-12-31";
  for (const row of PRIVATE_ENDPOINT_POLICIES_DEFAULTS) if (date >= row.from) return row.value;
  return PRIVATE_ENDPOINT_POLICIES_DEFAULTS[PRIVATE_ENDPOINT_POLICIES_DEFAULTS.length - 1].value;
}
