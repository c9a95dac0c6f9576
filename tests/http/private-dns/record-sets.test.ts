// Record sets over HTTP (control-plane.md §5): case-insensitive type segment with canonical ids, synchronous
// 201/200/200/204, per-type validation, SOA rules, CNAME exclusivity, lists (ALL, recordsets, per type, $top,
// $recordsetnamesuffix), If-Match/If-None-Match, the 404 az's add-record relies on, and zone counters.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { Dns } from "./helpers.js";

const ZONE = "privatelink.managedhsm.azure.net";
let h: TestHsmlink;
let d: Dns;
let zp: string;

before(async () => {
  h = await startTestHsmlink();
  d = new Dns(h);
  await d.group("rg-r");
  await d.zone("rg-r", ZONE);
  zp = d.zonePath("rg-r", ZONE);
});
after(async () => h?.dispose());

test("add-record flow: GET of a missing set is 404 NotFound, PUT on lower-case 'a' creates it (201) with canonical id/type", async () => {
  const miss = await d.call("GET", `${zp}/a/myhsm`);
  assert.equal(miss.status, 404);
  assert.deepEqual(miss.json.error, {
    code: "NotFound",
    message: `The resource record 'myhsm' does not exist in resource group 'rg-r' of subscription '${d.sub}'.`,
  });
  const put = await d.call("PUT", `${zp}/a/myhsm`, {
    body: { properties: { ttl: 3600, aRecords: [{ ipv4Address: "10.0.0.4" }] } },
  });
  assert.equal(put.status, 201);
  assert.equal(put.json.id, `${zp}/A/myhsm`);
  assert.equal(put.json.name, "myhsm");
  assert.equal(put.json.type, "Microsoft.Network/privateDnsZones/A");
  assert.match(put.json.etag, /^[0-9a-f-]{36}$/);
  assert.deepEqual(put.json.properties, {
    ttl: 3600,
    fqdn: `myhsm.${ZONE}.`,
    isAutoRegistered: false,
    aRecords: [{ ipv4Address: "10.0.0.4" }],
  });
  const again = await d.call("PUT", `${zp}/A/myhsm`, {
    body: { properties: { ttl: 3600, aRecords: [{ ipv4Address: "10.0.0.4" }, { ipv4Address: "10.0.0.5" }] } },
  });
  assert.equal(again.status, 200);
  assert.notEqual(again.json.etag, put.json.etag);
  const got = await d.call("GET", `${zp}/A/MYHSM`);
  assert.deepEqual(got.json, again.json);
  const z = await d.call("GET", zp);
  assert.equal(z.json.properties.numberOfRecordSets, 2);
});

test("lists: ALL and recordsets include the SOA first; per-type list; $top pages; $recordsetnamesuffix filters", async () => {
  await d.call("PUT", `${zp}/TXT/info.app`, {
    body: { properties: { ttl: 300, txtRecords: [{ value: ["hello", "world"] }] } },
  });
  await d.call("PUT", `${zp}/A/web.app`, { body: { properties: { aRecords: [{ ipv4Address: "10.0.1.1" }] } } });
  const all = await d.call("GET", `${zp}/ALL`);
  assert.equal(all.status, 200);
  const pairs = all.json.value.map((s: { type: string; name: string }) => `${s.type.split("/").pop()} ${s.name}`);
  assert.deepEqual(pairs, ["SOA @", "A myhsm", "TXT info.app", "A web.app"]);
  const rs = await d.call("GET", `${zp}/recordsets`);
  assert.deepEqual(rs.json.value, all.json.value);
  const aOnly = await d.call("GET", `${zp}/a`);
  assert.deepEqual(
    aOnly.json.value.map((s: { name: string }) => s.name),
    ["myhsm", "web.app"],
  );
  const page = await d.call("GET", `${zp}/ALL?api-version=2020-06-01&$top=3`);
  assert.equal(page.json.value.length, 3);
  const rest = await d.call("GET", page.json.nextLink);
  assert.deepEqual(
    rest.json.value.map((s: { name: string }) => s.name),
    ["web.app"],
  );
  const suffix = await d.call("GET", `${zp}/ALL?api-version=2020-06-01&$recordsetnamesuffix=app`);
  assert.deepEqual(
    suffix.json.value.map((s: { name: string }) => s.name),
    ["info.app", "web.app"],
  );
  const badType = await d.call("GET", `${zp}/NS`);
  assert.equal(badType.status, 400);
  assert.equal(badType.json.error.code, "InvalidResourceType");
});

test("validation per type: bad records get 400 BadRequest and write nothing", async () => {
  const cases: [string, unknown][] = [
    ["A/bad", { aRecords: [{ ipv4Address: "10.0.0.256" }] }],
    ["A/bad", { aRecords: [{ ipv4Address: "fe80::1" }] }],
    ["A/bad", { aRecords: "10.0.0.1" }],
    ["A/bad", { aRecords: Array.from({ length: 21 }, (_, i) => ({ ipv4Address: `10.0.0.${i + 1}` })) }],
    ["A/bad", { aRecords: [{ ipv4Address: "10.0.0.1" }], mxRecords: [{ preference: 1, exchange: "mx.example.com" }] }],
    ["AAAA/bad", { aaaaRecords: [{ ipv6Address: "10.0.0.1" }] }],
    ["CNAME/bad", { cnameRecord: [{ cname: "a.example.com" }] }],
    ["CNAME/bad", { cnameRecord: { cname: "not a name" } }],
    ["MX/bad", { mxRecords: [{ preference: 70000, exchange: "mx.example.com" }] }],
    ["MX/bad", { mxRecords: [{ preference: 10 }] }],
    ["SRV/bad", { srvRecords: [{ priority: 1, weight: 1, port: -1, target: "sip.example.com" }] }],
    ["SRV/bad", { srvRecords: [{ priority: 1.5, weight: 1, port: 5060, target: "sip.example.com" }] }],
    ["TXT/bad", { txtRecords: [{ value: [] }] }],
    ["TXT/bad", { txtRecords: [{ value: "x" }] }],
    ["PTR/bad", { ptrRecords: [{ ptrdname: "" }] }],
    ["A/bad", { ttl: -1, aRecords: [] }],
    ["A/bad", { ttl: "60", aRecords: [] }],
    ["A/bad", { metadata: { k: 1 }, aRecords: [] }],
  ];
  for (const [path, properties] of cases) {
    const r = await d.call("PUT", `${zp}/${path}`, { body: { properties } });
    assert.equal(r.status, 400, `${path} ${JSON.stringify(properties)}`);
    assert.equal(r.json.error.code, "BadRequest", r.text);
  }
  const badName = await d.call("PUT", `${zp}/A/bad..name`, { body: { properties: { aRecords: [] } } });
  assert.equal(badName.status, 400);
  const noBody = await d.call("PUT", `${zp}/A/nobody`);
  assert.equal(noBody.status, 400);
  assert.equal(noBody.json.error.code, "InvalidRequestContent");
  const z = await d.call("GET", zp);
  assert.equal(z.json.properties.numberOfRecordSets, 4);
});

test("every type round-trips: AAAA, CNAME, MX, PTR, SRV, TXT, apex and wildcard names, empty sets, metadata", async () => {
  const put = async (path: string, properties: unknown) => {
    const r = await d.call("PUT", `${zp}/${path}`, { body: { properties } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  assert.deepEqual(
    (await put("AAAA/v6", { ttl: 60, aaaaRecords: [{ ipv6Address: "fd00::4" }] })).properties.aaaaRecords,
    [{ ipv6Address: "fd00::4" }],
  );
  assert.deepEqual(
    (await put("cname/alias", { cnameRecord: { cname: "myhsm.privatelink.managedhsm.azure.net" } })).properties
      .cnameRecord,
    { cname: "myhsm.privatelink.managedhsm.azure.net" },
  );
  assert.deepEqual(
    (await put("MX/@", { mxRecords: [{ preference: 10, exchange: "mail.example.com" }] })).properties.fqdn,
    `${ZONE}.`,
  );
  assert.deepEqual((await put("PTR/4", { ptrRecords: [{ ptrdname: "myhsm.example.com" }] })).properties.ptrRecords, [
    { ptrdname: "myhsm.example.com" },
  ]);
  assert.deepEqual(
    (await put("SRV/_sip._tcp", { srvRecords: [{ priority: 1, weight: 5, port: 5060, target: "sip.example.com" }] }))
      .properties.srvRecords,
    [{ priority: 1, weight: 5, port: 5060, target: "sip.example.com" }],
  );
  const txt = await put("TXT/*", { metadata: { owner: "me" }, txtRecords: [{ value: ["v=1"] }] });
  assert.deepEqual(txt.properties.metadata, { owner: "me" });
  assert.equal(txt.properties.fqdn, `*.${ZONE}.`);
  const empty = await put("A/empty", { ttl: 5 });
  assert.deepEqual(empty.properties, { ttl: 5, fqdn: `empty.${ZONE}.`, isAutoRegistered: false, aRecords: [] });
});

test("CNAME can't share a name with another type, nor live at the apex", async () => {
  const clash = await d.call("PUT", `${zp}/CNAME/myhsm`, {
    body: { properties: { cnameRecord: { cname: "x.example.com" } } },
  });
  assert.equal(clash.status, 400);
  assert.match(clash.json.error.message, /cannot coexist/);
  const other = await d.call("PUT", `${zp}/TXT/alias`, { body: { properties: { txtRecords: [{ value: ["x"] }] } } });
  assert.equal(other.status, 400);
  assert.match(other.json.error.message, /CNAME record set with the same name exists/);
  const apex = await d.call("PUT", `${zp}/CNAME/@`, {
    body: { properties: { cnameRecord: { cname: "x.example.com" } } },
  });
  assert.equal(apex.status, 400);
});

test("SOA: updatable in place, only at '@', never deletable", async () => {
  const soa = await d.call("GET", `${zp}/soa/@`);
  const upd = await d.call("PUT", `${zp}/SOA/@`, {
    body: { properties: { ttl: 3600, soaRecord: { ...soa.json.properties.soaRecord, refreshTime: 7200 } } },
  });
  assert.equal(upd.status, 200);
  assert.equal(upd.json.properties.soaRecord.refreshTime, 7200);
  assert.equal(upd.json.properties.soaRecord.host, "internal.cloudapp.net");
  const elsewhere = await d.call("PUT", `${zp}/SOA/other`, { body: { properties: { soaRecord: {} } } });
  assert.equal(elsewhere.status, 400);
  const del = await d.call("DELETE", `${zp}/SOA/@`);
  assert.equal(del.status, 400);
  assert.equal((await d.call("GET", `${zp}/SOA/@`)).status, 200);
});

test("If-None-Match: * on an existing set and a stale If-Match are 412 PreconditionFailed; the current etag works", async () => {
  const cur = await d.call("GET", `${zp}/A/myhsm`);
  const create = await d.call("PUT", `${zp}/A/myhsm`, {
    body: { properties: { aRecords: [] } },
    headers: { "If-None-Match": "*" },
  });
  assert.equal(create.status, 412);
  assert.deepEqual(create.json.error, {
    code: "PreconditionFailed",
    message: "The Record set myhsm exists already and hence cannot be created again.",
  });
  const stale = await d.call("PUT", `${zp}/A/myhsm`, {
    body: { properties: { aRecords: [] } },
    headers: { "If-Match": '"00000000-0000-0000-0000-000000000000"' },
  });
  assert.equal(stale.status, 412);
  assert.match(stale.json.error.message, /etag mismatch/);
  assert.deepEqual((await d.call("GET", `${zp}/A/myhsm`)).json, cur.json);
  const ok = await d.call("PATCH", `${zp}/A/myhsm`, {
    body: { properties: { ttl: 120 } },
    headers: { "If-Match": `"${cur.json.etag}"` },
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.properties.ttl, 120);
  assert.deepEqual(ok.json.properties.aRecords, cur.json.properties.aRecords);
});

test("PATCH replaces only what it names; PATCH of a missing set is 404", async () => {
  const p = await d.call("PATCH", `${zp}/A/myhsm`, {
    body: { properties: { metadata: { k: "v" }, aRecords: [{ ipv4Address: "10.0.0.9" }] } },
  });
  assert.equal(p.status, 200);
  assert.deepEqual(p.json.properties, {
    metadata: { k: "v" },
    ttl: 120,
    fqdn: `myhsm.${ZONE}.`,
    isAutoRegistered: false,
    aRecords: [{ ipv4Address: "10.0.0.9" }],
  });
  const missing = await d.call("PATCH", `${zp}/A/nothing`, { body: { properties: { ttl: 1 } } });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, "NotFound");
});

test("DELETE: 200, then 204; counters follow; a missing zone gives ParentResourceNotFound", async () => {
  const before = (await d.call("GET", zp)).json.properties.numberOfRecordSets;
  const del = await d.call("DELETE", `${zp}/a/web.app`);
  assert.equal(del.status, 200);
  assert.equal((await d.call("GET", `${zp}/A/web.app`)).status, 404);
  assert.equal((await d.call("DELETE", `${zp}/A/web.app`)).status, 204);
  assert.equal((await d.call("GET", zp)).json.properties.numberOfRecordSets, before - 1);
  const orphan = await d.call("PUT", `${d.zonePath("rg-r", "nozone.example.com")}/A/x`, {
    body: { properties: { aRecords: [] } },
  });
  assert.equal(orphan.status, 404);
  assert.equal(orphan.json.error.code, "ParentResourceNotFound");
});
