// The worker pool for heavy private-key work: results match the in-process functions, BadParameter errors cross the
// thread boundary as KeyCryptoError, and close() stops it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { threadId } from "node:worker_threads";
import { CryptoPool } from "../../../src/hsm/crypto-pool.js";
import {
  deserializeMaterial,
  encrypt,
  generateKeyMaterial,
  isKeyCryptoError,
  serializeMaterial,
  verify,
} from "../../../src/hsm/crypto/index.js";
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
    assert.ok(
      verify(material, {
        alg: "RS256",
        value: (sig as { value: Buffer }).value,
        digest: createHash("sha256").update("m").digest(),
      }),
    );
    await assert.rejects(
      pool.operate("sign", bytes, { alg: "RS256", value: Buffer.alloc(5) }),
      (e: unknown) => isKeyCryptoError(e) && e.code === "BadParameter" && /32 bytes/.test(e.message),
    );
    await assert.rejects(
      pool.generate({ kty: "RSA-HSM", keySize: 1000 }),
      (e: unknown) => isKeyCryptoError(e) && e.code === "BadParameter",
    );
    const oct = await generateKeyMaterial({ kty: "oct-HSM" });
    const wrapped = await pool.operate("wrapKey", serializeMaterial(oct), {
      alg: "A256KW",
      value: Buffer.alloc(16, 1),
    });
    assert.equal((wrapped as { value: Buffer }).value.length, 24);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.generate({ kty: "RSA-HSM" }), /closed/);
});

test("each material is sent to a worker once; when the worker has dropped it, the operation is sent again with it", async () => {
  const pool = new CryptoPool(1);
  try {
    const materials = await Promise.all(Array.from({ length: 1100 }, () => generateKeyMaterial({ kty: "oct-HSM" })));
    const serialized = materials.map((m) => serializeMaterial(m));
    const wrapOnPool = async (i: number) =>
      (await pool.operate("wrapKey", serialized[i]!, { alg: "A256KW", value: Buffer.alloc(16, i & 0xff) })) as {
        value: Buffer;
      };
    const expected = (i: number) => encrypt(materials[i]!, { alg: "A256KW", value: Buffer.alloc(16, i & 0xff) }).value;
    // more materials than the worker keeps: it drops the oldest while the pool still believes some are there
    for (let i = 0; i < serialized.length; i++)
      assert.deepEqual((await wrapOnPool(i)).value, expected(i), `material ${i}`);
    assert.equal(pool.materialResends, 0);
    // the pool believes the worker holds 800..1099; the worker kept only 1000..1099
    for (const i of [900, 0, 999, 1099, 900])
      assert.deepEqual((await wrapOnPool(i)).value, expected(i), `material ${i} again`);
    assert.equal(pool.materialResends, 2, "900 and 999 were sent again with their material");
  } finally {
    await pool.close();
  }
});
