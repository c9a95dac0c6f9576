// api-version checks as ARM does them (issue 11 item 8): published versions pass, never-published or malformed ones
// get ARM's 400 (NoRegisteredProviderFound for resource providers, InvalidApiVersionParameter for ARM's own
// endpoints), a well-formed version newer than the newest known is served, and --lenient-api-versions accepts
// anything. Sources: src/arm/api-versions.ts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";
import { apiVersionTableFor, judgeApiVersion, MANAGED_HSM_API_VERSIONS } from "../../../src/arm/api-versions.js";
import { checkApiVersion } from "../../../src/hsm/api-versions.js";

let h: TestHsmlink;
let sub: string;
before(async () => {
  h = await startTestHsmlink();
  sub = h.endpoints.subscriptionId;
  const rg = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-av?api-version=2021-04-01`, {
    body: { location: "westeurope" },
  });
  assert.equal(rg.status, 201, rg.text);
});
after(async () => h?.dispose());

const hsms = () => `/subscriptions/${sub}/resourceGroups/rg-av/providers/Microsoft.KeyVault/managedHSMs`;

test("the tables: managed HSM, network, private DNS and ARM's own paths; known, newer and unsupported verdicts", () => {
  assert.equal(
    apiVersionTableFor(`${hsms()}/h1/privateEndpointConnections/c1`)?.type,
    "managedHSMs/privateEndpointConnections",
  );
  assert.equal(
    apiVersionTableFor(
      `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/z/virtualNetworkLinks/l`,
    )?.versions.includes("2018-09-01"),
    true,
  );
  assert.equal(
    apiVersionTableFor(
      `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/p`,
    )?.versions.includes("2022-01-01"),
    true,
  );
  assert.equal(apiVersionTableFor(`/subscriptions/${sub}/resourcegroups/rg`)?.armOwn, true);
  assert.equal(apiVersionTableFor(`/subscriptions/${sub}/providers/Microsoft.KeyVault/register`)?.armOwn, true);
  assert.equal(
    apiVersionTableFor(`/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments`),
    undefined,
  );
  assert.deepEqual(judgeApiVersion("2022-07-01", MANAGED_HSM_API_VERSIONS), { kind: "known" });
  assert.deepEqual(judgeApiVersion("2099-01-01", MANAGED_HSM_API_VERSIONS), { kind: "newer", newest: "2026-04-01" });
  assert.deepEqual(judgeApiVersion("2022-07-02", MANAGED_HSM_API_VERSIONS), { kind: "unsupported" });
  assert.deepEqual(judgeApiVersion("1999-01-01", MANAGED_HSM_API_VERSIONS), { kind: "unsupported" });
  assert.deepEqual(judgeApiVersion("2099-13-01", MANAGED_HSM_API_VERSIONS), { kind: "unsupported" });
  assert.deepEqual(judgeApiVersion("latest", MANAGED_HSM_API_VERSIONS), { kind: "unsupported" });
});

test("a never-published or malformed version of a resource provider type: 400 NoRegisteredProviderFound with ARM's message; nothing is written", async () => {
  for (const v of ["2022-07-02", "1999-01-01", "bogus"]) {
    const r = await armCall(h, "PUT", `${hsms()}/hsm-av?api-version=${v}`, {
      body: {
        location: "westeurope",
        sku: { family: "B", name: "Standard_B1" },
        properties: { tenantId: h.config.tenantId, initialAdminObjectIds: [h.endpoints.principalObjectId] },
      },
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, "NoRegisteredProviderFound");
    assert.match(
      r.json.error.message,
      new RegExp(
        `^No registered resource provider found for location 'westeurope' and API version '${v}' for type 'managedHSMs'\\. The supported api-versions are '2026-04-01, 2026-04-01-preview, .*, 2020-04-01-preview'\\. The supported locations are '.*westeurope.*'\\.$`,
      ),
    );
  }
  const list = await armCall(h, "GET", `${hsms()}?api-version=2022-07-01`);
  assert.deepEqual(list.json.value, []);
  const net = await armCall(
    h,
    "GET",
    `/subscriptions/${sub}/resourceGroups/rg-av/providers/Microsoft.Network/virtualNetworks?api-version=2019-01-01`,
  );
  assert.equal(net.json.error.code, "NoRegisteredProviderFound");
  assert.match(net.json.error.message, /for type 'virtualNetworks'\. The supported api-versions are '2025-07-01, /);
});

test("ARM's own endpoints: 400 InvalidApiVersionParameter", async () => {
  const r = await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rg-av?api-version=2021-04-02`);
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, "InvalidApiVersionParameter");
  assert.match(
    r.json.error.message,
    /^The api-version '2021-04-02' is invalid\. The supported versions are '2025-04-01,2025-03-01,.*,2014-04-01'\.$/,
  );
});

test("a well-formed version newer than the newest known is served with the newest behaviour", async () => {
  const r = await armCall(h, "GET", `${hsms()}?api-version=2099-01-01`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.value, []);
  const g = await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rg-av?api-version=2099-01-01`);
  assert.equal(g.status, 200);
});

test("--lenient-api-versions accepts anything, ARM and data plane", async () => {
  const lenient = await startTestHsmlink({ lenientApiVersions: true });
  try {
    const s = lenient.endpoints.subscriptionId;
    assert.equal(
      (await armCall(lenient, "GET", `/subscriptions/${s}/resourcegroups?api-version=1999-01-01`)).status,
      200,
    );
    assert.equal(
      (await armCall(lenient, "GET", `/subscriptions/${s}/providers/Microsoft.KeyVault/managedHSMs?api-version=bogus`))
        .status,
      200,
    );
  } finally {
    await lenient.dispose();
  }
  assert.doesNotThrow(() => checkApiVersion("anything", true));
});

test("data plane: known and newer well-formed versions pass; older unknown and malformed ones get BadParameter", () => {
  for (const v of ["7.4", "7.4-preview.1", "2025-07-01", "2026-03-01-preview", "2099-01-01"])
    assert.doesNotThrow(() => checkApiVersion(v, false), v);
  for (const v of ["7.9", "2024-01-01", "7", "latest", "2099-13-40"])
    assert.throws(
      () => checkApiVersion(v, false),
      (e: any) => e.code === "BadParameter",
      v,
    );
});
