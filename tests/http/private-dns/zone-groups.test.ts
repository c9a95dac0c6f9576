// Private DNS zone groups of private endpoints over HTTP, plus the refresh/remove hooks the private endpoint code
// calls: A records (TTL 10) in the service's private zone, shared record sets across private endpoints (FC-04),
// near-miss zone names (FC-01), bad zone ids (FC-14), limits, and withdrawal on rejection and deletion.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import {
  refreshZoneGroupRecords,
  removeZoneGroupRecords,
} from "../../../src/arm/resource-types/private-dns-zones/index.js";
import { Dns } from "./helpers.js";

const ZONE = "privatelink.managedhsm.azure.net";
let h: TestHsmlink;
let d: Dns;

before(async () => {
  h = await startTestHsmlink();
  d = new Dns(h);
  await d.group("rg-g");
  await d.group("rg-dns");
  await d.zone("rg-dns", ZONE);
});
after(async () => h?.dispose());

const groupPath = (rg: string, pe: string, name = "default") =>
  `${d.rgPath(rg)}/providers/Microsoft.Network/privateEndpoints/${pe}/privateDnsZoneGroups/${name}`;
const azBody = (zoneId: string, name = "default", config = "hsm") => ({
  name,
  properties: { privateDnsZoneConfigs: [{ name: config, properties: { privateDnsZoneId: zoneId } }] },
});
const recordOf = (rg: string, zone: string, name: string) => d.call("GET", `${d.zonePath(rg, zone)}/A/${name}`);

test("creating a zone group answers in the network LRO dialect and writes the A record {hsm} (TTL 10) for the NIC address", async () => {
  d.seedPe("rg-g", "pe1", { hsm: "myhsm", ips: ["10.0.0.4"] });
  const first = await d.call("PUT", groupPath("rg-g", "pe1"), {
    body: azBody(d.zoneId("rg-dns", ZONE)),
    apiVersion: "2022-01-01",
  });
  assert.equal(first.status, 201, first.text);
  assert.match(
    String(first.headers["azure-asyncoperation"]),
    /\/providers\/Microsoft.Network\/locations\/westeurope\/operations\/[0-9a-f-]{36}\?api-version=2022-01-01$/,
  );
  assert.equal(first.json.properties.provisioningState, "Updating");
  assert.equal((await d.status(first)).status, "Succeeded");

  const g = await d.call("GET", groupPath("rg-g", "pe1"), { apiVersion: "2022-01-01" });
  assert.equal(g.status, 200);
  assert.equal(g.json.id, `${d.peId("rg-g", "pe1")}/privateDnsZoneGroups/default`);
  assert.equal(g.json.name, "default");
  assert.match(g.json.etag, /^W\/"[0-9a-f-]{36}"$/);
  assert.deepEqual(g.json.properties, {
    provisioningState: "Succeeded",
    privateDnsZoneConfigs: [
      {
        name: "hsm",
        properties: {
          privateDnsZoneId: d.zoneId("rg-dns", ZONE),
          recordSets: [
            {
              recordType: "A",
              recordSetName: "myhsm",
              fqdn: `myhsm.${ZONE}`,
              ttl: 10,
              ipAddresses: ["10.0.0.4"],
              provisioningState: "Succeeded",
            },
          ],
        },
      },
    ],
  });
  const rec = await recordOf("rg-dns", ZONE, "myhsm");
  assert.equal(rec.status, 200);
  assert.equal(rec.json.properties.ttl, 10);
  assert.deepEqual(rec.json.properties.aRecords, [{ ipv4Address: "10.0.0.4" }]);
  assert.deepEqual(rec.json.properties.metadata, {
    creator: "created by private endpoint pe1 with resource guid guid-of-pe1",
  });
  const list = await d.call(
    "GET",
    `${d.rgPath("rg-g")}/providers/Microsoft.Network/privateEndpoints/pe1/privateDnsZoneGroups`,
    { apiVersion: "2022-01-01" },
  );
  assert.deepEqual(
    list.json.value.map((x: { name: string }) => x.name),
    ["default"],
  );
});

test("a second private endpoint to the same HSM sharing the zone adds its address; removing the first withdraws only its own", async () => {
  d.seedPe("rg-g", "pe2", { hsm: "myhsm", ips: ["10.0.1.4"] });
  const r = await d.call("PUT", groupPath("rg-g", "pe2"), { body: azBody(d.zoneId("rg-dns", ZONE)) });
  assert.equal(r.status, 201, r.text);
  const both = await recordOf("rg-dns", ZONE, "myhsm");
  assert.deepEqual(both.json.properties.aRecords, [{ ipv4Address: "10.0.0.4" }, { ipv4Address: "10.0.1.4" }]);

  // The private endpoint code deletes pe1 and calls the hook (order either way).
  h.store.resources.delete(d.peId("rg-g", "pe1"));
  removeZoneGroupRecords(h.arm, d.peId("rg-g", "pe1"));
  const left = await recordOf("rg-dns", ZONE, "myhsm");
  assert.deepEqual(left.json.properties.aRecords, [{ ipv4Address: "10.0.1.4" }]);
  assert.equal(h.store.resources.get(`${d.peId("rg-g", "pe1")}/privateDnsZoneGroups/default`), undefined);
  removeZoneGroupRecords(h.arm, d.peId("rg-g", "pe1"));
  assert.deepEqual((await recordOf("rg-dns", ZONE, "myhsm")).json.properties.aRecords, [{ ipv4Address: "10.0.1.4" }]);
});

test("rejecting the connection withdraws the records (group kept, recordSets empty); approving again restores them", async () => {
  d.seedPe("rg-g", "pe2", { hsm: "myhsm", ips: ["10.0.1.4"], status: "Rejected" });
  refreshZoneGroupRecords(h.arm, d.peId("rg-g", "pe2"));
  assert.equal((await recordOf("rg-dns", ZONE, "myhsm")).status, 404);
  const g = await d.call("GET", groupPath("rg-g", "pe2"));
  assert.deepEqual(g.json.properties.privateDnsZoneConfigs[0].properties.recordSets, []);
  assert.equal((await d.call("GET", d.zonePath("rg-dns", ZONE))).json.properties.numberOfRecordSets, 1);

  d.seedPe("rg-g", "pe2", { hsm: "myhsm", ips: ["10.0.1.4"], status: "Approved" });
  refreshZoneGroupRecords(h.arm, d.peId("rg-g", "pe2"));
  assert.deepEqual((await recordOf("rg-dns", ZONE, "myhsm")).json.properties.aRecords, [{ ipv4Address: "10.0.1.4" }]);
  assert.equal(
    (await d.call("GET", groupPath("rg-g", "pe2"))).json.properties.privateDnsZoneConfigs[0].properties.recordSets[0]
      .ipAddresses[0],
    "10.0.1.4",
  );
});

test("a changed NIC address moves the record on refresh", async () => {
  d.seedPe("rg-g", "pe2", { hsm: "myhsm", ips: ["10.0.1.5"] });
  refreshZoneGroupRecords(h.arm, d.peId("rg-g", "pe2"));
  assert.deepEqual((await recordOf("rg-dns", ZONE, "myhsm")).json.properties.aRecords, [{ ipv4Address: "10.0.1.5" }]);
});

test("FC-01: a zone whose name is not the service's private zone is accepted but gets no record", async () => {
  await d.zone("rg-dns", "privatelink.managedhsm.azure.com");
  d.seedPe("rg-g", "pe3", { hsm: "otherhsm", ips: ["10.0.0.7"] });
  const r = await d.call("PUT", groupPath("rg-g", "pe3"), {
    body: azBody(d.zoneId("rg-dns", "privatelink.managedhsm.azure.com")),
  });
  assert.equal(r.status, 201);
  const g = await d.call("GET", groupPath("rg-g", "pe3"));
  assert.deepEqual(g.json.properties.privateDnsZoneConfigs[0].properties.recordSets, []);
  const all = await d.call("GET", `${d.zonePath("rg-dns", "privatelink.managedhsm.azure.com")}/ALL`);
  assert.deepEqual(
    all.json.value.map((s: { name: string }) => s.name),
    ["@"],
  );
  assert.equal((await recordOf("rg-dns", ZONE, "otherhsm")).status, 404);
});

test("FC-14: a zone id that does not exist or is not a zone: 400 InvalidPrivateDnsZoneIds naming the group; nothing written", async () => {
  d.seedPe("rg-g", "pe4", { hsm: "hsm4", ips: ["10.0.0.8"] });
  for (const bad of [`${d.zoneId("rg-dns", ZONE)}s`, d.peId("rg-g", "pe4"), "not-an-id", ""]) {
    const r = await d.call("PUT", groupPath("rg-g", "pe4"), { body: azBody(bad) });
    assert.equal(r.status, 400, bad);
    assert.deepEqual(r.json.error, {
      code: "InvalidPrivateDnsZoneIds",
      message: `Private Dns Zone group ${d.peId("rg-g", "pe4")}/privateDnsZoneGroups/default has invalid private dns zone ids.`,
    });
  }
  const noId = await d.call("PUT", groupPath("rg-g", "pe4"), {
    body: { properties: { privateDnsZoneConfigs: [{ name: "x", properties: {} }] } },
  });
  assert.equal(noId.json.error.code, "InvalidPrivateDnsZoneIds");
  assert.equal((await d.call("GET", groupPath("rg-g", "pe4"))).status, 404);
  assert.equal((await recordOf("rg-dns", ZONE, "hsm4")).status, 404);
});

test("duplicate config names, more than 5 zones and a second zone group on one private endpoint are refused", async () => {
  const zoneId = d.zoneId("rg-dns", ZONE);
  const dup = await d.call("PUT", groupPath("rg-g", "pe4"), {
    body: {
      properties: {
        privateDnsZoneConfigs: [
          { name: "a", properties: { privateDnsZoneId: zoneId } },
          { name: "A", properties: { privateDnsZoneId: zoneId } },
        ],
      },
    },
  });
  assert.equal(dup.status, 400);
  assert.equal(dup.json.error.code, "InvalidRequestFormat");
  assert.equal(dup.json.error.details[0].code, "DuplicateResourceName");
  const six = await d.call("PUT", groupPath("rg-g", "pe4"), {
    body: {
      properties: {
        privateDnsZoneConfigs: Array.from({ length: 6 }, (_, i) => ({
          name: `c${i}`,
          properties: { privateDnsZoneId: zoneId },
        })),
      },
    },
  });
  assert.equal(six.status, 400);
  assert.equal(six.json.error.code, "BadRequest");
  assert.equal((await d.call("PUT", groupPath("rg-g", "pe4"), { body: azBody(zoneId) })).status, 201);
  const second = await d.call("PUT", groupPath("rg-g", "pe4", "another"), { body: azBody(zoneId, "another") });
  assert.equal(second.status, 400);
  assert.match(
    second.json.error.message,
    /Cannot create more than one private dns zone groups in the private endpoint pe4/,
  );
  const update = await d.call("PUT", groupPath("rg-g", "pe4"), { body: azBody(zoneId, "default", "renamed") });
  assert.equal(update.status, 200);
  assert.equal(update.json.properties.privateDnsZoneConfigs[0].name, "renamed");
  assert.deepEqual((await recordOf("rg-dns", ZONE, "hsm4")).json.properties.aRecords, [{ ipv4Address: "10.0.0.8" }]);
});

test("a zone group on a missing private endpoint: 404; GET of a missing group: 404 NotFound", async () => {
  const r = await d.call("PUT", groupPath("rg-g", "nope"), { body: azBody(d.zoneId("rg-dns", ZONE)) });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "ResourceNotFound");
  const g = await d.call("GET", groupPath("rg-g", "pe4", "missing"));
  assert.equal(g.status, 404);
  assert.equal(g.json.error.code, "NotFound");
});

test("DELETE of a zone group withdraws its records but keeps addresses someone else added to the set", async () => {
  const add = await d.call("GET", `${d.zonePath("rg-dns", ZONE)}/A/hsm4`);
  await d.call("PUT", `${d.zonePath("rg-dns", ZONE)}/A/hsm4`, {
    body: { properties: { ttl: 10, aRecords: [...add.json.properties.aRecords, { ipv4Address: "192.168.0.1" }] } },
  });
  const del = await d.call("DELETE", groupPath("rg-g", "pe4"));
  assert.equal(del.status, 202);
  assert.equal(typeof del.headers["location"], "string");
  assert.equal((await d.status(del)).status, "Succeeded");
  assert.deepEqual((await recordOf("rg-dns", ZONE, "hsm4")).json.properties.aRecords, [{ ipv4Address: "192.168.0.1" }]);
  assert.equal((await d.call("GET", groupPath("rg-g", "pe4"))).status, 404);
  assert.equal((await d.call("DELETE", groupPath("rg-g", "pe4"))).status, 204);
});

test("deleting the private endpoint's resource group withdraws its records from a zone in another resource group", async () => {
  await d.group("rg-pe-gone");
  d.seedPe("rg-pe-gone", "pe5", { hsm: "hsm5", ips: ["10.0.0.9"] });
  assert.equal(
    (await d.call("PUT", groupPath("rg-pe-gone", "pe5"), { body: azBody(d.zoneId("rg-dns", ZONE)) })).status,
    201,
  );
  assert.equal((await recordOf("rg-dns", ZONE, "hsm5")).status, 200);
  const del = await d.call("DELETE", `/subscriptions/${d.sub}/resourcegroups/rg-pe-gone?api-version=2021-04-01`);
  assert.equal(del.status, 202);
  assert.equal((await recordOf("rg-dns", ZONE, "hsm5")).status, 404);
});

test("deleting the zone empties the zone group's recordSets", async () => {
  await d.group("rg-z2");
  await d.zone("rg-z2", ZONE);
  d.seedPe("rg-g", "pe6", { hsm: "hsm6", ips: ["10.0.0.10"] });
  assert.equal((await d.call("PUT", groupPath("rg-g", "pe6"), { body: azBody(d.zoneId("rg-z2", ZONE)) })).status, 201);
  assert.equal(
    (await d.call("GET", groupPath("rg-g", "pe6"))).json.properties.privateDnsZoneConfigs[0].properties.recordSets
      .length,
    1,
  );
  assert.equal((await d.lro("DELETE", d.zonePath("rg-z2", ZONE))).status, "Succeeded");
  assert.deepEqual(
    (await d.call("GET", groupPath("rg-g", "pe6"))).json.properties.privateDnsZoneConfigs[0].properties.recordSets,
    [],
  );
});
