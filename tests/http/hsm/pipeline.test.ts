// The managed HSM data-plane pipeline, in order: HSM resolution → 401 challenge → token validation → activation →
// local RBAC → api-version → validation; and the headers every response carries.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { createDataPlane } from "../../../src/pipeline/data-plane.js";
import { snapshotFromStore } from "../../../src/network/snapshot.js";
import { systemClock } from "../../../src/kernel/clock.js";
import type { Exchange } from "../../../src/kernel/exchange.js";
import { API, grant, hsmCall, hsmToken, ROLE, seedHsm } from "./support.js";
import { renderSteps } from "../../../src/pipeline/trace-log.js";

let h: TestHsmlink;
const CHALLENGE = (tid: string) =>
  `Bearer authorization="https://login.microsoftonline.com/${tid}", resource="https://managedhsm.azure.net"`;

before(async () => {
  h = await startTestHsmlink();
  seedHsm(h, "pipe1", { location: "northeurope" });
  seedHsm(h, "dormant", { activationStatus: "NotActivated" });
  seedHsm(h, "building", { provisioningState: "Provisioning" });
  seedHsm(h, "othertenant", { tenantId: "11111111-2222-3333-4444-555555555555" });
  await grant(h, "pipe1", h.endpoints.principalObjectId, ROLE.cryptoUser);
});
after(async () => h?.dispose());

test("an unknown HSM name gets a Key Vault-envelope 404 before any authentication (the handler itself; the gateway already refuses such hosts)", async () => {
  const dp = createDataPlane({
    store: h.store,
    identity: h.identity,
    clock: systemClock,
    config: h.config,
    network: { snapshot: () => snapshotFromStore(h.store), internetClientAddress: h.config.internetClientAddress },
    poolSize: 1,
  });
  try {
    const ex: Exchange = {
      method: "GET",
      path: "/keys",
      query: { "api-version": "7.4" },
      headers: {},
      body: undefined,
      conn: { listener: "gateway", hostName: "nosuchhsm.managedhsm.azure.net", port: 443 },
      requestId: "5f0c7d0e-0000-4000-8000-000000000001",
      receivedAt: Date.now(),
    };
    const r = await dp(ex);
    assert.equal(r.status, 404);
    const body = r.body as { error: { code: string; message: string } };
    assert.equal(body.error.code, "NotFound");
    assert.match(
      body.error.message,
      /no managed HSM named 'nosuchhsm'.*\(Activity ID: 5f0c7d0e-0000-4000-8000-000000000001\)$/,
    );
    assert.equal(r.headers?.["www-authenticate"], undefined);
    assert.equal(r.headers?.["x-ms-keyvault-region"], undefined);
  } finally {
    await dp.close();
  }
});

test("an HSM still provisioning is not served", async () => {
  const r = await hsmCall(h, "building", "GET", `/keys?${API}`, { token: false });
  assert.equal(r.status, 404);
  assert.match(r.json.error.message, /not provisioned \(provisioningState Provisioning\)/);
});

test("no bearer token: 401 with the exact challenge and an empty body, before body, route or api-version checks", async () => {
  for (const [method, path, raw] of [
    ["POST", `/keys/k1/create?api-version=1999-01-01`, "{not json"],
    ["GET", `/no/such/route`, undefined],
    ["POST", `/rng?${API}`, ""],
  ] as const) {
    const r = await hsmCall(h, "pipe1", method, path, { token: false, rawBody: raw });
    assert.equal(r.status, 401, `${method} ${path}`);
    assert.equal(r.headers["www-authenticate"], CHALLENGE(h.endpoints.tenantId));
    assert.equal(r.text, "");
    assert.equal(r.headers["content-length"], "0");
  }
});

test("a Basic Authorization header is not a bearer token: challenge", async () => {
  const r = await hsmCall(h, "pipe1", "GET", `/keys?${API}`, {
    token: false,
    headers: { authorization: "Basic dXNlcjpwYXNz" },
  });
  assert.equal(r.status, 401);
  assert.equal(r.headers["www-authenticate"], CHALLENGE(h.endpoints.tenantId));
});

test("a token for another audience: 401 Unauthorized naming both audiences, with the challenge", async () => {
  const token = await hsmToken(h, h.identity.defaultIdentity(), "https://vault.azure.net");
  const r = await hsmCall(h, "pipe1", "GET", `/keys?${API}`, { token });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "Unauthorized");
  assert.match(
    r.json.error.message,
    /^Found token with aud=https:\/\/vault\.azure\.net, but expected aud=https:\/\/managedhsm\.azure\.net \(Activity ID/,
  );
  assert.equal(r.headers["www-authenticate"], CHALLENGE(h.endpoints.tenantId));
});

test("the audience may carry a trailing slash", async () => {
  const token = await hsmToken(h, h.identity.defaultIdentity(), "https://managedhsm.azure.net/");
  const r = await hsmCall(h, "pipe1", "GET", `/keys?${API}`, { token });
  assert.equal(r.status, 200, r.text);
});

test("a forged token: 401 with the challenge", async () => {
  const good = await hsmToken(h);
  const [hd, pl] = good.split(".");
  const r = await hsmCall(h, "pipe1", "GET", `/keys?${API}`, { token: `${hd}.${pl}.AAAA` });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "Unauthorized");
  assert.ok(r.headers["www-authenticate"]);
});

test("a token of the emulator's tenant for an HSM of another tenant: 401 with that HSM's tenant in the challenge", async () => {
  const r = await hsmCall(h, "othertenant", "GET", `/keys?${API}`);
  assert.equal(r.status, 401);
  assert.match(r.json.error.message, /AKV10032: Invalid issuer/);
  assert.equal(r.headers["www-authenticate"], CHALLENGE("11111111-2222-3333-4444-555555555555"));
});

test("an HSM that is not activated answers 403 Forbidden / HsmNotActivated after authentication, before RBAC", async () => {
  const r = await hsmCall(h, "dormant", "GET", `/keys?${API}`);
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "Forbidden");
  assert.equal(r.json.error.innererror.code, "HsmNotActivated");
  assert.match(r.json.error.message, /not activated/);
  const anon = await hsmCall(h, "dormant", "GET", `/keys?${API}`, { token: false });
  assert.equal(anon.status, 401);
});

test("RBAC runs before api-version and body validation", async () => {
  const { principal } = h.identity.createServicePrincipal("pipe-norole");
  const token = await hsmToken(h, principal);
  const r = await hsmCall(h, "pipe1", "POST", `/keys/k1/create?api-version=1999-01-01`, {
    token,
    rawBody: "{not json",
  });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, "AccessDenied");
  assert.match(
    r.json.error.message,
    /^Not authorized to access Microsoft\.KeyVault\/managedHsm\/keys\/create on \/keys\/k1/,
  );
});

test("an unknown api-version: 400 BadParameter with the latest version named; before body validation", async () => {
  const r = await hsmCall(h, "pipe1", "POST", `/keys/k1/create?api-version=1999-01-01`, { rawBody: "{not json" });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, "BadParameter");
  assert.match(
    r.json.error.message,
    /^The specified version \(1999-01-01\) is not recognized\. Consider using the latest supported version \(2025-07-01\)\. \(Activity ID/,
  );
  const missing = await hsmCall(h, "pipe1", "GET", `/keys`);
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.code, "BadParameter");
});

test("every known api-version is accepted, including the JS SDK's percent-encoded name", async () => {
  for (const v of ["7.0", "7.2-preview", "7.4-preview.1", "7.5", "7.6-preview.2", "2025-07-01"]) {
    const r = await hsmCall(h, "pipe1", "GET", `/keys?api-version=${v}`);
    assert.equal(r.status, 200, `${v}: ${r.text}`);
  }
  const enc = await hsmCall(h, "pipe1", "GET", `/keys?api%2Dversion=2025-07-01`);
  assert.equal(enc.status, 200);
});

test("bad JSON after the other checks: 400 BadParameter", async () => {
  const r = await hsmCall(h, "pipe1", "POST", `/keys/k1/create?${API}`, { rawBody: "{not json" });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, "BadParameter");
  assert.match(r.json.error.message, /not valid JSON/);
});

test("an unknown route (after auth): 404 NotFound in the Key Vault envelope", async () => {
  const r = await hsmCall(h, "pipe1", "GET", `/secrets/s1?${API}`);
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, "NotFound");
});

test("every response carries the Managed HSM headers, errors and the 401 included", async () => {
  const rs = [
    await hsmCall(h, "pipe1", "GET", `/keys?${API}`),
    await hsmCall(h, "pipe1", "GET", `/keys?${API}`, { token: false }),
    await hsmCall(h, "pipe1", "GET", `/keys/missing?${API}`),
  ];
  assert.deepEqual(
    rs.map((r) => r.status),
    [200, 401, 404],
  );
  for (const r of rs) {
    assert.match(String(r.headers["x-ms-request-id"]), /^[0-9a-f-]{36}$/);
    // Recorded: the 200 carries the region and the network info, the 401 challenge and the 404 KeyNotFound neither
    // (ManagedHsmLiveTests/GetKeyNonExisting.json); no answer has x-ms-keyvault-service-version, all x-ms-build-version.
    if (r.status === 200) {
      assert.equal(r.headers["x-ms-keyvault-region"], "northeurope");
      assert.equal(
        r.headers["x-ms-keyvault-network-info"],
        `conn_type=Ipv4;addr=${h.config.internetClientAddress};act_addr_fam=Ipv4;`,
      );
    } else {
      assert.equal(r.headers["x-ms-keyvault-region"], undefined, String(r.status));
      assert.equal(r.headers["x-ms-keyvault-network-info"], undefined, String(r.status));
    }
    assert.match(String(r.headers["x-ms-server-latency"]), /^\d+$/);
    assert.equal(r.headers["x-ms-keyvault-service-version"], undefined);
    assert.ok(r.headers["x-ms-build-version"]);
    assert.equal(r.headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    assert.equal(r.headers["x-frame-options"], "SAMEORIGIN");
    assert.equal(r.headers["content-security-policy"], "default-src 'self'");
    assert.equal(r.headers["cache-control"], "no-cache");
  }
  assert.equal(rs[0].headers["content-type"], "application/json; charset=utf-8");
  assert.match(rs[2].json.error.message, new RegExp(`\\(Activity ID: ${rs[2].headers["x-ms-request-id"]}\\)$`));
});

test("a repeated request writes the same trace as the first; a change to the HSM is decided afresh", async () => {
  seedHsm(h, "pipe2");
  await grant(h, "pipe2", h.endpoints.principalObjectId, ROLE.cryptoUser);
  const tracesOf = () => h.traces.recent(0, 500).filter((t) => t.host === "pipe2.managedhsm.azure.net");
  const before = tracesOf().length;
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await hsmCall(h, "pipe2", "GET", `/keys/nokey?${API}`)).status);
  statuses.push((await hsmCall(h, "pipe2", "GET", `/keys?${API}`)).status);
  assert.deepEqual(statuses, [404, 404, 404, 200]);
  const [first, second, third, list] = tracesOf().slice(before);
  // Steps the pipeline decides once per input (tls, authentication, network, activation, rbac) write the same lines
  // into every trace, and hsmlink log prints them the same.
  assert.deepEqual(second.steps, first.steps);
  assert.deepEqual(third.steps, first.steps);
  assert.equal(renderSteps(third.steps), renderSteps(first.steps));
  assert.deepEqual(
    first.steps.filter((s) => s.step !== "vantage" && s.step !== "dns" && s.step !== "route").map((s) => s.rule),
    ["managed-hsm", "none", "authenticated", "default-action-allow", "active", "allowed", "failed", "refused"],
  );
  assert.equal(list.steps.find((s) => s.step === "operation")?.detail, "GET /keys → 200");
  assert.deepEqual(list.outcome, { status: 200 });
  // The HSM changes (not activated): its next request is decided on the new state, then again once it is active.
  seedHsm(h, "pipe2", { activationStatus: "NotActivated" });
  assert.equal((await hsmCall(h, "pipe2", "GET", `/keys?${API}`)).status, 403);
  seedHsm(h, "pipe2");
  assert.equal((await hsmCall(h, "pipe2", "GET", `/keys?${API}`)).status, 200);
  const [refused, served] = tracesOf().slice(-2);
  assert.equal(refused.steps.find((s) => s.step === "activation")?.rule, "not-activated");
  assert.equal(served.steps.find((s) => s.step === "activation")?.rule, "active");
  assert.deepEqual(
    served.steps.filter((s) => s.step !== "outcome"),
    list.steps.filter((s) => s.step !== "outcome"),
  );
});
