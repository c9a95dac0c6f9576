// Quotas are per subscription as in Azure (control-plane.md §3 limits): with "HSMs with private endpoints per
// subscription" set to 1, a second HSM in the same subscription cannot get a private endpoint, an HSM in another
// subscription can; private endpoints in subscription B to an HSM in A count against A. Everything through ARM.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";
import { ArmClient } from "../managed-hsms/arm-client.js";
import { createSubscription } from "../../../src/arm/subscriptions.js";
import { grantArmRole } from "../../support/arm-roles.js";
import { MANAGED_HSM_CONTRIBUTOR, READER } from "../../../src/kernel/azure-roles.js";

class SubscriptionArm extends ArmClient {
  constructor(
    h: TestHsmlink,
    private readonly subscription: string,
  ) {
    super(h);
  }
  override get sub(): string {
    return this.subscription;
  }
}

let h: TestHsmlink;
let a: SubscriptionArm;
let b: SubscriptionArm;

async function subnet(arm: SubscriptionArm, rg: string, vnet: string, prefix: string): Promise<string> {
  const base = `/subscriptions/${arm.sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
  const v = await armCall(h, "PUT", `${base}?api-version=2023-09-01`, {
    body: {
      location: "westeurope",
      properties: {
        addressSpace: { addressPrefixes: [prefix] },
        subnets: [{ name: "s", properties: { addressPrefix: prefix, privateEndpointNetworkPolicies: "Disabled" } }],
      },
    },
  });
  assert.ok(v.status === 201 || v.status === 200, v.text);
  return `${base}/subnets/s`;
}

function putPe(arm: SubscriptionArm, rg: string, name: string, subnetId: string, hsmId: string) {
  return armCall(
    h,
    "PUT",
    `/subscriptions/${arm.sub}/resourceGroups/${rg}/providers/Microsoft.Network/privateEndpoints/${name}?api-version=2023-09-01`,
    {
      body: {
        location: "westeurope",
        properties: {
          subnet: { id: subnetId },
          privateLinkServiceConnections: [
            { name: `${name}-c`, properties: { privateLinkServiceId: hsmId, groupIds: ["managedhsm"] } },
          ],
        },
      },
    },
  );
}

before(async () => {
  h = await startTestHsmlink({ maxHsmsWithPrivateEndpointsPerSubscription: 1 });
  a = new SubscriptionArm(h, h.endpoints.subscriptionId);
  b = new SubscriptionArm(
    h,
    createSubscription(h.store, { displayName: "B", ownerObjectId: h.endpoints.principalObjectId, now: Date.now() })
      .subscriptionId,
  );
  await a.group("rg");
  await b.group("rg");
});
after(async () => h?.dispose());

test("HSMs with private endpoints per subscription: counted in the HSM's subscription, not the endpoint's", async () => {
  const a1 = await a.createHsm("rg", "quota-a1");
  const a2 = await a.createHsm("rg", "quota-a2");
  const b1 = await b.createHsm("rg", "quota-b1");
  const netA = await subnet(a, "rg", "va", "10.1.0.0/24");
  const netB = await subnet(b, "rg", "vb", "10.2.0.0/24");

  assert.equal(
    (await putPe(b, "rg", "pe-b-to-a1", netB, a1.id)).status,
    201,
    "cross-subscription endpoint: B's network, A's HSM",
  );
  const refused = await putPe(a, "rg", "pe-a-to-a2", netA, a2.id);
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.code, "QuotaExceeded");
  assert.match(
    refused.json.error.message,
    new RegExp(`Subscription '${a.sub}' already has 1 managed HSMs with private endpoints`),
  );
  assert.equal(
    (
      await armCall(
        h,
        "GET",
        `/subscriptions/${a.sub}/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe-a-to-a2?api-version=2023-09-01`,
      )
    ).status,
    404,
    "nothing written",
  );
  assert.equal((await putPe(b, "rg", "pe-b-to-b1", netB, b1.id)).status, 201, "subscription B has its own quota");
  const conns = await a.call("GET", `${a.hsmPath("rg", "quota-a1")}/privateEndpointConnections`);
  assert.equal(conns.body.value.length, 1);
  assert.match(
    conns.body.value[0].properties.privateEndpoint.id,
    new RegExp(`^/subscriptions/${b.sub}/resourceGroups/rg/providers/Microsoft\\.Network/privateEndpoints/pe-b-to-a1$`),
  );
});

test("approving, rejecting and deleting a connection need rights on the HSM: Reader is refused, Managed HSM contributor may", async () => {
  const conns = (await a.call("GET", `${a.hsmPath("rg", "quota-a1")}/privateEndpointConnections`)).body.value;
  const connPath = `${a.hsmPath("rg", "quota-a1")}/privateEndpointConnections/${(conns[0].id as string).split("/").pop()}?api-version=2023-07-01`; // list items carry no name (recorded shape)
  const reader = h.identity.createServicePrincipal("pec-reader").principal;
  const sec = h.identity.createServicePrincipal("pec-security").principal;
  await grantArmRole(h, reader.objectId, READER, `/subscriptions/${a.sub}`);
  await grantArmRole(h, sec.objectId, MANAGED_HSM_CONTRIBUTOR, a.hsmPath("rg", "quota-a1"));
  const token = async (oid: string) =>
    (await h.identity.issue(h.identity.byObjectId(oid)!, "https://management.azure.com/")).token;
  const reject = { properties: { privateLinkServiceConnectionState: { status: "Rejected", description: "no" } } };
  assert.equal(
    (await armCall(h, "GET", connPath, { token: await token(reader.objectId) })).status,
    200,
    "Reader reads it",
  );
  const refused = await armCall(h, "PUT", connPath, { token: await token(reader.objectId), body: reject });
  assert.equal(refused.status, 403);
  assert.match(refused.json.error.message, /'Microsoft\.KeyVault\/managedHSMs\/privateEndpointConnections\/write'/);
  const del = await armCall(h, "DELETE", connPath, { token: await token(reader.objectId) });
  assert.equal(del.status, 403);
  assert.match(del.json.error.message, /privateEndpointConnections\/delete/);
  const rejected = await armCall(h, "PUT", connPath, { token: await token(sec.objectId), body: reject });
  assert.ok(rejected.status === 200 || rejected.status === 201, rejected.text);
  assert.equal((await a.call("GET", connPath)).body.properties.privateLinkServiceConnectionState.status, "Rejected");
});
