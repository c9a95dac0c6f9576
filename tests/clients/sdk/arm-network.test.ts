// @azure/arm-network 36 (through @azure/identity's ManagedIdentityCredential) against hsmlink: VNet, subnet and a
// private endpoint to a managed HSM, created, read and deleted with the SDK's own LRO pollers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { runNodeClient } from "../../support/node-client.js";
import { NetClient } from "../../http/network/net-client.js";

const script = fileURLToPath(new URL("./arm-network.ts", import.meta.url));
let h: TestHsmlink;
let hsmId: string;

before(async () => {
  h = await startTestHsmlink();
  const c = new NetClient(h);
  await c.group("rg-sdknet");
  hsmId = await c.hsm("rg-sdknet", "hsm-sdknet");
});
after(async () => h?.dispose());

test("NetworkManagementClient creates, reads and deletes a VNet, a subnet and a private endpoint", async () => {
  const r = await runNodeClient(script, h.clientEnv(), [h.endpoints.subscriptionId, "rg-sdknet", hsmId]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json, {
    vnetState: "Succeeded",
    subnetPolicies: "Disabled",
    peState: "Succeeded",
    connectionStatus: "Approved",
    customDnsConfigs: [{ fqdn: "hsm-sdknet.managedhsm.azure.net", ipAddresses: ["10.20.1.4"] }],
    nicIp: "10.20.1.4",
    nicPrivateEndpoint: true,
    vnetSubnets: ["pe-subnet"],
    subnetPrivateEndpoints: [true],
    listed: ["pe-sdk"],
    subnetPrivateEndpointsAfterDelete: 0,
    statusAfterDelete: 404,
  });
});
