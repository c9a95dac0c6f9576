/**
 * Shamir secret sharing over GF(257), byte by byte, in the share encoding az's security-domain code reads
 * (Azure/azure-cli `command_modules/keyvault/security_domain/byte_shares.py`, `shared_secret.py`, `utils.py`):
 * every secret byte gets its own random polynomial of degree `required - 1` whose constant term is the byte; the
 * share of participant x (1..N) for that byte is v = f(x) mod 257 (0..256, nine bits), stored as the unsigned
 * 16-bit word `(x << 9) | v`, little-endian. One share array (one word per secret byte) per participant.
 *
 * az decodes a word as `x = w >> 9, v = w & 0x1ff` (`Share.from_uint16`); its own encoder `(x << 8) | v` does not
 * round-trip, so this follows the decoder, which is what reads a downloaded security domain.
 */
import { randomInt } from "node:crypto";

export const FIELD = 257;

const mod = (a: number) => ((a % FIELD) + FIELD) % FIELD;

/** a^-1 in GF(257) (Fermat: a^255). */
function invert(a: number): number {
  let result = 1;
  let base = mod(a);
  for (let e = FIELD - 2; e > 0; e >>= 1) {
    if (e & 1) result = (result * base) % FIELD;
    base = (base * base) % FIELD;
  }
  return result;
}

/**
 * Splits `secret` into `shares` share arrays of which any `required` recover it.
 * @param secret the bytes to share (the security domain's master key: 32 bytes)
 * @param shares N, 2..126 (az's SharedSecret.max_shares); the HSM allows 3..10
 * @param required M, 2..N
 * @returns N buffers of `2 * secret.length` bytes: little-endian uint16 words `(x << 9) | v`, share i has x = i + 1
 * @throws RangeError for counts out of range
 */
export function splitSecret(secret: Uint8Array, shares: number, required: number): Buffer[] {
  if (!Number.isInteger(required) || required < 2) throw new RangeError("required must be at least 2");
  if (!Number.isInteger(shares) || shares < required || shares > 126)
    throw new RangeError("shares must be between required and 126");
  const out = Array.from({ length: shares }, () => Buffer.alloc(secret.length * 2));
  const coefficients = new Array<number>(required);
  for (let j = 0; j < secret.length; j++) {
    coefficients[0] = secret[j];
    for (let c = 1; c < required; c++) coefficients[c] = randomInt(0, FIELD);
    for (let i = 0; i < shares; i++) {
      const x = i + 1;
      // Horner: f(x) = c0 + x(c1 + x(c2 + ...)).
      let v = 0;
      for (let c = required - 1; c >= 0; c--) v = (v * x + coefficients[c]) % FIELD;
      out[i].writeUInt16LE((x << 9) | v, j * 2);
    }
  }
  return out;
}

/**
 * Recovers the secret from at least `required` share arrays (Lagrange interpolation at 0), as az's
 * `SharedSecret.get_plaintext` does with the first `required` arrays.
 * @throws RangeError when there are too few arrays, they differ in length, share x values repeat, or a
 *   recovered value is not a byte (the shares do not belong together)
 */
export function combineShares(shareArrays: Uint8Array[], required: number): Buffer {
  if (shareArrays.length < required || required < 2) throw new RangeError("insufficient shares");
  const used = shareArrays.slice(0, required).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const len = used[0].length;
  if (len % 2 !== 0 || used.some((a) => a.length !== len)) throw new RangeError("share arrays differ in length");
  const out = Buffer.alloc(len / 2);
  for (let j = 0; j < len / 2; j++) {
    const points = used.map((a) => {
      const w = a.readUInt16LE(j * 2);
      return { x: w >> 9, v: w & 0x1ff };
    });
    if (new Set(points.map((p) => p.x)).size !== points.length || points.some((p) => p.x === 0))
      throw new RangeError("duplicate or zero share index");
    let secret = 0;
    for (let i = 0; i < points.length; i++) {
      let num = 1;
      let den = 1;
      for (let k = 0; k < points.length; k++) {
        if (k === i) continue;
        num = (num * points[k].x) % FIELD;
        den = (den * mod(points[k].x - points[i].x)) % FIELD;
      }
      secret = (secret + points[i].v * num * invert(den)) % FIELD;
    }
    if (secret > 255) throw new RangeError("the shares do not belong to one secret");
    out[j] = secret;
  }
  return out;
}
