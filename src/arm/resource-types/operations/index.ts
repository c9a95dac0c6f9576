/**
 * Poll endpoints of the LRO dialects (see ../../lro.ts). Every operation is terminal by the time it is polled.
 */
import type { ArmRouter } from "../../engine.js";
import { asyncStatusBody } from "../../lro.js";

export function registerOperationRoutes(router: ArmRouter): void {
  router.add(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.KeyVault/locations/{location}/managedHsmOperationResults/{operationId}",
    (req, ctx) => {
      const op = ctx.operations.require(req.params.operationId, "keyvault");
      if (op.error) return { status: 400, body: { error: op.error } };
      if (op.result !== undefined) return { status: 200, body: op.result };
      if (op.resourceId) {
        const r = ctx.store.resources.get(op.resourceId);
        if (r) return { status: 200, body: r.body };
      }
      return { status: 200 };
    },
  );
  router.add(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/{location}/operations/{operationId}",
    (req, ctx) => ({
      status: 200,
      body: asyncStatusBody(ctx.operations.require(req.params.operationId, "network")),
    }),
  );
  router.add(
    "GET",
    "/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/{location}/operationResults/{operationId}",
    (req, ctx) => {
      ctx.operations.require(req.params.operationId, "network");
      return { status: 204 };
    },
  );
  router.add(
    "GET",
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateDnsOperationStatuses/{operationId}",
    (req, ctx) => ({
      status: 200,
      body: asyncStatusBody(ctx.operations.require(req.params.operationId, "privatedns")),
    }),
  );
  router.add(
    "GET",
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateDnsOperationResults/{operationId}",
    (req, ctx) => {
      const op = ctx.operations.require(req.params.operationId, "privatedns");
      if (op.error) return { status: 400, body: { error: op.error } };
      const r = op.resourceId ? ctx.store.resources.get(op.resourceId) : undefined;
      return r ? { status: 200, body: r.body } : { status: 204 };
    },
  );
  router.add("GET", "/subscriptions/{subscriptionId}/operationresults/{operationId}", (req, ctx) => {
    ctx.operations.require(req.params.operationId, "resourcegroup");
    return { status: 200 };
  });
}
