// A user's Node program: @azure/identity + @azure/arm-network 36 (api-version 2025-05-01), unmodified, reaching
// hsmlink only through the environment of `hsmlink env`. Creates a VNet, a subnet and a private endpoint to a managed
// HSM, reads them (and the endpoint's NIC), deletes them, and prints one JSON line with what it saw.
import { ManagedIdentityCredential } from "@azure/identity";
import { NetworkManagementClient } from "@azure/arm-network";

const [subscriptionId, rg, hsmId] = process.argv.slice(2);
const client = new NetworkManagementClient(new ManagedIdentityCredential(), subscriptionId);
const fast = { updateIntervalInMs: 100 };

const vnet = await client.virtualNetworks.beginCreateOrUpdateAndWait(
  rg,
  "vnet-sdk",
  { location: "westeurope", addressSpace: { addressPrefixes: ["10.20.0.0/16"] } },
  fast,
);
const subnet = await client.subnets.beginCreateOrUpdateAndWait(
  rg,
  "vnet-sdk",
  "pe-subnet",
  { addressPrefix: "10.20.1.0/24" },
  fast,
);
const pe = await client.privateEndpoints.beginCreateOrUpdateAndWait(
  rg,
  "pe-sdk",
  {
    location: "westeurope",
    subnet: { id: subnet.id },
    privateLinkServiceConnections: [{ name: "conn-sdk", privateLinkServiceId: hsmId, groupIds: ["managedhsm"] }],
  },
  fast,
);
const nicName = pe.networkInterfaces![0].id!.split("/").pop()!;
const nic = await client.networkInterfaces.get(rg, nicName);
const gotVnet = await client.virtualNetworks.get(rg, "vnet-sdk");
const gotSubnet = await client.subnets.get(rg, "vnet-sdk", "pe-subnet");
const listed: string[] = [];
for await (const p of client.privateEndpoints.list(rg)) listed.push(p.name!);

await client.privateEndpoints.beginDeleteAndWait(rg, "pe-sdk", fast);
const subnetAfterPeDelete = await client.subnets.get(rg, "vnet-sdk", "pe-subnet");
await client.subnets.beginDeleteAndWait(rg, "vnet-sdk", "pe-subnet", fast);
await client.virtualNetworks.beginDeleteAndWait(rg, "vnet-sdk", fast);
let statusAfterDelete = 200;
try {
  await client.virtualNetworks.get(rg, "vnet-sdk");
} catch (e) {
  statusAfterDelete = (e as { statusCode?: number }).statusCode ?? -1;
}

console.log(
  JSON.stringify({
    vnetState: vnet.provisioningState,
    subnetPolicies: subnet.privateEndpointNetworkPolicies,
    peState: pe.provisioningState,
    connectionStatus: pe.privateLinkServiceConnections?.[0].privateLinkServiceConnectionState?.status,
    customDnsConfigs: pe.customDnsConfigs,
    nicIp: nic.ipConfigurations?.[0].privateIPAddress,
    nicPrivateEndpoint: nic.privateEndpoint?.id === pe.id,
    vnetSubnets: gotVnet.subnets?.map((s) => s.name),
    subnetPrivateEndpoints: gotSubnet.privateEndpoints?.map((p) => p.id === pe.id),
    listed,
    subnetPrivateEndpointsAfterDelete: subnetAfterPeDelete.privateEndpoints?.length ?? 0,
    statusAfterDelete,
  }),
);
