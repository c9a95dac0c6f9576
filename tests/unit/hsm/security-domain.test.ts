// Security-domain building blocks: Shamir over GF(257) in az's share encoding, the SP 800-108 KDF (az's own test
// vector in security_domain/sp800_108.py), and the file/blob round trip with refusal of foreign or tampered input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { splitSecret, combineShares } from "../../../src/hsm/security-domain/shamir.js";
import { sp800108, encryptDirect, decryptDirect, JweError } from "../../../src/hsm/security-domain/jwe.js";
import { openRestoreBlob, SecurityDomainFormatError } from "../../../src/hsm/security-domain/format.js";

test("any `required` of the shares recover the secret; words are (x << 9) | v, little-endian", () => {
  const secret = randomBytes(32);
  for (const [n, m] of [
    [3, 2],
    [5, 3],
    [10, 10],
    [10, 2],
  ] as const) {
    const shares = splitSecret(secret, n, m);
    assert.equal(shares.length, n);
    shares.forEach((s, i) => {
      assert.equal(s.length, 64);
      for (let j = 0; j < 32; j++) {
        const w = s.readUInt16LE(j * 2);
        assert.equal(w >> 9, i + 1);
        assert.ok((w & 0x1ff) <= 256);
      }
    });
    const pick = [...shares.keys()]
      .sort(() => Math.random() - 0.5)
      .slice(0, m)
      .map((i) => shares[i]);
    assert.deepEqual(combineShares(pick, m), secret);
  }
  // Fewer than `required` shares do not (2 of a 3-quorum interpolate a different, wrong polynomial).
  const shares = splitSecret(secret, 5, 3);
  assert.throws(() => combineShares(shares.slice(0, 2), 3), RangeError);
  let wrong: Buffer | undefined;
  try {
    wrong = combineShares(shares.slice(0, 2), 2);
  } catch {
    wrong = undefined;
  }
  assert.notDeepEqual(wrong, secret);
  assert.throws(() => splitSecret(secret, 3, 1), RangeError);
  assert.throws(() => splitSecret(secret, 2, 3), RangeError);
});

test("SP 800-108 with HMAC-SHA512 matches az's test vector", () => {
  const out = sp800108(Buffer.alloc(32, 0x41), "label", "context", 256);
  assert.equal(out.toString("hex"), "f0ca51f6308791404bf68b56024ee7c64d6c737716f81d47e1e68b5c4e399575");
});

test("dir JWE round trip; a wrong key or flipped bit is refused", async () => {
  const key = randomBytes(64);
  const jwe = await encryptDirect(Buffer.from("domain"), key, "tag1");
  assert.equal((await decryptDirect(jwe, key)).toString(), "domain");
  await assert.rejects(decryptDirect(jwe, randomBytes(64)), JweError);
  const p = jwe.split(".");
  p[4] = Buffer.from(Buffer.from(p[4], "base64url").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64url");
  await assert.rejects(decryptDirect(p.join("."), key), JweError);
});

test("a restore blob that is not JSON, lacks parts, or names another exchange key is refused", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const reject = (blob: string, pattern: RegExp) =>
    assert.rejects(
      openRestoreBlob(blob, privateKey, "thumb"),
      (e: Error) => e instanceof SecurityDomainFormatError && pattern.test(e.message),
    );
  await reject("nope", /not valid JSON/);
  await reject("{}", /EncData and WrappedKey/);
  await reject(JSON.stringify({ EncData: { kdf: "other", data: [] }, WrappedKey: {} }), /Unsupported EncData\.kdf/);
  await reject(
    JSON.stringify({
      EncData: { kdf: "sp108_kdf", data: [{ tag: "t", compact_jwe: "a.b.c.d.e" }] },
      WrappedKey: { enc_key: "x", x5t_256: "other" },
    }),
    /another exchange key/,
  );
  await reject(
    JSON.stringify({
      EncData: { kdf: "sp108_kdf", data: [{ tag: "t", compact_jwe: "a.b.c.d.e" }] },
      WrappedKey: { enc_key: "x", x5t_256: "thumb" },
    }),
    /enc_key not a compact JWE/,
  );
});
