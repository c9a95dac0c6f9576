// Property tests (fast-check, fixed seed: deterministic) over ARM request bodies and paths and managed HSM data-plane
// request bodies: never a 5xx, errors always in the surface's envelope (ARM `{"error":{"code","message"}}`, Key Vault
// `{"error":{"code","message"}}` with the Activity ID), and a rejected request leaves the stored state unchanged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { armCall, type RawResponse } from "../support/arm-client.js";
import { API, grant, hsmCall, hsmToken, ROLE, type HsmResponse } from "../http/hsm/support.js";

const SEED = 20261129;
const RUNS = 60;
const HSM = "fuzzhsm";
let h: TestHsmlink;
let sub = "";
let armToken = "";
let dpToken = "";

/** Every stored row that a request could change (ARM resources, HSM keys, versions, role assignments). */
function snapshot(): string {
  const db = h.store.db;
  return JSON.stringify([
    db.prepare("SELECT id_key, body, updated_at FROM resources ORDER BY id_key").all(),
    db.prepare("SELECT * FROM hsm_keys ORDER BY hsm, name_key").all(),
    db.prepare("SELECT COUNT(*) AS n FROM hsm_key_versions").all(),
    db.prepare("SELECT COUNT(*) AS n FROM hsm_role_assignments").all(),
  ]);
}

/** Outcome counts of one property, so a property whose inputs never reach a handler (or never pass) is noticed. */
const tally = () => ({
  ok: 0,
  rejected: 0,
  add(status: number) {
    if (status >= 400) this.rejected++;
    else this.ok++;
  },
});

function assertArmEnvelope(r: RawResponse, what: string): void {
  assert.ok(r.status < 500, `${what} → ${r.status} ${r.text}`);
  if ((r.status >= 400 && r.status !== 404) || (r.status === 404 && r.text)) {
    assert.equal(typeof r.json?.error?.code, "string", `${what} → ${r.status} without ARM error envelope: ${r.text}`);
    assert.equal(typeof r.json.error.message, "string", `${what} → ${r.status} ${r.text}`);
  }
}

function assertKvEnvelope(r: HsmResponse, what: string): void {
  assert.ok(r.status < 500, `${what} → ${r.status} ${r.text}`);
  if (r.status >= 400) {
    assert.equal(
      typeof r.json?.error?.code,
      "string",
      `${what} → ${r.status} without Key Vault error envelope: ${r.text}`,
    );
    assert.match(r.json.error.message, /\(Activity ID: [^)]+\)$/, `${what} → ${r.text}`);
  }
}

const hsmBody = () => ({
  location: "westeurope",
  sku: { family: "B", name: "Standard_B1" },
  properties: {
    tenantId: h.endpoints.tenantId,
    initialAdminObjectIds: [h.endpoints.principalObjectId],
    enableSoftDelete: true,
    softDeleteRetentionInDays: 7,
    networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
  },
});
const rgPath = (rg: string) => `/subscriptions/${sub}/resourceGroups/${rg}`;
const hsmPath = (rg: string, name: string) => `${rgPath(rg)}/providers/Microsoft.KeyVault/managedHSMs/${name}`;
const arm = (method: string, path: string, opts: { body?: unknown; rawBody?: string } = {}) =>
  armCall(h, method, path, { ...opts, token: armToken });
const dp = (method: string, path: string, body?: unknown, raw?: string) =>
  hsmCall(h, HSM, method, `${path}${path.includes("?") ? "&" : "?"}${API}`, {
    token: dpToken,
    ...(raw !== undefined ? { rawBody: raw } : body !== undefined ? { body } : {}),
  });

before(async () => {
  h = await startTestHsmlink();
  sub = h.endpoints.subscriptionId;
  armToken = (await h.identity.issue(h.identity.defaultIdentity(), "https://management.azure.com/")).token;
  dpToken = await hsmToken(h);
  assert.equal(
    (
      await arm("PUT", `${rgPath("rg-fixed")}?api-version=2021-04-01`, {
        body: { location: "westeurope", tags: { a: "b" } },
      })
    ).status,
    201,
  );
  const created = await arm("PUT", `${hsmPath("rg-fixed", HSM)}?api-version=2022-07-01`, { body: hsmBody() });
  assert.ok([200, 201, 202].includes(created.status), created.text);
  await grant(h, HSM, h.endpoints.principalObjectId, ROLE.cryptoUser);
  await grant(h, HSM, h.endpoints.principalObjectId, ROLE.cryptoOfficer);
  assert.equal((await dp("POST", "/keys/fixed-rsa/create", { kty: "RSA-HSM", key_size: 2048 })).status, 200);
  assert.equal((await dp("POST", "/keys/fixed-aes/create", { kty: "oct-HSM", key_size: 256 })).status, 200);
  assert.equal((await dp("POST", "/keys/fixed-ec/create", { kty: "EC-HSM", crv: "P-256" })).status, 200);
});
after(async () => h?.dispose());

// Arbitrary JSON, with a bias towards the fields handlers look at.
const anyJson = fc.jsonValue({ maxDepth: 3 });
const loose = (keys: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(Object.fromEntries(Object.entries(keys).map(([k, a]) => [k, fc.oneof(a, anyJson)])), { requiredKeys: [] });
const rawText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("{", "[1,", '{"location":', "null", "\u0000", '{"a":1}}', '"x"'),
);

test("ARM: resource group PUT with arbitrary names and bodies — no 5xx, ARM envelope, rejections change nothing", async () => {
  const name = fc.oneof(fc.constantFrom("rg-fixed", "RG-FIXED", "rg-new"), fc.string({ minLength: 0, maxLength: 100 }));
  const body = fc.oneof(
    anyJson.map((b) => ({ body: b })),
    loose({
      location: fc.constantFrom("westeurope", "West Europe", "nowhere", ""),
      tags: fc.dictionary(fc.string({ maxLength: 600 }), fc.string({ maxLength: 300 }), { maxKeys: 60 }),
      managedBy: fc.string(),
    }).map((b) => ({ body: b })),
    rawText.map((t) => ({ rawBody: t })),
  );
  const t = tally();
  await fc.assert(
    fc.asyncProperty(name, body, async (n, b) => {
      const before = snapshot();
      const r = await arm("PUT", `${rgPath(encodeURIComponent(n))}?api-version=2021-04-01`, b);
      t.add(r.status);
      assertArmEnvelope(r, `PUT rg ${JSON.stringify(n)} ${JSON.stringify(b)}`);
      if (r.status >= 400)
        assert.equal(snapshot(), before, `rejected PUT rg ${JSON.stringify(n)} ${JSON.stringify(b)} changed state`);
      else if (r.status === 201)
        assert.equal(
          (await arm("DELETE", `${rgPath(encodeURIComponent(n))}?api-version=2021-04-01`)).status < 500,
          true,
        );
    }),
    { seed: SEED, numRuns: RUNS },
  );
  assert.ok(t.rejected > 0, `no rejected inputs: ${JSON.stringify(t)}`);
  assert.ok(t.ok > 0, `no accepted inputs: ${JSON.stringify(t)}`);
});

test("ARM: managed HSM PUT with mutated bodies — no 5xx, ARM envelope, rejections change nothing", async () => {
  const mutated = fc
    .record({
      location: fc.option(fc.oneof(fc.constantFrom("westeurope", "eastus", ""), anyJson), { nil: undefined }),
      sku: fc.option(
        fc.oneof(
          fc.constant({ family: "B", name: "Standard_B1" }),
          loose({ family: fc.string(), name: fc.constantFrom("Standard_B1", "Custom_B32", "x") }),
        ),
        { nil: undefined },
      ),
      properties: fc.option(
        loose({
          tenantId: fc.oneof(fc.constant("T"), fc.uuid()),
          initialAdminObjectIds: fc.array(fc.oneof(fc.uuid(), fc.string()), { maxLength: 3 }),
          enableSoftDelete: fc.boolean(),
          softDeleteRetentionInDays: fc.integer({ min: -5, max: 200 }),
          enablePurgeProtection: fc.boolean(),
          publicNetworkAccess: fc.constantFrom("Enabled", "Disabled", "x"),
          networkAcls: loose({
            bypass: fc.constantFrom("AzureServices", "None", "x"),
            defaultAction: fc.constantFrom("Allow", "Deny", "x"),
            ipRules: fc.array(loose({ value: fc.oneof(fc.ipV4(), fc.string()) }), { maxLength: 3 }),
          }),
        }),
        { nil: undefined },
      ),
      tags: fc.option(anyJson, { nil: undefined }),
    })
    .map((m) => {
      const b: Record<string, any> = hsmBody();
      if (m.location !== undefined) b.location = m.location;
      if (m.sku !== undefined) b.sku = m.sku;
      if (m.tags !== undefined) b.tags = m.tags;
      if (m.properties !== undefined)
        b.properties = {
          ...b.properties,
          ...(typeof m.properties === "object" && m.properties !== null ? m.properties : {}),
        };
      return b;
    });
  const body = fc.oneof(
    fc.constant(null).map(() => hsmBody() as Record<string, any>),
    mutated,
  );
  const target = fc.constantFrom(
    ["rg-fixed", HSM],
    ["rg-fixed", "FUZZHSM"],
    ["rg-fixed", "fuzz-other"],
    ["rg-missing", "fuzz-other"],
    ["rg-fixed", "bad_name!"],
    ["rg-fixed", "x"],
  );
  const t = tally();
  await fc.assert(
    fc.asyncProperty(target, body, async ([rg, name], body) => {
      const before = snapshot();
      const r = await arm("PUT", `${hsmPath(rg!, name!)}?api-version=2022-07-01`, { body });
      t.add(r.status);
      assertArmEnvelope(r, `PUT hsm ${rg}/${name} ${JSON.stringify(body)}`);
      if (r.status >= 400) assert.equal(snapshot(), before, `rejected PUT hsm ${JSON.stringify(body)} changed state`);
      else if (name!.toLowerCase() !== HSM) {
        // A new HSM was created (names are case-insensitive: FUZZHSM is the fixed one): delete and purge it so the next runs start from the same state.
        await arm("DELETE", `${hsmPath(rg!, name!)}?api-version=2022-07-01`);
        await arm(
          "POST",
          `/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/${body.location}/deletedManagedHSMs/${name}/purge?api-version=2022-07-01`,
        );
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  assert.ok(t.rejected > 0, `no rejected inputs: ${JSON.stringify(t)}`);
  assert.ok(t.ok > 0, `no accepted inputs: ${JSON.stringify(t)}`);
});

test("ARM: arbitrary paths, methods and api-versions — no 5xx, ARM envelope, rejections change nothing", async () => {
  const segment = fc.oneof(
    fc.constantFrom(
      "subscriptions",
      sub,
      "resourceGroups",
      "resourcegroups",
      "providers",
      "Microsoft.KeyVault",
      "managedHSMs",
      "Microsoft.Network",
      "privateEndpoints",
      "virtualNetworks",
      "subnets",
      "privateDnsZones",
      "rg-fixed",
      HSM,
      "deletedManagedHSMs",
      "locations",
      "westeurope",
      "operations",
      "..",
      "%2F",
      "%00",
      "",
      "x".repeat(300),
    ),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
  );
  const method = fc.constantFrom("GET", "PUT", "PATCH", "POST", "HEAD");
  const apiVersion = fc.oneof(
    fc.constantFrom("2021-04-01", "2022-07-01", "2023-09-01", "", "bogus"),
    fc.string({ maxLength: 10 }).map(encodeURIComponent),
  );
  const t = tally();
  const known = fc.constantFrom(
    ["subscriptions", sub, "resourcegroups"],
    ["subscriptions", sub, "resourceGroups", "rg-fixed"],
    ["subscriptions", sub, "resourceGroups", "rg-fixed", "providers", "Microsoft.KeyVault", "managedHSMs"],
    ["subscriptions", sub, "resourceGroups", "rg-fixed", "providers", "Microsoft.KeyVault", "managedHSMs", HSM],
    ["subscriptions", sub, "resources"],
    ["subscriptions"],
  );
  const segments = fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 10 }),
    known,
    fc.tuple(known, fc.array(segment, { maxLength: 3 })).map(([k, extra]) => [...k, ...extra]),
  );
  await fc.assert(
    fc.asyncProperty(method, segments, apiVersion, fc.option(anyJson, { nil: undefined }), async (m, segs, v, body) => {
      // A leading "//" would make the URL protocol-relative (another host) in the client, not a server input.
      const path = `/${segs.join("/").replace(/^\/+/, "")}?api-version=${v}`;
      const before = snapshot();
      const r = await arm(m, path, body === undefined ? {} : { body });
      t.add(r.status);
      if (m !== "HEAD") assertArmEnvelope(r, `${m} ${path} ${JSON.stringify(body)}`);
      else assert.ok(r.status < 500, `HEAD ${path} → ${r.status}`);
      if (r.status >= 400) assert.equal(snapshot(), before, `rejected ${m} ${path} changed state`);
    }),
    { seed: SEED, numRuns: RUNS * 2 },
  );
  assert.ok(t.rejected > 0, `no rejected inputs: ${JSON.stringify(t)}`);
  assert.ok(t.ok > 0, `no accepted inputs: ${JSON.stringify(t)}`);
});

test("data plane: key create/import/update bodies — no 5xx, Key Vault envelope, rejections change nothing", async () => {
  const name = fc.oneof(
    fc.constantFrom("fixed-rsa", "new-key", "FIXED-AES"),
    fc.string({ maxLength: 130 }).map(encodeURIComponent),
  );
  const createBody = fc.oneof(
    loose({
      kty: fc.constantFrom("RSA", "RSA-HSM", "EC-HSM", "oct-HSM", "EC", "oct", "DSA", ""),
      key_size: fc.oneof(fc.constantFrom(128, 192, 256, 2048, 3072, 4096), fc.integer()),
      crv: fc.constantFrom("P-256", "P-384", "P-521", "P-256K", "X"),
      key_ops: fc.array(
        fc.constantFrom("sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey", "import", "launch"),
      ),
      attributes: loose({ enabled: fc.boolean(), nbf: fc.integer(), exp: fc.integer(), exportable: fc.boolean() }),
      tags: fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string({ maxLength: 300 }), anyJson), {
        maxKeys: 17,
      }),
      release_policy: anyJson,
    }),
    anyJson,
  );
  const op = fc.oneof(
    // Well-formed creates keep the property honest about accepted requests, whatever the seed draws elsewhere.
    fc.tuple(
      fc.constant("POST"),
      fc.constantFrom("/keys/new-key/create", "/keys/fixed-aes/create"),
      fc.constantFrom<unknown>({ kty: "oct-HSM" }, { kty: "EC-HSM", crv: "P-256" }, { kty: "AES", key_size: 128 }),
    ),
    fc.tuple(
      fc.constant("POST"),
      name.map((n) => `/keys/${n}/create`),
      createBody,
    ),
    fc.tuple(
      fc.constant("PUT"),
      name.map((n) => `/keys/${n}`),
      loose({
        key: loose({
          kty: fc.constantFrom("RSA", "EC", "oct-HSM"),
          n: fc.base64String(),
          e: fc.constant("AQAB"),
          k: fc.base64String(),
          crv: fc.constant("P-256"),
          x: fc.base64String(),
          y: fc.base64String(),
          d: fc.base64String(),
        }),
        Hsm: fc.boolean(),
      }),
    ),
    fc.tuple(
      fc.constant("PATCH"),
      fc.constantFrom("/keys/fixed-rsa", "/keys/fixed-aes/", "/keys/missing"),
      loose({
        attributes: loose({ enabled: fc.boolean(), exp: fc.integer() }),
        key_ops: fc.array(fc.string()),
        tags: anyJson,
      }),
    ),
    fc.tuple(
      fc.constant("POST"),
      fc.constant("/keys/restore"),
      loose({ value: fc.oneof(fc.base64String(), fc.string()) }),
    ),
    fc.tuple(
      fc.constant("PUT"),
      fc.constantFrom("/keys/fixed-rsa/rotationpolicy", "/keys/missing/rotationpolicy"),
      loose({ lifetimeActions: fc.array(anyJson, { maxLength: 3 }), attributes: loose({ expiryTime: fc.string() }) }),
    ),
  );
  const t = tally();
  await fc.assert(
    fc.asyncProperty(op, fc.boolean(), async ([method, path, body], asRaw) => {
      const before = snapshot();
      const r =
        asRaw && typeof body === "string" ? await dp(method, path, undefined, body) : await dp(method, path, body);
      t.add(r.status);
      assertKvEnvelope(r, `${method} ${path} ${JSON.stringify(body)}`);
      if (r.status >= 400)
        assert.equal(snapshot(), before, `rejected ${method} ${path} ${JSON.stringify(body)} changed state`);
      else if (r.status === 200 && method !== "PATCH" && !/fixed|rotationpolicy/i.test(path) && r.json?.key?.kid) {
        const keyName = new URL(r.json.key.kid).pathname.split("/")[2]!;
        await dp("DELETE", `/keys/${keyName}`);
        await dp("DELETE", `/deletedkeys/${keyName}`);
      }
    }),
    { seed: SEED, numRuns: RUNS * 2 },
  );
  assert.ok(t.rejected > 0, `no rejected inputs: ${JSON.stringify(t)}`);
  assert.ok(t.ok > 0, `no accepted inputs: ${JSON.stringify(t)}`);
});

test("data plane: crypto operation bodies (sign/verify/encrypt/decrypt/wrap/unwrap) — no 5xx, Key Vault envelope", async () => {
  const key = fc.constantFrom("fixed-rsa", "fixed-aes", "fixed-ec", "missing");
  const opName = fc.constantFrom("sign", "verify", "encrypt", "decrypt", "wrapkey", "unwrapkey");
  const alg = fc.oneof(
    fc.constantFrom(
      "RS256",
      "PS256",
      "ES256",
      "RSA-OAEP",
      "RSA-OAEP-256",
      "RSA1_5",
      "A256KW",
      "A256GCM",
      "A256CBC",
      "A256CBCPAD",
      "CKM_AES_KEY_WRAP",
      "none",
    ),
    fc.string({ maxLength: 10 }),
  );
  const b64 = fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.from(u).toString("base64url"));
  const body = fc.oneof(
    loose({ alg, value: fc.oneof(b64, fc.string()), digest: b64, iv: b64, aad: b64, tag: b64 }),
    anyJson,
  );
  const t = tally();
  await fc.assert(
    fc.asyncProperty(key, opName, body, async (k, o, b) => {
      const before = snapshot();
      const r = await dp("POST", `/keys/${k}/${o}`, b);
      t.add(r.status);
      assertKvEnvelope(r, `POST /keys/${k}/${o} ${JSON.stringify(b)}`);
      assert.equal(snapshot(), before, "a crypto operation changed stored state");
    }),
    { seed: SEED, numRuns: RUNS * 2 },
  );
  assert.ok(t.rejected > 0, `no rejected inputs: ${JSON.stringify(t)}`);
});
