// ES256 / ES256K / ES384 / ES512 over a digest. Interop proofs: our signature over digest(message)
// must verify with crypto.verify(hash, message, publicKeyFromWire) (OpenSSL hashes the message
// itself) and with jose as a JWS; OpenSSL's signatures must verify with ours.
import assert from 'node:assert/strict';
import { createECDH, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { before, describe, it } from 'node:test';

import { compactVerify, importJWK } from 'jose';

import { CURVES, type CurveName } from '../../../../src/hsm/crypto/curves.js';
import { encrypt, generateKeyMaterial, publicJwk, sign, verify, type KeyMaterial } from '../../../../src/hsm/crypto/index.js';
import { badParameter, publicKeyFromWire, sha } from './support.js';

const CASES = [
  { alg: 'ES256', crv: 'P-256', hash: 'sha256', digestBytes: 32, sigBytes: 64 },
  { alg: 'ES256K', crv: 'P-256K', hash: 'sha256', digestBytes: 32, sigBytes: 64 },
  { alg: 'ES384', crv: 'P-384', hash: 'sha384', digestBytes: 48, sigBytes: 96 },
  { alg: 'ES512', crv: 'P-521', hash: 'sha512', digestBytes: 64, sigBytes: 132 },
] as const;

const keys = new Map<CurveName, KeyMaterial>();
before(async () => {
  for (const { crv } of CASES) keys.set(crv, await generateKeyMaterial({ kty: 'EC', crv }));
});

describe('curve constants', () => {
  for (const curve of Object.values(CURVES)) {
    it(`${curve.name}: the hard-coded order n agrees with OpenSSL ((n-1)·G = -G, n rejected)`, () => {
      const multiply = (t: bigint) => {
        const ecdh = createECDH(curve.opensslName);
        ecdh.setPrivateKey(Buffer.from(t.toString(16).padStart(curve.byteLength * 2, '0'), 'hex'));
        return ecdh.getPublicKey();
      };
      const g = multiply(1n);
      const minusG = multiply(curve.order - 1n);
      const half = 1 + curve.byteLength;
      assert.deepEqual(minusG.subarray(1, half), g.subarray(1, half)); // same x
      assert.notDeepEqual(minusG.subarray(half), g.subarray(half)); // opposite y
      assert.throws(() => multiply(curve.order));
      assert.equal(curve.order.toString(2).length, curve.orderBits);
    });
  }
});

for (const { alg, crv, hash, digestBytes, sigBytes } of CASES) {
  describe(`${alg} on ${crv}`, () => {
    const message = Buffer.from(`message signed with ${alg}`);
    const digest = sha(hash, message);

    it('signs a digest so that OpenSSL verifies it over the full message (ieee-p1363 r||s)', () => {
      const key = keys.get(crv)!;
      const signature = sign(key, { alg, value: digest }).value;
      assert.equal(signature.length, sigBytes);
      assert.equal(nodeVerify(hash, message, { key: publicKeyFromWire(key), dsaEncoding: 'ieee-p1363' }, signature), true);
      const other = Buffer.from(`another ${alg} message`);
      assert.equal(nodeVerify(hash, other, { key: publicKeyFromWire(key), dsaEncoding: 'ieee-p1363' }, signature), false);
    });

    it('verifies signatures made by OpenSSL over the message, and rejects tampered ones', () => {
      const key = keys.get(crv)!;
      assert.ok(key.kty === 'EC-HSM');
      const signature = nodeSign(hash, message, { key: key.pkcs8, format: 'der', type: 'pkcs8', dsaEncoding: 'ieee-p1363' });
      assert.equal(verify(key, { alg, digest, value: signature }), true);
      const tampered = Buffer.from(signature);
      tampered[tampered.length - 1]! ^= 0x01;
      assert.equal(verify(key, { alg, digest, value: tampered }), false);
      assert.equal(verify(key, { alg, digest: sha(hash, 'other'), value: signature }), false);
      assert.equal(verify(key, { alg, digest, value: signature.subarray(1) }), false);
      assert.equal(verify(key, { alg, digest, value: Buffer.alloc(sigBytes) }), false);
      assert.equal(verify(key, { alg, digest, value: Buffer.alloc(sigBytes, 0xff) }), false);
    });

    it('produces randomized, low-S signatures that verify with our own verify', () => {
      const key = keys.get(crv)!;
      const first = sign(key, { alg, value: digest }).value;
      const second = sign(key, { alg, value: digest }).value;
      assert.notDeepEqual(first, second);
      const s = BigInt('0x' + first.subarray(sigBytes / 2).toString('hex'));
      assert.ok(s <= CURVES[crv].order / 2n);
      assert.equal(verify(key, { alg, digest, value: first }), true);
    });

    it('rejects a digest of the wrong length with BadParameter', () => {
      const key = keys.get(crv)!;
      for (const length of [digestBytes - 1, digestBytes + 1, 20, 0]) {
        assert.throws(() => sign(key, { alg, value: Buffer.alloc(length) }), badParameter(new RegExp(`must be ${digestBytes} bytes`)));
      }
      assert.throws(() => verify(key, { alg, digest: Buffer.alloc(digestBytes + 16), value: Buffer.alloc(sigBytes) }), badParameter(/digest/));
      assert.throws(() => verify(key, { alg, value: Buffer.alloc(sigBytes) }), badParameter(/digest/));
    });

    it('refuses keys on other curves and the other ES algorithms on this key', () => {
      for (const other of CASES.filter((c) => c.crv !== crv)) {
        assert.throws(
          () => sign(keys.get(other.crv)!, { alg, value: digest }),
          badParameter(new RegExp(`requires a ${crv} key`)),
        );
      }
    });
  });
}

describe('jose accepts our ECDSA output as JWS signatures', () => {
  for (const { alg, crv, hash } of CASES.filter((c) => c.alg !== 'ES256K')) {
    it(alg, async () => {
      const key = keys.get(crv)!;
      const signingInput = `${Buffer.from(JSON.stringify({ alg })).toString('base64url')}.${Buffer.from('payload').toString('base64url')}`;
      const signature = sign(key, { alg, value: sha(hash, signingInput) }).value;
      const jwk = publicJwk(key);
      const verified = await compactVerify(`${signingInput}.${signature.toString('base64url')}`, await importJWK({ kty: 'EC', ...jwk }, alg));
      assert.equal(Buffer.from(verified.payload).toString(), 'payload');
    });
  }
});

describe('EC keys and non-ECDSA algorithms', () => {
  it('rejects RSA, PS and AES algorithms and encryption operations with BadParameter', () => {
    const key = keys.get('P-256')!;
    const digest = sha('sha256', 'x');
    assert.throws(() => sign(key, { alg: 'RS256', value: digest }), badParameter(/cannot be used with a key of type EC-HSM/));
    assert.throws(() => sign(key, { alg: 'PS256', value: digest }), badParameter(/EC-HSM/));
    assert.throws(() => sign(key, { alg: 'HS256', value: digest }), badParameter(/not supported/));
    assert.throws(() => encrypt(key, { alg: 'ES256', value: digest }), badParameter(/cannot be used for encrypt/));
    assert.throws(() => encrypt(key, { alg: 'RSA-OAEP', value: digest }), badParameter(/EC-HSM/));
  });
});
