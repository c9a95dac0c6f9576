// @azure/arm-privatedns 3.2 (api 2020-06-01, core-lro) against hsmlink through the proxy: zone create (LRO) and the
// If-None-Match failure, virtual network link create, record set create/get/update (If-Match)/list (by type with
// $top, across types)/delete, zone list, link and zone delete. Prints one JSON line summarising what the SDK returned.
// Args: <subscriptionId> <resourceGroup> <virtualNetworkId>.
import { ManagedIdentityCredential } from "@azure/identity";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";

const [subscriptionId, rg, vnetId] = process.argv.slice(2);
const ZONE = "privatelink.managedhsm.azure.net";
const client = new PrivateDnsManagementClient(new ManagedIdentityCredential(), subscriptionId);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; statusCode?: number; message?: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    const err = e as { code?: string; statusCode?: number; message?: string };
    return { code: err.code, statusCode: err.statusCode, message: err.message };
  }
}

async function main() {
  const zone = await client.privateZones.beginCreateOrUpdateAndWait(
    rg,
    ZONE,
    { location: "global", tags: { via: "sdk" } },
    { ifNoneMatch: "*", updateIntervalInMs: 10 },
  );
  const again = await errorOf(
    client.privateZones.beginCreateOrUpdateAndWait(
      rg,
      ZONE,
      { location: "global" },
      { ifNoneMatch: "*", updateIntervalInMs: 10 },
    ),
  );
  const link = await client.virtualNetworkLinks.beginCreateOrUpdateAndWait(
    rg,
    ZONE,
    "sdk-link",
    { location: "global", virtualNetwork: { id: vnetId }, registrationEnabled: false },
    { ifNoneMatch: "*", updateIntervalInMs: 10 },
  );
  const created = await client.recordSets.createOrUpdate(rg, ZONE, "A", "myhsm", {
    ttl: 3600,
    aRecords: [{ ipv4Address: "10.0.0.4" }],
  });
  const got = await client.recordSets.get(rg, ZONE, "A", "myhsm");
  const updated = await client.recordSets.update(
    rg,
    ZONE,
    "A",
    "myhsm",
    { metadata: { owner: "sdk" } },
    { ifMatch: got.etag },
  );
  const stale = await errorOf(client.recordSets.update(rg, ZONE, "A", "myhsm", { ttl: 1 }, { ifMatch: got.etag }));
  await client.recordSets.createOrUpdate(rg, ZONE, "TXT", "note", { ttl: 60, txtRecords: [{ value: ["hello"] }] });
  const byType = await collect(client.recordSets.listByType(rg, ZONE, "A", { top: 1 }));
  const across = await collect(client.recordSets.list(rg, ZONE, { top: 2 }));
  const zoneAfter = await client.privateZones.get(rg, ZONE);
  const zones = await collect(client.privateZones.list());
  const zonesInRg = await collect(client.privateZones.listByResourceGroup(rg));
  await client.recordSets.delete(rg, ZONE, "A", "myhsm");
  const missing = await errorOf(client.recordSets.get(rg, ZONE, "A", "myhsm"));
  const refused = await errorOf(client.privateZones.beginDeleteAndWait(rg, ZONE, { updateIntervalInMs: 10 }));
  await client.virtualNetworkLinks.beginDeleteAndWait(rg, ZONE, "sdk-link", { updateIntervalInMs: 10 });
  await client.privateZones.beginDeleteAndWait(rg, ZONE, { updateIntervalInMs: 10 });
  const zonesAfterDelete = await collect(client.privateZones.listByResourceGroup(rg));
  console.log(
    JSON.stringify({
      zone: {
        id: zone.id,
        numberOfRecordSets: zone.numberOfRecordSets,
        tags: zone.tags,
        provisioningState: zone.provisioningState,
      },
      again: again && { message: again.message },
      link: {
        id: link.id,
        state: link.virtualNetworkLinkState,
        registrationEnabled: link.registrationEnabled,
        vnet: link.virtualNetwork?.id,
      },
      created: { id: created.id, type: created.type, fqdn: created.fqdn, aRecords: created.aRecords },
      updated: { metadata: updated.metadata, ttl: updated.ttl, etagChanged: updated.etag !== got.etag },
      stale: stale && { code: stale.code, statusCode: stale.statusCode },
      byType: byType.map((s) => s.name),
      across: across.map((s) => `${s.type?.split("/").pop()} ${s.name}`),
      numberOfRecordSets: zoneAfter.numberOfRecordSets,
      zonesListed: zones.some((z) => z.name === ZONE),
      zonesInRg: zonesInRg.map((z) => z.name),
      missing: missing && { code: missing.code, statusCode: missing.statusCode },
      refused: refused && { code: refused.code, statusCode: refused.statusCode },
      zonesAfterDelete: zonesAfterDelete.map((z) => z.name),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
