// Big-endian octet string <-> bigint conversions (RFC 8017 §4.1 I2OSP / §4.2 OS2IP) and the one
// modular inverse the ECDSA code needs. Internal to src/hsm/crypto.

/** OS2IP: big-endian bytes to a non-negative integer; the empty string is 0. */
export function os2ip(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt("0x" + Buffer.from(bytes).toString("hex"));
}

/** I2OSP: a non-negative integer to exactly `length` big-endian bytes; throws RangeError if it does not fit. */
export function i2osp(value: bigint, length: number): Buffer {
  if (value < 0n) throw new RangeError("i2osp: negative integer");
  const hex = value.toString(16);
  if (hex.length > length * 2) throw new RangeError("i2osp: integer too large");
  return Buffer.from(hex.padStart(length * 2, "0"), "hex");
}

/** Number of significant bits of a non-negative integer (0 for 0). */
export function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** Non-negative `a mod m`. */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Inverse of `a` modulo `m` by the extended Euclidean algorithm; throws RangeError if none exists. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError("modInverse: not invertible");
  return mod(oldS, m);
}
