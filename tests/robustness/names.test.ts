// Resource names beyond Latin-1 (issue 17, item 4): in resource groups named `rg-жж`, `rg-日本` and `ü`, every
// resource type's writes (PUT and DELETE of resource group, managed HSM, private endpoint connection, virtual
// network, subnet, private endpoint, private DNS zone, virtual network link, record set, zone group) answer without
// a 5xx; every URL hsmlink builds for them (Location, Azure-AsyncOperation, nextLink) is ASCII, percent-encodes the
// name as UTF-8 and can be polled. A token whose audience holds CR/LF or letters beyond Latin-1 gets ARM's 401
// with a valid WWW-Authenticate, never a 500.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { armCall, type RawResponse } from "../support/arm-client.js";

let h: TestHsmlink;
let token = "";
before(async () => {
  h = await startTestHsmlink();
  token = (await h.identity.issue(h.identity.defaultIdentity(), "https://management.azure.com/")).token;
});
after(async () => h?.dispose());

const GROUPS = ["rg-жж", "rg-日本", "ü"];
const API = { rg: "2021-04-01", hsm: "2023-07-01", net: "2023-09-01", dns: "2020-06-01" };
const ZONE = "privatelink.managedhsm.azure.net";

const seg = (s: string) => encodeURIComponent(s);
const arm = (method: string, path: string, body?: unknown) =>
  armCall(h, method, path, { token, ...(body !== undefined ? { body } : {}) });

/** Every URL the answer carries for the client to follow: ASCII only, the group's name in it UTF-8 encoded, pollable. */
async function assertUrls(r: RawResponse, rg: string, what: string): Promise<void> {
  assert.ok(r.status < 500, `${what} → ${r.status} ${r.text}`);
  const urls: string[] = [];
  for (const name of ["location", "azure-asyncoperation"]) {
    const v = r.headers[name];
    if (typeof v === "string") urls.push(v);
  }
  if (typeof r.json?.nextLink === "string") urls.push(r.json.nextLink);
  for (const u of urls) {
    assert.match(u, /^[\x21-\x7e]+$/, `${what}: URL is not ASCII: ${u}`);
    const url = new URL(u);
    const parts = url.pathname.split("/");
    const i = parts.findIndex((p) => p.toLowerCase() === "resourcegroups");
    if (i >= 0) assert.equal(decodeURIComponent(parts[i + 1]), rg, `${what}: ${u}`);
    const poll = await armCall(h, "GET", u, { token });
    assert.ok(poll.status < 400, `${what}: polling ${u} → ${poll.status} ${poll.text}`);
  }
}

for (const [n, rg] of GROUPS.entries()) {
  test(`every resource type's writes in resource group '${rg}' answer without a 5xx and with followable URLs`, async () => {
    const sub = h.endpoints.subscriptionId;
    const rgPath = `/subscriptions/${sub}/resourceGroups/${seg(rg)}`;
    const rgId = `/subscriptions/${sub}/resourceGroups/${rg}`;
    const net = `${rgPath}/providers/Microsoft.Network`;
    const netId = `${rgId}/providers/Microsoft.Network`;
    const hsmName = `namehsm${n}`;
    const hsmPath = `${rgPath}/providers/Microsoft.KeyVault/managedHSMs/${hsmName}`;
    const step = async (
      what: string,
      method: string,
      path: string,
      body?: unknown,
      ok: number[] = [200, 201, 202, 204],
    ) => {
      const api = path.includes("Microsoft.KeyVault")
        ? API.hsm
        : path.includes("privateDnsZones")
          ? API.dns
          : path.includes("Microsoft.Network")
            ? API.net
            : API.rg;
      const r = await arm(method, `${path}${path.includes("?") ? "&" : "?"}api-version=${api}`, body);
      assert.ok(ok.includes(r.status), `${what} → ${r.status} ${r.text}`);
      await assertUrls(r, rg, what);
      return r;
    };

    await step("resource group PUT", "PUT", rgPath, { location: "westeurope" });
    await step("managed HSM PUT", "PUT", hsmPath, {
      location: "westeurope",
      sku: { family: "B", name: "Standard_B1" },
      properties: {
        tenantId: h.endpoints.tenantId,
        initialAdminObjectIds: [h.endpoints.principalObjectId],
        networkAcls: { bypass: "AzureServices", defaultAction: "Deny" },
        publicNetworkAccess: "Disabled",
      },
    });
    await step("virtual network PUT", "PUT", `${net}/virtualNetworks/vnet1`, {
      location: "westeurope",
      properties: {
        addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
        subnets: [{ name: "sn1", properties: { addressPrefix: "10.0.1.0/24" } }],
      },
    });
    await step("subnet PUT", "PUT", `${net}/virtualNetworks/vnet1/subnets/sn2`, {
      properties: { addressPrefix: "10.0.2.0/24" },
    });
    await step("private DNS zone PUT", "PUT", `${net}/privateDnsZones/${ZONE}`, { location: "global" });
    await step("virtual network link PUT", "PUT", `${net}/privateDnsZones/${ZONE}/virtualNetworkLinks/link1`, {
      location: "global",
      properties: { virtualNetwork: { id: `${netId}/virtualNetworks/vnet1` }, registrationEnabled: false },
    });
    await step("record set PUT", "PUT", `${net}/privateDnsZones/${ZONE}/A/rec1`, {
      properties: { ttl: 10, aRecords: [{ ipv4Address: "10.0.1.9" }] },
    });
    await step("record set PUT (second)", "PUT", `${net}/privateDnsZones/${ZONE}/A/rec2`, {
      properties: { ttl: 10, aRecords: [{ ipv4Address: "10.0.1.10" }] },
    });
    await step("record set list paged (nextLink)", "GET", `${net}/privateDnsZones/${ZONE}/A?$top=1`, undefined, [200]);
    await step("private endpoint PUT", "PUT", `${net}/privateEndpoints/pe1`, {
      location: "westeurope",
      properties: {
        subnet: { id: `${netId}/virtualNetworks/vnet1/subnets/sn1` },
        manualPrivateLinkServiceConnections: [
          {
            name: "c1",
            properties: {
              privateLinkServiceId: `${rgId}/providers/Microsoft.KeyVault/managedHSMs/${hsmName}`,
              groupIds: ["managedhsm"],
              requestMessage: "please",
            },
          },
        ],
      },
    });
    await step("zone group PUT", "PUT", `${net}/privateEndpoints/pe1/privateDnsZoneGroups/default`, {
      properties: {
        privateDnsZoneConfigs: [{ name: "cfg", properties: { privateDnsZoneId: `${netId}/privateDnsZones/${ZONE}` } }],
      },
    });
    const pecs = await step(
      "private endpoint connections list",
      "GET",
      `${hsmPath}/privateEndpointConnections`,
      undefined,
      [200],
    );
    // List items carry no `name`, as recorded from the service (issue 11): the name is the id's last segment.
    const pecName: string = (pecs.json.value[0].id as string).split("/").pop()!;
    await step(
      "private endpoint connection PUT (approve)",
      "PUT",
      `${hsmPath}/privateEndpointConnections/${seg(pecName)}`,
      { properties: { privateLinkServiceConnectionState: { status: "Approved", description: "ok" } } },
    );
    await step("private endpoint connection DELETE", "DELETE", `${hsmPath}/privateEndpointConnections/${seg(pecName)}`);
    await step("zone group DELETE", "DELETE", `${net}/privateEndpoints/pe1/privateDnsZoneGroups/default`);
    await step("private endpoint DELETE", "DELETE", `${net}/privateEndpoints/pe1`);
    await step("record set DELETE", "DELETE", `${net}/privateDnsZones/${ZONE}/A/rec1`);
    await step("virtual network link DELETE", "DELETE", `${net}/privateDnsZones/${ZONE}/virtualNetworkLinks/link1`);
    await step("subnet DELETE", "DELETE", `${net}/virtualNetworks/vnet1/subnets/sn2`);
    await step("managed HSM DELETE", "DELETE", hsmPath);
    await step("resource group DELETE", "DELETE", rgPath);
  });
}

for (const [what, aud] of [
  ["CR/LF", "https://management.azure.com/\r\nX-Injected: 1"],
  ["letters beyond Latin-1", "https://managément.azure.com/жж日本"],
  ["a double quote and a backslash", 'https://x/"\\'],
] as const) {
  test(`a token whose audience holds ${what} gets ARM's 401 InvalidAuthenticationTokenAudience, not a 500`, async () => {
    const t = (await h.identity.issue(h.identity.defaultIdentity(), aud)).token;
    const r = await armCall(
      h,
      "GET",
      `/subscriptions/${h.endpoints.subscriptionId}/resourcegroups?api-version=${API.rg}`,
      { token: t },
    );
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.error?.code, "InvalidAuthenticationTokenAudience");
    assert.ok(r.json.error.message.includes(aud), "the body keeps the audience as it was");
    const challenge = String(r.headers["www-authenticate"]);
    assert.match(
      challenge,
      /^Bearer authorization_uri="https:\/\/login\.microsoftonline\.com\/[^"]+", error="invalid_token", error_description="[^"]*"$/,
    );
    assert.match(challenge, /^[\x20-\x7e]+$/);
    assert.equal(r.headers["x-injected"], undefined);
  });
}
