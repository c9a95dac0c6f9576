// The UDP hot path (src/dns/server.ts: parsePlainQuery + reused answers) must send exactly the bytes dns2 sends:
// two listeners share one answer function, one with the hot path (store version given) and one without; every
// query goes to both and the answers are compared byte for byte — many names and two views, DNS 0x20 mixed case,
// EDNS with and without options, RD on and off, other classes and types, unknown names — and a store write must
// be seen by the very next query.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { Store } from "../../../src/store/db.js";
import { parsePlainQuery, startDnsServer, type DnsAnswerFn, type DnsListener } from "../../../src/dns/server.js";
import type { DnsAnswer, DnsRecord } from "../../../src/network/dns-view.js";

const ZONE_SOA = (zone: string): DnsRecord => ({
  name: zone,
  type: "SOA",
  ttl: 3600,
  data: `ns1-01.azure-dns.com. azuredns-hostmaster.microsoft.com. 1 3600 300 2419200 300`,
});
let generation = 1;

/** Two views in the style of dns-view.ts: the internet (public A) and a VM (privatelink CNAME chain to a private A). */
function view(kind: "internet" | "vm"): DnsAnswerFn {
  return (qname, qtype) => {
    const name = qname.toLowerCase().replace(/\.$/, "");
    const m = /^([a-z0-9-]+)\.managedhsm\.azure\.net$/.exec(name);
    if (name.startsWith("servfail.")) throw new Error("model failure");
    if (!m) {
      if (name.endsWith("azure.net"))
        return { rcode: "NXDOMAIN", answers: [], authority: [ZONE_SOA("azure.net")], trace: [] };
      return { rcode: "NXDOMAIN", answers: [], authority: [], trace: [] };
    }
    const hsm = m[1]!;
    const chain: DnsRecord[] = [{ name, type: "CNAME", ttl: 60, data: `${hsm}.privatelink.managedhsm.azure.net` }];
    const target =
      kind === "vm" ? `${hsm}.privatelink.managedhsm.azure.net` : `${hsm}.privatelink.managedhsm.azure.net`;
    if (kind === "internet")
      chain.push({ name: target, type: "CNAME", ttl: 60, data: `mhsm-westeurope.managedhsm.azure.net` });
    const last = chain[chain.length - 1]!.data;
    if (qtype === "A")
      return {
        rcode: "NOERROR",
        answers: [
          ...chain,
          { name: last, type: "A", ttl: 10, data: kind === "vm" ? `10.0.1.${generation}` : `20.61.0.${generation}` },
        ],
        authority: [],
        trace: [],
      };
    if (qtype === "TXT")
      return {
        rcode: "NOERROR",
        answers: [{ name, type: "TXT", ttl: 60, data: `"v=${generation}" "x"` }],
        authority: [],
        trace: [],
      };
    return {
      rcode: "NOERROR",
      answers: chain,
      authority: [ZONE_SOA("managedhsm.azure.net")],
      trace: [],
    } satisfies DnsAnswer;
  };
}

/** A DNS query message (RFC 1035 §4.1) with an optional EDNS OPT record (RFC 6891 §6.1.2). */
function query(
  id: number,
  name: string,
  qtype: number,
  opts: { rd?: boolean; qclass?: number; edns?: { size: number; options?: Buffer } } = {},
): Buffer {
  const labels = name
    .split(".")
    .filter(Boolean)
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header[2] = opts.rd === false ? 0 : 1;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(opts.edns ? 1 : 0, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(opts.qclass ?? 1, 2);
  const parts: Buffer[] = [header, ...labels, Buffer.from([0]), tail];
  if (opts.edns) {
    const o = opts.edns.options ?? Buffer.alloc(0);
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(opts.edns.size, 3);
    opt.writeUInt16BE(o.length, 9);
    parts.push(opt, o);
  }
  return Buffer.concat(parts);
}

/** Random DNS 0x20 letter case. */
function mixCase(name: string, seed: number): string {
  let x = seed * 2654435761;
  return [...name].map((c) => ((x = (x * 1103515245 + 12345) >>> 0) & 0x10000 ? c.toUpperCase() : c)).join("");
}

let store: Store;
const listeners: DnsListener[] = [];
let client: Socket;
const pairs: { fast: DnsListener; slow: DnsListener; name: string }[] = [];
const calls = { fast: 0, slow: 0 };

before(async () => {
  store = Store.open(":memory:");
  for (const kind of ["internet", "vm"] as const) {
    const answer = view(kind);
    const fast = await startDnsServer({
      host: "127.0.0.1",
      port: 0,
      answer: (n, t) => (calls.fast++, answer(n, t)),
      version: () => store.version(),
    });
    const slow = await startDnsServer({ host: "127.0.0.1", port: 0, answer: (n, t) => (calls.slow++, answer(n, t)) });
    listeners.push(fast, slow);
    pairs.push({ fast, slow, name: kind });
  }
  client = createSocket("udp4");
  await new Promise<void>((r) => client.bind(0, "127.0.0.1", () => r()));
});
after(async () => {
  client?.close();
  await Promise.all(listeners.map((l) => l.close()));
  store?.close();
});

/** Sends `msg` to `port` and resolves with the reply carrying the same id (undefined after 1 s: dropped). */
function ask(port: number, msg: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const id = msg.readUInt16BE(0);
    const onMessage = (reply: Buffer, rinfo: { port: number }) => {
      if (rinfo.port !== port || reply.length < 2 || reply.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      client.off("message", onMessage);
      resolve(reply);
    };
    const timer = setTimeout(() => {
      client.off("message", onMessage);
      resolve(undefined);
    }, 1000);
    client.on("message", onMessage);
    client.send(msg, port, "127.0.0.1");
  });
}

const NAMES = [
  "benchhsm.managedhsm.azure.net",
  "contoso-hsm-01.managedhsm.azure.net",
  "a.managedhsm.azure.net",
  "unknown.vault.azure.net",
  "nothing.example",
  "deep.sub.managedhsm.azure.net",
  "servfail.managedhsm.azure.net",
  "x_y.managedhsm.azure.net",
];
const SHAPES: { qtype: number; rd?: boolean; qclass?: number; edns?: { size: number; options?: Buffer } }[] = [
  { qtype: 1 },
  { qtype: 1, rd: false },
  { qtype: 1, edns: { size: 1232 } },
  { qtype: 1, edns: { size: 4096, options: Buffer.from("000a00080102030405060708", "hex") } }, // a client COOKIE, as dig sends
  { qtype: 1, edns: { size: 100 } },
  { qtype: 28 },
  { qtype: 5 },
  { qtype: 16 },
  { qtype: 65 },
  { qtype: 1, qclass: 3 },
];

test("hot-path answers equal dns2's byte for byte: names × views × 0x20 case × EDNS × RD × class × type", async () => {
  let id = 1;
  let compared = 0;
  for (const { fast, slow, name: viewName } of pairs) {
    for (const name of NAMES) {
      for (const shape of SHAPES) {
        // first query fills the reuse table, the next ones (other letter cases) are served from it
        for (let round = 0; round < 4; round++) {
          const qname = round === 0 ? name : round === 1 ? name.toUpperCase() : mixCase(name, round + id);
          const msg = query(id++ & 0xffff, qname, shape.qtype, shape);
          const [a, b] = await Promise.all([ask(fast.port, msg), ask(slow.port, msg)]);
          assert.ok(b, `${viewName} ${qname} ${JSON.stringify(shape)}: dns2 answered`);
          assert.deepEqual(a, b, `${viewName} ${qname} ${JSON.stringify(shape)} round ${round}`);
          compared++;
        }
      }
    }
  }
  assert.equal(compared, pairs.length * NAMES.length * SHAPES.length * 4);
  // dns2 computed every answer on the slow listener; the hot path served the repeats (SERVFAIL is never reused)
  assert.equal(calls.slow, compared);
  const servfailQueries = pairs.length * SHAPES.length * 4;
  assert.equal(calls.fast, (compared - servfailQueries) / 4 + servfailQueries);
});

test("a store write is seen by the next query on the hot path", async () => {
  const { fast, slow } = pairs[1]!;
  const msg = (id: number) => query(id, "BenchHsm.managedhsm.azure.net", 1);
  const before1 = await ask(fast.port, msg(100));
  assert.deepEqual(before1, await ask(fast.port, msg(100)));
  generation++; // the model now answers differently; the store write below is what announces it
  store.tx(() =>
    store.resources.put(
      {
        id: "/subscriptions/s/resourceGroups/rg",
        type: "Microsoft.Resources/resourceGroups",
        name: "rg",
        subscriptionId: "s",
        resourceGroup: "rg",
        body: {},
      },
      0,
    ),
  );
  const after1 = await ask(fast.port, msg(101));
  assert.deepEqual(after1, await ask(slow.port, msg(101)));
  assert.notDeepEqual(after1!.subarray(2), before1!.subarray(2));
});

test("parsePlainQuery: plain queries only; anything else is left to dns2", () => {
  const plain = query(7, "Host.Example.COM", 1);
  const q = parsePlainQuery(plain)!;
  assert.ok(q);
  assert.equal(q.nameEnd, 12 + 18);
  assert.equal(parsePlainQuery(query(8, "host.example.com", 1))!.key, q.key, "the key ignores letter case and id");
  assert.notEqual(parsePlainQuery(query(7, "host.example.com", 28))!.key, q.key);
  assert.notEqual(parsePlainQuery(query(7, "host.example.com", 1, { rd: false }))!.key, q.key);
  assert.notEqual(parsePlainQuery(query(7, "host.example.com", 1, { edns: { size: 1232 } }))!.key, q.key);
  const response = Buffer.from(plain);
  response[2]! |= 0x80;
  assert.equal(parsePlainQuery(response), undefined, "QR=1");
  const notify = Buffer.from(plain);
  notify[2] = 4 << 3;
  assert.equal(parsePlainQuery(notify), undefined, "opcode NOTIFY");
  const two = Buffer.from(plain);
  two.writeUInt16BE(2, 4);
  assert.equal(parsePlainQuery(two), undefined, "two questions");
  const pointer = Buffer.concat([plain.subarray(0, 12), Buffer.from([0xc0, 0x0c]), plain.subarray(plain.length - 4)]);
  assert.equal(parsePlainQuery(pointer), undefined, "compression pointer in the question");
  assert.equal(parsePlainQuery(plain.subarray(0, plain.length - 1)), undefined, "truncated");
  assert.equal(parsePlainQuery(Buffer.concat([plain, Buffer.from([0])])), undefined, "trailing byte");
  assert.equal(parsePlainQuery(query(7, "sp ace.example", 1)), undefined, "a byte outside letters, digits, - and _");
  assert.equal(parsePlainQuery(query(7, "", 1)), undefined, "the root");
  assert.equal(parsePlainQuery(Buffer.alloc(0)), undefined);
  assert.equal(parsePlainQuery(Buffer.alloc(12)), undefined);
  const long = query(7, Array.from({ length: 5 }, () => "a".repeat(63)).join("."), 1);
  assert.equal(parsePlainQuery(long), undefined, "name longer than 255 octets");
});
