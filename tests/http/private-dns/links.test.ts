// Virtual network links over HTTP (control-plane.md §5, §8): shape, counters, the VNet must exist, one
// registration-enabled link per VNet, no two same-named zones on one VNet, resolutionPolicy, limits, DELETE.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { Dns } from "./helpers.js";

const ZONE = "privatelink.managedhsm.azure.net";
let h: TestHsmlink;
let d: Dns;
let vnet1: string;

before(async () => {
  h = await startTestHsmlink();
  d = new Dns(h);
  await d.group("rg-l");
  await d.group("rg-l2");
  await d.zone("rg-l", ZONE);
  vnet1 = d.seedVnet("rg-l", "vnet1");
});
after(async () => h?.dispose());

const linkPath = (rg: string, zone: string, link: string) => `${d.zonePath(rg, zone)}/virtualNetworkLinks/${link}`;

test("a link is created through the LRO with Azure's shape and counted on the zone", async () => {
  const r = await d.link("rg-l", ZONE, "link1", vnet1, true);
  assert.equal(r.status, "Succeeded", JSON.stringify(r.error));
  const l = await d.call("GET", linkPath("rg-l", ZONE, "link1"));
  assert.equal(l.status, 200);
  assert.equal(l.json.id, `${d.zonePath("rg-l", ZONE)}/virtualNetworkLinks/link1`);
  assert.equal(l.json.type, "Microsoft.Network/privateDnsZones/virtualNetworkLinks");
  assert.equal(l.json.location, "global");
  assert.match(l.json.etag, /^[0-9a-f-]{36}$/);
  assert.deepEqual(l.json.properties, {
    virtualNetwork: { id: vnet1 },
    registrationEnabled: true,
    virtualNetworkLinkState: "Completed",
    provisioningState: "Succeeded",
  });
  const z = await d.call("GET", d.zonePath("rg-l", ZONE));
  assert.equal(z.json.properties.numberOfVirtualNetworkLinks, 1);
  assert.equal(z.json.properties.numberOfVirtualNetworkLinksWithRegistration, 1);
  const list = await d.call("GET", `${d.zonePath("rg-l", ZONE)}/virtualNetworkLinks`);
  assert.deepEqual(
    list.json.value.map((x: { name: string }) => x.name),
    ["link1"],
  );
});

test("If-None-Match: * on an existing link ends Failed with PreconditionFailed", async () => {
  const r = await d.link("rg-l", ZONE, "link1", vnet1, true);
  assert.equal(r.status, "Failed");
  assert.equal(r.error?.code, "PreconditionFailed");
  assert.match(r.error!.message, /link1 exists already and hence cannot be created again/);
});

test("a link to a VNet that does not exist ends Failed with BadRequest and writes nothing", async () => {
  const ghost = d.vnetId("rg-l", "ghost");
  const r = await d.link("rg-l", ZONE, "ghost-link", ghost);
  assert.equal(r.status, "Failed");
  assert.deepEqual(r.error, { code: "BadRequest", message: `Virtual network resource not found for '${ghost}'` });
  assert.equal((await d.call("GET", linkPath("rg-l", ZONE, "ghost-link"))).status, 404);
  const notVnet = await d.link("rg-l", ZONE, "ghost-link", d.zoneId("rg-l", ZONE));
  assert.equal(notVnet.status, "Failed");
  assert.equal(notVnet.error?.code, "BadRequest");
});

test("a second registration-enabled link for the same VNet (another zone) ends Failed with Conflict; without registration it works", async () => {
  await d.zone("rg-l", "corp.contoso.com");
  const r = await d.link("rg-l", "corp.contoso.com", "reg", vnet1, true);
  assert.equal(r.status, "Failed");
  assert.equal(r.error?.code, "Conflict");
  assert.equal(
    r.error?.message,
    `A virtual network can only be linked to 1 Private DNS zone(s) with auto-registration enabled; conflicting Private DNS zone is '${d.zoneId("rg-l", ZONE).toLowerCase()}'.`,
  );
  const ok = await d.link("rg-l", "corp.contoso.com", "res", vnet1, false);
  assert.equal(ok.status, "Succeeded");
  const z = await d.call("GET", d.zonePath("rg-l", "corp.contoso.com"));
  assert.equal(z.json.properties.numberOfVirtualNetworkLinks, 1);
  assert.equal(z.json.properties.numberOfVirtualNetworkLinksWithRegistration, 0);
});

test("two zones with the same name can't both be linked to one VNet; one zone can't be linked twice to it", async () => {
  await d.zone("rg-l2", ZONE);
  const r = await d.link("rg-l2", ZONE, "dup", vnet1);
  assert.equal(r.status, "Failed");
  assert.deepEqual(r.error, {
    code: "BadRequest",
    message: `A virtual network cannot be linked to multiple zones with overlapping namespaces. You tried to link virtual network with '${ZONE}' and '${ZONE}' zones.`,
  });
  const twice = await d.link("rg-l", ZONE, "link1-again", vnet1);
  assert.equal(twice.status, "Failed");
  assert.equal(twice.error?.code, "BadRequest");
  const vnet2 = d.seedVnet("rg-l2", "vnet2");
  assert.equal((await d.link("rg-l2", ZONE, "ok", vnet2)).status, "Succeeded");
});

test("malformed links get a synchronous 400: registrationEnabled not boolean, no VNet, bad resolutionPolicy, bad location, bad name", async () => {
  const path = linkPath("rg-l", ZONE, "bad");
  const reg = await d.call("PUT", path, {
    body: { location: "global", properties: { virtualNetwork: { id: vnet1 }, registrationEnabled: "yes" } },
  });
  assert.equal(reg.status, 400);
  assert.deepEqual(reg.json.error, {
    code: "BadRequest",
    message: "The specified virtual network link registration setting is invalid.",
  });
  const novnet = await d.call("PUT", path, { body: { location: "global", properties: {} } });
  assert.equal(novnet.status, 400);
  const policy = await d.call("PUT", path, {
    body: { location: "global", properties: { virtualNetwork: { id: vnet1 }, resolutionPolicy: "Sometimes" } },
  });
  assert.equal(policy.status, 400);
  assert.match(policy.json.error.message, /NxDomainRedirect/);
  const loc = await d.call("PUT", path, {
    body: { location: "westeurope", properties: { virtualNetwork: { id: vnet1 } } },
  });
  assert.equal(loc.json.error.code, "LocationNotAvailableForResourceType");
  const name = await d.call("PUT", linkPath("rg-l", ZONE, "-bad"), {
    body: { location: "global", properties: { virtualNetwork: { id: vnet1 } } },
  });
  assert.equal(name.status, 400);
  assert.equal((await d.call("GET", path)).status, 404);
});

test("links under a missing zone: ParentResourceNotFound", async () => {
  const r = await d.call("GET", linkPath("rg-l", "missing.example.com", "x"));
  assert.equal(r.status, 404);
  assert.deepEqual(r.json.error, {
    code: "ParentResourceNotFound",
    message: "Can not perform requested operation on nested resource. Parent resource 'missing.example.com' not found.",
  });
  const missingLink = await d.call("GET", linkPath("rg-l", ZONE, "nope"));
  assert.equal(missingLink.json.error.code, "ResourceNotFound");
  assert.match(
    missingLink.json.error.message,
    /'Microsoft.Network\/privateDnsZones\/privatelink.managedhsm.azure.net\/virtualNetworkLinks\/nope' under resource group 'rg-l'/,
  );
});

test("resolutionPolicy NxDomainRedirect is stored; PATCH toggles registration and keeps the VNet; changing the VNet fails", async () => {
  await d.zone("rg-l", "policy.example.com");
  const vnet3 = d.seedVnet("rg-l", "vnet3");
  const r = await d.link("rg-l", "policy.example.com", "pl", vnet3, false, { resolutionPolicy: "nxdomainredirect" });
  assert.equal(r.status, "Succeeded");
  const l = await d.call("GET", linkPath("rg-l", "policy.example.com", "pl"));
  assert.equal(l.json.properties.resolutionPolicy, "NxDomainRedirect");
  const p = await d.lro("PATCH", linkPath("rg-l", "policy.example.com", "pl"), {
    properties: { registrationEnabled: true },
    tags: { a: "b" },
  });
  assert.equal(p.status, "Succeeded");
  const after = await d.call("GET", linkPath("rg-l", "policy.example.com", "pl"));
  assert.equal(after.json.properties.registrationEnabled, true);
  assert.equal(after.json.properties.virtualNetwork.id, vnet3);
  assert.deepEqual(after.json.tags, { a: "b" });
  const vnet4 = d.seedVnet("rg-l", "vnet4");
  const move = await d.lro("PUT", linkPath("rg-l", "policy.example.com", "pl"), {
    location: "global",
    properties: { virtualNetwork: { id: vnet4 } },
  });
  assert.equal(move.status, "Failed");
  assert.equal(move.error?.code, "BadRequest");
  assert.equal(
    (await d.call("GET", linkPath("rg-l", "policy.example.com", "pl"))).json.properties.virtualNetwork.id,
    vnet3,
  );
});

test("limits: the 1001st link and the 101st registration link of a zone end Failed with QuotaExceeded", async () => {
  await d.group("rg-lim");
  await d.zone("rg-lim", "limits.example.com");
  const zoneId = d.zoneId("rg-lim", "limits.example.com");
  const now = Date.now();
  h.store.tx(() => {
    for (let i = 0; i < 1000; i++) {
      const id = `${zoneId}/virtualNetworkLinks/seed${i}`;
      const body = {
        id,
        name: `seed${i}`,
        type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        etag: "e",
        location: "global",
        properties: {
          virtualNetwork: { id: d.vnetId("rg-lim", `seed-vnet${i}`) },
          registrationEnabled: i < 100,
          virtualNetworkLinkState: "Completed",
          provisioningState: "Succeeded",
        },
      };
      h.store.resources.put(
        {
          id,
          type: body.type,
          name: body.name,
          parentId: zoneId,
          subscriptionId: d.sub,
          resourceGroup: "rg-lim",
          body,
        },
        now,
      );
    }
  });
  const v = d.seedVnet("rg-lim", "extra");
  const over = await d.link("rg-lim", "limits.example.com", "one-too-many", v, false);
  assert.equal(over.status, "Failed");
  assert.equal(over.error?.code, "QuotaExceeded");
  assert.match(over.error!.message, /\(1000\)/);
  // Free one plain slot: the registration limit still applies.
  h.store.resources.delete(`${zoneId}/virtualNetworkLinks/seed999`);
  const reg = await d.link("rg-lim", "limits.example.com", "reg-too-many", v, true);
  assert.equal(reg.status, "Failed");
  assert.equal(reg.error?.code, "QuotaExceeded");
  assert.match(reg.error!.message, /auto-registration enabled \(100\)/);
  assert.equal((await d.link("rg-lim", "limits.example.com", "fits", v, false)).status, "Succeeded");
});

test("DELETE removes the link (LRO), updates the counters, and a second DELETE answers 204", async () => {
  await d.zone("rg-l", "gone.example.com");
  const v = d.seedVnet("rg-l", "vnet-gone");
  assert.equal((await d.link("rg-l", "gone.example.com", "bye", v, true)).status, "Succeeded");
  const stale = await d.call("DELETE", linkPath("rg-l", "gone.example.com", "bye"), {
    headers: { "If-Match": "stale" },
  });
  assert.equal(stale.status, 412);
  const del = await d.lro("DELETE", linkPath("rg-l", "gone.example.com", "bye"));
  assert.equal(del.status, "Succeeded");
  assert.equal((await d.call("GET", linkPath("rg-l", "gone.example.com", "bye"))).status, 404);
  const z = await d.call("GET", d.zonePath("rg-l", "gone.example.com"));
  assert.equal(z.json.properties.numberOfVirtualNetworkLinks, 0);
  assert.equal(z.json.properties.numberOfVirtualNetworkLinksWithRegistration, 0);
  assert.equal((await d.call("DELETE", linkPath("rg-l", "gone.example.com", "bye"))).status, 204);
  // The VNet is free for a registration link elsewhere now.
  assert.equal((await d.link("rg-l", "corp.contoso.com", "reg2", v, true)).status, "Succeeded");
});
