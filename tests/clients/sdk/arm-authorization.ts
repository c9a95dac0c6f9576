// A user's Node program with a service principal (ClientSecretCredential) and @azure/arm-resources: tries to create
// a resource group and a second one, reporting what ARM answered for each. Prints one JSON line.
import { ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";

const [subscriptionId, tenantId, appId, secret, ...groups] = process.argv.slice(2);
const client = new ResourceManagementClient(new ClientSecretCredential(tenantId, appId, secret), subscriptionId);
const out: Record<string, unknown> = {};
for (const g of groups) {
  try {
    const rg = await client.resourceGroups.createOrUpdate(g, { location: "westeurope" });
    out[g] = { ok: true, id: rg.id };
  } catch (e) {
    const err = e as { statusCode?: number; code?: string; message?: string };
    out[g] = { ok: false, status: err.statusCode, code: err.code, message: err.message };
  }
}
console.log(JSON.stringify(out));
