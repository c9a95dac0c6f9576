// The worker pool for heavy private-key work: results match the in-process functions, BadParameter errors cross the
// thread boundary as KeyCryptoError, and close() stops it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { threadId } from "node:worker_threads";
import { CryptoPool } from "../../../src/hsm/crypto-pool.js";
import { deserializeMaterial, encrypt, generateKeyMaterial, isKeyCryptoError, serializeMaterial, verify } from "../../../src/hsm/crypto/index.js";
import { createHash } from "node:crypto";

test("generate, decrypt and sign run in worker threads and agree with the in-process functions", async () => {
  const pool = new CryptoPool(2);
  try {
    assert.equal(pool.size, 2);
    assert.equal(threadId, 0);
    const material = deserializeMaterial(await pool.generate({ kty: "RSA-HSM", keySize: 2048 }));
    assert.equal(material.kty, "RSA-HSM");
    const bytes = serializeMaterial(material);
    const ct = encrypt(material, { alg: "RSA-OAEP-256", value: Buffer.from("pool") });
    const [pt, sig] = await Promise.all([
      pool.operate("decrypt", bytes, { alg: "RSA-OAEP-256", value: ct.value }),
      pool.operate("sign", bytes, { alg: "RS256", value: createHash("sha256").update("m").digest() }),
    ]);
    assert.equal((pt as { value: Buffer }).value.toString(), "pool");
    assert.ok(verify(material, { alg: "RS256", value: (sig as { value: Buffer }).value, digest: createHash("sha256").update("m").digest() }));
    await assert.rejects(pool.operate("sign", bytes, { alg: "RS256", value: Buffer.alloc(5) }), (e: unknown) => isKeyCryptoError(e) && e.code === "BadParameter" && /32 bytes/.test(e.message));
    await assert.rejects(pool.generate({ kty: "RSA-HSM", keySize: 1000 }), (e: unknown) => isKeyCryptoError(e) && e.code === "BadParameter");
    const oct = await generateKeyMaterial({ kty: "oct-HSM" });
    const wrapped = await pool.operate("wrapKey", serializeMaterial(oct), { alg: "A256KW", value: Buffer.alloc(16, 1) });
    assert.equal((wrapped as { value: Buffer }).value.length, 24);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.generate({ kty: "RSA-HSM" }), /closed/);
});
