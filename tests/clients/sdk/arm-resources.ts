// A user's Node program: @azure/identity + @azure/arm-resources, unmodified, reaching hsmlink only through the
// environment of `hsmlink env`. Prints one JSON line with what it saw.
import { ManagedIdentityCredential, DefaultAzureCredential, ClientSecretCredential } from "@azure/identity";
import { ResourceManagementClient } from "@azure/arm-resources";

const [subscriptionId, mode, tenantId, appId, secret] = process.argv.slice(2);
const credential =
  mode === "sp"
    ? new ClientSecretCredential(tenantId, appId, secret)
    : mode === "default"
      ? new DefaultAzureCredential()
      : new ManagedIdentityCredential();
const client = new ResourceManagementClient(credential, subscriptionId);
const name = `rg-sdk-${mode}`;
const created = await client.resourceGroups.createOrUpdate(name, { location: "westeurope", tags: { via: "sdk" } });
const got = await client.resourceGroups.get(name);
const names: string[] = [];
for await (const g of client.resourceGroups.list()) names.push(g.name!);
const provider = await client.providers.register("Microsoft.Network");
await client.resourceGroups.beginDeleteAndWait(name, { updateIntervalInMs: 100 });
const exists = await client.resourceGroups.checkExistence(name);
console.log(
  JSON.stringify({
    createdId: created.id,
    gotTags: got.tags,
    listed: names.includes(name),
    provider: provider.registrationState,
    existsAfterDelete: exists.body,
  }),
);
