// Pure parts of the keys API: api-versions, ISO-8601 durations and rotation policies, release-policy
// normalisation and evaluation, base64url fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkApiVersion } from "../../../src/hsm/api-versions.js";
import { durationSeconds, parseRotationPolicy } from "../../../src/hsm/keys/rotation.js";
import { claimValue, policyAllows, releaseEncryption } from "../../../src/hsm/keys/release.js";
import { b64urlField, parseReleasePolicy, releasePolicyJson } from "../../../src/hsm/keys/wire.js";
import { AzureError } from "../../../src/kernel/errors.js";

const bad = (re: RegExp) => (e: unknown) =>
  e instanceof AzureError && e.status === 400 && e.code === "BadParameter" && re.test(e.message);

test("api-version whitelist; loose accepts anything", () => {
  assert.doesNotThrow(() => checkApiVersion("7.4-preview.1", false));
  assert.doesNotThrow(() => checkApiVersion("2025-07-01", false));
  assert.throws(
    () => checkApiVersion("7.9", false),
    bad(
      /^The specified version \(7\.9\) is not recognized\. Consider using the latest supported version \(2025-07-01\)\.$/,
    ),
  );
  assert.throws(() => checkApiVersion(undefined, false), bad(/missing/));
  assert.doesNotThrow(() => checkApiVersion("7.9", true));
});

test("ISO-8601 durations", () => {
  assert.equal(durationSeconds("P90D"), 90 * 86400);
  assert.equal(durationSeconds("P1Y"), 365 * 86400);
  assert.equal(durationSeconds("P2M"), 60 * 86400);
  assert.equal(durationSeconds("P1W"), 7 * 86400);
  assert.equal(durationSeconds("PT1H30M"), 5400);
  assert.equal(durationSeconds("P"), undefined);
  assert.equal(durationSeconds("PT"), undefined);
  assert.equal(durationSeconds("90D"), undefined);
});

test("rotation policy: created kept across updates, updated moves, action type normalised", () => {
  const first = parseRotationPolicy(
    { lifetimeActions: [{ trigger: { timeAfterCreate: "P30D" }, action: { type: "ROTATE" } }] },
    undefined,
    100,
  );
  assert.deepEqual(first, {
    lifetimeActions: [{ trigger: { timeAfterCreate: "P30D" }, action: { type: "Rotate" } }],
    attributes: { created: 100, updated: 100 },
  });
  const second = parseRotationPolicy({ attributes: { expiryTime: "P60D" } }, first, 200);
  assert.deepEqual(second.attributes, { expiryTime: "P60D", created: 100, updated: 200 });
  assert.throws(
    () =>
      parseRotationPolicy(
        {
          lifetimeActions: [
            { trigger: { timeAfterCreate: "P30D" }, action: { type: "Rotate" } },
            { trigger: { timeAfterCreate: "P40D" }, action: { type: "Rotate" } },
          ],
        },
        undefined,
        1,
      ),
    bad(/at most one Rotate/),
  );
});

test("release policy: legacy condition/value form and version 1.0 are normalised; evaluation honours authority and claims", () => {
  const data = Buffer.from(
    JSON.stringify({
      anyOf: [
        {
          authority: "https://a.example/",
          allOf: [
            { claim: "x-ms-isolation-tee.x-ms-attestation-type", condition: "equals", value: "sevsnpvm" },
            { claim: "secure", equals: true },
          ],
        },
      ],
      version: "1.0",
    }),
  ).toString("base64url");
  const stored = parseReleasePolicy({ data })!;
  const policy = releasePolicyJson(stored);
  assert.deepEqual(policy, {
    anyOf: [
      {
        authority: "https://a.example/",
        allOf: [
          { claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "sevsnpvm" },
          { claim: "secure", equals: true },
        ],
      },
    ],
    version: "1.0.0",
  });
  const token = (claims: Record<string, unknown>) => ({ header: {}, claims: { iss: "https://a.example", ...claims } });
  assert.ok(
    policyAllows(policy, token({ "x-ms-isolation-tee": { "x-ms-attestation-type": "sevsnpvm" }, secure: "true" })),
  );
  assert.ok(!policyAllows(policy, token({ "x-ms-isolation-tee": { "x-ms-attestation-type": "sgx" }, secure: true })));
  assert.ok(!policyAllows(policy, token({ "x-ms-isolation-tee": { "x-ms-attestation-type": "sevsnpvm" } })));
  assert.ok(
    !policyAllows(policy, {
      header: {},
      claims: { iss: "https://b.example", "x-ms-isolation-tee": { "x-ms-attestation-type": "sevsnpvm" }, secure: true },
    }),
  );
  assert.equal(claimValue({ "a.b": 1, a: { b: 2 } }, "a.b"), 1);
  assert.throws(() => parseReleasePolicy({ data: Buffer.from("{}").toString("base64url") }), bad(/anyOf' or 'allOf/));
  assert.throws(() => parseReleasePolicy({ data: Buffer.from("[1").toString("base64url") }), bad(/not valid JSON/));
  assert.equal(releaseEncryption(undefined), "CKM_RSA_AES_KEY_WRAP");
  assert.throws(() => releaseEncryption("A256KW"), bad(/not supported/));
});

test("base64url fields: padding tolerated, standard base64 characters and impossible lengths refused", () => {
  assert.deepEqual(b64urlField("v", "AQID"), Buffer.from([1, 2, 3]));
  assert.deepEqual(b64urlField("v", "AQ=="), Buffer.from([1]));
  assert.equal(b64urlField("v", undefined), undefined);
  assert.throws(() => b64urlField("value", "a+b/"), bad(/'value' is not a valid base64url/));
  assert.throws(() => b64urlField("value", "abcde"), bad(/not a valid base64url/));
  assert.throws(() => b64urlField("value", 12), bad(/not a valid base64url/));
  assert.throws(() => b64urlField("value", null, { required: true }), bad(/'value' is required/));
});
