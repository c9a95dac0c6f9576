// Big-endian octet string <-> bigint conversions (RFC 8017 §4.1 I2OSP / §4.2 OS2IP) and the one
// modular inverse the ECDSA code needs. Internal to src/hsm/crypto.

/** OS2IP: big-endian bytes to a non-negative integer; the empty string is 0. */
export function os2ip(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  // A Buffer is read in place; any other view through a Buffer over the same memory (no copy).
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return BigInt("0x" + b.toString("hex"));
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
  let oldR = mod(a, m);
  let r = m;
  let oldS = 1n;
  let s = 0n;
  while (r !== 0n) {
    const q = oldR / r;
    const nextR = oldR - q * r;
    oldR = r;
    r = nextR;
    const nextS = oldS - q * s;
    oldS = s;
    s = nextS;
  }
  if (oldR !== 1n) throw new RangeError("modInverse: not invertible");
  return mod(oldS, m);
}
