// ARM authentication and the error envelope: missing, unsigned, expired and wrong-audience tokens get ARM's 401s;
// malformed input gets a 4xx envelope and changes nothing.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { generateKeyPairSync } from "node:crypto";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";
import { ManualClock } from "../../../src/kernel/clock.js";

let h: TestHsmlink;
const clock = new ManualClock(Date.parse("2026-06-01T12:00:00Z"));
let sub: string;

before(async () => {
  h = await startTestHsmlink({}, { clock });
  sub = h.endpoints.subscriptionId;
});
after(async () => h?.dispose());

test("no Authorization header: 401 AuthenticationFailed with WWW-Authenticate", async () => {
  const r = await armCall(h, "GET", `/subscriptions?api-version=2019-11-01`, { token: false });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "AuthenticationFailed");
  assert.match(
    String(r.headers["www-authenticate"]),
    /^Bearer authorization_uri="https:\/\/login\.microsoftonline\.com\//,
  );
});

test("a token signed by another key: 401 InvalidAuthenticationToken", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = Math.floor(clock.now() / 1000);
  const forged = await new SignJWT({ tid: h.endpoints.tenantId, oid: h.endpoints.principalObjectId })
    .setProtectedHeader({ alg: "RS256" })
    .setAudience("https://management.azure.com/")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
  const r = await armCall(h, "GET", `/subscriptions?api-version=2019-11-01`, { token: forged });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "InvalidAuthenticationToken");
});

test("an unsigned (alg none) token: 401 InvalidAuthenticationToken", async () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(clock.now() / 1000);
  const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ tid: h.endpoints.tenantId, oid: h.endpoints.principalObjectId, aud: "https://management.azure.com/", exp: now + 600 })}.`;
  const r = await armCall(h, "GET", `/subscriptions?api-version=2019-11-01`, { token: unsigned });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "InvalidAuthenticationToken");
});

test("a token for another audience: 401 InvalidAuthenticationTokenAudience naming it", async () => {
  const { token } = await h.identity.issue(h.identity.defaultIdentity(), "https://managedhsm.azure.net");
  const r = await armCall(h, "GET", `/subscriptions?api-version=2019-11-01`, { token });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "InvalidAuthenticationTokenAudience");
  assert.match(r.json.error.message, /'https:\/\/managedhsm\.azure\.net'/);
});

test("an expired token: 401 ExpiredAuthenticationToken", async () => {
  const { token } = await h.identity.issue(h.identity.defaultIdentity(), "https://management.azure.com/");
  clock.advance(2 * 3600_000);
  try {
    const r = await armCall(h, "GET", `/subscriptions?api-version=2019-11-01`, { token });
    assert.equal(r.status, 401);
    assert.equal(r.json.error.code, "ExpiredAuthenticationToken");
    assert.match(r.json.error.message, /is earlier than current UTC time/);
  } finally {
    clock.advance(-2 * 3600_000);
  }
});

test("missing api-version: 400 MissingApiVersionParameter", async () => {
  const r = await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups`);
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, "MissingApiVersionParameter");
});

test("percent-encoded api%2Dversion (as the JS SDK sends it) is understood", async () => {
  const r = await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups?api%2Dversion=2025-04-01`);
  assert.equal(r.status, 200);
  assert.ok(Array.isArray(r.json.value));
});

test("malformed JSON: 400 InvalidRequestContent and nothing created", async () => {
  const r = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-bad?api-version=2021-04-01`, {
    rawBody: '{"location": "westeurope",',
  });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, "InvalidRequestContent");
  const g = await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rg-bad?api-version=2021-04-01`);
  assert.equal(g.status, 404);
  assert.equal(g.json.error.code, "ResourceGroupNotFound");
});

test("bad resource group input: name, location, body type", async () => {
  const badName = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/bad%23name?api-version=2021-04-01`, {
    body: { location: "westeurope" },
  });
  assert.equal(badName.status, 400);
  assert.equal(badName.json.error.code, "InvalidResourceGroup");
  const noLoc = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`, {
    body: {},
  });
  assert.equal(noLoc.status, 400);
  assert.equal(noLoc.json.error.code, "LocationRequired");
  const badLoc = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`, {
    body: { location: "moon" },
  });
  assert.equal(badLoc.status, 400);
  assert.equal(badLoc.json.error.code, "LocationNotAvailableForResourceGroup");
  const arr = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`, { body: [1] });
  assert.equal(arr.status, 400);
  assert.equal(arr.json.error.code, "InvalidRequestContent");
  assert.equal(
    (await armCall(h, "GET", `/subscriptions/${sub}/resourcegroups/rg1?api-version=2021-04-01`)).status,
    404,
  );
});

test("oversized body: 413 with the ARM envelope", async () => {
  const big = "x".repeat(h.config.bodyLimitBytes + 10);
  const r = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-big?api-version=2021-04-01`, {
    rawBody: JSON.stringify({ location: "westeurope", tags: { a: big } }),
  });
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, "RequestEntityTooLarge");
});

test("unknown paths and methods: 4xx envelopes", async () => {
  const unknownNs = await armCall(
    h,
    "GET",
    `/subscriptions/${sub}/providers/Contoso.Widgets/widgets?api-version=2020-01-01`,
  );
  assert.equal(unknownNs.status, 404);
  assert.equal(unknownNs.json.error.code, "InvalidResourceNamespace");
  assert.equal(unknownNs.json.error.message, "The resource namespace 'Contoso.Widgets' is invalid.");
  const otherSub = await armCall(
    h,
    "GET",
    `/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?api-version=2021-04-01`,
  );
  assert.equal(otherSub.status, 404);
  assert.equal(otherSub.json.error.code, "SubscriptionNotFound");
  const method = await armCall(h, "POST", `/subscriptions/${sub}/resourcegroups/x?api-version=2021-04-01`, {
    body: {},
  });
  assert.equal(method.status, 405);
  assert.equal(method.json.error.code, "MethodNotAllowed");
});

test("resource group delete is a Location LRO that ends 200 and removes what is inside", async () => {
  await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-del?api-version=2021-04-01`, {
    body: { location: "westeurope" },
  });
  const d = await armCall(h, "DELETE", `/subscriptions/${sub}/resourcegroups/rg-del?api-version=2021-04-01`);
  assert.equal(d.status, 202);
  assert.equal(d.headers["retry-after"], "1");
  const loc = new URL(String(d.headers.location));
  assert.equal(loc.host, new URL(h.endpoints.httpsUrl).host);
  const poll = await armCall(h, "GET", loc.pathname + loc.search);
  assert.equal(poll.status, 200);
  assert.equal(
    (await armCall(h, "HEAD", `/subscriptions/${sub}/resourcegroups/rg-del?api-version=2021-04-01`)).status,
    404,
  );
});

test("Unicode resource group names: the group and resources inside it work (names are percent-encoded UTF-8 on the wire)", async () => {
  const rg = encodeURIComponent("rg-é");
  assert.equal(
    (
      await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/${rg}?api-version=2021-04-01`, {
        body: { location: "westeurope" },
      })
    ).status,
    201,
  );
  const vnet = await armCall(
    h,
    "PUT",
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2022-01-01`,
    {
      body: { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["10.0.0.0/16"] } } },
    },
  );
  assert.equal(vnet.status, 201, vnet.text);
  assert.equal(
    vnet.json.id,
    `/subscriptions/${sub}/resourceGroups/rg-é/providers/Microsoft.Network/virtualNetworks/v1`,
  );
});

test("malformed percent-encoding and over-long names get 400s, not 500s", async () => {
  const bad = await armCall(
    h,
    "GET",
    `/subscriptions/${sub}/resourceGroups/rg%E0%A4%A/providers/Microsoft.Network/virtualNetworks?api-version=2022-01-01`,
  );
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, "InvalidRequestFormat");
  const long = "r".repeat(91);
  const tooLong = await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/${long}?api-version=2021-04-01`, {
    body: { location: "westeurope" },
  });
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.json.error.message, /at most 90 characters/);
});
