// A private endpoint's zone group keeps the A record in step with the connection state decided on the HSM side:
// rejecting or deleting the connection withdraws the private endpoint's address (ARM routes only, no seeding).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";

let h: TestHsmlink;
let base: string;
const ZONE = "privatelink.managedhsm.azure.net";

async function put(path: string, body: unknown, apiVersion: string): Promise<any> {
  const r = await armCall(h, "PUT", `${base}${path}?api-version=${apiVersion}`, { body });
  assert.ok(r.status >= 200 && r.status < 300, `${path}: ${r.status} ${r.text}`);
  return r.json;
}

async function aRecords(): Promise<string[]> {
  const r = await armCall(
    h,
    "GET",
    `${base}/providers/Microsoft.Network/privateDnsZones/${ZONE}/A/zghsm?api-version=2020-06-01`,
  );
  return r.status === 404 ? [] : (r.json.properties.aRecords ?? []).map((a: { ipv4Address: string }) => a.ipv4Address);
}

before(async () => {
  h = await startTestHsmlink();
  const sub = h.endpoints.subscriptionId;
  base = `/subscriptions/${sub}/resourceGroups/rg-zg`;
  assert.equal(
    (
      await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-zg?api-version=2021-04-01`, {
        body: { location: "westeurope" },
      })
    ).status,
    201,
  );
  await put(
    "/providers/Microsoft.KeyVault/managedHSMs/zghsm",
    {
      location: "westeurope",
      sku: { family: "B", name: "Standard_B1" },
      properties: {
        tenantId: h.endpoints.tenantId,
        initialAdminObjectIds: [h.endpoints.principalObjectId],
        softDeleteRetentionInDays: 7,
      },
    },
    "2022-07-01",
  );
  await put(
    "/providers/Microsoft.Network/virtualNetworks/vnet1",
    {
      location: "westeurope",
      properties: {
        addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
        subnets: [
          { name: "s1", properties: { addressPrefix: "10.0.1.0/24", privateEndpointNetworkPolicies: "Disabled" } },
        ],
      },
    },
    "2022-01-01",
  );
  await put(`/providers/Microsoft.Network/privateDnsZones/${ZONE}`, { location: "global" }, "2020-06-01");
  for (const [pe, conn] of [
    ["pe1", "c1"],
    ["pe2", "c2"],
  ]) {
    await put(
      `/providers/Microsoft.Network/privateEndpoints/${pe}`,
      {
        location: "westeurope",
        properties: {
          subnet: { id: `${base}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/s1` },
          privateLinkServiceConnections: [
            {
              name: conn,
              properties: {
                groupIds: ["managedhsm"],
                privateLinkServiceId: `${base}/providers/Microsoft.KeyVault/managedHSMs/zghsm`,
              },
            },
          ],
        },
      },
      "2022-01-01",
    );
    await put(
      `/providers/Microsoft.Network/privateEndpoints/${pe}/privateDnsZoneGroups/default`,
      {
        properties: {
          privateDnsZoneConfigs: [
            {
              name: "mhsm",
              properties: { privateDnsZoneId: `${base}/providers/Microsoft.Network/privateDnsZones/${ZONE}` },
            },
          ],
        },
      },
      "2022-01-01",
    );
  }
});
after(async () => h?.dispose());

test("both approved private endpoints have their address in the shared A record", async () => {
  assert.deepEqual((await aRecords()).sort(), ["10.0.1.4", "10.0.1.5"]);
});

test("rejecting a connection on the HSM withdraws that private endpoint's address only", async () => {
  const pec = `${base}/providers/Microsoft.KeyVault/managedHSMs/zghsm/privateEndpointConnections/c2?api-version=2022-07-01`;
  const r = await armCall(h, "PUT", pec, {
    body: { properties: { privateLinkServiceConnectionState: { status: "Rejected", description: "no" } } },
  });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(await aRecords(), ["10.0.1.4"]);
});

test("deleting the last usable connection on the HSM side removes the record", async () => {
  const pec = `${base}/providers/Microsoft.KeyVault/managedHSMs/zghsm/privateEndpointConnections/c1?api-version=2022-07-01`;
  const r = await armCall(h, "DELETE", pec);
  assert.ok(r.status === 202 || r.status === 200 || r.status === 204, r.text);
  assert.deepEqual(await aRecords(), []);
});
