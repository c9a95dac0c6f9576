// The ALGORITHMS table drives validation in the HTTP layer, so every entry is exercised here: each
// algorithm round-trips on a fitting key for every operation it lists, and is refused with
// BadParameter for every other key type and every other operation.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";

import { KnownEncryptionAlgorithms, KnownKeyCurveNames, KnownSignatureAlgorithms } from "@azure/keyvault-keys";

import {
  ALGORITHMS,
  EC_CURVE_NAMES,
  checkAlgorithm,
  decrypt,
  encrypt,
  generateKeyMaterial,
  isAlgorithm,
  sign,
  unwrapKey,
  verify,
  wrapKey,
  type Algorithm,
  type AlgorithmInfo,
  type CryptoOperation,
  type KeyMaterial,
  type KeyType,
} from "../../../../src/hsm/crypto/index.js";
import { badParameter } from "./support.js";

const ALL_OPERATIONS: CryptoOperation[] = ["encrypt", "decrypt", "wrapKey", "unwrapKey", "sign", "verify"];
const OPERATION = { encrypt, decrypt, wrapKey, unwrapKey, sign } as const;
const entries = Object.entries(ALGORITHMS) as [Algorithm, AlgorithmInfo][];

const keys = new Map<string, KeyMaterial>();
before(async () => {
  keys.set("RSA-HSM", await generateKeyMaterial({ kty: "RSA" }));
  for (const crv of EC_CURVE_NAMES) keys.set(`EC-HSM/${crv}`, await generateKeyMaterial({ kty: "EC", crv }));
  for (const keySize of [128, 192, 256])
    keys.set(`oct-HSM/${keySize}`, await generateKeyMaterial({ kty: "oct", keySize }));
});

function keyFor(info: AlgorithmInfo): KeyMaterial {
  const id =
    info.kty === "RSA-HSM"
      ? "RSA-HSM"
      : info.kty === "EC-HSM"
        ? `EC-HSM/${info.crv}`
        : `oct-HSM/${info.aesKeySize ?? 256}`;
  return keys.get(id)!;
}

function keyOfType(kty: KeyType): KeyMaterial {
  return keys.get(kty === "RSA-HSM" ? kty : kty === "EC-HSM" ? "EC-HSM/P-256" : "oct-HSM/256")!;
}

describe("ALGORITHMS table", () => {
  // Read from the installed SDK (4.10.2) so this fails if the client learns a name the emulator lacks.
  it("covers every algorithm @azure/keyvault-keys knows except HS* and RSNULL, and nothing else", () => {
    const signatures: string[] = Object.values(KnownSignatureAlgorithms);
    const expected = [
      ...Object.values(KnownEncryptionAlgorithms),
      ...signatures.filter((alg) => !/^HS|^RSNULL$/.test(alg)),
    ];
    assert.deepEqual(Object.keys(ALGORITHMS).sort(), expected.sort());
    const curves = entries.filter(([, info]) => info.crv).map(([, info]) => info.crv);
    assert.deepEqual([...curves].sort(), Object.values(KnownKeyCurveNames).sort());
  });

  it("is frozen and isAlgorithm ignores inherited names", () => {
    assert.ok(Object.isFrozen(ALGORITHMS));
    assert.equal(isAlgorithm("A256GCM"), true);
    for (const name of ["toString", "constructor", "__proto__", "a256gcm", 42, undefined])
      assert.equal(isAlgorithm(name), false);
    assert.throws(() => checkAlgorithm(keyOfType("oct-HSM"), "constructor", "encrypt"), badParameter(/not supported/));
  });
});

for (const [alg, info] of entries) {
  describe(`${alg} (${info.family}, ${info.kty})`, () => {
    for (const operation of info.operations) {
      if (operation === "decrypt" || operation === "unwrapKey" || operation === "verify") continue;
      it(`${operation} round trip`, () => {
        const key = keyFor(info);
        if (operation === "sign") {
          const digest = randomBytes(info.digestLength!);
          const signature = sign(key, { alg, value: digest }).value;
          assert.equal(verify(key, { alg, digest, value: signature }), true);
          assert.equal(verify(key, { alg, digest: randomBytes(info.digestLength!), value: signature }), false);
          return;
        }
        const plaintext = randomBytes(32);
        const forward = OPERATION[operation](key, { alg, value: plaintext });
        const inverse = operation === "encrypt" ? decrypt : unwrapKey;
        const result = inverse(key, { alg, value: forward.value, iv: forward.iv, tag: forward.tag, aad: forward.aad });
        assert.deepEqual(result.value, plaintext);
      });
    }

    it("is refused for the operations it does not list", () => {
      const key = keyFor(info);
      for (const operation of ALL_OPERATIONS.filter((op) => !info.operations.includes(op))) {
        assert.throws(
          () => checkAlgorithm(key, alg, operation),
          badParameter(new RegExp(`cannot be used for ${operation}`)),
        );
        const call =
          operation === "verify"
            ? () => verify(key, { alg, value: randomBytes(64), digest: randomBytes(32) })
            : () => OPERATION[operation](key, { alg, value: randomBytes(32) });
        assert.throws(call, badParameter(new RegExp(`cannot be used for ${operation}`)));
      }
    });

    it("is refused for the other key types", () => {
      for (const kty of (["RSA-HSM", "EC-HSM", "oct-HSM"] as const).filter((k) => k !== info.kty)) {
        for (const operation of info.operations) {
          assert.throws(
            () => checkAlgorithm(keyOfType(kty), alg, operation),
            badParameter(new RegExp(`${alg} cannot be used with a key of type ${kty}`)),
          );
        }
      }
    });
  });
}
