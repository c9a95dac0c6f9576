// The real Azure CLI (Debian az 2.45 + the packaging shim) against hsmlink's private DNS: the how-to's "Add Private
// DNS Records" commands (zone create/list, link vnet create, record-set a add-record/list), the create-twice
// PreconditionFailed, remove-record, zone delete rules, and private endpoint DNS zone groups.
// The VNet comes from `az network vnet create`; the private endpoint is seeded into the store (§4.3 shape) so the
// zone-group test does not need a managed HSM.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { AzTopology } from "../support/az-topology.js";
import { Dns } from "../http/private-dns/helpers.js";
import { adminRequest } from "../../src/client/admin-client.js";

const { test, before, after } = clientSuite("az");

const ZONE = "privatelink.managedhsm.azure.net";
const RG = "rg-dns-az";
let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
let d: Dns;

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
  topology = new AzTopology(az, RG);
  d = new Dns(h);
  await az.ok(["login", "--identity"]);
  await az.ok(["group", "create", "-n", RG, "-l", "westeurope"]);
});
after(async () => h?.dispose());

test("zone create prints the zone; creating it again fails with PreconditionFailed and a non-zero exit", async () => {
  const z = await az.ok(["network", "private-dns", "zone", "create", "-g", RG, "-n", ZONE]);
  assert.equal(z.name, ZONE);
  assert.equal(z.id, d.zoneId(RG, ZONE));
  assert.equal(z.location, "global");
  assert.equal(z.numberOfRecordSets, 1);
  assert.equal(z.maxNumberOfVirtualNetworkLinks, 1000);
  assert.equal(z.provisioningState, "Succeeded");
  const again = await az.run(["network", "private-dns", "zone", "create", "-g", RG, "-n", ZONE]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /PreconditionFailed/);
  assert.match(
    again.stderr,
    /The Zone privatelink\.managedhsm\.azure\.net exists already and hence cannot be created again\./,
  );
});

test("zone list with and without -g", async () => {
  const inRg = await az.ok(["network", "private-dns", "zone", "list", "-g", RG]);
  assert.deepEqual(
    inRg.map((z: { name: string }) => z.name),
    [ZONE],
  );
  const all = await az.ok(["network", "private-dns", "zone", "list"]);
  assert.ok(all.some((z: { id: string }) => z.id === d.zoneId(RG, ZONE)));
  const shown = await az.ok(["network", "private-dns", "zone", "show", "-g", RG, "-n", ZONE]);
  assert.equal(shown.numberOfVirtualNetworkLinks, 0);
});

test("link vnet create with --registration-enabled true and false; a second registration link for the VNet fails", async () => {
  const vnet = await az.ok(["network", "vnet", "create", "-g", RG, "-n", "vnet1", "-l", "westeurope"]);
  const vnetId = vnet.newVNet.id;
  assert.equal(vnetId, d.vnetId(RG, "vnet1"));
  const l = await topology.zoneLink("link1", "vnet1", { registration: true });
  assert.equal(l.name, "link1");
  assert.equal(l.registrationEnabled, true);
  assert.equal(l.virtualNetwork.id, vnetId);
  assert.equal(l.virtualNetworkLinkState, "Completed");
  await topology.privateDnsZone("corp.example.com");
  const conflict = await az.run([
    "network",
    "private-dns",
    "link",
    "vnet",
    "create",
    "-g",
    RG,
    "-z",
    "corp.example.com",
    "-n",
    "link2",
    "-v",
    "vnet1",
    "-e",
    "true",
  ]);
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /Conflict/);
  assert.match(conflict.stderr, /can only be linked to 1 Private DNS zone\(s\) with auto-registration enabled/);
  const plain = await topology.zoneLink("link2", vnetId, { zone: "corp.example.com" });
  assert.equal(plain.registrationEnabled, false);
  const links = await az.ok(["network", "private-dns", "link", "vnet", "list", "-g", RG, "-z", ZONE]);
  assert.deepEqual(
    links.map((x: { name: string }) => x.name),
    ["link1"],
  );
  const zone = await az.ok(["network", "private-dns", "zone", "show", "-g", RG, "-n", ZONE]);
  assert.equal(zone.numberOfVirtualNetworkLinksWithRegistration, 1);
});

test("a VM created in a VNet linked with registration enabled gets its A record (isAutoRegistered); record-set list shows it; it goes with the VM", async () => {
  await topology.subnet("vnet1", "snet-vm", "10.0.5.0/24");
  const vm = await adminRequest<{ privateIpAddress: string }>(h.endpoints, "POST", "/_hsmlink/vms", {
    name: "appvm1",
    resourceGroup: RG,
    vnet: "vnet1",
    subnet: "snet-vm",
  });
  const sets = await az.ok(["network", "private-dns", "record-set", "list", "-g", RG, "-z", ZONE]);
  const rec = sets.find((r: { name: string }) => r.name === "appvm1");
  assert.ok(rec, JSON.stringify(sets.map((r: { name: string }) => r.name)));
  assert.equal(rec.type, "Microsoft.Network/privateDnsZones/A");
  assert.equal(rec.isAutoRegistered, true);
  assert.equal(rec.ttl, 10);
  assert.deepEqual(rec.aRecords, [{ ipv4Address: vm.privateIpAddress }]);
  const shown = await az.ok([
    "network",
    "private-dns",
    "record-set",
    "a",
    "show",
    "-g",
    RG,
    "-z",
    ZONE,
    "-n",
    "appvm1",
  ]);
  assert.equal(shown.fqdn, `appvm1.${ZONE}.`);
  await adminRequest(h.endpoints, "DELETE", "/_hsmlink/vms/appvm1");
  const after = await az.ok(["network", "private-dns", "record-set", "list", "-g", RG, "-z", ZONE]);
  assert.equal(
    after.some((r: { name: string }) => r.name === "appvm1"),
    false,
  );
});

test("record-set a add-record (create-if-missing), show, list, record-set list, remove-record", async () => {
  const first = await topology.aRecord("myhsm", "10.0.0.4");
  assert.equal(first.name, "myhsm");
  assert.equal(first.ttl, 3600);
  assert.equal(first.fqdn, `myhsm.${ZONE}.`);
  assert.deepEqual(first.aRecords, [{ ipv4Address: "10.0.0.4" }]);
  const second = await topology.aRecord("myhsm", "10.0.0.5");
  assert.deepEqual(
    second.aRecords.map((r: { ipv4Address: string }) => r.ipv4Address),
    ["10.0.0.4", "10.0.0.5"],
  );
  const shown = await az.ok(["network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", "myhsm"]);
  assert.equal(shown.id, `${d.zoneId(RG, ZONE)}/A/myhsm`);
  assert.equal(shown.type, "Microsoft.Network/privateDnsZones/A");
  const aList = await az.ok(["network", "private-dns", "record-set", "a", "list", "-g", RG, "-z", ZONE]);
  assert.deepEqual(
    aList.map((s: { name: string }) => s.name),
    ["myhsm"],
  );
  const all = await az.ok(["network", "private-dns", "record-set", "list", "-g", RG, "-z", ZONE]);
  const types = all.map((s: { type: string; name: string }) => `${s.type} ${s.name}`);
  assert.deepEqual(types, ["Microsoft.Network/privateDnsZones/SOA @", "Microsoft.Network/privateDnsZones/A myhsm"]);
  assert.equal(all[0].soaRecord.email, "azureprivatedns-host.microsoft.com");

  const removed = await az.run([
    "network",
    "private-dns",
    "record-set",
    "a",
    "remove-record",
    "-g",
    RG,
    "-z",
    ZONE,
    "-n",
    "myhsm",
    "-a",
    "10.0.0.4",
    "-o",
    "json",
  ]);
  assert.equal(removed.code, 0, removed.stderr);
  const after = await az.ok(["network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", "myhsm"]);
  assert.deepEqual(after.aRecords, [{ ipv4Address: "10.0.0.5" }]);
  const last = await az.run([
    "network",
    "private-dns",
    "record-set",
    "a",
    "remove-record",
    "-g",
    RG,
    "-z",
    ZONE,
    "-n",
    "myhsm",
    "-a",
    "10.0.0.5",
  ]);
  assert.equal(last.code, 0, last.stderr);
  const gone = await az.run(["network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", "myhsm"]);
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /The resource record 'myhsm' does not exist in resource group/);
});

test("private-endpoint dns-zone-group create/show/list/delete keeps the A record of the private endpoint", async () => {
  d.seedPe(RG, "pe1", { hsm: "hsm-az", ips: ["10.0.0.6"] });
  const zoneId = d.zoneId(RG, ZONE);
  const g = await topology.zoneGroup("pe1", zoneId);
  assert.equal(g.name, "default");
  assert.equal(g.provisioningState, "Succeeded");
  assert.deepEqual(g.privateDnsZoneConfigs[0].recordSets[0].ipAddresses, ["10.0.0.6"]);
  const rec = await az.ok(["network", "private-dns", "record-set", "a", "show", "-g", RG, "-z", ZONE, "-n", "hsm-az"]);
  assert.equal(rec.ttl, 10);
  assert.deepEqual(rec.aRecords, [{ ipv4Address: "10.0.0.6" }]);
  const shown = await az.ok([
    "network",
    "private-endpoint",
    "dns-zone-group",
    "show",
    "-g",
    RG,
    "--endpoint-name",
    "pe1",
    "-n",
    "default",
  ]);
  assert.equal(shown.privateDnsZoneConfigs[0].privateDnsZoneId, zoneId);
  const list = await az.ok([
    "network",
    "private-endpoint",
    "dns-zone-group",
    "list",
    "-g",
    RG,
    "--endpoint-name",
    "pe1",
  ]);
  assert.equal(list.length, 1);
  const bad = await az.run([
    "network",
    "private-endpoint",
    "dns-zone-group",
    "create",
    "-g",
    RG,
    "--endpoint-name",
    "pe1",
    "-n",
    "default",
    "--private-dns-zone",
    `${zoneId}s`,
    "--zone-name",
    "hsm",
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /InvalidPrivateDnsZoneIds/);
  const del = await az.run([
    "network",
    "private-endpoint",
    "dns-zone-group",
    "delete",
    "-g",
    RG,
    "--endpoint-name",
    "pe1",
    "-n",
    "default",
  ]);
  assert.equal(del.code, 0, del.stderr);
  const gone = await az.run([
    "network",
    "private-dns",
    "record-set",
    "a",
    "show",
    "-g",
    RG,
    "-z",
    ZONE,
    "-n",
    "hsm-az",
  ]);
  assert.equal(gone.code, 3);
});

test("zone delete is refused while a link exists; after link delete the zone goes", async () => {
  const refused = await az.run(["network", "private-dns", "zone", "delete", "-g", RG, "-n", "corp.example.com", "-y"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /CannotDeleteResource/);
  const unlink = await az.run([
    "network",
    "private-dns",
    "link",
    "vnet",
    "delete",
    "-g",
    RG,
    "-z",
    "corp.example.com",
    "-n",
    "link2",
    "-y",
  ]);
  assert.equal(unlink.code, 0, unlink.stderr);
  const del = await az.run(["network", "private-dns", "zone", "delete", "-g", RG, "-n", "corp.example.com", "-y"]);
  assert.equal(del.code, 0, del.stderr);
  const gone = await az.run(["network", "private-dns", "zone", "show", "-g", RG, "-n", "corp.example.com"]);
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /ResourceNotFound/);
});
