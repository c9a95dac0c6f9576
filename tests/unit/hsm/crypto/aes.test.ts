// oct-HSM keys: AES key wrap against the RFC 3394 and RFC 5649 test vectors, GCM, CBC and CBCPAD,
// and the key-size / algorithm checks.
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import {
  decrypt,
  encrypt,
  importKeyMaterial,
  sign,
  unwrapKey,
  wrapKey,
  type KeyMaterial,
} from "../../../../src/hsm/crypto/index.js";
import { badParameter } from "./support.js";

function octKey(hex: string): KeyMaterial {
  return importKeyMaterial({ kty: "oct", k: Buffer.from(hex, "hex").toString("base64url") });
}

function randomOct(bits: number): KeyMaterial {
  return importKeyMaterial({ kty: "oct-HSM", k: randomBytes(bits / 8).toString("base64url") });
}

const hex = (value: string) => Buffer.from(value.replace(/\s/g, ""), "hex");

describe("AES key wrap (RFC 3394)", () => {
  it("§4.1: 128-bit KEK wraps 128 bits of key data with A128KW and CKM_AES_KEY_WRAP", () => {
    const kek = octKey("000102030405060708090A0B0C0D0E0F");
    const keyData = hex("00112233445566778899AABBCCDDEEFF");
    const expected = hex("1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5");
    for (const alg of ["A128KW", "CKM_AES_KEY_WRAP"]) {
      assert.deepEqual(wrapKey(kek, { alg, value: keyData }).value, expected, alg);
      assert.deepEqual(unwrapKey(kek, { alg, value: expected }).value, keyData, alg);
      assert.deepEqual(encrypt(kek, { alg, value: keyData }).value, expected, `${alg} as encrypt`);
      assert.deepEqual(decrypt(kek, { alg, value: expected }).value, keyData, `${alg} as decrypt`);
    }
  });

  it("§4.6: 256-bit KEK wraps 256 bits of key data with A256KW", () => {
    const kek = octKey("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    const keyData = hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    const expected = hex("28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21");
    assert.deepEqual(wrapKey(kek, { alg: "A256KW", value: keyData }).value, expected);
    assert.deepEqual(unwrapKey(kek, { alg: "A256KW", value: expected }).value, keyData);
  });

  it("A192KW round trip", () => {
    const kek = randomOct(192);
    const keyData = randomBytes(24);
    assert.deepEqual(
      unwrapKey(kek, { alg: "A192KW", value: wrapKey(kek, { alg: "A192KW", value: keyData }).value }).value,
      keyData,
    );
  });

  it("rejects lengths RFC 3394 cannot wrap and fails the integrity check on tampering", () => {
    const kek = randomOct(256);
    for (const length of [0, 8, 20]) {
      assert.throws(() => wrapKey(kek, { alg: "A256KW", value: randomBytes(length) }), badParameter(/multiple of 8/));
    }
    assert.throws(() => unwrapKey(kek, { alg: "A256KW", value: randomBytes(16) }), badParameter(/at least 24/));
    const wrapped = wrapKey(kek, { alg: "A256KW", value: randomBytes(32) }).value;
    wrapped[5]! ^= 0x01;
    assert.throws(() => unwrapKey(kek, { alg: "A256KW", value: wrapped }), badParameter(/integrity check/));
    const otherKek = randomOct(256);
    const fresh = wrapKey(kek, { alg: "A256KW", value: randomBytes(32) }).value;
    assert.throws(() => unwrapKey(otherKek, { alg: "A256KW", value: fresh }), badParameter(/integrity check/));
  });
});

describe("AES key wrap with padding (RFC 5649, CKM_AES_KEY_WRAP_PAD)", () => {
  const kek = octKey("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");

  it("§6: 20-octet key with a 192-bit KEK", () => {
    const keyData = hex("c37b7e6492584340 bed1220780894115 5068f738");
    const expected = hex("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a");
    assert.deepEqual(wrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: keyData }).value, expected);
    assert.deepEqual(unwrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: expected }).value, keyData);
  });

  it("§6: 7-octet key with a 192-bit KEK", () => {
    const keyData = hex("466f7250617369");
    const expected = hex("afbeb0f07dfbf541 9200f2ccb50bb24f");
    assert.deepEqual(wrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: keyData }).value, expected);
    assert.deepEqual(unwrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: expected }).value, keyData);
  });

  it("round-trips every length from 1 to 70 bytes on 128/256-bit keys", () => {
    for (const bits of [128, 256]) {
      const key = randomOct(bits);
      for (let length = 1; length <= 70; length++) {
        const keyData = randomBytes(length);
        const wrapped = wrapKey(key, { alg: "CKM_AES_KEY_WRAP_PAD", value: keyData }).value;
        assert.equal(wrapped.length, Math.max(16, Math.ceil(length / 8) * 8 + 8));
        assert.deepEqual(unwrapKey(key, { alg: "CKM_AES_KEY_WRAP_PAD", value: wrapped }).value, keyData);
      }
    }
  });

  it("rejects empty input and tampered output", () => {
    assert.throws(
      () => wrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: Buffer.alloc(0) }),
      badParameter(/non-empty/),
    );
    const wrapped = wrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: randomBytes(20) }).value;
    wrapped[0]! ^= 0x80;
    assert.throws(
      () => unwrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: wrapped }),
      badParameter(/integrity check/),
    );
    assert.throws(
      () => unwrapKey(kek, { alg: "CKM_AES_KEY_WRAP_PAD", value: randomBytes(12) }),
      badParameter(/at least 16/),
    );
  });
});

describe("AES-GCM", () => {
  for (const bits of [128, 192, 256]) {
    const alg = `A${bits}GCM`;

    it(`${alg}: service-generated 12-byte iv, 16-byte tag, aad echoed; a standard decipher agrees`, () => {
      const raw = randomBytes(bits / 8);
      const key = importKeyMaterial({ kty: "oct", k: raw.toString("base64url") });
      const plaintext = Buffer.from(`plaintext for ${alg}`);
      const aad = Buffer.from("header");
      const result = encrypt(key, { alg, value: plaintext, aad });
      assert.equal(result.iv?.length, 12);
      assert.equal(result.tag?.length, 16);
      assert.deepEqual(result.aad, aad);
      assert.notDeepEqual(encrypt(key, { alg, value: plaintext, aad }).iv, result.iv);
      const decipher = createDecipheriv(`aes-${bits}-gcm` as "aes-256-gcm", raw, result.iv!, { authTagLength: 16 });
      decipher.setAAD(aad).setAuthTag(result.tag!);
      assert.deepEqual(Buffer.concat([decipher.update(result.value), decipher.final()]), plaintext);
      assert.deepEqual(
        decrypt(key, { alg, value: result.value, iv: result.iv, tag: result.tag, aad }).value,
        plaintext,
      );
    });

    it(`${alg}: decrypts what a standard cipher encrypts, without aad`, () => {
      const raw = randomBytes(bits / 8);
      const key = importKeyMaterial({ kty: "oct", k: raw.toString("base64url") });
      const iv = randomBytes(12);
      const cipher = createCipheriv(`aes-${bits}-gcm` as "aes-256-gcm", raw, iv, { authTagLength: 16 });
      const ciphertext = Buffer.concat([cipher.update("from outside"), cipher.final()]);
      const result = decrypt(key, { alg, value: ciphertext, iv, tag: cipher.getAuthTag() });
      assert.equal(result.value.toString(), "from outside");
      assert.equal(encrypt(key, { alg, value: Buffer.from("x") }).aad, undefined);
    });
  }

  it("rejects tampered tag, ciphertext or aad, and bad iv/tag lengths, with BadParameter", () => {
    const key = randomOct(256);
    const aad = Buffer.from("aad");
    const { value, iv, tag } = encrypt(key, { alg: "A256GCM", value: randomBytes(40), aad });
    const flip = (buffer: Buffer, index: number) => {
      const copy = Buffer.from(buffer);
      copy[index]! ^= 0x01;
      return copy;
    };
    assert.throws(
      () => decrypt(key, { alg: "A256GCM", value, iv, tag: flip(tag!, 15), aad }),
      badParameter(/not authentic/),
    );
    assert.throws(
      () => decrypt(key, { alg: "A256GCM", value: flip(value, 0), iv, tag, aad }),
      badParameter(/not authentic/),
    );
    assert.throws(() => decrypt(key, { alg: "A256GCM", value, iv, tag }), badParameter(/not authentic/));
    assert.throws(
      () => decrypt(key, { alg: "A256GCM", value, iv: flip(iv!, 3), tag, aad }),
      badParameter(/not authentic/),
    );
    assert.throws(
      () => decrypt(key, { alg: "A256GCM", value, iv: randomBytes(16), tag, aad }),
      badParameter(/12-byte iv/),
    );
    assert.throws(() => decrypt(key, { alg: "A256GCM", value, tag, aad }), badParameter(/12-byte iv/));
    assert.throws(
      () => decrypt(key, { alg: "A256GCM", value, iv, tag: tag!.subarray(0, 12), aad }),
      badParameter(/16-byte authentication tag/),
    );
    assert.throws(() => decrypt(key, { alg: "A256GCM", value, iv, aad }), badParameter(/16-byte authentication tag/));
  });

  it("refuses a caller-supplied iv on encrypt, so GCM nonces are never reused", () => {
    assert.throws(
      () => encrypt(randomOct(256), { alg: "A256GCM", value: randomBytes(8), iv: randomBytes(12) }),
      badParameter(/does not take an iv/),
    );
  });

  it("is not a wrap algorithm", () => {
    assert.throws(
      () => wrapKey(randomOct(256), { alg: "A256GCM", value: randomBytes(32) }),
      badParameter(/cannot be used for wrapKey/),
    );
  });
});

describe("AES-CBC and AES-CBCPAD", () => {
  it("A256CBC matches NIST SP 800-38A F.2.5 (first block) and echoes the iv", () => {
    const key = octKey("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const iv = hex("000102030405060708090a0b0c0d0e0f");
    const result = encrypt(key, { alg: "A256CBC", value: hex("6bc1bee22e409f96e93d7e117393172a"), iv });
    assert.deepEqual(result, { value: hex("f58c4c04d6e5f1ba779eabfb5f7bfbd6"), iv });
    assert.deepEqual(decrypt(key, { alg: "A256CBC", value: result.value, iv }), {
      value: hex("6bc1bee22e409f96e93d7e117393172a"),
      iv,
    });
  });

  for (const bits of [128, 192, 256]) {
    it(`A${bits}CBC and A${bits}CBCPAD round trips; CBCPAD adds PKCS#7 padding`, () => {
      const key = randomOct(bits);
      const iv = randomBytes(16);
      const blocks = randomBytes(48);
      const cbc = encrypt(key, { alg: `A${bits}CBC`, value: blocks, iv });
      assert.equal(cbc.value.length, 48);
      assert.deepEqual(decrypt(key, { alg: `A${bits}CBC`, value: cbc.value, iv }).value, blocks);
      for (const length of [0, 1, 15, 16, 17, 33]) {
        const plaintext = randomBytes(length);
        const padded = encrypt(key, { alg: `A${bits}CBCPAD`, value: plaintext, iv });
        assert.equal(padded.value.length, (Math.floor(length / 16) + 1) * 16);
        assert.deepEqual(decrypt(key, { alg: `A${bits}CBCPAD`, value: padded.value, iv }).value, plaintext);
      }
    });
  }

  it("generates a random 16-byte iv when encrypt gets none, and returns it", () => {
    const key = randomOct(128);
    const result = encrypt(key, { alg: "A128CBCPAD", value: Buffer.from("no iv given") });
    assert.equal(result.iv?.length, 16);
    assert.equal(
      decrypt(key, { alg: "A128CBCPAD", value: result.value, iv: result.iv }).value.toString(),
      "no iv given",
    );
  });

  it("rejects partial blocks without padding, bad iv lengths, missing iv on decrypt and bad padding", () => {
    const key = randomOct(256);
    const iv = randomBytes(16);
    assert.throws(() => encrypt(key, { alg: "A256CBC", value: randomBytes(17), iv }), badParameter(/multiple of 16/));
    assert.throws(
      () => encrypt(key, { alg: "A256CBC", value: randomBytes(16), iv: randomBytes(12) }),
      badParameter(/16-byte iv/),
    );
    assert.throws(() => decrypt(key, { alg: "A256CBC", value: randomBytes(16) }), badParameter(/16-byte iv/));
    assert.throws(
      () => decrypt(key, { alg: "A256CBCPAD", value: randomBytes(20), iv }),
      badParameter(/multiple of 16/),
    );
    // A block whose last plaintext byte is 0x00 can never carry valid PKCS#7 padding.
    const zeroTail = encrypt(key, { alg: "A256CBC", value: Buffer.alloc(16), iv }).value;
    assert.throws(() => decrypt(key, { alg: "A256CBCPAD", value: zeroTail, iv }), badParameter(/bad padding/));
  });
});

describe("AES key size must match the algorithm", () => {
  it("every A{n} algorithm refuses keys of the other two sizes, naming the sizes", () => {
    const keys = { 128: randomOct(128), 192: randomOct(192), 256: randomOct(256) };
    for (const bits of [128, 192, 256] as const) {
      for (const other of [128, 192, 256] as const) {
        if (other === bits) continue;
        const key = keys[other];
        const expected = badParameter(new RegExp(`requires a ${bits}-bit AES key; this key is ${other}-bit`));
        assert.throws(() => wrapKey(key, { alg: `A${bits}KW`, value: randomBytes(32) }), expected);
        assert.throws(() => encrypt(key, { alg: `A${bits}GCM`, value: randomBytes(32) }), expected);
        assert.throws(
          () => encrypt(key, { alg: `A${bits}CBC`, value: randomBytes(32), iv: randomBytes(16) }),
          expected,
        );
        assert.throws(
          () => decrypt(key, { alg: `A${bits}CBCPAD`, value: randomBytes(32), iv: randomBytes(16) }),
          expected,
        );
      }
    }
  });

  it("CKM_AES_KEY_WRAP and CKM_AES_KEY_WRAP_PAD take any AES key size", () => {
    for (const bits of [128, 192, 256]) {
      const key = randomOct(bits);
      const data = randomBytes(32);
      for (const alg of ["CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD"]) {
        assert.deepEqual(unwrapKey(key, { alg, value: wrapKey(key, { alg, value: data }).value }).value, data);
      }
    }
  });
});

describe("oct keys and asymmetric algorithms", () => {
  it("rejects RSA, EC and signature algorithms with BadParameter", () => {
    const key = randomOct(256);
    assert.throws(
      () => encrypt(key, { alg: "RSA-OAEP", value: randomBytes(16) }),
      badParameter(/cannot be used with a key of type oct-HSM/),
    );
    assert.throws(() => wrapKey(key, { alg: "RSA1_5", value: randomBytes(16) }), badParameter(/oct-HSM/));
    assert.throws(() => sign(key, { alg: "ES256", value: randomBytes(32) }), badParameter(/oct-HSM/));
    assert.throws(() => sign(key, { alg: "HS256", value: randomBytes(32) }), badParameter(/not supported/));
  });
});
