// @azure/arm-keyvault 5.0.0 (api 2026-02-01, core-lro 3) against hsmlink through the proxy: managed HSM create, get,
// list by resource group and subscription, patch, name availability, private link resources, delete, deleted get/list,
// purge. Prints one JSON line summarising what the SDK returned. Args: <resourceGroup> <hsmName> <adminObjectId>.
import { ManagedIdentityCredential } from "@azure/identity";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";

const [rg, name, admin] = process.argv.slice(2);
const subscriptionId = process.env.HSMLINK_SUBSCRIPTION_ID!;
const tenantId = process.env.HSMLINK_TENANT_ID!;
const client = new KeyVaultManagementClient(new ManagedIdentityCredential(), subscriptionId);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function main() {
  const created = await client.managedHsms.createOrUpdate(rg, name, {
    location: "westeurope",
    sku: { family: "B", name: "Standard_B1" },
    tags: { via: "sdk" },
    properties: {
      tenantId,
      initialAdminObjectIds: [admin],
      softDeleteRetentionInDays: 7,
      networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
    },
  });
  const got = await client.managedHsms.get(rg, name);
  const byRg = await collect(client.managedHsms.listByResourceGroup(rg));
  const bySub = await collect(client.managedHsms.listBySubscription());
  const patched = await client.managedHsms.update(rg, name, { properties: { networkAcls: { defaultAction: "Deny" } } });
  const taken = await client.managedHsms.checkMhsmNameAvailability({ name });
  const links = await client.mhsmPrivateLinkResources.listByMhsmResource(rg, name);
  await client.managedHsms.delete(rg, name);
  const deleted = await client.managedHsms.getDeleted(name, "westeurope");
  const deletedList = await collect(client.managedHsms.listDeleted());
  await client.managedHsms.purgeDeleted(name, "westeurope");
  const afterPurge = await collect(client.managedHsms.listDeleted());
  console.log(
    JSON.stringify({
      created: {
        id: created.id,
        hsmUri: created.properties?.hsmUri,
        provisioningState: created.properties?.provisioningState,
        tags: created.tags,
        activation: created.properties?.securityDomainProperties?.activationStatus,
      },
      got: {
        name: got.name,
        retention: got.properties?.softDeleteRetentionInDays,
        createdAt: got.systemData?.createdAt instanceof Date,
      },
      byRg: byRg.map((h) => h.name),
      bySubIncludes: bySub.some((h) => h.name === name),
      patched: patched.properties?.networkAcls,
      taken: { nameAvailable: taken.nameAvailable, reason: taken.reason },
      groupIds: links.value?.map((l) => l.groupId),
      deleted: {
        name: deleted.name,
        mhsmId: deleted.properties?.mhsmId,
        scheduledPurgeDate: deleted.properties?.scheduledPurgeDate instanceof Date,
      },
      deletedListed: deletedList.some((d) => d.name === name),
      afterPurgeListed: afterPurge.some((d) => d.name === name),
    }),
  );
}

main().catch((e) => {
  console.log(JSON.stringify({ error: String(e?.message ?? e), code: e?.code, statusCode: e?.statusCode }));
  process.exit(1);
});
