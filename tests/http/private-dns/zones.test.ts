// Private DNS zones over HTTP (control-plane.md §5): the private DNS LRO dialect, the auto-created SOA, counters,
// If-None-Match/If-Match, validation, lists, PATCH, DELETE rules and resource-group delete.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { Dns } from "./helpers.js";

const ZONE = "privatelink.managedhsm.azure.net";
let h: TestHsmlink;
let d: Dns;

before(async () => {
  h = await startTestHsmlink();
  d = new Dns(h);
  await d.group("rg-z");
});
after(async () => h?.dispose());

test("PUT answers 202 {} with the private DNS async headers; the poll succeeds and GET shows the zone", async () => {
  const first = await d.call("PUT", d.zonePath("rg-z", ZONE), {
    body: { location: "global" },
    headers: { "If-None-Match": "*" },
  });
  assert.equal(first.status, 202);
  assert.deepEqual(first.json, {});
  const base = `/subscriptions/${d.sub}/resourceGroups/rg-z/providers/Microsoft.Network`;
  assert.match(
    String(first.headers["azure-asyncoperation"]),
    new RegExp(`${base}/privateDnsOperationStatuses/[0-9a-f-]{36}\\?api-version=2020-06-01$`),
  );
  assert.match(
    String(first.headers["location"]),
    new RegExp(`${base}/privateDnsOperationResults/[0-9a-f-]{36}\\?api-version=2020-06-01$`),
  );
  assert.equal(first.headers["retry-after"], "1");
  const st = await d.status(first);
  assert.equal(st.status, "Succeeded");
  const result = await d.call("GET", String(first.headers["location"]));
  assert.equal(result.status, 200);
  assert.equal(result.json.name, ZONE);

  const z = await d.call("GET", d.zonePath("rg-z", ZONE));
  assert.equal(z.status, 200);
  assert.equal(z.json.id, `${base}/privateDnsZones/${ZONE}`);
  assert.equal(z.json.type, "Microsoft.Network/privateDnsZones");
  assert.equal(z.json.location, "global");
  assert.match(z.json.etag, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.deepEqual(z.json.properties, {
    maxNumberOfRecordSets: 25000,
    maxNumberOfVirtualNetworkLinks: 1000,
    maxNumberOfVirtualNetworkLinksWithRegistration: 100,
    numberOfRecordSets: 1,
    numberOfVirtualNetworkLinks: 0,
    numberOfVirtualNetworkLinksWithRegistration: 0,
    provisioningState: "Succeeded",
  });
  const soa = await d.call("GET", `${d.zonePath("rg-z", ZONE)}/SOA/@`);
  assert.equal(soa.status, 200);
  assert.equal(soa.json.id, `${base}/privateDnsZones/${ZONE}/SOA/@`);
  assert.equal(soa.json.type, "Microsoft.Network/privateDnsZones/SOA");
  assert.deepEqual(soa.json.properties, {
    ttl: 3600,
    fqdn: `${ZONE}.`,
    isAutoRegistered: false,
    soaRecord: {
      email: "azureprivatedns-host.microsoft.com",
      expireTime: 2419200,
      host: "internal.cloudapp.net",
      minimumTtl: 300,
      refreshTime: 3600,
      retryTime: 300,
      serialNumber: 1,
    },
  });
});

test("If-None-Match: * on an existing zone: 202, then the operation fails with PreconditionFailed and nothing changes", async () => {
  await d.zone("rg-z", "again.example.com");
  const before = await d.call("GET", d.zonePath("rg-z", "again.example.com"));
  const r = await d.lro(
    "PUT",
    d.zonePath("rg-z", "again.example.com"),
    { location: "global", tags: { x: "y" } },
    { "If-None-Match": "*" },
  );
  assert.equal(r.status, "Failed");
  assert.deepEqual(r.error, {
    code: "PreconditionFailed",
    message: "The Zone again.example.com exists already and hence cannot be created again.",
  });
  const result = await d.call("GET", String(r.first.headers["location"]));
  assert.equal(result.status, 400);
  assert.equal(result.json.error.code, "PreconditionFailed");
  const after = await d.call("GET", d.zonePath("rg-z", "again.example.com"));
  assert.deepEqual(after.json, before.json);
});

test("If-Match: a stale etag fails the operation; the current etag updates the zone and changes its etag", async () => {
  await d.zone("rg-z", "match.example.com");
  const cur = await d.call("GET", d.zonePath("rg-z", "match.example.com"));
  const stale = await d.lro(
    "PUT",
    d.zonePath("rg-z", "match.example.com"),
    { location: "global" },
    { "If-Match": '"00000000-0000-0000-0000-000000000000"' },
  );
  assert.equal(stale.status, "Failed");
  assert.equal(stale.error?.code, "PreconditionFailed");
  assert.match(stale.error!.message, /has been modified \(etag mismatch\)/);
  const ok = await d.lro(
    "PUT",
    d.zonePath("rg-z", "match.example.com"),
    { location: "global", tags: { env: "test" } },
    { "If-Match": cur.json.etag },
  );
  assert.equal(ok.status, "Succeeded");
  const now = await d.call("GET", d.zonePath("rg-z", "match.example.com"));
  assert.deepEqual(now.json.tags, { env: "test" });
  assert.notEqual(now.json.etag, cur.json.etag);
  assert.equal(now.json.properties.numberOfRecordSets, 1);
  const missing = await d.lro(
    "PUT",
    d.zonePath("rg-z", "nothere.example.com"),
    { location: "global" },
    { "If-Match": "*" },
  );
  assert.equal(missing.status, "Failed");
  assert.equal((await d.call("GET", d.zonePath("rg-z", "nothere.example.com"))).status, 404);
});

test("invalid zone names and locations get a synchronous 400 and create nothing", async () => {
  for (const bad of ["single", "-bad.example.com", "a..b", `${"x".repeat(64)}.com`, "under_score.com"]) {
    const r = await d.call("PUT", d.zonePath("rg-z", bad), { body: { location: "global" } });
    assert.equal(r.status, 400, bad);
    assert.equal(r.json.error.code, "BadRequest");
    assert.match(r.json.error.message, /zone name .* is invalid/);
  }
  const east = await d.call("PUT", d.zonePath("rg-z", "east.example.com"), { body: { location: "eastus" } });
  assert.equal(east.status, 400);
  assert.equal(east.json.error.code, "LocationNotAvailableForResourceType");
  assert.match(
    east.json.error.message,
    /'eastus' is not available for resource type 'Microsoft.Network\/privateDnsZones'.*'global'/,
  );
  const none = await d.call("PUT", d.zonePath("rg-z", "east.example.com"), { body: {} });
  assert.equal(none.status, 400);
  assert.equal(none.json.error.code, "LocationRequired");
  const badTags = await d.call("PUT", d.zonePath("rg-z", "east.example.com"), {
    body: { location: "global", tags: ["x"] },
  });
  assert.equal(badTags.status, 400);
  assert.equal((await d.call("GET", d.zonePath("rg-z", "east.example.com"))).status, 404);
});

test("GET of a missing zone: 404 ResourceNotFound; under a missing resource group: ResourceGroupNotFound", async () => {
  const r = await d.call("GET", d.zonePath("rg-z", "missing.example.com"));
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "ResourceNotFound");
  assert.equal(
    r.json.error.message,
    "The Resource 'Microsoft.Network/privateDnsZones/missing.example.com' under resource group 'rg-z' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
  );
  const g = await d.call("PUT", d.zonePath("no-such-rg", "x.example.com"), { body: { location: "global" } });
  assert.equal(g.status, 404);
  assert.equal(g.json.error.code, "ResourceGroupNotFound");
});

test("lists by resource group and subscription, case-insensitive paths, and $top paging with nextLink", async () => {
  await d.group("rg-list");
  for (const z of ["a.list.com", "b.list.com", "c.list.com"]) await d.zone("rg-list", z);
  const rgList = await d.call(
    "GET",
    `/subscriptions/${d.sub}/resourcegroups/RG-LIST/providers/microsoft.network/privatednszones`,
  );
  assert.equal(rgList.status, 200);
  assert.deepEqual(
    rgList.json.value.map((z: { name: string }) => z.name),
    ["a.list.com", "b.list.com", "c.list.com"],
  );
  assert.equal(rgList.json.nextLink, undefined);
  const subList = await d.call("GET", `/subscriptions/${d.sub}/providers/Microsoft.Network/privateDnsZones`);
  const names = subList.json.value.map((z: { name: string }) => z.name);
  assert.ok(names.includes(ZONE) && names.includes("b.list.com"));
  const page1 = await d.call(
    "GET",
    `${d.rgPath("rg-list")}/providers/Microsoft.Network/privateDnsZones?api-version=2020-06-01&$top=2`,
  );
  assert.deepEqual(
    page1.json.value.map((z: { name: string }) => z.name),
    ["a.list.com", "b.list.com"],
  );
  assert.equal(typeof page1.json.nextLink, "string");
  const page2 = await d.call("GET", page1.json.nextLink);
  assert.deepEqual(
    page2.json.value.map((z: { name: string }) => z.name),
    ["c.list.com"],
  );
  assert.equal(page2.json.nextLink, undefined);
});

test("PATCH replaces tags through the LRO and keeps the SOA and counters", async () => {
  await d.zone("rg-z", "patch.example.com");
  const r = await d.lro("PATCH", d.zonePath("rg-z", "patch.example.com"), { tags: { team: "dns" } });
  assert.equal(r.status, "Succeeded");
  const z = await d.call("GET", d.zonePath("rg-z", "patch.example.com"));
  assert.deepEqual(z.json.tags, { team: "dns" });
  assert.equal(z.json.properties.numberOfRecordSets, 1);
  const missing = await d.call("PATCH", d.zonePath("rg-z", "nope.example.com"), { body: { tags: {} } });
  assert.equal(missing.status, 404);
});

test("DELETE: refused with CannotDeleteResource while a virtual network link exists, then removes the zone and its record sets", async () => {
  await d.zone("rg-z", "del.example.com");
  const vnet = d.seedVnet("rg-z", "vnet-del");
  assert.equal((await d.link("rg-z", "del.example.com", "lnk", vnet)).status, "Succeeded");
  await d.call("PUT", `${d.zonePath("rg-z", "del.example.com")}/A/www`, {
    body: { properties: { ttl: 60, aRecords: [{ ipv4Address: "10.1.2.3" }] } },
  });
  const refused = await d.call("DELETE", d.zonePath("rg-z", "del.example.com"));
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, "CannotDeleteResource");
  assert.equal(
    refused.json.error.message,
    "Cannot delete resource while nested resources exist. Some existing nested resource IDs include: 'Microsoft.Network/privateDnsZones/del.example.com/virtualNetworkLinks/lnk'. Please delete all nested resources before deleting this resource.",
  );
  assert.equal((await d.call("GET", d.zonePath("rg-z", "del.example.com"))).status, 200);
  assert.equal(
    (await d.lro("DELETE", `${d.zonePath("rg-z", "del.example.com")}/virtualNetworkLinks/lnk`)).status,
    "Succeeded",
  );
  const del = await d.lro("DELETE", d.zonePath("rg-z", "del.example.com"));
  assert.equal(del.status, "Succeeded");
  assert.equal((await d.call("GET", String(del.first.headers["location"]))).status, 204);
  assert.equal((await d.call("GET", d.zonePath("rg-z", "del.example.com"))).status, 404);
  assert.equal(h.store.resources.get(`${d.zonePath("rg-z", "del.example.com")}/A/www`), undefined);
  assert.equal(h.store.resources.get(`${d.zonePath("rg-z", "del.example.com")}/SOA/@`), undefined);
  assert.equal((await d.call("DELETE", d.zonePath("rg-z", "del.example.com"))).status, 204);
});

test("DELETE with a stale If-Match is refused with 412 and keeps the zone", async () => {
  await d.zone("rg-z", "keep.example.com");
  const r = await d.call("DELETE", d.zonePath("rg-z", "keep.example.com"), { headers: { "If-Match": "stale" } });
  assert.equal(r.status, 412);
  assert.equal(r.json.error.code, "PreconditionFailed");
  assert.equal((await d.call("GET", d.zonePath("rg-z", "keep.example.com"))).status, 200);
});

test("resource-group delete removes zones with their links and record sets", async () => {
  await d.group("rg-gone");
  await d.zone("rg-gone", "gone.example.com");
  const vnet = d.seedVnet("rg-gone", "v");
  assert.equal((await d.link("rg-gone", "gone.example.com", "l1", vnet, true)).status, "Succeeded");
  const del = await d.call("DELETE", `/subscriptions/${d.sub}/resourcegroups/rg-gone?api-version=2021-04-01`);
  assert.equal(del.status, 202);
  const left = h.store.resources.list("Microsoft.Network/privateDnsZones/virtualNetworkLinks", {
    resourceGroup: "rg-gone",
  });
  assert.equal(left.length, 0);
  assert.equal(h.store.resources.get(`${d.zonePath("rg-gone", "gone.example.com")}/SOA/@`), undefined);
  assert.equal(h.store.resources.get(d.zonePath("rg-gone", "gone.example.com")), undefined);
});
