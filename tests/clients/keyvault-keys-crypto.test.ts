// Every Managed HSM key type × algorithm through the unmodified @azure/keyvault-keys 4.10.2 CryptographyClient:
// RSA 2048/3072/4096 × RSA1_5/RSA-OAEP/RSA-OAEP-256 encrypt/decrypt and wrap/unwrap, RS/PS 256/384/512;
// EC P-256/P-256K/P-384/P-521; oct 128/192/256 × KW/GCM/CBC/CBCPAD/CKM_AES_KEY_WRAP(_PAD). What the SDK does
// locally (RSA encrypt/wrap, verifyData) and what node:crypto does with the returned JWK must round-trip with the server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { grant, ROLE, seedHsm } from "../http/hsm/support.js";

const SCRIPT = fileURLToPath(new URL("./sdk/keyvault-keys-hsm.ts", import.meta.url));
let h: TestHsmlink;

before(async () => {
  h = await startTestHsmlink();
  seedHsm(h, "sdkcrypto");
  await grant(h, "sdkcrypto", h.endpoints.principalObjectId, ROLE.cryptoUser);
});
after(async () => h?.dispose());

test("every key type and algorithm round-trips between the SDK, node:crypto and the server", async () => {
  const r = await runNodeClient(SCRIPT, { ...h.clientEnv(), HSMLINK_RSA_SIZES: "2048,3072,4096" }, [
    "crypto",
    "sdkcrypto",
  ]);
  assert.ok(r.json, `no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const j = r.json;
  assert.equal(j.ok, true, JSON.stringify(j).slice(0, 3000));
  for (const size of ["2048", "3072", "4096"]) {
    const rsa = j.rsa[size];
    assert.equal(rsa.keyType, "RSA-HSM");
    assert.equal(rsa.modulusBytes, Number(size) / 8);
    for (const alg of ["RSA1_5", "RSA-OAEP", "RSA-OAEP-256"]) assert.equal(rsa[alg], true, `RSA ${size} ${alg}`);
    for (const alg of ["RS256", "RS384", "RS512"])
      assert.deepEqual(
        rsa[alg],
        { server: true, node: true, tamperedRejected: true, sdkVerifyData: true, sdkLocal: true },
        `RSA ${size} ${alg}`,
      );
    // PS*: the SDK's local verifyData uses PKCS#1 v1.5 padding and rejects any genuine PSS signature (as against Azure).
    for (const alg of ["PS256", "PS384", "PS512"])
      assert.deepEqual(
        rsa[alg],
        { server: true, node: true, tamperedRejected: true, sdkVerifyData: false, sdkLocal: false },
        `RSA ${size} ${alg}`,
      );
  }
  const sigBytes: Record<string, number> = { "P-256": 64, "P-256K": 64, "P-384": 96, "P-521": 132 };
  for (const crv of Object.keys(sigBytes))
    assert.deepEqual(j.ec[crv], { keyType: "EC-HSM", crv, ok: true, sigBytes: sigBytes[crv] }, crv);
  for (const size of [128, 192, 256]) {
    const oct = j.oct[size];
    for (const alg of [
      `A${size}KW`,
      "CKM_AES_KEY_WRAP",
      "CKM_AES_KEY_WRAP_PAD",
      "CKM_AES_KEY_WRAP_PAD-20",
      `A${size}GCM`,
      `A${size}CBC`,
      `A${size}CBCPAD`,
    ])
      assert.equal(oct[alg], true, `oct ${size} ${alg}`);
    const wrong = j.oct[`${size}-wrongSize`];
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.code, "BadParameter");
  }
  assert.equal(j.disabled.statusCode, 403);
  assert.equal(j.disabled.code, "Forbidden");
});
