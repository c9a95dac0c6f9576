// Microsoft.KeyVault/managedHSMs over real HTTPS: the Key Vault LRO dialect, validation with Azure's errors, name
// uniqueness (live and soft-deleted), update rules, lists, name availability, private link resources, soft delete,
// recover, purge, purge protection and the retention clock (control-plane.md §2, §3, §7; FC-32).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { ManualClock } from "../../../src/kernel/clock.js";
import { ArmClient, API } from "./arm-client.js";

const DAY = 24 * 60 * 60 * 1000;
let h: TestHsmlink;
let arm: ArmClient;
let clock: ManualClock;

before(async () => {
  clock = new ManualClock(Date.parse("2026-03-01T10:00:00.000Z"));
  h = await startTestHsmlink({ activateNewHsms: false }, { clock });
  arm = new ArmClient(h);
});
after(async () => h?.dispose());

const sub = () => h.endpoints.subscriptionId;
const deletedList = () => `/subscriptions/${sub()}/providers/Microsoft.KeyVault/deletedManagedHSMs`;
const deletedPath = (loc: string, name: string) =>
  `/subscriptions/${sub()}/providers/Microsoft.KeyVault/locations/${loc}/deletedManagedHSMs/${name}`;
const checkName = (name: unknown) =>
  arm.call("POST", `/subscriptions/${sub()}/providers/Microsoft.KeyVault/checkMhsmNameAvailability`, {
    body: { name },
  });

test("create answers 202 + Location (never 201); the poll returns 200 with the full ManagedHsm JSON", async () => {
  await arm.group("rg-create");
  const first = await arm.call("PUT", arm.hsmPath("rg-create", "ContosoHsm1"), {
    body: arm.createBody({ tags: { env: "test" } }),
  });
  assert.equal(first.status, 202);
  assert.equal(first.text, "");
  assert.match(
    String(first.headers.location),
    new RegExp(
      `/subscriptions/${sub()}/providers/Microsoft.KeyVault/locations/westeurope/managedHsmOperationResults/[0-9a-f-]{36}\\?api-version=${API}$`,
    ),
  );
  assert.equal(first.headers["retry-after"], "1");
  const done = await arm.poll(first);
  assert.equal(done.status, 200);
  const hsm = done.body;
  assert.equal(
    hsm.id,
    `/subscriptions/${sub()}/resourceGroups/rg-create/providers/Microsoft.KeyVault/managedHSMs/ContosoHsm1`,
  );
  assert.equal(hsm.name, "ContosoHsm1");
  assert.equal(hsm.type, "Microsoft.KeyVault/managedHSMs");
  assert.equal(hsm.location, "westeurope");
  assert.deepEqual(hsm.sku, { family: "B", name: "Standard_B1" });
  assert.deepEqual(hsm.tags, { env: "test" });
  assert.equal(hsm.systemData.createdByType, "ManagedIdentity");
  assert.equal(hsm.systemData.createdAt, "2026-03-01T10:00:00.000Z");
  const p = hsm.properties;
  assert.equal(p.tenantId, h.endpoints.tenantId);
  assert.equal(p.hsmUri, "https://contosohsm1.managedhsm.azure.net/");
  assert.deepEqual(p.initialAdminObjectIds, [h.endpoints.principalObjectId]);
  assert.equal(p.enableSoftDelete, true);
  assert.equal(p.softDeleteRetentionInDays, 7);
  assert.equal(p.enablePurgeProtection, false);
  assert.equal(p.provisioningState, "Succeeded");
  assert.equal(p.statusMessage, "The Managed HSM is provisioned and ready to use.");
  assert.deepEqual(p.networkAcls, {
    bypass: "AzureServices",
    defaultAction: "Allow",
    ipRules: [],
    virtualNetworkRules: [],
  });
  assert.equal(p.publicNetworkAccess, "Enabled");
  assert.deepEqual(p.regions, []);
  // New HSMs are not activated until their security domain is downloaded (azure-cli recording
  // test_mhsm_private_link_resource.yaml).
  assert.deepEqual(p.securityDomainProperties, {
    activationStatus: "NotActivated",
    activationStatusMessage:
      "Your HSM has been provisioned, but cannot be used for cryptographic operations until it is activated. To activate the HSM, download the security domain.",
  });
  assert.equal("privateEndpointConnections" in p, false);
  // GET (any path casing) returns the same document with the canonical id.
  const got = await arm.call(
    "GET",
    `/SUBSCRIPTIONS/${sub()}/resourcegroups/RG-CREATE/providers/microsoft.keyvault/MANAGEDHSMS/contosohsm1`,
  );
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, hsm);
});

test("defaults: retention 90, network ACLs Allow + AzureServices, purge protection off, public network access Enabled; any api-version", async () => {
  await arm.group("rg-defaults");
  const body = {
    location: "West Europe",
    properties: { tenantId: h.endpoints.tenantId, initialAdminObjectIds: [h.endpoints.principalObjectId] },
  };
  const first = await arm.call("PUT", arm.hsmPath("rg-defaults", "hsm-defaults"), { body, apiVersion: "2026-02-01" });
  assert.equal(first.status, 202);
  const hsm = (await arm.poll(first)).body;
  assert.equal(hsm.location, "westeurope");
  assert.deepEqual(hsm.sku, { family: "B", name: "Standard_B1" });
  assert.equal(hsm.properties.softDeleteRetentionInDays, 90);
  assert.equal(hsm.properties.enablePurgeProtection, false);
  assert.equal(hsm.properties.publicNetworkAccess, "Enabled");
  assert.deepEqual(hsm.properties.networkAcls, {
    bypass: "AzureServices",
    defaultAction: "Allow",
    ipRules: [],
    virtualNetworkRules: [],
  });
});

test("bad input gets Azure's error and writes nothing", async () => {
  await arm.group("rg-bad");
  const good = arm.createBody();
  const props = (extra: Record<string, unknown>) => ({
    ...good,
    properties: { ...(good.properties as object), ...extra },
  });
  const cases: { name?: string; body?: unknown; raw?: string; status: number; code: string; message?: RegExp }[] = [
    { name: "ab", body: good, status: 400, code: "BadRequest", message: /The managed HSM name 'ab' is invalid/ },
    { name: "1hsm", body: good, status: 400, code: "BadRequest" },
    { name: "hsm-", body: good, status: 400, code: "BadRequest" },
    { name: "hsm_one", body: good, status: 400, code: "BadRequest" },
    { name: "a".repeat(25), body: good, status: 400, code: "BadRequest" },
    { raw: "{not json", status: 400, code: "InvalidRequestContent" },
    { body: { ...good, location: undefined }, status: 400, code: "LocationRequired" },
    {
      body: { ...good, location: "mars" },
      status: 400,
      code: "LocationNotAvailableForResourceType",
      message: /'mars' is not available for resource type 'Microsoft.KeyVault\/managedHSMs'/,
    },
    { body: { ...good, location: "global" }, status: 400, code: "LocationNotAvailableForResourceType" },
    { body: { ...good, properties: undefined }, status: 400, code: "BadRequest" },
    {
      body: props({ tenantId: "11111111-2222-3333-4444-555555555555" }),
      status: 400,
      code: "BadRequest",
      message: /tenant/,
    },
    { body: props({ tenantId: undefined }), status: 400, code: "BadRequest", message: /tenantId is required/ },
    {
      body: { ...good, sku: { family: "B", name: "Premium" } },
      status: 400,
      code: "BadRequest",
      message: /sku\.name.*Standard_B1/,
    },
    { body: { ...good, sku: { family: "A", name: "Standard_B1" } }, status: 400, code: "BadRequest" },
    { body: props({ softDeleteRetentionInDays: 6 }), status: 400, code: "BadRequest", message: />=7 and <=90/ },
    { body: props({ softDeleteRetentionInDays: 91 }), status: 400, code: "BadRequest" },
    { body: props({ softDeleteRetentionInDays: 7.5 }), status: 400, code: "InvalidRequestContent" },
    {
      body: props({ networkAcls: { defaultAction: "Block" } }),
      status: 400,
      code: "BadRequest",
      message: /defaultAction/,
    },
    {
      body: props({ networkAcls: { bypass: "Everything" } }),
      status: 400,
      code: "BadRequest",
      message: /^ByPass property is invalid\. Supported values are : None, AzureServices$/,
    },
    {
      body: props({ networkAcls: { ipRules: [{ value: "203.0.113.0/24" }] } }),
      status: 400,
      code: "BadRequest",
      message: /^Property properties\.networkAcls\.ipRules is not supported currently and must be set to null\.$/,
    },
    {
      body: props({ networkAcls: { virtualNetworkRules: [{ id: "/x" }] } }),
      status: 400,
      code: "BadRequest",
      message: /virtualNetworkRules is not supported currently/,
    },
    { body: props({ publicNetworkAccess: "Sometimes" }), status: 400, code: "BadRequest" },
    {
      body: props({ initialAdminObjectIds: undefined }),
      status: 400,
      code: "BadRequest",
      message: /initialAdminObjectIds is required/,
    },
    { body: props({ initialAdminObjectIds: [] }), status: 400, code: "BadRequest" },
    { body: props({ initialAdminObjectIds: ["not-a-guid"] }), status: 400, code: "BadRequest", message: /not-a-guid/ },
    { body: props({ enableSoftDelete: false }), status: 400, code: "BadRequest" },
    { body: props({ enablePurgeProtection: "yes" }), status: 400, code: "InvalidRequestContent" },
    { body: props({ createMode: "restore" }), status: 400, code: "BadRequest", message: /createMode/ },
    { body: props({ regions: [{ name: "northeurope" }] }), status: 400, code: "BadRequest" },
  ];
  for (const c of cases) {
    const name = c.name ?? "hsm-bad";
    const r = await arm.call(
      "PUT",
      arm.hsmPath("rg-bad", name),
      c.raw !== undefined ? { rawBody: c.raw } : { body: c.body },
    );
    assert.equal(r.status, c.status, `${name} ${JSON.stringify(c.body ?? c.raw)}: ${r.text}`);
    assert.equal(r.body.error.code, c.code, r.text);
    if (c.message) assert.match(r.body.error.message, c.message);
  }
  const list = await arm.call(
    "GET",
    `/subscriptions/${sub()}/resourceGroups/rg-bad/providers/Microsoft.KeyVault/managedHSMs`,
  );
  assert.deepEqual(list.body, { value: [] });
});

test("missing resource group and missing HSM", async () => {
  const noRg = await arm.call("GET", arm.hsmPath("rg-nowhere", "hsm-x"));
  assert.equal(noRg.status, 404);
  assert.equal(noRg.body.error.code, "ResourceGroupNotFound");
  await arm.group("rg-missing");
  const missing = await arm.call("GET", arm.hsmPath("rg-missing", "hsm-missing"));
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body.error, {
    code: "ResourceNotFound",
    message:
      "The Resource 'Microsoft.KeyVault/managedHSMs/hsm-missing' under resource group 'rg-missing' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
  });
  const del = await arm.call("DELETE", arm.hsmPath("rg-missing", "hsm-missing"));
  assert.equal(del.status, 204);
  for (const suffix of ["/privateLinkResources", "/privateEndpointConnections", "/privateEndpointConnections/c1"]) {
    const r = await arm.call("GET", arm.hsmPath("rg-missing", "hsm-missing") + suffix);
    assert.equal(r.status, 404, suffix);
    assert.equal(r.body.error.code, "ResourceNotFound");
  }
});

test("names are global: another resource group gets 409 ConflictError; same group, other casing, is an update", async () => {
  await arm.group("rg-uniq-a");
  await arm.group("rg-uniq-b");
  await arm.createHsm("rg-uniq-a", "uniq-hsm");
  const clash = await arm.call("PUT", arm.hsmPath("rg-uniq-b", "UNIQ-HSM"), { body: arm.createBody() });
  assert.equal(clash.status, 409);
  assert.equal(clash.body.error.code, "ConflictError");
  assert.match(clash.body.error.message, /'UNIQ-HSM' is already in use/);
  const avail = await checkName("Uniq-Hsm");
  assert.deepEqual(
    { nameAvailable: avail.body.nameAvailable, reason: avail.body.reason },
    { nameAvailable: false, reason: "AlreadyExists" },
  );
  const again = await arm.createHsm("rg-uniq-a", "UNIQ-hsm", arm.createBody({ tags: { v: "2" } }));
  assert.equal(again.name, "uniq-hsm");
  assert.deepEqual(again.tags, { v: "2" });
  const inB = await arm.call(
    "GET",
    `/subscriptions/${sub()}/resourceGroups/rg-uniq-b/providers/Microsoft.KeyVault/managedHSMs`,
  );
  assert.deepEqual(inB.body.value, []);
});

test("full PUT update (az update-hsm): ACL changes apply, omitted values are kept, immutable ones are refused", async () => {
  await arm.group("rg-upd");
  const created = await arm.createHsm("rg-upd", "hsm-upd", arm.createBody({ tags: { a: "1" } }));
  // What az update-hsm --default-action deny sends: the GET body's writable fields with defaultAction changed.
  const echo = (over: Record<string, unknown>, acls: Record<string, unknown>) => ({
    location: created.location,
    sku: created.sku,
    tags: created.tags,
    properties: {
      tenantId: created.properties.tenantId,
      initialAdminObjectIds: created.properties.initialAdminObjectIds,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 7,
      enablePurgeProtection: false,
      publicNetworkAccess: "Enabled",
      networkAcls: { ...created.properties.networkAcls, ...acls },
      ...over,
    },
  });
  const denied = await arm.createHsm("rg-upd", "hsm-upd", echo({}, { defaultAction: "Deny" }));
  assert.deepEqual(denied.properties.networkAcls, {
    bypass: "AzureServices",
    defaultAction: "Deny",
    ipRules: [],
    virtualNetworkRules: [],
  });
  assert.equal(denied.systemData.createdAt, created.systemData.createdAt);
  const none = await arm.createHsm("rg-upd", "hsm-upd", echo({}, { defaultAction: "deny", bypass: "none" }));
  assert.deepEqual(none.properties.networkAcls, {
    bypass: "None",
    defaultAction: "Deny",
    ipRules: [],
    virtualNetworkRules: [],
  });
  // A partial PUT keeps tags, ACLs and public network access.
  const partial = await arm.createHsm("rg-upd", "hsm-upd", {
    location: "westeurope",
    properties: { tenantId: h.endpoints.tenantId },
  });
  assert.deepEqual(partial.tags, { a: "1" });
  assert.equal(partial.properties.networkAcls.bypass, "None");
  assert.equal(partial.properties.softDeleteRetentionInDays, 7);

  const refusals: [Record<string, unknown>, number, string, RegExp][] = [
    [echo({ softDeleteRetentionInDays: 30 }, {}), 400, "BadRequest", /softDeleteRetentionInDays cannot be changed/],
    [{ ...echo({}, {}), sku: { family: "B", name: "Custom_B32" } }, 400, "BadRequest", /SKU .* cannot be changed/],
    [
      { ...echo({}, {}), location: "northeurope" },
      400,
      "InvalidResourceLocation",
      /already exists in location 'westeurope'/,
    ],
  ];
  for (const [body, status, code, message] of refusals) {
    const r = await arm.call("PUT", arm.hsmPath("rg-upd", "hsm-upd"), { body });
    assert.equal(r.status, status, r.text);
    assert.equal(r.body.error.code, code);
    assert.match(r.body.error.message, message);
  }
  const protectedHsm = await arm.createHsm("rg-upd", "hsm-upd", echo({ enablePurgeProtection: true }, {}));
  assert.equal(protectedHsm.properties.enablePurgeProtection, true);
  const undo = await arm.call("PUT", arm.hsmPath("rg-upd", "hsm-upd"), {
    body: echo({ enablePurgeProtection: false }, {}),
  });
  assert.equal(undo.status, 400);
  assert.equal(
    undo.body.error.message,
    'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a managed HSM is an irreversible action.',
  );
  const after = await arm.call("GET", arm.hsmPath("rg-upd", "hsm-upd"));
  assert.equal(after.body.properties.enablePurgeProtection, true);
  assert.equal(after.body.properties.softDeleteRetentionInDays, 7);
});

test("PATCH merges (SDK update): network ACL fields, tags; Key Vault LRO dialect", async () => {
  await arm.group("rg-patch");
  await arm.createHsm(
    "rg-patch",
    "hsm-patch",
    arm.createBody({ tags: { a: "1" }, properties: { networkAcls: { bypass: "None", defaultAction: "Allow" } } }),
  );
  const first = await arm.call("PATCH", arm.hsmPath("rg-patch", "hsm-patch"), {
    body: { tags: { b: "2" }, properties: { networkAcls: { defaultAction: "Deny" }, publicNetworkAccess: "Disabled" } },
  });
  assert.equal(first.status, 202);
  const done = await arm.poll(first);
  assert.equal(done.status, 200);
  assert.deepEqual(done.body.tags, { b: "2" });
  assert.deepEqual(done.body.properties.networkAcls, {
    bypass: "None",
    defaultAction: "Deny",
    ipRules: [],
    virtualNetworkRules: [],
  });
  assert.equal(done.body.properties.publicNetworkAccess, "Disabled");
  const bad = await arm.call("PATCH", arm.hsmPath("rg-patch", "hsm-patch"), {
    body: { properties: { softDeleteRetentionInDays: 8 } },
  });
  assert.equal(bad.status, 400);
  const missing = await arm.call("PATCH", arm.hsmPath("rg-patch", "hsm-nope"), { body: { tags: {} } });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "ResourceNotFound");
});

test("lists by resource group and subscription, with $top", async () => {
  await arm.group("rg-list");
  await arm.createHsm("rg-list", "hsm-list-1");
  await arm.createHsm("rg-list", "hsm-list-2");
  const rgList = await arm.call(
    "GET",
    `/subscriptions/${sub()}/resourceGroups/rg-list/providers/Microsoft.KeyVault/managedHSMs`,
  );
  assert.deepEqual(
    rgList.body.value.map((x: { name: string }) => x.name),
    ["hsm-list-1", "hsm-list-2"],
  );
  assert.equal("nextLink" in rgList.body, false);
  const topped = await arm.call(
    "GET",
    `/subscriptions/${sub()}/resourceGroups/rg-list/providers/Microsoft.KeyVault/managedHSMs?$top=1`,
  );
  assert.deepEqual(
    topped.body.value.map((x: { name: string }) => x.name),
    ["hsm-list-1"],
  );
  const badTop = await arm.call(
    "GET",
    `/subscriptions/${sub()}/resourceGroups/rg-list/providers/Microsoft.KeyVault/managedHSMs?$top=zero`,
  );
  assert.equal(badTop.status, 400);
  const subList = await arm.call("GET", `/subscriptions/${sub()}/providers/Microsoft.KeyVault/managedHSMs`);
  const names = subList.body.value.map((x: { name: string }) => x.name);
  assert.ok(names.includes("hsm-list-1") && names.includes("hsm-list-2"));
  assert.ok(subList.body.value.every((x: { type: string }) => x.type === "Microsoft.KeyVault/managedHSMs"));
});

test("checkMhsmNameAvailability", async () => {
  assert.deepEqual((await checkName("fresh-name-1")).body, { nameAvailable: true });
  const invalid = await checkName("9lives");
  assert.equal(invalid.status, 200);
  assert.equal(invalid.body.nameAvailable, false);
  assert.equal(invalid.body.reason, "AccountNameInvalid");
  const none = await checkName(undefined);
  assert.equal(none.status, 400);
});

test("private link resources: group id managedhsm, zone privatelink.managedhsm.azure.net", async () => {
  await arm.group("rg-plr");
  await arm.createHsm("rg-plr", "hsm-plr");
  const r = await arm.call("GET", arm.hsmPath("rg-plr", "hsm-plr") + "/privateLinkResources");
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    value: [
      {
        id: `${arm.hsmPath("rg-plr", "hsm-plr")}/privateLinkResources/managedhsm`,
        name: "managedhsm",
        type: "Microsoft.KeyVault/managedHSMs/privateLinkResources",
        properties: {
          groupId: "managedhsm",
          requiredMembers: ["default"],
          requiredZoneNames: ["privatelink.managedhsm.azure.net"],
        },
      },
    ],
  });
});

test("soft delete, the name stays reserved, recover restores the original properties, purge frees the name", async () => {
  await arm.group("rg-life");
  await arm.createHsm(
    "rg-life",
    "hsm-life",
    arm.createBody({
      sku: { family: "B", name: "Custom_B32" },
      tags: { keep: "me" },
      properties: { networkAcls: { bypass: "None", defaultAction: "Deny" } },
    }),
  );
  const deletedAt = clock.now();
  const del = await arm.call("DELETE", arm.hsmPath("rg-life", "hsm-life"));
  assert.equal(del.status, 202);
  assert.match(String(del.headers.location), /\/locations\/westeurope\/managedHsmOperationResults\//);
  const delDone = await arm.poll(del);
  assert.equal(delDone.status, 200);
  assert.equal(delDone.text, "");
  assert.equal((await arm.call("GET", arm.hsmPath("rg-life", "hsm-life"))).status, 404);

  const listed = (await arm.call("GET", deletedList())).body.value.find((d: { name: string }) => d.name === "hsm-life");
  assert.deepEqual(listed, {
    id: `/subscriptions/${sub()}/providers/Microsoft.KeyVault/locations/westeurope/deletedManagedHSMs/hsm-life`,
    name: "hsm-life",
    type: "Microsoft.Keyvault/deletedManagedHSMs",
    properties: {
      mhsmId: arm.hsmPath("rg-life", "hsm-life"),
      location: "westeurope",
      deletionDate: new Date(deletedAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      scheduledPurgeDate: new Date(deletedAt + 7 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z"),
      purgeProtectionEnabled: false,
      tags: { keep: "me" },
    },
  });
  const shown = await arm.call("GET", deletedPath("WestEurope", "HSM-LIFE"));
  assert.equal(shown.status, 200);
  assert.deepEqual(shown.body, listed);
  const wrongLoc = await arm.call("GET", deletedPath("northeurope", "hsm-life"));
  assert.equal(wrongLoc.status, 404);
  assert.equal(wrongLoc.body.error.code, "NotFound");

  // FC-32: the soft-deleted HSM reserves its name, in any resource group.
  await arm.group("rg-life-2");
  for (const rg of ["rg-life", "rg-life-2"]) {
    const clash = await arm.call("PUT", arm.hsmPath(rg, "hsm-life"), { body: arm.createBody() });
    assert.equal(clash.status, 409);
    assert.deepEqual(clash.body.error, {
      code: "ConflictError",
      message:
        "A KV MHSM with the same name already exists in deleted state. You need to either recover or purge existing KV MHSM.",
    });
  }
  assert.equal((await checkName("hsm-life")).body.reason, "AlreadyExists");

  // Recover as az sends it: Standard_B1 and tenantId only; the original sku, tags and ACLs come back.
  const recoverBody = {
    location: "westeurope",
    sku: { family: "B", name: "Standard_B1" },
    properties: { tenantId: h.endpoints.tenantId, createMode: "Recover" },
  };
  const intoOther = await arm.call("PUT", arm.hsmPath("rg-life-2", "hsm-life"), { body: recoverBody });
  assert.equal(intoOther.status, 409);
  assert.equal(intoOther.body.error.code, "ConflictError");
  const elsewhere = await arm.call("PUT", arm.hsmPath("rg-life", "hsm-life"), {
    body: { ...recoverBody, location: "northeurope" },
  });
  assert.equal(elsewhere.status, 409);
  const recovered = await arm.createHsm("rg-life", "hsm-life", recoverBody);
  assert.deepEqual(recovered.sku, { family: "B", name: "Custom_B32" });
  assert.deepEqual(recovered.tags, { keep: "me" });
  assert.deepEqual(recovered.properties.networkAcls, {
    bypass: "None",
    defaultAction: "Deny",
    ipRules: [],
    virtualNetworkRules: [],
  });
  assert.equal(recovered.properties.softDeleteRetentionInDays, 7);
  assert.equal((await arm.call("GET", deletedPath("westeurope", "hsm-life"))).status, 404);
  const again = await arm.call("PUT", arm.hsmPath("rg-life", "hsm-life"), {
    body: { ...recoverBody, properties: { ...recoverBody.properties, createMode: "recover" } },
  });
  assert.equal(again.status, 409);
  assert.match(again.body.error.message, /not deleted/);

  // Delete again, purge, and the name is free.
  await arm.poll(await arm.call("DELETE", arm.hsmPath("rg-life", "hsm-life")));
  const purge = await arm.call("POST", deletedPath("westeurope", "hsm-life") + "/purge");
  assert.equal(purge.status, 202);
  const purged = await arm.poll(purge);
  assert.equal(purged.status, 200);
  assert.equal(purged.text, "");
  assert.equal((await arm.call("GET", deletedPath("westeurope", "hsm-life"))).status, 404);
  const purgeAgain = await arm.call("POST", deletedPath("westeurope", "hsm-life") + "/purge");
  assert.equal(purgeAgain.status, 404);
  const nothing = await arm.call("PUT", arm.hsmPath("rg-life", "hsm-life"), { body: recoverBody });
  assert.equal(nothing.status, 409);
  assert.match(nothing.body.error.message, /no deleted managed HSM named 'hsm-life'/);
  const fresh = await arm.createHsm("rg-life-2", "hsm-life");
  assert.deepEqual(fresh.sku, { family: "B", name: "Standard_B1" });
});

test("purge protection refuses purge (409 ConflictError) until the scheduled purge date; then the clock purges it", async () => {
  await arm.group("rg-pp");
  await arm.createHsm("rg-pp", "hsm-pp", arm.createBody({ retention: 7, properties: { enablePurgeProtection: true } }));
  await arm.poll(await arm.call("DELETE", arm.hsmPath("rg-pp", "hsm-pp")));
  const shown = await arm.call("GET", deletedPath("westeurope", "hsm-pp"));
  assert.equal(shown.body.properties.purgeProtectionEnabled, true);
  const refused = await arm.call("POST", deletedPath("westeurope", "hsm-pp") + "/purge");
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, "ConflictError");
  assert.match(refused.body.error.message, /purge protection/);
  assert.equal((await arm.call("GET", deletedPath("westeurope", "hsm-pp"))).status, 200);
  clock.advance(7 * DAY - 1000);
  assert.equal((await arm.call("GET", deletedPath("westeurope", "hsm-pp"))).status, 200);
  clock.advance(1000);
  assert.equal((await arm.call("GET", deletedPath("westeurope", "hsm-pp"))).status, 404);
  assert.equal(
    (await arm.call("GET", deletedList())).body.value.some((d: { name: string }) => d.name === "hsm-pp"),
    false,
  );
  assert.deepEqual((await checkName("hsm-pp")).body, { nameAvailable: true });
  await arm.createHsm("rg-pp", "hsm-pp");
});

test("an expired soft-deleted HSM frees its name for create without any read in between", async () => {
  await arm.group("rg-exp");
  await arm.createHsm("rg-exp", "hsm-exp", arm.createBody({ retention: 7 }));
  await arm.poll(await arm.call("DELETE", arm.hsmPath("rg-exp", "hsm-exp")));
  clock.advance(7 * DAY);
  const created = await arm.createHsm("rg-exp", "hsm-exp");
  assert.equal(created.properties.provisioningState, "Succeeded");
});

test("resource group delete soft-deletes its HSMs (FC-32)", async () => {
  await arm.group("rg-cascade");
  await arm.createHsm("rg-cascade", "hsm-cascade");
  const del = await arm.call("DELETE", `/subscriptions/${sub()}/resourcegroups/rg-cascade`, {
    apiVersion: "2021-04-01",
  });
  assert.equal(del.status, 202);
  const d = await arm.call("GET", deletedPath("westeurope", "hsm-cascade"));
  assert.equal(d.status, 200);
  assert.equal(d.body.properties.mhsmId, arm.hsmPath("rg-cascade", "hsm-cascade"));
  const clash = await arm.call("PUT", arm.hsmPath("rg-exp", "hsm-cascade"), { body: arm.createBody() });
  assert.equal(clash.status, 409);
});
