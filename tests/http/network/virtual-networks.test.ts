// Virtual networks over ARM (control-plane.md §2 row 8, §2.1, §4.1): network LRO, inline subnets as child resources,
// address space / DNS / region validation, lists, delete.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { NetClient } from "./net-client.js";

let h: TestHsmlink;
let c: NetClient;

before(async () => {
  h = await startTestHsmlink();
  c = new NetClient(h);
  await c.group("rg-vnet");
  await c.group("rg-vnet2", "northeurope");
});
after(async () => h?.dispose());

test("PUT creates with 201 + Azure-AsyncOperation, updates with 200; the poll says Succeeded and GET shows the wire shape", async () => {
  const path = c.vnetPath("rg-vnet", "vnet1");
  const created = await c.call("PUT", path, { body: c.vnetBody() });
  assert.equal(created.status, 201);
  assert.equal(created.body.properties.provisioningState, "Updating");
  assert.equal(created.headers["retry-after"], "1");
  const op = created.headers["azure-asyncoperation"] as string;
  assert.match(
    op,
    /\/providers\/Microsoft\.Network\/locations\/westeurope\/operations\/[0-9a-f-]+\?api-version=2022-01-01$/,
  );
  const status = await c.call("GET", op, { apiVersion: null });
  assert.equal(status.body.status, "Succeeded");

  const v = await c.get(path);
  assert.equal(
    v.id,
    `/subscriptions/${c.sub}/resourceGroups/rg-vnet/providers/Microsoft.Network/virtualNetworks/vnet1`,
  );
  assert.equal(v.type, "Microsoft.Network/virtualNetworks");
  assert.equal(v.location, "westeurope");
  assert.match(v.etag, /^W\/"[0-9a-f-]{36}"$/);
  assert.equal(v.properties.provisioningState, "Succeeded");
  assert.deepEqual(v.properties.addressSpace, { addressPrefixes: ["10.0.0.0/16"] });
  assert.deepEqual(v.properties.dhcpOptions, { dnsServers: [] });
  assert.deepEqual(v.properties.subnets, []);
  assert.deepEqual(v.properties.virtualNetworkPeerings, []);
  assert.equal(v.properties.enableDdosProtection, false);

  const again = await c.call("PUT", path, { body: c.vnetBody({ prefixes: ["10.0.0.0/16", "10.1.0.0/16"] }) });
  assert.equal(again.status, 200);
  assert.equal(again.body.properties.resourceGuid, v.properties.resourceGuid);
  assert.notEqual(again.body.etag, v.etag);
});

test("inline subnets become child resources and the VNet GET embeds full subnet objects", async () => {
  await c.vnet("rg-vnet", "vnet-inline", {
    prefixes: ["10.1.0.0/16"],
    subnets: [{ name: "default", prefix: "10.1.0.0/24" }],
  });
  const sn = await c.get(c.subnetPath("rg-vnet", "vnet-inline", "default"));
  assert.equal(sn.name, "default");
  assert.equal(sn.type, "Microsoft.Network/virtualNetworks/subnets");
  assert.equal(sn.properties.addressPrefix, "10.1.0.0/24");
  assert.equal(sn.properties.privateEndpointNetworkPolicies, "Disabled");
  assert.equal(sn.properties.privateLinkServiceNetworkPolicies, "Enabled");
  const v = await c.get(c.vnetPath("rg-vnet", "vnet-inline"));
  assert.deepEqual(v.properties.subnets, [sn]);
  assert.equal(sn.etag, v.etag);

  // A PUT states the whole VNet: a subnet it leaves out is deleted.
  await c.vnet("rg-vnet", "vnet-inline", {
    prefixes: ["10.1.0.0/16"],
    subnets: [{ name: "other", prefix: "10.1.1.0/24" }],
  });
  const gone = await c.call("GET", c.subnetPath("rg-vnet", "vnet-inline", "default"));
  assert.equal(gone.status, 404);
  assert.equal(gone.body.error.code, "NotFound");
  assert.deepEqual(
    (await c.get(c.vnetPath("rg-vnet", "vnet-inline"))).properties.subnets.map((s: any) => s.name),
    ["other"],
  );
});

test("address space, subnet and DNS validation answer the network RP's errors and write nothing", async () => {
  const path = c.vnetPath("rg-vnet", "vnet-bad");
  let e = await c.putError(path, c.vnetBody({ prefixes: ["10.0.0/16"] }));
  assert.equal(e.code, "InvalidAddressPrefixFormat");
  assert.match(
    e.message,
    /^Address prefix 10\.0\.0\/16 of resource \/subscriptions\/.+\/virtualNetworks\/vnet-bad is not formatted correctly\. It should follow CIDR notation, for example 10\.0\.0\.0\/24\.$/,
  );
  e = await c.putError(path, c.vnetBody({ prefixes: ["10.0.0.1/16"] }));
  assert.equal(e.code, "InvalidCIDRNotation");
  assert.match(e.message, /should be 10\.0\.0\.0\/16/);
  e = await c.putError(path, c.vnetBody({ prefixes: [] }));
  assert.equal(e.code, "AddressSpaceHasNoPrefixes");
  e = await c.putError(path, c.vnetBody({ prefixes: ["10.0.0.0/16", "10.0.128.0/17"] }));
  assert.equal(e.code, "NetcfgDuplicateAddressPrefix");
  e = await c.putError(
    path,
    c.vnetBody({ prefixes: ["10.0.0.0/16"], subnets: [{ name: "s", prefix: "10.9.0.0/24" }] }),
  );
  assert.equal(e.code, "NetcfgSubnetRangeOutsideVnet");
  assert.equal(
    e.message,
    "Subnet 's' is not valid because its IP address range is outside the IP address range of virtual network 'vnet-bad'.",
  );
  e = await c.putError(
    path,
    c.vnetBody({
      subnets: [
        { name: "a", prefix: "10.0.0.0/24" },
        { name: "b", prefix: "10.0.0.128/25" },
      ],
    }),
  );
  assert.equal(e.code, "NetcfgSubnetRangesOverlap");
  e = await c.putError(
    path,
    c.vnetBody({
      subnets: [
        { name: "a", prefix: "10.0.0.0/24" },
        { name: "A", prefix: "10.0.1.0/24" },
      ],
    }),
  );
  assert.equal(e.code, "DuplicateResourceName");
  const dns = c.vnetBody();
  (dns.properties as any).dhcpOptions = { dnsServers: ["10.0.0.300"] };
  e = await c.putError(path, dns);
  assert.equal(e.code, "InvalidDnsServerIpAddress");
  const ddos = c.vnetBody();
  (ddos.properties as any).enableDdosProtection = "yes";
  e = await c.putError(path, ddos);
  assert.equal(e.code, "InvalidRequestFormat");
  assert.equal((await c.call("GET", path)).status, 404);
});

test("a valid DNS server list and DDoS flag are stored", async () => {
  const body = c.vnetBody({ prefixes: ["10.2.0.0/16"] });
  (body.properties as any).dhcpOptions = { dnsServers: ["10.2.0.4", "168.63.129.16"] };
  (body.properties as any).enableDdosProtection = true;
  await c.put(c.vnetPath("rg-vnet", "vnet-dns"), body);
  const v = await c.get(c.vnetPath("rg-vnet", "vnet-dns"));
  assert.deepEqual(v.properties.dhcpOptions.dnsServers, ["10.2.0.4", "168.63.129.16"]);
  assert.equal(v.properties.enableDdosProtection, true);
});

test("location must be a real region and cannot change; names follow the network rule", async () => {
  let e = await c.putError(c.vnetPath("rg-vnet", "vnet-loc"), c.vnetBody({ location: "global" }));
  assert.equal(e.code, "LocationNotAvailableForResourceType");
  e = await c.putError(c.vnetPath("rg-vnet", "vnet-loc"), c.vnetBody({ location: "atlantis" }));
  assert.equal(e.code, "LocationNotAvailableForResourceType");
  e = await c.putError(c.vnetPath("rg-vnet", "vnet-loc"), {
    properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] } },
  });
  assert.equal(e.code, "LocationRequired");
  await c.vnet("rg-vnet", "vnet-loc", { location: "West Europe" });
  assert.equal((await c.get(c.vnetPath("rg-vnet", "vnet-loc"))).location, "westeurope");
  e = await c.putError(c.vnetPath("rg-vnet", "vnet-loc"), c.vnetBody({ location: "eastus" }));
  assert.equal(e.code, "InvalidResourceLocation");
  e = await c.putError(c.vnetPath("rg-vnet", "-bad-"), c.vnetBody());
  assert.equal(e.code, "InvalidResourceName");
});

test("GET of a missing VNet is ResourceNotFound; lists by resource group and subscription; DELETE is 202 then 204", async () => {
  const missing = await c.call("GET", c.vnetPath("rg-vnet", "nope"));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "ResourceNotFound");
  assert.match(
    missing.body.error.message,
    /^The Resource 'Microsoft\.Network\/virtualNetworks\/nope' under resource group 'rg-vnet' was not found\./,
  );

  await c.vnet("rg-vnet2", "vnet-list", { location: "northeurope", prefixes: ["10.50.0.0/16"] });
  const inRg = await c.get(
    `/subscriptions/${c.sub}/resourceGroups/rg-vnet2/providers/Microsoft.Network/virtualNetworks`,
  );
  assert.deepEqual(
    inRg.value.map((v: any) => v.name),
    ["vnet-list"],
  );
  const inSub = await c.get(`/subscriptions/${c.sub}/providers/Microsoft.Network/virtualNetworks`);
  assert.ok(inSub.value.some((v: any) => v.name === "vnet-list"));
  assert.ok(inSub.value.some((v: any) => v.name === "vnet1"));

  const del = await c.call("DELETE", c.vnetPath("rg-vnet2", "vnet-list"));
  assert.equal(del.status, 202);
  assert.match(del.headers["azure-asyncoperation"] as string, /\/locations\/northeurope\/operations\//);
  assert.match(del.headers.location as string, /\/locations\/northeurope\/operationResults\//);
  assert.equal((await c.call("GET", c.vnetPath("rg-vnet2", "vnet-list"))).status, 404);
  assert.equal((await c.call("DELETE", c.vnetPath("rg-vnet2", "vnet-list"))).status, 204);
});

test("paths are case-insensitive and ids keep the creator's casing", async () => {
  await c.vnet("rg-vnet", "VNet-Case", { prefixes: ["10.3.0.0/16"] });
  const v = await c.get(
    `/subscriptions/${c.sub}/resourcegroups/RG-VNET/providers/microsoft.network/virtualnetworks/vnet-case`,
  );
  assert.equal(v.name, "VNet-Case");
  assert.equal(
    v.id,
    `/subscriptions/${c.sub}/resourceGroups/rg-vnet/providers/Microsoft.Network/virtualNetworks/VNet-Case`,
  );
});
