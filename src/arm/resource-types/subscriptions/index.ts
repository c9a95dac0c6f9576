/**
 * Subscriptions, tenants, locations and resource provider registration (control-plane.md §6.1, §6.3).
 * The emulated cloud has one tenant and any number of subscriptions (./registry.ts); every provider is usable,
 * registered or not, and the registration state is kept per tenant, not per subscription (hsmlink's choice: nothing
 * depends on it).
 */
import type { ArmRouter, ArmContext, ArmRequest } from "../../engine.js";

import { AzureError } from "../../../kernel/errors.js";
import { KNOWN_LOCATIONS } from "../../../kernel/azure-names.js";
import { getSubscription, listSubscriptions, type Subscription } from "../../subscriptions.js";
import { hasAnyRoleIn } from "../../../store/role-assignments.js";
import {
  MANAGED_HSM_API_VERSIONS,
  NETWORK_API_VERSIONS,
  PRIVATE_DNS_API_VERSIONS,
  RESOURCES_API_VERSIONS,
} from "../../api-versions.js";

/** Newest first, as ARM lists them; the same tables the api-version check uses (src/arm/api-versions.ts). */
const newestFirst = (versions: readonly string[]): string[] => [...versions].reverse();
const MHSM = newestFirst(MANAGED_HSM_API_VERSIONS);
const NET = newestFirst(NETWORK_API_VERSIONS);
const DNS = newestFirst(PRIVATE_DNS_API_VERSIONS);

const PROVIDERS: Record<
  string,
  { namespace: string; resourceTypes: { resourceType: string; locations: string[]; apiVersions: string[] }[] }
> = {
  "microsoft.keyvault": {
    namespace: "Microsoft.KeyVault",
    resourceTypes: [
      { resourceType: "managedHSMs", locations: [], apiVersions: MHSM },
      { resourceType: "deletedManagedHSMs", locations: [], apiVersions: MHSM },
      { resourceType: "locations/managedHsmOperationResults", locations: [], apiVersions: MHSM },
      { resourceType: "checkMhsmNameAvailability", locations: [], apiVersions: MHSM },
    ],
  },
  "microsoft.network": {
    namespace: "Microsoft.Network",
    resourceTypes: [
      { resourceType: "virtualNetworks", locations: [], apiVersions: NET },
      { resourceType: "privateEndpoints", locations: [], apiVersions: NET },
      { resourceType: "networkInterfaces", locations: [], apiVersions: NET },
      { resourceType: "privateDnsZones", locations: ["global"], apiVersions: DNS },
      { resourceType: "privateDnsZones/virtualNetworkLinks", locations: ["global"], apiVersions: DNS },
    ],
  },
  "microsoft.resources": {
    namespace: "Microsoft.Resources",
    resourceTypes: [
      { resourceType: "resourceGroups", locations: [], apiVersions: newestFirst(RESOURCES_API_VERSIONS) },
    ],
  },
  "microsoft.authorization": {
    namespace: "Microsoft.Authorization",
    resourceTypes: [{ resourceType: "roleAssignments", locations: [], apiVersions: ["2022-04-01"] }],
  },
};

function subscriptionBody(ctx: ArmContext, sub: Subscription) {
  const id = sub.subscriptionId;
  return {
    id: `/subscriptions/${id}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId: id,
    tenantId: ctx.config.tenantId,
    displayName: sub.displayName,
    state: "Enabled",
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
  };
}

function providerBody(ctx: ArmContext, nsKey: string) {
  const known = PROVIDERS[nsKey];
  const row = ctx.store.providers.get(nsKey);
  const namespace = known?.namespace ?? row?.namespace;
  if (!namespace) return undefined;
  return {
    id: `/subscriptions/${ctx.subscriptionId}/providers/${namespace}`,
    namespace,
    registrationState: row?.registrationState ?? "NotRegistered",
    registrationPolicy: "RegistrationRequired",
    resourceTypes: (known?.resourceTypes ?? []).map((t) => ({
      ...t,
      locations: t.locations.length ? t.locations : KNOWN_LOCATIONS.slice(0, 10),
    })),
  };
}

function providerNotFound(ns: string) {
  return new AzureError(404, "InvalidResourceNamespace", `The resource namespace '${ns}' is invalid.`, {
    surface: "arm",
  });
}

export function registerSubscriptions(router: ArmRouter): void {
  // Azure lists the subscriptions in which the caller holds a role at any scope (az login then offers them).
  router.add("GET", "/subscriptions", (req, ctx) => {
    const value = listSubscriptions(ctx.store)
      .filter((s) => hasAnyRoleIn(ctx.store.db, req.principal.objectId, s.subscriptionId))
      .map((s) => subscriptionBody(ctx, s));
    return { status: 200, body: { value, count: { type: "Total", value: value.length } } };
  });
  router.add("GET", "/subscriptions/{subscriptionId}", (_req, ctx) => ({
    status: 200,
    body: subscriptionBody(ctx, getSubscription(ctx.store, ctx.subscriptionId)!),
  }));
  router.add("GET", "/tenants", (_req, ctx) => ({
    status: 200,
    body: {
      value: [
        {
          id: `/tenants/${ctx.config.tenantId}`,
          tenantId: ctx.config.tenantId,
          tenantCategory: "Home",
          displayName: "hsmlink",
          defaultDomain: "hsmlink.onmicrosoft.com",
          domains: ["hsmlink.onmicrosoft.com"],
          tenantType: "AAD",
        },
      ],
    },
  }));
  router.add("GET", "/subscriptions/{subscriptionId}/locations", (_req, ctx) => ({
    status: 200,
    body: {
      value: KNOWN_LOCATIONS.map((name) => ({
        id: `/subscriptions/${ctx.subscriptionId}/locations/${name}`,
        name,
        displayName: name,
        regionalDisplayName: name,
        type: "Region",
        metadata: { regionType: "Physical", regionCategory: "Recommended" },
      })),
    },
  }));
  router.add("GET", "/subscriptions/{subscriptionId}/providers", (_req, ctx) => ({
    status: 200,
    body: { value: Object.keys(PROVIDERS).map((k) => providerBody(ctx, k)) },
  }));
  router.add("GET", "/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}", (req: ArmRequest, ctx) => {
    const body = providerBody(ctx, req.params.resourceProviderNamespace.toLowerCase());
    if (!body) throw providerNotFound(req.params.resourceProviderNamespace);
    return { status: 200, body };
  });
  for (const [action, state] of [
    ["register", "Registered"],
    ["unregister", "Unregistered"],
  ] as const) {
    router.add(
      "POST",
      `/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}/${action}`,
      (req, ctx) => {
        const nsKey = req.params.resourceProviderNamespace.toLowerCase();
        const namespace = PROVIDERS[nsKey]?.namespace;
        if (!namespace) throw providerNotFound(req.params.resourceProviderNamespace);
        ctx.store.tx(() => ctx.store.providers.set(nsKey, namespace, state));
        return { status: 200, body: providerBody(ctx, nsKey) };
      },
    );
  }
}
