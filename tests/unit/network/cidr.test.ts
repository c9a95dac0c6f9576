import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import {
  CidrError,
  assignableRange,
  cidrSize,
  contains,
  formatCidr,
  formatIpv4,
  ipInCidr,
  isAzureReservedAddress,
  isIpv4,
  nextFreeAddress,
  overlaps,
  parseCidr,
  parseIpv4,
  tryParseCidr,
  validateSubnetPrefix,
} from "../../../src/network/index.js";

function cidrError(fn: () => unknown): CidrError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CidrError, `expected CidrError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a CidrError");
}

describe("IPv4 addresses", () => {
  it("parses and formats as unsigned 32-bit numbers", () => {
    assert.equal(parseIpv4("0.0.0.0"), 0);
    assert.equal(parseIpv4("10.0.0.4"), 0x0a000004);
    assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
    assert.equal(formatIpv4(0xffffffff), "255.255.255.255");
    assert.equal(formatIpv4(parseIpv4("203.0.113.7")), "203.0.113.7");
  });

  for (const bad of [
    "",
    "10.0.0",
    "10.0.0.0.0",
    "256.0.0.1",
    "10.0.0.-1",
    "010.0.0.1",
    " 10.0.0.1",
    "10.0.0.1 ",
    "1e1.0.0.1",
    "a.b.c.d",
    "::1",
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(isIpv4(bad), false);
      assert.equal(cidrError(() => parseIpv4(bad)).reason, "malformed-address");
    });
  }

  it("formatIpv4 refuses values outside 32 bits", () => {
    assert.throws(() => formatIpv4(2 ** 32), RangeError);
    assert.throws(() => formatIpv4(-1), RangeError);
    assert.throws(() => formatIpv4(1.5), RangeError);
  });
});

describe("parseCidr", () => {
  it("returns network, prefixLength, first and last", () => {
    assert.deepEqual(parseCidr("10.0.0.0/16"), {
      network: parseIpv4("10.0.0.0"),
      prefixLength: 16,
      first: parseIpv4("10.0.0.0"),
      last: parseIpv4("10.0.255.255"),
    });
  });

  it("handles the extremes /0 and /32 and the top of the address space", () => {
    assert.deepEqual(parseCidr("0.0.0.0/0"), { network: 0, prefixLength: 0, first: 0, last: 0xffffffff });
    const host = parseCidr("10.0.0.1/32");
    assert.equal(host.first, host.last);
    const top = parseCidr("255.255.255.248/29");
    assert.equal(top.last, 0xffffffff);
    assert.equal(cidrSize(top), 8);
  });

  it("rejects host bits set the way Azure does (InvalidCIDRNotation with the correct prefix)", () => {
    const error = cidrError(() => parseCidr("10.0.0.1/16"));
    assert.equal(error.reason, "host-bits-set");
    assert.equal(error.correctPrefix, "10.0.0.0/16");
    assert.equal(error.azureCode, "InvalidCIDRNotation");
    assert.match(
      error.message,
      /has an invalid CIDR notation\. For the given prefix length, the address prefix should be 10\.0\.0\.0\/16\./,
    );
    assert.equal(cidrError(() => parseCidr("10.216.52.0/21")).correctPrefix, "10.216.48.0/21");
  });

  for (const bad of [
    "10.0.0.0",
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/-1",
    "10.0.0.0/08",
    "10.0.0.0/1.5",
    "10.0.0.0/16/1",
    "10.0.0/16",
  ]) {
    it(`rejects ${JSON.stringify(bad)} as malformed`, () => {
      const error = cidrError(() => parseCidr(bad));
      assert.match(error.reason, /^malformed-/);
      assert.equal(error.azureCode, "InvalidAddressPrefixFormat");
      assert.equal(error.input, bad);
    });
  }

  it("tryParseCidr returns an error object instead of throwing", () => {
    const ok = tryParseCidr("192.168.0.0/24");
    assert.ok(ok.ok);
    assert.equal(formatCidr(ok.value), "192.168.0.0/24");
    const bad = tryParseCidr("192.168.0.1/24");
    assert.ok(!bad.ok);
    assert.equal(bad.error.reason, "host-bits-set");
  });
});

describe("contains / overlaps / ipInCidr", () => {
  it("contains: equal, nested, reversed, disjoint", () => {
    assert.equal(contains("10.0.0.0/16", "10.0.0.0/16"), true);
    assert.equal(contains("10.0.0.0/16", "10.0.1.0/24"), true);
    assert.equal(contains("10.0.0.0/16", "10.0.255.248/29"), true);
    assert.equal(contains("10.0.1.0/24", "10.0.0.0/16"), false);
    assert.equal(contains("10.0.0.0/16", "10.1.0.0/24"), false);
    assert.equal(contains("0.0.0.0/0", "255.255.255.255/32"), true);
  });

  it("overlaps: adjacent ranges do not overlap, nested and identical do", () => {
    assert.equal(overlaps("10.0.0.0/25", "10.0.0.128/25"), false);
    assert.equal(overlaps("10.0.0.0/24", "10.0.1.0/24"), false);
    assert.equal(overlaps("10.0.0.0/24", "10.0.0.128/25"), true);
    assert.equal(overlaps("10.0.0.128/25", "10.0.0.0/24"), true);
    assert.equal(overlaps("10.0.0.0/24", "10.0.0.0/24"), true);
    assert.equal(overlaps("0.0.0.0/0", "192.168.0.0/16"), true);
    assert.equal(overlaps("10.0.0.255/32", "10.0.1.0/24"), false);
  });

  it("ipInCidr: inclusive bounds", () => {
    assert.equal(ipInCidr("10.0.0.0", "10.0.0.0/24"), true);
    assert.equal(ipInCidr("10.0.0.255", "10.0.0.0/24"), true);
    assert.equal(ipInCidr("10.0.1.0", "10.0.0.0/24"), false);
    assert.equal(ipInCidr(parseIpv4("9.255.255.255"), parseCidr("10.0.0.0/8")), false);
  });

  it("string arguments are validated strictly", () => {
    assert.equal(cidrError(() => contains("10.0.0.1/16", "10.0.1.0/24")).reason, "host-bits-set");
    assert.equal(cidrError(() => ipInCidr("10.0.0", "10.0.0.0/24")).reason, "malformed-address");
  });
});

describe("Azure subnets", () => {
  it("accepts /2 … /29 and rejects anything smaller or larger", () => {
    assert.equal(validateSubnetPrefix("10.0.0.0/29").prefixLength, 29);
    assert.equal(validateSubnetPrefix("0.0.0.0/2").prefixLength, 2);
    assert.equal(validateSubnetPrefix("10.0.0.0/8").prefixLength, 8);
    assert.equal(cidrError(() => validateSubnetPrefix("10.0.0.0/30")).reason, "subnet-size-out-of-range");
    assert.equal(cidrError(() => validateSubnetPrefix("0.0.0.0/1")).reason, "subnet-size-out-of-range");
    assert.equal(cidrError(() => validateSubnetPrefix("10.0.0.8/28")).reason, "host-bits-set");
  });

  it("reserves .0–.3 and the broadcast address", () => {
    for (const ip of ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.255"]) {
      assert.equal(isAzureReservedAddress("10.0.0.0/24", ip), true, ip);
    }
    for (const ip of ["10.0.0.4", "10.0.0.254", "10.0.1.0"]) {
      assert.equal(isAzureReservedAddress("10.0.0.0/24", ip), false, ip);
    }
    assert.deepEqual(assignableRange("10.0.0.0/29"), { first: parseIpv4("10.0.0.4"), last: parseIpv4("10.0.0.6") });
    assert.equal(assignableRange("10.0.0.0/30"), undefined);
  });

  it("hands out .4 first", () => {
    assert.equal(nextFreeAddress("10.0.0.0/24", []), "10.0.0.4");
    assert.equal(nextFreeAddress("10.0.1.0/24", []), "10.0.1.4");
  });

  it("skips used addresses, fills gaps, ignores addresses of other subnets", () => {
    assert.equal(nextFreeAddress("10.0.0.0/24", ["10.0.0.4"]), "10.0.0.5");
    assert.equal(nextFreeAddress("10.0.0.0/24", ["10.0.0.5", "10.0.0.4", "10.0.0.7"]), "10.0.0.6");
    assert.equal(nextFreeAddress("10.0.0.0/24", ["10.0.1.4", "10.0.0.1"]), "10.0.0.4");
  });

  it("exhausts a /29 after three addresses and never hands out the broadcast address", () => {
    const used: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = nextFreeAddress("10.0.0.0/29", used);
      assert.ok(next);
      used.push(next);
    }
    assert.deepEqual(used, ["10.0.0.4", "10.0.0.5", "10.0.0.6"]);
    assert.equal(nextFreeAddress("10.0.0.0/29", used), undefined);
  });

  it("works at the top of the address space (unsigned arithmetic)", () => {
    assert.equal(nextFreeAddress("255.255.255.248/29", []), "255.255.255.252");
    assert.equal(
      nextFreeAddress("255.255.255.248/29", ["255.255.255.252", "255.255.255.253", "255.255.255.254"]),
      undefined,
    );
  });

  it("returns undefined for /30 and longer, throws on corrupt input", () => {
    assert.equal(nextFreeAddress("10.0.0.0/30", []), undefined);
    assert.equal(nextFreeAddress("10.0.0.0/32", []), undefined);
    assert.equal(cidrError(() => nextFreeAddress("10.0.0.0/24", ["10.0.0.x"])).reason, "malformed-address");
    assert.equal(cidrError(() => nextFreeAddress("10.0.0.1/24", [])).reason, "host-bits-set");
  });

  it("property: the address returned is inside the subnet, unreserved, unused and the lowest such", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 24, max: 29 }),
        fc.array(fc.nat(255), { maxLength: 40 }),
        (seed, prefixLength, offsets) => {
          const size = 2 ** (32 - prefixLength);
          const network = seed - (seed % size);
          const subnet = `${formatIpv4(network)}/${prefixLength}`;
          const used = offsets.map((o) => formatIpv4(network + (o % size)));
          const next = nextFreeAddress(subnet, used);
          const free: number[] = [];
          for (let a = network + 4; a <= network + size - 2; a++) if (!used.includes(formatIpv4(a))) free.push(a);
          assert.equal(next, free.length ? formatIpv4(free[0]!) : undefined);
          if (next) {
            assert.equal(ipInCidr(next, subnet), true);
            assert.equal(isAzureReservedAddress(subnet, next), false);
          }
        },
      ),
    );
  });
});
