// Private endpoints to a managed HSM over ARM (control-plane.md §2 rows 13–14, §2.1, §4.3, §4.4; FC-34): NIC and
// address allocation, back-references, the HSM-side connection, every refusal, update, delete, and the read-only NIC.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { NetClient } from "./net-client.js";

let h: TestHsmlink;
let c: NetClient;
let hsmId: string;
const rg = "rg-pe";
let subnetId: string;

before(async () => {
  h = await startTestHsmlink();
  c = new NetClient(h);
  await c.group(rg);
  await c.group("rg-pe-east", "eastus");
  hsmId = await c.hsm(rg, "hsm-pe");
  await c.vnet(rg, "vnet1", { prefixes: ["10.0.0.0/16"] });
  subnetId = (await c.subnet(rg, "vnet1", "pe-subnet", "10.0.1.0/24")).id;
});
after(async () => h?.dispose());

test("automatic private endpoint: 201, NIC with x.x.x.4, customDnsConfigs, subnet back-references, HSM-side connection Approved", async () => {
  const r = await c.call("PUT", c.pePath(rg, "pe1"), { body: c.peBody({ subnetId, hsmId, conn: "conn1" }) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.properties.provisioningState, "Updating");
  assert.ok(r.headers["azure-asyncoperation"]);

  const pe = await c.get(c.pePath(rg, "pe1"));
  assert.equal(pe.type, "Microsoft.Network/privateEndpoints");
  assert.equal(pe.properties.provisioningState, "Succeeded");
  const conn = pe.properties.privateLinkServiceConnections[0];
  assert.equal(conn.name, "conn1");
  assert.equal(conn.id, `${pe.id}/privateLinkServiceConnections/conn1`);
  assert.equal(conn.type, "Microsoft.Network/privateEndpoints/privateLinkServiceConnections");
  assert.match(conn.etag, /^W\/"/);
  assert.deepEqual(conn.properties.groupIds, ["managedhsm"]);
  assert.equal(conn.properties.privateLinkServiceId, hsmId);
  assert.equal(conn.properties.privateLinkServiceConnectionState.status, "Approved");
  assert.deepEqual(pe.properties.manualPrivateLinkServiceConnections, []);
  assert.equal(pe.properties.subnet.id, subnetId);
  assert.deepEqual(pe.properties.customDnsConfigs, [
    { fqdn: "hsm-pe.managedhsm.azure.net", ipAddresses: ["10.0.1.4"] },
  ]);
  const nicId: string = pe.properties.networkInterfaces[0].id;
  assert.match(
    nicId,
    /\/resourceGroups\/rg-pe\/providers\/Microsoft\.Network\/networkInterfaces\/pe1\.nic\.[0-9a-f-]{36}$/,
  );

  const nic = await c.get(nicId, "2022-07-01");
  assert.equal(nic.type, "Microsoft.Network/networkInterfaces");
  assert.equal(nic.kind, "Regular");
  assert.equal(nic.location, "westeurope");
  assert.deepEqual(nic.properties.privateEndpoint, { id: pe.id });
  const ipc = nic.properties.ipConfigurations[0];
  assert.match(ipc.name, /^privateEndpointIpConfig\.[0-9a-f-]{36}$/);
  assert.equal(ipc.properties.privateIPAddress, "10.0.1.4");
  assert.equal(ipc.properties.privateIPAllocationMethod, "Dynamic");
  assert.deepEqual(ipc.properties.subnet, { id: subnetId });
  assert.deepEqual(ipc.properties.privateLinkConnectionProperties, {
    groupId: "managedhsm",
    requiredMemberName: "default",
    fqdns: ["hsm-pe.managedhsm.azure.net"],
  });

  const subnet = await c.get(subnetId);
  assert.deepEqual(subnet.properties.privateEndpoints, [{ id: pe.id }]);
  assert.deepEqual(subnet.properties.ipConfigurations, [{ id: ipc.id }]);
  const vnet = await c.get(c.vnetPath(rg, "vnet1"));
  assert.deepEqual(vnet.properties.subnets.find((s: any) => s.name === "pe-subnet").properties.privateEndpoints, [
    { id: pe.id },
  ]);

  const hsmConn = await c.get(`${hsmId}/privateEndpointConnections/conn1`, "2022-07-01");
  assert.equal(hsmConn.properties.privateEndpoint.id, pe.id);
  assert.equal(hsmConn.properties.privateLinkServiceConnectionState.status, "Approved");
});

test("the second private endpoint gets .5; manual requests are Pending with the request message", async () => {
  await c.put(
    c.pePath(rg, "pe2"),
    c.peBody({ subnetId, hsmId, conn: "conn2", manual: true, requestMessage: "please approve" }),
  );
  const pe = await c.get(c.pePath(rg, "pe2"));
  assert.deepEqual(pe.properties.privateLinkServiceConnections, []);
  const m = pe.properties.manualPrivateLinkServiceConnections[0];
  assert.equal(m.id, `${pe.id}/manualPrivateLinkServiceConnections/conn2`);
  assert.equal(m.properties.requestMessage, "please approve");
  assert.equal(m.properties.privateLinkServiceConnectionState.status, "Pending");
  assert.deepEqual(pe.properties.customDnsConfigs[0].ipAddresses, ["10.0.1.5"]);
  const nic = await c.get(pe.properties.networkInterfaces[0].id);
  assert.equal(nic.properties.ipConfigurations[0].properties.privateIPAddress, "10.0.1.5");
  assert.equal((await c.get(subnetId)).properties.privateEndpoints.length, 2);
});

test("region mismatch and a missing subnet answer InvalidResourceReference with Azure's message and NotFound detail", async () => {
  const peId = `/subscriptions/${c.sub}/resourceGroups/rg-pe-east/providers/Microsoft.Network/privateEndpoints/pe-east`;
  const vnetId = c.vnetPath(rg, "vnet1");
  const e = await c.putError(c.pePath("rg-pe-east", "pe-east"), c.peBody({ subnetId, hsmId, location: "eastus" }));
  assert.equal(e.code, "InvalidResourceReference");
  assert.equal(
    e.message,
    `Resource ${vnetId} referenced by resource ${peId} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
  );
  assert.deepEqual(e.details, [{ code: "NotFound", message: `Resource ${vnetId} not found.` }]);

  const missing = c.subnetPath(rg, "vnet1", "nope");
  const e2 = await c.putError(c.pePath(rg, "pe-miss"), c.peBody({ subnetId: missing, hsmId }));
  assert.equal(e2.code, "InvalidResourceReference");
  assert.deepEqual(e2.details, [{ code: "NotFound", message: `Resource ${missing} not found.` }]);
  const e3 = await c.putError(c.pePath(rg, "pe-miss"), c.peBody({ subnetId: "not-an-id", hsmId }));
  assert.equal(e3.code, "LinkedInvalidPropertyId");
  const e4 = await c.putError(c.pePath(rg, "pe-miss"), {
    location: "westeurope",
    properties: { privateLinkServiceConnections: [] },
  });
  assert.equal(e4.code, "MissingJsonReferenceId");
  assert.equal((await c.call("GET", c.pePath(rg, "pe-miss"))).status, 404);
});

test("every privateEndpointNetworkPolicies value allows private endpoints, and the policies can be switched on under them (NSG/UDR support, disable-private-endpoint-network-policy.md)", async () => {
  for (const [i, policy] of ["Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled", "Disabled"].entries()) {
    const sn = (await c.subnet(rg, "vnet1", `policies-${i}`, `10.0.${20 + i}.0/24`, policy)).id;
    const pe = await c.put(c.pePath(rg, `pe-pol-${i}`), c.peBody({ subnetId: sn, hsmId, conn: `c-pol-${i}` }));
    assert.equal(pe.status, 201, policy);
    assert.equal((await c.get(c.pePath(rg, `pe-pol-${i}`))).properties.provisioningState, "Succeeded", policy);
    assert.equal((await c.get(sn)).properties.privateEndpointNetworkPolicies, policy);
  }
  const s = await c.get((await c.get(c.pePath(rg, "pe-pol-3"))).properties.subnet.id);
  const on = await c.call("PUT", s.id, {
    body: { ...s, properties: { ...s.properties, privateEndpointNetworkPolicies: "Enabled" } },
  });
  assert.ok(on.status === 200 || on.status === 201, on.text);
  assert.equal(on.body.properties.privateEndpointNetworkPolicies, "Enabled");
  assert.equal(on.body.properties.privateEndpoints.length, 1);
});

test("target errors: wrong group id, missing HSM, too long request message, two connections — nothing is left behind", async () => {
  const before = await c.get(subnetId);
  let e = await c.putError(c.pePath(rg, "pe-bad"), c.peBody({ subnetId, hsmId, groupIds: ["vault"] }));
  assert.equal(e.code, "BadRequest");
  assert.match(e.message, /group id/i);
  e = await c.putError(c.pePath(rg, "pe-bad"), c.peBody({ subnetId, hsmId: c.hsmId(rg, "no-such-hsm") }));
  assert.equal(e.code, "InvalidResourceReference");
  assert.match(
    e.message,
    /^Resource \/subscriptions\/.+\/managedHSMs\/no-such-hsm referenced by resource .+\/privateEndpoints\/pe-bad was not found\./,
  );
  e = await c.putError(
    c.pePath(rg, "pe-bad"),
    c.peBody({ subnetId, hsmId, manual: true, requestMessage: "x".repeat(141) }),
  );
  assert.equal(e.code, "RequestMessageTooLong");
  const two = c.peBody({ subnetId, hsmId });
  (two.properties as any).manualPrivateLinkServiceConnections = [
    { name: "x", properties: { privateLinkServiceId: hsmId, groupIds: ["managedhsm"] } },
  ];
  e = await c.putError(c.pePath(rg, "pe-bad"), two);
  assert.equal(e.code, "InvalidPrivateLinkServiceConnectionCount");
  assert.equal((await c.call("GET", c.pePath(rg, "pe-bad"))).status, 404);
  assert.deepEqual(await c.get(subnetId), before);
  const nics = await c.get(
    `/subscriptions/${c.sub}/resourceGroups/${rg}/providers/Microsoft.Network/networkInterfaces`,
  );
  assert.ok(!nics.value.some((n: any) => n.name.startsWith("pe-bad.")));
});

test("static ip configurations: honoured when valid, refused when reserved, taken, outside or for the wrong member", async () => {
  await c.subnet(rg, "vnet1", "static", "10.0.4.0/24");
  const sid = c.subnetPath(rg, "vnet1", "static");
  const ipc = (ip: string, member = "default", group = "managedhsm") => ({
    extra: {
      ipConfigurations: [{ name: "ipc", properties: { groupId: group, memberName: member, privateIPAddress: ip } }],
      customNetworkInterfaceName: "pe-static-nic",
    },
  });
  await c.put(c.pePath(rg, "pe-static"), c.peBody({ subnetId: sid, hsmId, conn: "c-static", ...ipc("10.0.4.10") }));
  const pe = await c.get(c.pePath(rg, "pe-static"));
  assert.equal(
    pe.properties.networkInterfaces[0].id,
    `/subscriptions/${c.sub}/resourceGroups/${rg}/providers/Microsoft.Network/networkInterfaces/pe-static-nic`,
  );
  assert.equal(pe.properties.customNetworkInterfaceName, "pe-static-nic");
  assert.equal(pe.properties.ipConfigurations[0].properties.privateIPAddress, "10.0.4.10");
  const nic = await c.get(pe.properties.networkInterfaces[0].id);
  assert.equal(nic.properties.ipConfigurations[0].name, "ipc");
  assert.equal(nic.properties.ipConfigurations[0].properties.privateIPAllocationMethod, "Static");

  const noNic = (x: ReturnType<typeof ipc>) => ({ extra: { ipConfigurations: x.extra.ipConfigurations } });
  let e = await c.putError(
    c.pePath(rg, "pe-s2"),
    c.peBody({ subnetId: sid, hsmId, conn: "c-s2", ...noNic(ipc("10.0.4.10")) }),
  );
  assert.equal(e.code, "PrivateIPAddressInUse");
  e = await c.putError(
    c.pePath(rg, "pe-s2"),
    c.peBody({ subnetId: sid, hsmId, conn: "c-s2", ...noNic(ipc("10.0.4.1")) }),
  );
  assert.equal(e.code, "PrivateIPAddressInReservedRange");
  e = await c.putError(
    c.pePath(rg, "pe-s2"),
    c.peBody({ subnetId: sid, hsmId, conn: "c-s2", ...noNic(ipc("10.0.4.255")) }),
  );
  assert.equal(e.code, "PrivateIPAddressInReservedRange");
  e = await c.putError(
    c.pePath(rg, "pe-s2"),
    c.peBody({ subnetId: sid, hsmId, conn: "c-s2", ...noNic(ipc("10.0.5.9")) }),
  );
  assert.equal(e.code, "PrivateIPAddressNotInSubnet");
  e = await c.putError(
    c.pePath(rg, "pe-s2"),
    c.peBody({ subnetId: sid, hsmId, conn: "c-s2", ...noNic(ipc("10.0.4.11", "managedhsm")) }),
  );
  assert.equal(e.code, "PrivateEndpointStaticIpConfigurationMissingMemberNames");
  assert.match(
    e.message,
    /contains static ipconfigurations: \[PrivateIPAddress: 10\.0\.4\.11, GroupId: managedhsm, MemberName: managedhsm\] and its missing these membernames\/groupids requested by Private Link service \[GroupId: managedhsm, MemberName: default\]/,
  );
  assert.equal(
    (await c.call("GET", `${hsmId}/privateEndpointConnections/c-s2`, { apiVersion: "2022-07-01" })).status,
    404,
  );

  // The next dynamic address skips the static one's neighbours only where taken.
  await c.put(c.pePath(rg, "pe-s3"), c.peBody({ subnetId: sid, hsmId, conn: "c-s3" }));
  assert.deepEqual((await c.get(c.pePath(rg, "pe-s3"))).properties.customDnsConfigs[0].ipAddresses, ["10.0.4.4"]);
});

test("az-style GET + full PUT of a subnet holding private endpoints keeps the stored back-references", async () => {
  const s = await c.get(subnetId);
  assert.equal(s.properties.privateEndpoints.length, 2);
  const forged = {
    id: s.id,
    name: s.name,
    type: s.type,
    properties: {
      addressPrefix: s.properties.addressPrefix,
      privateEndpointNetworkPolicies: "Disabled",
      privateEndpoints: [],
      ipConfigurations: [{ id: `${s.id}/fake` }],
    },
  };
  const r = await c.put(subnetId, forged);
  assert.equal(r.status, 200);
  const after1 = await c.get(subnetId);
  assert.deepEqual(after1.properties.privateEndpoints, s.properties.privateEndpoints);
  assert.deepEqual(after1.properties.ipConfigurations, s.properties.ipConfigurations);
  const shrink = await c.putError(subnetId, { properties: { addressPrefix: "10.0.1.128/25" } });
  assert.equal(shrink.code, "InUseSubnetCannotBeUpdated");
});

test("PUT again keeps the NIC and the address; the subnet cannot change", async () => {
  const before = await c.get(c.pePath(rg, "pe1"));
  const body = c.peBody({ subnetId, hsmId, conn: "conn1" });
  (body as any).tags = { env: "test" };
  const r = await c.call("PUT", c.pePath(rg, "pe1"), { body });
  assert.equal(r.status, 200);
  const after1 = await c.get(c.pePath(rg, "pe1"));
  assert.deepEqual(after1.properties.networkInterfaces, before.properties.networkInterfaces);
  assert.deepEqual(after1.properties.customDnsConfigs, before.properties.customDnsConfigs);
  assert.equal(after1.properties.resourceGuid, before.properties.resourceGuid);
  assert.deepEqual(after1.tags, { env: "test" });
  assert.equal(
    after1.properties.privateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status,
    "Approved",
  );
  const other = (await c.subnet(rg, "vnet1", "other", "10.0.9.0/24")).id;
  const e = await c.putError(c.pePath(rg, "pe1"), c.peBody({ subnetId: other, hsmId, conn: "conn1" }));
  assert.equal(e.code, "PrivateEndpointSubnetCannotBeChanged");
});

test("the NIC of a private endpoint is read-only; a subnet or VNet in use cannot be deleted", async () => {
  const pe = await c.get(c.pePath(rg, "pe1"));
  const nicId = pe.properties.networkInterfaces[0].id;
  const nic = await c.get(nicId);
  let r = await c.call("DELETE", nicId);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, "CannotModifyNicAttachedToPrivateEndpoint");
  assert.match(r.body.error.message, /It can not be modified by user\.$/);
  r = await c.call("PUT", nicId, { body: { location: "westeurope", properties: nic.properties } });
  assert.equal(r.body.error.code, "CannotModifyNicAttachedToPrivateEndpoint");
  r = await c.call("PUT", c.net(rg, "networkInterfaces", "my-own-nic"), {
    body: { location: "westeurope", properties: {} },
  });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, "NetworkInterfaceCreationNotSupported");

  const lists = await c.get(`/subscriptions/${c.sub}/providers/Microsoft.Network/networkInterfaces`);
  assert.ok(lists.value.some((n: any) => n.id === nicId));
  const ipcs = await c.get(`${nicId}/ipConfigurations`);
  assert.equal(ipcs.value[0].properties.privateIPAddress, "10.0.1.4");

  r = await c.call("DELETE", subnetId);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, "InUseSubnetCannotBeDeleted");
  assert.match(
    r.body.error.message,
    /^Subnet pe-subnet is in use by \/subscriptions\/.+\/networkInterfaces\/pe1\.nic\.[0-9a-f-]+\/ipConfigurations\/privateEndpointIpConfig\.[0-9a-f-]+ and cannot be deleted\. In order to delete the subnet, delete all the resources within the subnet\. See aka\.ms\/deletesubnet\.$/,
  );
  r = await c.call("DELETE", c.vnetPath(rg, "vnet1"));
  assert.equal(r.body.error.code, "InUseSubnetCannotBeDeleted");
  const dropping = c.vnetBody({ prefixes: ["10.0.0.0/16"] });
  r = await c.call("PUT", c.vnetPath(rg, "vnet1"), { body: dropping });
  assert.equal(r.body.error.code, "InUseSubnetCannotBeDeleted");
  assert.ok((await c.get(c.vnetPath(rg, "vnet1"))).properties.subnets.some((s: any) => s.name === "pe-subnet"));
});

test("DELETE removes the NIC, the back-references and the HSM-side connection, and frees the address", async () => {
  const pe = await c.get(c.pePath(rg, "pe1"));
  const nicId = pe.properties.networkInterfaces[0].id;
  const del = await c.call("DELETE", c.pePath(rg, "pe1"));
  assert.equal(del.status, 202);
  assert.ok(del.headers["azure-asyncoperation"]);
  assert.equal((await c.call("GET", c.pePath(rg, "pe1"))).status, 404);
  assert.equal((await c.call("GET", nicId)).status, 404);
  assert.equal(
    (await c.call("GET", `${hsmId}/privateEndpointConnections/conn1`, { apiVersion: "2022-07-01" })).status,
    404,
  );
  const s = await c.get(subnetId);
  assert.ok(!s.properties.privateEndpoints.some((p: any) => p.id === pe.id));
  assert.equal(s.properties.ipConfigurations.length, 1);
  assert.equal((await c.call("DELETE", c.pePath(rg, "pe1"))).status, 204);

  await c.put(c.pePath(rg, "pe1b"), c.peBody({ subnetId, hsmId, conn: "conn1b" }));
  assert.deepEqual((await c.get(c.pePath(rg, "pe1b"))).properties.customDnsConfigs[0].ipAddresses, ["10.0.1.4"]);
});

test("HSM-side approval is mirrored into the private endpoint", async () => {
  const conn = await c.get(`${hsmId}/privateEndpointConnections/conn2`, "2022-07-01");
  const r = await c.call("PUT", `${hsmId}/privateEndpointConnections/conn2`, {
    apiVersion: "2022-07-01",
    body: {
      etag: conn.etag,
      properties: { privateEndpoint: {}, privateLinkServiceConnectionState: { status: "Approved", description: "ok" } },
    },
  });
  assert.equal(r.status, 200, r.text);
  const pe = await c.get(c.pePath(rg, "pe2"));
  assert.equal(
    pe.properties.manualPrivateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status,
    "Approved",
  );
});

test("deleting the resource group removes private endpoints, their NICs and the VNet", async () => {
  await c.group("rg-gone");
  await c.vnet("rg-gone", "v", { prefixes: ["10.9.0.0/16"], subnets: [{ name: "s", prefix: "10.9.0.0/24" }] });
  await c.put(
    c.pePath("rg-gone", "pe"),
    c.peBody({ subnetId: c.subnetPath("rg-gone", "v", "s"), hsmId, conn: "c-gone" }),
  );
  const r = await c.call("DELETE", `/subscriptions/${c.sub}/resourcegroups/rg-gone`, { apiVersion: "2021-04-01" });
  assert.equal(r.status, 202, r.text);
  assert.equal(
    (await c.call("GET", `${hsmId}/privateEndpointConnections/c-gone`, { apiVersion: "2022-07-01" })).status,
    404,
  );
  const all = await c.get(`/subscriptions/${c.sub}/providers/Microsoft.Network/networkInterfaces`);
  assert.ok(!all.value.some((n: any) => n.id.toLowerCase().includes("/resourcegroups/rg-gone/")));
});

test("deleting a private endpoint withdraws the A record its private DNS zone group wrote", async () => {
  const zone = `/subscriptions/${c.sub}/resourceGroups/${rg}/providers/Microsoft.Network/privateDnsZones/privatelink.managedhsm.azure.net`;
  const z = await c.call("PUT", zone, { body: { location: "global" }, apiVersion: "2020-06-01" });
  assert.equal(z.status, 202, z.text);
  await c.put(c.pePath(rg, "pe-dns"), c.peBody({ subnetId, hsmId, conn: "c-dns" }));
  const ip = (await c.get(c.pePath(rg, "pe-dns"))).properties.customDnsConfigs[0].ipAddresses[0];
  const zg = await c.call("PUT", `${c.pePath(rg, "pe-dns")}/privateDnsZoneGroups/default`, {
    body: { properties: { privateDnsZoneConfigs: [{ name: "mhsm", properties: { privateDnsZoneId: zone } }] } },
  });
  assert.ok(zg.status === 200 || zg.status === 201, zg.text);
  const record = await c.get(`${zone}/A/hsm-pe`, "2020-06-01");
  assert.ok(record.properties.aRecords.some((a: any) => a.ipv4Address === ip));

  assert.equal((await c.call("DELETE", c.pePath(rg, "pe-dns"))).status, 202);
  const after1 = await c.call("GET", `${zone}/A/hsm-pe`, { apiVersion: "2020-06-01" });
  assert.ok(
    after1.status === 404 || !after1.body.properties.aRecords.some((a: any) => a.ipv4Address === ip),
    after1.text,
  );
  assert.equal((await c.call("GET", `${c.pePath(rg, "pe-dns")}/privateDnsZoneGroups/default`)).status, 404);
});
