// The real Azure CLI (Debian az 2.45) and @azure/arm-keyvault 5.0.0 against hsmlink's Microsoft.KeyVault/managedHSMs:
// create/show/list, update-hsm (FC-17), private link resources, private endpoint connections (approve/reject/delete;
// the PE is seeded in-process the way the network side creates it), delete, list-deleted/show-deleted, the
// soft-deleted name reservation (FC-32), recover and purge (control-plane.md §2 rows 5–7, 15–18b, 23–29).
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { AzTopology } from "../support/az-topology.js";
import { runNodeClient } from "../support/node-client.js";
import { connectPrivateEndpoint } from "../../src/arm/resource-types/managed-hsms/private-link.js";

const { test, before, after } = clientSuite("az");

let h: TestHsmlink;
let az: Az;
let topology: AzTopology;
let hsmId: string;
const RG = "rg-azhsm";
const HSM = "azhsm1";

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
  topology = new AzTopology(az, RG);
  await az.ok(["login", "--identity"]);
  await az.ok(["group", "create", "-n", RG, "-l", "westeurope"]);
});
after(async () => h?.dispose());

test("az keyvault create --hsm-name, show (without -g), list --resource-type hsm", async () => {
  const created = await topology.managedHsm(HSM, h.endpoints.principalObjectId);
  hsmId = `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/${HSM}`;
  assert.equal(created.id, hsmId);
  assert.equal(created.properties.hsmUri, `https://${HSM}.managedhsm.azure.net/`);
  assert.equal(created.properties.provisioningState, "Succeeded");
  assert.equal(created.properties.softDeleteRetentionInDays, 7);
  assert.deepEqual(created.properties.initialAdminObjectIds, [h.endpoints.principalObjectId]);
  assert.equal(created.properties.networkAcls.defaultAction, "Allow");
  assert.equal(created.properties.networkAcls.bypass, "AzureServices");
  assert.equal(created.sku.name, "Standard_B1");
  const shown = await az.ok(["keyvault", "show", "--hsm-name", HSM]);
  assert.equal(shown.id, hsmId);
  const listed = await az.ok(["keyvault", "list", "--resource-type", "hsm"]);
  assert.deepEqual(
    listed.map((x: { name: string }) => x.name),
    [HSM],
  );
});

test("az keyvault update-hsm --default-action deny keeps the bypass it found; --bypass changes it (FC-17)", async () => {
  const none = await topology.hsmFirewall(HSM, "Deny", "None");
  assert.deepEqual([none.properties.networkAcls.defaultAction, none.properties.networkAcls.bypass], ["Deny", "None"]);
  const alone = await az.ok(["keyvault", "update-hsm", "--hsm-name", HSM, "-g", RG, "--default-action", "deny"]);
  assert.deepEqual([alone.properties.networkAcls.defaultAction, alone.properties.networkAcls.bypass], ["Deny", "None"]);
  const trusted = await topology.hsmFirewall(HSM, "deny", "AzureServices");
  assert.deepEqual(
    [trusted.properties.networkAcls.defaultAction, trusted.properties.networkAcls.bypass],
    ["Deny", "AzureServices"],
  );
  assert.equal(trusted.properties.softDeleteRetentionInDays, 7);
});

test("az keyvault private-link-resource list and private-endpoint-connection list/approve/reject/delete", async () => {
  const links = await az.ok(["keyvault", "private-link-resource", "list", "--hsm-name", HSM, "-g", RG]);
  assert.equal(links.length, 1);
  assert.equal(links[0].groupId, "managedhsm");
  assert.deepEqual(links[0].requiredZoneNames, ["privatelink.managedhsm.azure.net"]);
  assert.deepEqual(await az.ok(["keyvault", "private-endpoint-connection", "list", "--hsm-name", HSM, "-g", RG]), []);

  const peId = `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Network/privateEndpoints/pe1`;
  h.store.tx(() =>
    connectPrivateEndpoint(h.arm, {
      hsmId,
      privateEndpointId: peId,
      privateEndpointLocation: "westeurope",
      connectionName: "conn1",
      manual: true,
      requestMessage: "hello",
      groupIds: ["managedhsm"],
    }),
  );
  // List items are shaped as recorded (id, etag, properties): no name, so the connection name is the id's last segment.
  const items = await az.ok(["keyvault", "private-endpoint-connection", "list", "--hsm-name", HSM, "-g", RG]);
  assert.equal(items.length, 1);
  assert.equal(items[0].id, `${hsmId}/privateEndpointConnections/conn1`);
  assert.equal(items[0].name ?? null, null);
  assert.equal(items[0].privateLinkServiceConnectionState.status, "Pending");
  // The PUT answers Updating with Azure-AsyncOperation (recorded); az 2.45 then polls GET until Succeeded.
  const approved = await az.ok([
    "keyvault",
    "private-endpoint-connection",
    "approve",
    "-g",
    RG,
    "--hsm-name",
    HSM,
    "-n",
    "conn1",
    "--description",
    "Approved by admin",
  ]);
  assert.deepEqual(approved.privateLinkServiceConnectionState, {
    status: "Approved",
    description: "Approved by admin",
    actionsRequired: "None",
  });
  assert.equal(approved.provisioningState, "Succeeded");
  assert.equal(approved.privateEndpoint.id, peId);
  const rejected = await az.ok([
    "keyvault",
    "private-endpoint-connection",
    "reject",
    "-g",
    RG,
    "--hsm-name",
    HSM,
    "-n",
    "conn1",
  ]);
  assert.equal(rejected.privateLinkServiceConnectionState.status, "Rejected");
  const reapprove = await az.run([
    "keyvault",
    "private-endpoint-connection",
    "approve",
    "-g",
    RG,
    "--hsm-name",
    HSM,
    "-n",
    "conn1",
  ]);
  assert.equal(reapprove.code, 1);
  assert.match(reapprove.stderr, /\(BadRequest\) Approving rejected private endpoint connections is not supported\./);
  const del = await az.run([
    "keyvault",
    "private-endpoint-connection",
    "delete",
    "-g",
    RG,
    "--hsm-name",
    HSM,
    "-n",
    "conn1",
  ]);
  assert.equal(del.code, 0, del.stderr);
  const gone = await az.run([
    "keyvault",
    "private-endpoint-connection",
    "show",
    "-g",
    RG,
    "--hsm-name",
    HSM,
    "-n",
    "conn1",
  ]);
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /\(ResourceNotFound\)/);
});

test("az keyvault delete, list-deleted, show-deleted, create over the deleted name, recover, purge", async () => {
  const del = await az.run(["keyvault", "delete", "--hsm-name", HSM, "-g", RG]);
  assert.equal(del.code, 0, del.stderr);
  const missing = await az.run(["keyvault", "show", "--hsm-name", HSM, "-g", RG]);
  assert.equal(missing.code, 3);
  const deleted = await az.ok(["keyvault", "list-deleted", "--resource-type", "hsm"]);
  assert.deepEqual(
    deleted.map((d: { name: string }) => d.name),
    [HSM],
  );
  assert.equal(deleted[0].properties.mhsmId, hsmId);
  assert.equal(deleted[0].properties.location, "westeurope");
  const shown = await az.ok(["keyvault", "show-deleted", "--hsm-name", HSM, "-l", "westeurope"]);
  assert.equal(shown.properties.purgeProtectionEnabled, false);
  assert.ok(
    Date.parse(shown.properties.scheduledPurgeDate) - Date.parse(shown.properties.deletionDate) ===
      7 * 24 * 3600 * 1000,
  );

  const clash = await az.run([
    "keyvault",
    "create",
    "--hsm-name",
    HSM,
    "-g",
    RG,
    "-l",
    "westeurope",
    "--administrators",
    h.endpoints.principalObjectId,
  ]);
  assert.equal(clash.code, 1);
  assert.match(
    clash.stderr,
    /\(ConflictError\) A KV MHSM with the same name already exists in deleted state\. You need to either recover or purge existing KV MHSM\./,
  );

  const recovered = await az.ok(["keyvault", "recover", "--hsm-name", HSM, "-g", RG, "-l", "westeurope"]);
  assert.equal(recovered.id, hsmId);
  assert.equal(recovered.properties.networkAcls.defaultAction, "Deny");
  assert.equal(recovered.properties.softDeleteRetentionInDays, 7);
  assert.deepEqual(await az.ok(["keyvault", "list-deleted", "--resource-type", "hsm"]), []);

  assert.equal((await az.run(["keyvault", "delete", "--hsm-name", HSM, "-g", RG])).code, 0);
  const purge = await az.run(["keyvault", "purge", "--hsm-name", HSM, "-l", "westeurope"]);
  assert.equal(purge.code, 0, purge.stderr);
  assert.deepEqual(await az.ok(["keyvault", "list-deleted", "--resource-type", "hsm"]), []);
});

test("@azure/arm-keyvault 5.0.0: create, get, list, update, check name, private link resources, delete, deleted, purge", async () => {
  const script = fileURLToPath(new URL("./sdk/arm-keyvault-managed-hsm.ts", import.meta.url));
  const env = {
    ...h.clientEnv(),
    HSMLINK_SUBSCRIPTION_ID: h.endpoints.subscriptionId,
    HSMLINK_TENANT_ID: h.endpoints.tenantId,
  };
  const r = await runNodeClient(script, env, [RG, "sdkhsm1", h.endpoints.principalObjectId]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.json, {
    created: {
      id: `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/sdkhsm1`,
      hsmUri: "https://sdkhsm1.managedhsm.azure.net/",
      provisioningState: "Succeeded",
      tags: { via: "sdk" },
      activation: "Active",
    },
    got: { name: "sdkhsm1", retention: 7, createdAt: true },
    byRg: ["sdkhsm1"],
    bySubIncludes: true,
    patched: { bypass: "AzureServices", defaultAction: "Deny", ipRules: [], virtualNetworkRules: [] },
    taken: { nameAvailable: false, reason: "AlreadyExists" },
    groupIds: ["managedhsm"],
    deleted: {
      name: "sdkhsm1",
      mhsmId: `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/sdkhsm1`,
      scheduledPurgeDate: true,
    },
    deletedListed: true,
    afterPurgeListed: false,
  });
});

test("api-versions through az rest: a never-published version gets ARM's NoRegisteredProviderFound message; a well-formed future one is served", async () => {
  const base = `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs`;
  const bogus = await az.run([
    "rest",
    "--method",
    "get",
    "--url",
    `https://management.azure.com${base}?api-version=2022-07-02`,
  ]);
  assert.notEqual(bogus.code, 0);
  assert.match(
    bogus.stderr,
    /No registered resource provider found for location 'westeurope' and API version '2022-07-02' for type 'managedHSMs'\. The supported api-versions are '2026-04-01, /,
  );
  const future = await az.ok([
    "rest",
    "--method",
    "get",
    "--url",
    `https://management.azure.com${base}?api-version=2099-01-01`,
  ]);
  assert.ok(Array.isArray(future.value));
});
