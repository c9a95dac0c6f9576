// The real Azure CLI (Debian az 2.45 + the packaging shim) against hsmlink's Microsoft.Network side: the how-to's
// vnet / subnet / peering / private endpoint / nic commands (control-plane.md §2 rows 8–10, 13–14, 19) and the
// refusals a user meets (region mismatch, network policies, wrong group id, missing HSM).
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { AzTopology } from "../support/az-topology.js";

const { test, before, after } = clientSuite("az");

let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
const rg = "rg-aznet";
let hsmId: string;

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
  topology = new AzTopology(az, rg);
  await az.ok(["login", "--identity"]);
  await az.ok(["group", "create", "-n", rg, "-l", "westeurope"]);
  const hsm = await topology.managedHsm("hsmaznet", h.endpoints.principalObjectId);
  hsmId = hsm.id;
});
after(async () => h?.dispose());

test("az network vnet create, with and without --subnet-name/--subnet-prefixes", async () => {
  const plain = await az.ok(["network", "vnet", "create", "-g", rg, "-n", "vnet1", "-l", "westeurope"]);
  assert.deepEqual(plain.newVNet.addressSpace.addressPrefixes, ["10.0.0.0/16"]);
  assert.equal(plain.newVNet.provisioningState, "Succeeded");
  assert.deepEqual(plain.newVNet.subnets, []);

  const withSubnet = await topology.vnet("vnet2", "10.1.0.0/16", { name: "default", prefix: "10.1.0.0/24" });
  assert.equal(withSubnet.newVNet.subnets[0].name, "default");
  assert.equal(withSubnet.newVNet.subnets[0].addressPrefix, "10.1.0.0/24");
  const shown = await az.ok(["network", "vnet", "subnet", "show", "-g", rg, "--vnet-name", "vnet2", "-n", "default"]);
  assert.equal(shown.addressPrefix, "10.1.0.0/24");
});

test("az network vnet subnet create, then update --disable-private-endpoint-network-policies true (GET + full PUT)", async () => {
  const sn = await topology.subnet("vnet1", "subnet1", "10.0.0.0/24");
  assert.equal(sn.addressPrefix, "10.0.0.0/24");
  assert.equal(sn.provisioningState, "Succeeded");
  const on = await topology.subnetPolicies("vnet1", "subnet1", false);
  assert.equal(on.privateEndpointNetworkPolicies, "Enabled");
  const off = await topology.subnetPolicies("vnet1", "subnet1", true);
  assert.equal(off.privateEndpointNetworkPolicies, "Disabled");
  const outside = await az.run([
    "network",
    "vnet",
    "subnet",
    "create",
    "-g",
    rg,
    "--vnet-name",
    "vnet1",
    "-n",
    "bad",
    "--address-prefixes",
    "10.9.0.0/24",
  ]);
  assert.equal(outside.code, 1);
  assert.match(
    outside.stderr,
    /\(NetcfgSubnetRangeOutsideVnet\) Subnet 'bad' is not valid because its IP address range is outside the IP address range of virtual network 'vnet1'\./,
  );
});

test("az network vnet peering create both ways: Initiated, then Connected", async () => {
  const first = await az.ok([
    "network",
    "vnet",
    "peering",
    "create",
    "-g",
    rg,
    "-n",
    "one-two",
    "--vnet-name",
    "vnet1",
    "--remote-vnet",
    "vnet2",
    "--allow-vnet-access",
  ]);
  assert.equal(first.peeringState, "Initiated");
  const second = await az.ok([
    "network",
    "vnet",
    "peering",
    "create",
    "-g",
    rg,
    "-n",
    "two-one",
    "--vnet-name",
    "vnet2",
    "--remote-vnet",
    "vnet1",
    "--allow-vnet-access",
  ]);
  assert.equal(second.peeringState, "Connected");
  const shown = await az.ok(["network", "vnet", "peering", "show", "-g", rg, "-n", "one-two", "--vnet-name", "vnet1"]);
  assert.equal(shown.peeringState, "Connected");
});

test("az network private-endpoint create (automatic, then manual), private-endpoint show, nic show --ids", async () => {
  const { pe } = await topology.privateEndpoint("pe1", {
    vnet: "vnet1",
    subnet: "subnet1",
    hsmId,
    connection: "conn1",
  });
  assert.equal(pe.provisioningState, "Succeeded");
  assert.equal(pe.privateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Approved");

  const shown = await az.ok(["network", "private-endpoint", "show", "-g", rg, "-n", "pe1"]);
  assert.deepEqual(shown.customDnsConfigs, [{ fqdn: "hsmaznet.managedhsm.azure.net", ipAddresses: ["10.0.0.4"] }]);
  const nic = await az.ok(["network", "nic", "show", "--ids", shown.networkInterfaces[0].id]);
  assert.equal(nic.ipConfigurations[0].privateIpAddress, "10.0.0.4");
  assert.deepEqual(nic.ipConfigurations[0].privateLinkConnectionProperties.fqdns, ["hsmaznet.managedhsm.azure.net"]);

  const { pe: manual } = await topology.privateEndpoint("pe2", {
    vnet: "vnet1",
    subnet: "subnet1",
    hsmId,
    connection: "conn2",
    manualRequest: "Please approve",
  });
  const m = manual.manualPrivateLinkServiceConnections[0];
  assert.equal(m.privateLinkServiceConnectionState.status, "Pending");
  assert.equal(m.requestMessage, "Please approve");
  const nic2 = await az.ok(["network", "nic", "show", "--ids", manual.networkInterfaces[0].id]);
  assert.equal(nic2.ipConfigurations[0].privateIpAddress, "10.0.0.5");
});

test("az network private-endpoint create: region mismatch, wrong group id and a missing HSM are refused; a subnet with policies Enabled takes the endpoint", async () => {
  const base = [
    "network",
    "private-endpoint",
    "create",
    "-g",
    rg,
    "--vnet-name",
    "vnet1",
    "--subnet",
    "subnet1",
    "--connection-name",
    "cx",
  ];
  const region = await az.run([
    ...base,
    "-n",
    "pe-ne",
    "--private-connection-resource-id",
    hsmId,
    "--group-id",
    "managedhsm",
    "-l",
    "northeurope",
  ]);
  assert.equal(region.code, 1);
  assert.match(
    region.stderr,
    /\(InvalidResourceReference\) Resource \/subscriptions\/.+\/virtualNetworks\/vnet1 referenced by resource .+\/privateEndpoints\/pe-ne was not found\. Please make sure that the referenced resource exists, and that both resources are in the same region\./,
  );

  await topology.subnet("vnet1", "locked", "10.0.1.0/24");
  await topology.subnetPolicies("vnet1", "locked", false);
  // Since NSG/UDR support for private endpoints (GA 2022) Enabled policies no longer refuse an endpoint; they make the
  // subnet's NSGs and route tables apply to it (disable-private-endpoint-network-policy.md).
  const { pe: policed } = await topology.privateEndpoint("pe-policed", {
    vnet: "vnet1",
    subnet: "locked",
    hsmId,
    connection: "cy",
  });
  assert.equal(policed.provisioningState, "Succeeded");
  assert.match(policed.subnet.id, /\/subnets\/locked$/);
  const lockedSubnet = await az.ok([
    "network",
    "vnet",
    "subnet",
    "show",
    "-g",
    rg,
    "--vnet-name",
    "vnet1",
    "-n",
    "locked",
  ]);
  assert.equal(lockedSubnet.privateEndpointNetworkPolicies, "Enabled");
  assert.equal(lockedSubnet.privateEndpoints.length, 1);

  const group = await az.run([
    ...base,
    "-n",
    "pe-grp",
    "--private-connection-resource-id",
    hsmId,
    "--group-id",
    "vault",
    "-l",
    "westeurope",
  ]);
  assert.equal(group.code, 1);
  assert.match(group.stderr, /\(BadRequest\).*group id/i);

  const missing = await az.run([
    ...base,
    "-n",
    "pe-miss",
    "--private-connection-resource-id",
    hsmId.replace("hsmaznet", "nohsm"),
    "--group-id",
    "managedhsm",
    "-l",
    "westeurope",
  ]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /\(InvalidResourceReference\) Resource .+\/managedHSMs\/nohsm referenced by resource .+\/privateEndpoints\/pe-miss was not found\./,
  );

  const list = await az.ok(["network", "private-endpoint", "list", "-g", rg]);
  assert.deepEqual(list.map((p: { name: string }) => p.name).sort(), ["pe-policed", "pe1", "pe2"]);
});
