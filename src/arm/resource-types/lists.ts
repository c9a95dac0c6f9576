/**
 * The two list operations every tracked resource type has (Azure REST API guidelines, "Collections"):
 * `GET {rg}/providers/{ns}/{type}` and `GET /subscriptions/{s}/providers/{ns}/{type}`, each `{"value": [...]}`.
 */
import type { ArmRouter } from "../engine.js";
import { requireResourceGroup } from "./resource-groups/index.js";

/**
 * Registers both lists for `type` (e.g. `Microsoft.Network/virtualNetworks`); items are the stored wire bodies in
 * creation order. A missing resource group answers ResourceGroupNotFound.
 */
export function addListRoutes(router: ArmRouter, type: string): void {
  const [namespace, ...rest] = type.split("/");
  const typePath = `providers/${namespace}/${rest.join("/")}`;
  router.add("GET", `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/${typePath}`, (req, ctx) => {
    const rg = requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName);
    return {
      status: 200,
      body: {
        value: ctx.store.resources
          .list(type, { subscriptionId: ctx.subscriptionId, resourceGroup: rg.name })
          .map((r) => r.body),
      },
    };
  });
  router.add("GET", `/subscriptions/{subscriptionId}/${typePath}`, (_req, ctx) => ({
    status: 200,
    body: { value: ctx.store.resources.list(type, { subscriptionId: ctx.subscriptionId }).map((r) => r.body) },
  }));
}
