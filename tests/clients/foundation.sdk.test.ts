// @azure/identity + @azure/arm-resources from a Node process that only has the `hsmlink env` environment.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { grantArmRole } from "../support/arm-roles.js";
import { CONTRIBUTOR } from "../../src/kernel/azure-roles.js";

const script = fileURLToPath(new URL("./sdk/arm-resources.ts", import.meta.url));
let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

for (const mode of ["msi", "default", "sp"] as const) {
  test(`ResourceManagementClient with ${mode} credential creates, reads, lists and deletes a resource group`, async () => {
    const args = [h.endpoints.subscriptionId, mode];
    if (mode === "sp") {
      const { principal, password } = h.identity.createServicePrincipal("sdk-app");
      await grantArmRole(h, principal.objectId, CONTRIBUTOR);
      args.push(h.endpoints.tenantId, principal.appId, password);
    }
    const r = await runNodeClient(script, h.clientEnv(), args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, {
      createdId: `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/rg-sdk-${mode}`,
      gotTags: { via: "sdk" },
      listed: true,
      provider: "Registered",
      existsAfterDelete: false,
    });
  });
}
