import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseManagedHsmHost } from "../../../src/kernel/azure-names.js";

import {
  ipInCidr,
  publicAddressOfHsm,
  resolve,
  resolveInVnet,
  type DnsAnswer,
  type NetworkSnapshot,
  type Vantage,
} from "../../../src/network/index.js";
import {
  ZONE,
  aRecord,
  base,
  cnameRecord,
  hsm,
  ids,
  link,
  privateEndpoint,
  snapshot,
  soaRecord,
  vm,
  vnet,
  zone,
} from "./fixtures.js";

const INTERNET: Vantage = { kind: "internet" };
const PUBLIC_IP = publicAddressOfHsm("myhsm");

function fromVm(s: NetworkSnapshot, name = "vm1"): Vantage {
  const found = s.vms.find((v) => v.name === name);
  assert.ok(found, `fixture has VM ${name}`);
  return { kind: "vm", vm: found };
}

/** `[type, data]` pairs of the answer section, e.g. `[['CNAME', 'x'], ['A', '10.0.1.4']]`. */
function chain(answer: DnsAnswer): [string, string][] {
  return answer.answers.map((r) => [r.type, r.data]);
}

function rules(answer: DnsAnswer): string[] {
  return answer.trace.map((t) => t.rule);
}

const PRIVATE_CHAIN: [string, string][] = [
  ["CNAME", "myhsm.privatelink.managedhsm.azure.net"],
  ["A", "10.0.1.4"],
];
const PUBLIC_CHAIN: [string, string][] = [
  ["CNAME", "myhsm.privatelink.managedhsm.azure.net"],
  ["A", PUBLIC_IP],
];

describe("publicAddressOfHsm", () => {
  it("is a stable, case-insensitive TEST-NET-3 address", () => {
    assert.equal(publicAddressOfHsm("myhsm"), publicAddressOfHsm("MyHSM"));
    for (const name of ["a", "myhsm", "contoso-hsm-01", "x".repeat(24)]) {
      const address = publicAddressOfHsm(name);
      assert.ok(ipInCidr(address, "203.0.113.0/24"), address);
      assert.notEqual(address, "203.0.113.0");
      assert.notEqual(address, "203.0.113.255");
    }
    assert.notEqual(publicAddressOfHsm("hsm-a"), publicAddressOfHsm("hsm-b"));
  });

  it("parseManagedHsmHost recognises public and privatelink names only", () => {
    assert.deepEqual(parseManagedHsmHost("MyHSM.managedhsm.azure.net."), { hsmName: "myhsm", privatelink: false });
    assert.deepEqual(parseManagedHsmHost("myhsm.privatelink.managedhsm.azure.net"), {
      hsmName: "myhsm",
      privatelink: true,
    });
    assert.equal(parseManagedHsmHost("a.b.managedhsm.azure.net"), undefined);
    assert.equal(parseManagedHsmHost("myhsm.vault.azure.net"), undefined);
    assert.equal(parseManagedHsmHost("privatelink.managedhsm.azure.net"), undefined);
  });
});

describe("public view (internet)", () => {
  it("HSM with a private endpoint: CNAME into privatelink, then the public A (ttl 60)", () => {
    const answer = resolve(base(), INTERNET, "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(chain(answer), PUBLIC_CHAIN);
    assert.deepEqual(
      answer.answers.map((r) => r.ttl),
      [60, 60],
    );
    assert.deepEqual(
      answer.answers.map((r) => r.name),
      ["myhsm.managedhsm.azure.net", "myhsm.privatelink.managedhsm.azure.net"],
    );
    assert.deepEqual(rules(answer), ["vantage-internet", "public-cname", "public-answer"]);
  });

  it("HSM without a private endpoint: A directly", () => {
    const s = snapshot({ managedHsms: [hsm("plainhsm")] });
    const answer = resolve(s, INTERNET, "plainhsm.managedhsm.azure.net", "A");
    assert.deepEqual(chain(answer), [["A", publicAddressOfHsm("plainhsm")]]);
  });

  for (const status of ["Pending", "Rejected", "Disconnected"]) {
    it(`HSM whose only connection is ${status}: no privatelink alias, the public A (private-link-diagnostics.md §5)`, () => {
      const s = base();
      const pending = { ...s, managedHsms: [hsm("myhsm", [{ pe: "pe1", status }])] };
      const answer = resolve(pending, INTERNET, "myhsm.managedhsm.azure.net", "A");
      assert.deepEqual(chain(answer), [["A", PUBLIC_IP]]);
      assert.deepEqual(rules(answer), ["vantage-internet", "public-no-approved-connection", "public-answer"]);
      // Inside the linked VNet too: the public name never enters the privatelink zone.
      const inside = resolve(pending, fromVm(pending), "myhsm.managedhsm.azure.net", "A");
      assert.equal(inside.rcode, "NOERROR");
      assert.deepEqual(chain(inside), [["A", PUBLIC_IP]]);
    });
  }

  it("one Approved connection among Pending ones is enough for the alias", () => {
    const s = base();
    const mixed = { ...s, managedHsms: [hsm("myhsm", [{ pe: "pe0", status: "Pending" }, { pe: "pe1" }])] };
    assert.deepEqual(chain(resolve(mixed, fromVm(mixed), "myhsm.managedhsm.azure.net", "A")), PRIVATE_CHAIN);
  });

  it("a soft-deleted HSM keeps its public A record until purge (soft-delete-overview.md), without alias; purged → NXDOMAIN", () => {
    const s = base();
    const deleted = {
      ...s,
      managedHsms: [],
      deletedManagedHsms: [
        { name: "myhsm", properties: { mhsmId: ids.hsm("myhsm"), scheduledPurgeDate: "2026-12-12T00:00:00Z" } },
      ],
    };
    for (const vantage of [INTERNET, fromVm(deleted)]) {
      const answer = resolve(deleted, vantage, "myhsm.managedhsm.azure.net", "A");
      assert.equal(answer.rcode, "NOERROR");
      assert.deepEqual(chain(answer), [["A", PUBLIC_IP]]);
      assert.equal(answer.trace.at(-1)!.rule, "public-soft-deleted");
    }
    const purged = { ...deleted, deletedManagedHsms: [] };
    assert.equal(resolve(purged, INTERNET, "myhsm.managedhsm.azure.net", "A").rcode, "NXDOMAIN");
  });

  it("the privatelink name from the internet gives the public A", () => {
    const answer = resolve(base(), INTERNET, "myhsm.privatelink.managedhsm.azure.net", "A");
    assert.deepEqual(chain(answer), [["A", PUBLIC_IP]]);
  });

  it("names are case-insensitive and a trailing dot is tolerated", () => {
    const answer = resolve(base(), INTERNET, "MyHSM.ManagedHSM.Azure.NET.", "a");
    assert.deepEqual(chain(answer), PUBLIC_CHAIN);
    assert.equal(answer.answers[0]!.name, "myhsm.managedhsm.azure.net");
  });

  it("unknown names are NXDOMAIN (unknown HSM, vault domain, other domains)", () => {
    for (const name of [
      "nohsm.managedhsm.azure.net",
      "myhsm.vault.azure.net",
      "example.com",
      "a.myhsm.managedhsm.azure.net",
    ]) {
      const answer = resolve(base(), INTERNET, name, "A");
      assert.equal(answer.rcode, "NXDOMAIN", name);
      assert.deepEqual(answer.answers, []);
      assert.equal(answer.trace.at(-1)!.rule, "public-nxdomain");
    }
  });

  it("other query types: CNAME stops at the CNAME, AAAA is NODATA after the CNAME", () => {
    assert.deepEqual(chain(resolve(base(), INTERNET, "myhsm.managedhsm.azure.net", "CNAME")), [PUBLIC_CHAIN[0]]);
    const aaaa = resolve(base(), INTERNET, "myhsm.managedhsm.azure.net", "AAAA");
    assert.equal(aaaa.rcode, "NOERROR");
    assert.deepEqual(chain(aaaa), [PUBLIC_CHAIN[0]]);
    const apex = resolve(base(), INTERNET, "managedhsm.azure.net", "A");
    assert.equal(apex.rcode, "NOERROR");
    assert.deepEqual(apex.answers, []);
  });
});

describe("VM view, Azure-provided DNS (field cases)", () => {
  it("BASE: the linked zone answers the private IP at the end of the CNAME chain", () => {
    const s = base();
    const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(chain(answer), PRIVATE_CHAIN);
    assert.deepEqual(
      answer.answers.map((r) => r.ttl),
      [60, 3600],
    );
    assert.deepEqual(rules(answer), [
      "vantage-vm",
      "azure-dns",
      "no-linked-zone",
      "public-cname",
      "private-zone-answer",
    ]);
    const decided = answer.trace.at(-1)!;
    assert.equal(decided.step, "dns");
    assert.match(
      decided.detail,
      /zone privatelink\.managedhsm\.azure\.net linked to vnet1 via link1 answered A 10\.0\.1\.4/,
    );
    assert.equal(decided.refs?.linkId, ids.link(ZONE, "link1"));
  });

  it("the privatelink name queried directly from the VM answers privately", () => {
    const s = base();
    assert.deepEqual(chain(resolve(s, fromVm(s), "myhsm.privatelink.managedhsm.azure.net", "A")), [["A", "10.0.1.4"]]);
  });

  it("FC-02: zone exists with the record but is not linked to the VNet → public", () => {
    const s = { ...base(), virtualNetworkLinks: [] };
    const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(chain(answer), PUBLIC_CHAIN);
  });

  it("zone linked only to a peered VNet does not count → public", () => {
    const s = base();
    const peered: NetworkSnapshot = {
      ...s,
      virtualNetworks: [
        vnet("vnet1", "10.0.0.0/16", { subnet1: "10.0.1.0/24" }, { peerings: [{ remote: "hub" }] }),
        vnet("hub", "10.1.0.0/16", { default: "10.1.0.0/24" }, { peerings: [{ remote: "vnet1" }] }),
      ],
      virtualNetworkLinks: [link(ZONE, "hublink", "hub")],
    };
    assert.deepEqual(chain(resolve(peered, fromVm(peered), "myhsm.managedhsm.azure.net", "A")), PUBLIC_CHAIN);
  });

  it("FC-07: linked zone without the A record → NXDOMAIN (CNAME kept in the answer)", () => {
    const s = { ...base(), recordSets: [soaRecord(ZONE)] };
    const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NXDOMAIN");
    assert.deepEqual(chain(answer), [PRIVATE_CHAIN[0]]);
    assert.equal(answer.trace.at(-1)!.rule, "private-zone-nxdomain");
    assert.match(answer.trace.at(-1)!.detail, /resolutionPolicy Default/);
    assert.deepEqual(
      answer.authority.map((r) => [r.name, r.type]),
      [[ZONE, "SOA"]],
    );
  });

  it("FC-07: another HSM with a PE elsewhere is NXDOMAIN from a VNet with the zone linked", () => {
    const s = base();
    const other = privateEndpoint("pe-ext", "vnet-ext", "default", "exthsm", "10.9.0.4");
    const withExt: NetworkSnapshot = {
      ...s,
      managedHsms: [...s.managedHsms, hsm("exthsm", [{ pe: "pe-ext" }])],
      privateEndpoints: [...s.privateEndpoints, other.pe],
      networkInterfaces: [...s.networkInterfaces, other.nic],
    };
    assert.equal(resolve(withExt, fromVm(withExt), "exthsm.managedhsm.azure.net", "A").rcode, "NXDOMAIN");
    // An HSM without any PE has no CNAME into the zone, so it still resolves publicly.
    const noPe = { ...s, managedHsms: [...s.managedHsms, hsm("lonehsm")] };
    assert.deepEqual(chain(resolve(noPe, fromVm(noPe), "lonehsm.managedhsm.azure.net", "A")), [
      ["A", publicAddressOfHsm("lonehsm")],
    ]);
  });

  it("FC-07 fix: resolutionPolicy NxDomainRedirect falls back to the public answer", () => {
    const s = {
      ...base(),
      recordSets: [soaRecord(ZONE)],
      virtualNetworkLinks: [link(ZONE, "link1", "vnet1", { resolutionPolicy: "NxDomainRedirect" })],
    };
    const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(chain(answer), PUBLIC_CHAIN);
    assert.ok(rules(answer).includes("private-zone-fallback"));
  });

  it("NxDomainRedirect does not override a record that exists", () => {
    const s = {
      ...base(),
      virtualNetworkLinks: [link(ZONE, "link1", "vnet1", { resolutionPolicy: "NxDomainRedirect" })],
    };
    assert.deepEqual(chain(resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A")), PRIVATE_CHAIN);
  });

  it("FC-01: near-miss zone name (privatelink.vault.azure.net) linked with the record → public", () => {
    const near = "privatelink.vault.azure.net";
    const s: NetworkSnapshot = {
      ...base(),
      privateDnsZones: [zone(near)],
      virtualNetworkLinks: [link(near, "link1", "vnet1")],
      recordSets: [aRecord(near, "myhsm", ["10.0.1.4"])],
    };
    const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(chain(answer), PUBLIC_CHAIN);
  });

  it("FC-15: the vault domain does not reach an HSM", () => {
    const s = base();
    assert.equal(resolve(s, fromVm(s), "myhsm.vault.azure.net", "A").rcode, "NXDOMAIN");
  });

  it("a shadow zone for the public name wins by being the closest linked zone", () => {
    const s: NetworkSnapshot = {
      ...base(),
      privateDnsZones: [zone(ZONE), zone("managedhsm.azure.net")],
      virtualNetworkLinks: [link(ZONE, "link1", "vnet1"), link("managedhsm.azure.net", "shadow", "vnet1")],
    };
    const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NXDOMAIN");
    assert.match(answer.trace.at(-1)!.detail, /zone managedhsm\.azure\.net linked to vnet1 via shadow/);
    // The more specific privatelink zone still answers its own names.
    assert.deepEqual(chain(resolve(s, fromVm(s), "myhsm.privatelink.managedhsm.azure.net", "A")), [["A", "10.0.1.4"]]);
  });

  it("two zones with the same name linked to one VNet: the lowest zone id answers, and the trace says so", () => {
    const rgA = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/aaa";
    const rgZ = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/zzz";
    const s: NetworkSnapshot = {
      ...base(),
      privateDnsZones: [zone(ZONE, rgZ), zone(ZONE, rgA)],
      virtualNetworkLinks: [link(ZONE, "lz", "vnet1", { rg: rgZ }), link(ZONE, "la", "vnet1", { rg: rgA })],
      recordSets: [aRecord(ZONE, "myhsm", ["10.0.1.99"], 3600, rgZ), aRecord(ZONE, "myhsm", ["10.0.1.4"], 3600, rgA)],
    };
    for (let i = 0; i < 2; i++) {
      const answer = resolve(s, fromVm(s), "myhsm.managedhsm.azure.net", "A");
      assert.deepEqual(chain(answer), PRIVATE_CHAIN);
      assert.ok(rules(answer).includes("duplicate-zone-name"));
    }
  });

  it("a CNAME record inside a private zone is followed; a CNAME loop is SERVFAIL", () => {
    const s = {
      ...base(),
      recordSets: [...base().recordSets, cnameRecord(ZONE, "alias", "myhsm.privatelink.managedhsm.azure.net.")],
    };
    assert.deepEqual(chain(resolve(s, fromVm(s), "alias.privatelink.managedhsm.azure.net", "A")), [
      ["CNAME", "myhsm.privatelink.managedhsm.azure.net"],
      ["A", "10.0.1.4"],
    ]);
    const loop = {
      ...base(),
      recordSets: [cnameRecord(ZONE, "a", `b.${ZONE}`), cnameRecord(ZONE, "b", `a.${ZONE}`)],
    };
    const answer = resolve(loop, fromVm(loop), `a.${ZONE}`, "A");
    assert.equal(answer.rcode, "SERVFAIL");
    assert.equal(answer.trace.at(-1)!.rule, "cname-loop");
  });

  it("existing name without the asked type is NODATA, not NXDOMAIN", () => {
    const s = base();
    const answer = resolve(s, fromVm(s), "myhsm.privatelink.managedhsm.azure.net", "TXT");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(answer.answers, []);
    assert.equal(answer.trace.at(-1)!.rule, "private-zone-nodata");
  });

  it("registration-enabled links auto-register VM names (ttl 10); record sets take precedence", () => {
    const s = { ...base(), virtualNetworkLinks: [link(ZONE, "link1", "vnet1", { registrationEnabled: true })] };
    const answer = resolve(s, fromVm(s), `vm1.${ZONE}`, "A");
    assert.deepEqual(
      answer.answers.map((r) => [r.type, r.data, r.ttl]),
      [["A", "10.0.1.5", 10]],
    );
    assert.equal(resolve(base(), fromVm(base()), `vm1.${ZONE}`, "A").rcode, "NXDOMAIN");
  });

  it("link and zone ids match case-insensitively", () => {
    const s = base();
    const shouted = {
      ...s,
      virtualNetworkLinks: [
        {
          ...s.virtualNetworkLinks[0]!,
          id: s.virtualNetworkLinks[0]!.id.toUpperCase(),
          properties: { virtualNetwork: { id: ids.vnet("vnet1").toLowerCase() }, registrationEnabled: false },
        },
      ],
    };
    assert.deepEqual(chain(resolve(shouted, fromVm(shouted), "myhsm.managedhsm.azure.net", "A")), PRIVATE_CHAIN);
  });

  it("a VM whose VNet is missing gets SERVFAIL", () => {
    const s = base();
    const answer = resolve(
      s,
      { kind: "vm", vm: vm("ghost", "nowhere", "default", "10.5.0.4") },
      "myhsm.managedhsm.azure.net",
      "A",
    );
    assert.equal(answer.rcode, "SERVFAIL");
    assert.equal(answer.trace.at(-1)!.rule, "vnet-missing");
  });

  it("resolveInVnet gives Azure DNS of a VNet without a VM", () => {
    const s = base();
    assert.deepEqual(chain(resolveInVnet(s, s.virtualNetworks[0]!, "myhsm.managedhsm.azure.net", "A")), PRIVATE_CHAIN);
  });
});

describe("VM view, custom DNS servers", () => {
  /** Hub (zone linked, forwarder at 10.1.0.4) peered with spoke (custom DNS); the PE lives in the hub. */
  function hubSpoke(spokeDns: string[], options: { peered?: boolean } = {}): NetworkSnapshot {
    const peered = options.peered ?? true;
    const { pe, nic } = privateEndpoint("pe1", "hub", "pe", "myhsm", "10.1.1.4");
    return snapshot({
      virtualNetworks: [
        vnet(
          "hub",
          "10.1.0.0/16",
          { dns: "10.1.0.0/24", pe: "10.1.1.0/24" },
          { peerings: peered ? [{ remote: "spoke" }] : [] },
        ),
        vnet(
          "spoke",
          "10.2.0.0/16",
          { default: "10.2.0.0/24" },
          { dnsServers: spokeDns, peerings: peered ? [{ remote: "hub" }] : [] },
        ),
      ],
      privateEndpoints: [pe],
      networkInterfaces: [nic],
      privateDnsZones: [zone(ZONE)],
      virtualNetworkLinks: [link(ZONE, "hublink", "hub")],
      recordSets: [aRecord(ZONE, "myhsm", ["10.1.1.4"])],
      managedHsms: [hsm("myhsm", [{ pe: "pe1" }])],
      vms: [
        vm("dns1", "hub", "dns", "10.1.0.4", { dnsForwarder: true }),
        vm("app1", "spoke", "default", "10.2.0.4", { publicIpAddress: "192.0.2.20" }),
        vm("plain", "hub", "dns", "10.1.0.5"),
      ],
    });
  }

  it("forwarder VM in the hub, whose VNet is linked → private answer for the spoke VM", () => {
    const s = hubSpoke(["10.1.0.4"]);
    const answer = resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(chain(answer), [
      ["CNAME", "myhsm.privatelink.managedhsm.azure.net"],
      ["A", "10.1.1.4"],
    ]);
    assert.ok(rules(answer).includes("custom-dns-forwarder"));
    assert.match(answer.trace.at(-1)!.detail, /linked to hub via hublink/);
  });

  it("without the custom DNS the spoke (not linked) resolves publicly", () => {
    const s = hubSpoke([]);
    assert.deepEqual(chain(resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A")), PUBLIC_CHAIN);
  });

  it("custom DNS at an unknown address → SERVFAIL, traced as a timeout", () => {
    const s = hubSpoke(["10.99.0.53"]);
    const answer = resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "SERVFAIL");
    assert.deepEqual(answer.answers, []);
    assert.deepEqual(rules(answer), ["vantage-vm", "custom-dns-timeout", "custom-dns-exhausted"]);
    assert.match(answer.trace[1]!.detail, /10\.99\.0\.53.*timed out/);
  });

  it("a VM that is not a forwarder does not answer", () => {
    const s = hubSpoke(["10.1.0.5"]);
    const answer = resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "SERVFAIL");
    assert.match(answer.trace[1]!.detail, /VM plain at that address runs no DNS forwarder/);
  });

  it("a forwarder in an unpeered VNet is unreachable", () => {
    const s = hubSpoke(["10.1.0.4"], { peered: false });
    const answer = resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "SERVFAIL");
    assert.match(
      answer.trace[1]!.detail,
      /forwarder VM dns1 has that address in hub, which is not spoke nor a Connected peer/,
    );
  });

  it("servers are tried in order: a dead first server fails over to the forwarder", () => {
    const s = hubSpoke(["10.99.0.53", "10.1.0.4"]);
    const answer = resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.deepEqual(rules(answer).slice(0, 3), ["vantage-vm", "custom-dns-timeout", "custom-dns-forwarder"]);
  });

  it("168.63.129.16 listed as a custom server is Azure DNS of the VM’s own VNet", () => {
    const s = hubSpoke(["168.63.129.16"]);
    const answer = resolve(s, fromVm(s, "app1"), "myhsm.managedhsm.azure.net", "A");
    assert.deepEqual(chain(answer), PUBLIC_CHAIN);
    assert.equal(answer.trace[1]!.rule, "custom-dns-azure");
  });
});
