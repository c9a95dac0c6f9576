/**
 * IPv4 addresses, CIDR prefixes and Azure's subnet address allocation.
 *
 * Addresses are unsigned 32-bit integers (0 … 2^32-1) so that range tests are plain comparisons.
 * Pure: no I/O, no clock, no randomness.
 */

/** Why a text was rejected as an IPv4 address or CIDR prefix. */
export type CidrErrorReason =
  /** Not four dot-separated decimal octets 0–255 without leading zeros. */
  | "malformed-address"
  /** Missing `/`, or the length after `/` is not a decimal integer 0–32. */
  | "malformed-prefix"
  /** Host bits set below the prefix length (`10.0.0.1/16`). */
  | "host-bits-set"
  /** A valid prefix whose length Azure does not accept for a subnet. */
  | "subnet-size-out-of-range";

/**
 * Thrown by the parsing and validation functions of this module.
 *
 * `reason` is machine-readable; `correctPrefix` is set for `host-bits-set` (the prefix Azure
 * suggests); `azureCode` is the Microsoft.Network error code the ARM layer should use, when one
 * is known from field reports (`InvalidAddressPrefixFormat`, `InvalidCIDRNotation`).
 */
export class CidrError extends Error {
  override readonly name = "CidrError";

  constructor(
    readonly reason: CidrErrorReason,
    readonly input: string,
    message: string,
    readonly correctPrefix?: string,
  ) {
    super(message);
  }

  /** Microsoft.Network error code for this reason, or undefined when none was observed. */
  get azureCode(): "InvalidAddressPrefixFormat" | "InvalidCIDRNotation" | undefined {
    switch (this.reason) {
      case "malformed-address":
      case "malformed-prefix":
        return "InvalidAddressPrefixFormat";
      case "host-bits-set":
        return "InvalidCIDRNotation";
      case "subnet-size-out-of-range":
        return undefined;
    }
  }
}

/** A parsed IPv4 prefix; all addresses are unsigned 32-bit integers, `first === network`, `last` is the broadcast address. */
export interface Cidr {
  readonly network: number;
  readonly prefixLength: number;
  readonly first: number;
  readonly last: number;
}

/** Result shape for callers that prefer not to catch: `{ ok: true, value }` or `{ ok: false, error }`. */
export type CidrResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CidrError };

/**
 * Azure reserves the first four addresses of every subnet: network (.0), default gateway (.1) and
 * two addresses mapping Azure DNS (.2, .3); plus the last (broadcast) address.
 * Source: learn.microsoft.com "Azure Virtual Network FAQ — Are there any restrictions on using IP
 * addresses within these subnets?".
 */
export const AZURE_RESERVED_LEADING_ADDRESSES = 4;
/** See {@link AZURE_RESERVED_LEADING_ADDRESSES}: the broadcast address is reserved too. */
export const AZURE_RESERVED_TRAILING_ADDRESSES = 1;

/**
 * Subnet prefix lengths Azure accepts for IPv4: "The smallest supported IPv4 subnet is /29, and
 * the largest is /2" (learn.microsoft.com "Azure Virtual Network FAQ"). We follow the FAQ rather
 * than a tighter /8 floor, so a VNet-sized subnet such as /8 is accepted.
 */
export const SUBNET_MIN_PREFIX_LENGTH = 2;
/** See {@link SUBNET_MIN_PREFIX_LENGTH}. */
export const SUBNET_MAX_PREFIX_LENGTH = 29;

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const DECIMAL_LENGTH = /^(0|[1-9][0-9]?)$/;

/**
 * Parses dotted-quad IPv4 text into an unsigned 32-bit integer.
 *
 * Strict (RFC 4632 style text): exactly four decimal octets 0–255; leading zeros are rejected
 * because some stacks read them as octal. Throws {@link CidrError} `malformed-address`.
 */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) {
    throw new CidrError("malformed-address", text, `'${text}' is not an IPv4 address.`);
  }
  let value = 0;
  for (const part of parts) {
    if (!DECIMAL_OCTET.test(part)) {
      throw new CidrError("malformed-address", text, `'${text}' is not an IPv4 address.`);
    }
    const octet = Number(part);
    if (octet > 255) {
      throw new CidrError("malformed-address", text, `'${text}' is not an IPv4 address: octet ${part} exceeds 255.`);
    }
    value = value * 256 + octet;
  }
  return value;
}

/** Like {@link parseIpv4} but returns undefined instead of throwing. */
export function tryParseIpv4(text: string): number | undefined {
  try {
    return parseIpv4(text);
  } catch (error) {
    if (error instanceof CidrError) return undefined;
    throw error;
  }
}

/** True when `text` is a strict dotted-quad IPv4 address (see {@link parseIpv4}). */
export function isIpv4(text: string): boolean {
  return tryParseIpv4(text) !== undefined;
}

/**
 * Formats an unsigned 32-bit integer as dotted-quad text.
 * Throws RangeError when `value` is not an integer in 0 … 2^32-1 (a programming error, not input).
 */
export function formatIpv4(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${value} is not an unsigned 32-bit IPv4 address`);
  }
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

function hostCount(prefixLength: number): number {
  // 2 ** n rather than a shift: `1 << 32` wraps to 1 in JavaScript.
  return 2 ** (32 - prefixLength);
}

/**
 * Parses `a.b.c.d/n` into a {@link Cidr}.
 *
 * Strict like Azure: a prefix with host bits set (`10.0.0.1/16`) is rejected with reason
 * `host-bits-set` and `correctPrefix` `10.0.0.0/16`, matching Microsoft.Network's
 * `InvalidCIDRNotation` "… has an invalid CIDR notation. For the given prefix length, the address
 * prefix should be {correct}." A bare address without `/n` is rejected (`malformed-prefix`).
 * Throws {@link CidrError}.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  if (slash < 0) {
    throw new CidrError("malformed-prefix", text, `'${text}' is not in CIDR notation (expected a.b.c.d/n).`);
  }
  const address = tryParseIpv4(text.slice(0, slash));
  if (address === undefined) {
    throw new CidrError(
      "malformed-address",
      text,
      `'${text}' is not in CIDR notation: '${text.slice(0, slash)}' is not an IPv4 address.`,
    );
  }
  const lengthText = text.slice(slash + 1);
  if (!DECIMAL_LENGTH.test(lengthText) || Number(lengthText) > 32) {
    throw new CidrError(
      "malformed-prefix",
      text,
      `'${text}' has an invalid prefix length '${lengthText}' (expected 0–32).`,
    );
  }
  const prefixLength = Number(lengthText);
  const size = hostCount(prefixLength);
  const network = address - (address % size);
  if (network !== address) {
    const correct = `${formatIpv4(network)}/${prefixLength}`;
    throw new CidrError(
      "host-bits-set",
      text,
      `The address prefix ${text} has an invalid CIDR notation. For the given prefix length, the address prefix should be ${correct}.`,
      correct,
    );
  }
  return { network, prefixLength, first: network, last: network + size - 1 };
}

/** Like {@link parseCidr} but returns a {@link CidrResult} instead of throwing. */
export function tryParseCidr(text: string): CidrResult<Cidr> {
  try {
    return { ok: true, value: parseCidr(text) };
  } catch (error) {
    if (error instanceof CidrError) return { ok: false, error };
    throw error;
  }
}

/** Formats a {@link Cidr} as `a.b.c.d/n`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}

/** Number of addresses covered by a prefix (2^(32-n)), reserved ones included. */
export function cidrSize(cidr: Cidr | string): number {
  return hostCount(asCidr(cidr).prefixLength);
}

function asCidr(cidr: Cidr | string): Cidr {
  return typeof cidr === "string" ? parseCidr(cidr) : cidr;
}

function asAddress(ip: number | string): number {
  return typeof ip === "string" ? parseIpv4(ip) : ip;
}

/**
 * True when every address of `inner` lies inside `outer` (equal prefixes contain each other).
 * Used for "subnet inside the VNet address space" (Azure `NetcfgSubnetRangeOutsideVnet`).
 * Strings are parsed with {@link parseCidr} and may throw {@link CidrError}.
 */
export function contains(outer: Cidr | string, inner: Cidr | string): boolean {
  const o = asCidr(outer);
  const i = asCidr(inner);
  return i.first >= o.first && i.last <= o.last;
}

/**
 * True when the two prefixes share at least one address (for prefixes: one contains the other).
 * Used for sibling-subnet overlap (Azure `NetcfgSubnetRangesOverlap`) and peering address-space
 * conflicts. Strings may throw {@link CidrError}.
 */
export function overlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  return x.first <= y.last && y.first <= x.last;
}

/** True when the address lies inside the prefix. Strings may throw {@link CidrError}. */
export function ipInCidr(ip: number | string, cidr: Cidr | string): boolean {
  const address = asAddress(ip);
  const c = asCidr(cidr);
  return address >= c.first && address <= c.last;
}

/**
 * Checks that a prefix is usable as an Azure IPv4 subnet (/2 … /29, see
 * {@link SUBNET_MIN_PREFIX_LENGTH}) and returns it parsed.
 * Throws {@link CidrError} (`malformed-*`, `host-bits-set`, `subnet-size-out-of-range`).
 */
export function validateSubnetPrefix(cidr: Cidr | string): Cidr {
  const c = asCidr(cidr);
  if (c.prefixLength < SUBNET_MIN_PREFIX_LENGTH || c.prefixLength > SUBNET_MAX_PREFIX_LENGTH) {
    const text = formatCidr(c);
    throw new CidrError(
      "subnet-size-out-of-range",
      text,
      `Subnet prefix ${text} is not supported: Azure subnets must be between /${SUBNET_MIN_PREFIX_LENGTH} and /${SUBNET_MAX_PREFIX_LENGTH}.`,
    );
  }
  return c;
}

/**
 * The range of addresses Azure may hand out in a subnet (after the four leading and one trailing
 * reserved addresses), or undefined when the prefix is too small to have any (/30 … /32).
 * Source: learn.microsoft.com "Azure Virtual Network FAQ" (reserved addresses).
 */
export function assignableRange(subnet: Cidr | string): { readonly first: number; readonly last: number } | undefined {
  const c = asCidr(subnet);
  const first = c.first + AZURE_RESERVED_LEADING_ADDRESSES;
  const last = c.last - AZURE_RESERVED_TRAILING_ADDRESSES;
  return first <= last ? { first, last } : undefined;
}

/**
 * True when `ip` is inside `subnet` and is one of the five addresses Azure reserves there
 * (.0 network, .1 gateway, .2/.3 Azure DNS, last = broadcast). Strings may throw {@link CidrError}.
 */
export function isAzureReservedAddress(subnet: Cidr | string, ip: number | string): boolean {
  const c = asCidr(subnet);
  const address = asAddress(ip);
  if (address < c.first || address > c.last) return false;
  const range = assignableRange(c);
  return range === undefined || address < range.first || address > range.last;
}

/**
 * Azure dynamic private IP allocation: the lowest address of the subnet that is neither reserved
 * nor in `usedAddresses`, as dotted-quad text; undefined when the subnet is exhausted. The first
 * address handed out in 10.0.0.0/24 is therefore 10.0.0.4 (the real service gave the first
 * private endpoint 10.0.0.4), and the broadcast address is never returned.
 *
 * `usedAddresses` entries outside the subnet are ignored (callers may pass every address of the
 * VNet); a malformed entry throws {@link CidrError} because it means corrupt stored state.
 * The subnet-size rule is not enforced here (see {@link validateSubnetPrefix}); a /30 or longer
 * simply has no free address.
 * Source: learn.microsoft.com "Private IP addresses" (dynamic allocation) and "Azure Virtual
 * Network FAQ" (reserved addresses).
 */
export function nextFreeAddress(subnetCidr: Cidr | string, usedAddresses: Iterable<string>): string | undefined {
  const range = assignableRange(subnetCidr);
  if (range === undefined) return undefined;
  const used = new Set<number>();
  for (const text of usedAddresses) {
    const address = parseIpv4(text);
    if (address >= range.first && address <= range.last) used.add(address);
  }
  // At most used.size + 1 probes: the set cannot block more candidates than it holds.
  for (let candidate = range.first; candidate <= range.last; candidate++) {
    if (!used.has(candidate)) return formatIpv4(candidate);
  }
  return undefined;
}
