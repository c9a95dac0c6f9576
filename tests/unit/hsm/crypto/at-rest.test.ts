// Sealing key material at rest: AES-256-GCM, version || nonce || tag || ciphertext, context-bound.
import assert from "node:assert/strict";
import { createDecipheriv, randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import {
  deserializeMaterial,
  generateKeyMaterial,
  openWithKey,
  sealWithKey,
  serializeMaterial,
} from "../../../../src/hsm/crypto/index.js";
import { internalError } from "./support.js";

const kek = randomBytes(32);

describe("sealWithKey / openWithKey", () => {
  it("round-trips, with a fresh nonce each time and the documented layout", () => {
    const plaintext = Buffer.from("key material");
    const first = sealWithKey(kek, plaintext, "hsm1/keys/k/v1");
    const second = sealWithKey(kek, plaintext, "hsm1/keys/k/v1");
    assert.equal(first[0], 0x01);
    assert.equal(first.length, 1 + 12 + 16 + plaintext.length);
    assert.notDeepEqual(first.subarray(1, 13), second.subarray(1, 13));
    assert.deepEqual(openWithKey(kek, first, "hsm1/keys/k/v1"), plaintext);
    assert.deepEqual(openWithKey(kek, sealWithKey(kek, Buffer.alloc(0)), undefined), Buffer.alloc(0));
  });

  it("is plain AES-256-GCM with aad = version byte || context, readable by a standard decipher", () => {
    const sealed = sealWithKey(kek, Buffer.from("standard"), "ctx");
    const decipher = createDecipheriv("aes-256-gcm", kek, sealed.subarray(1, 13), { authTagLength: 16 });
    decipher.setAuthTag(sealed.subarray(13, 29));
    decipher.setAAD(Buffer.concat([Buffer.from([0x01]), Buffer.from("ctx")]));
    assert.equal(Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString(), "standard");
  });

  it("seals serialized key material", async () => {
    const material = await generateKeyMaterial({ kty: "EC", crv: "P-384" });
    const serialized = serializeMaterial(material);
    const sealed = sealWithKey(kek, serialized, "ctx");
    assert.equal(sealed.indexOf(serialized.subarray(-48)), -1);
    assert.deepEqual(deserializeMaterial(openWithKey(kek, sealed, "ctx")), material);
  });

  it("fails with InternalError on wrong KEK, wrong or missing context, tampering, truncation and unknown versions", () => {
    const sealed = sealWithKey(kek, randomBytes(64), "ctx");
    const tamper = (index: number) => {
      const copy = Buffer.from(sealed);
      copy[index]! ^= 0x01;
      return copy;
    };
    assert.throws(() => openWithKey(randomBytes(32), sealed, "ctx"), internalError(/integrity check/));
    assert.throws(() => openWithKey(kek, sealed, "other"), internalError(/integrity check/));
    assert.throws(() => openWithKey(kek, sealed), internalError(/integrity check/));
    for (const index of [1, 13, 29, sealed.length - 1]) {
      assert.throws(() => openWithKey(kek, tamper(index), "ctx"), internalError(/integrity check/), `byte ${index}`);
    }
    assert.throws(() => openWithKey(kek, tamper(0), "ctx"), internalError(/format version/));
    assert.throws(() => openWithKey(kek, sealed.subarray(0, 28), "ctx"), internalError(/truncated/));
  });

  it("requires a 32-byte KEK", () => {
    assert.throws(() => sealWithKey(randomBytes(16), Buffer.from("x")), internalError(/32 bytes/));
    assert.throws(() => openWithKey(randomBytes(31), Buffer.alloc(40)), internalError(/32 bytes/));
  });
});
