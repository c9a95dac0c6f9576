/**
 * DNS wire server (UDP + TCP, npm `dns2` 3.0.0; clients.md §C) answering from the pure network model: each
 * listener is one vantage point's resolver (the internet, or Azure DNS as seen inside one VM). The answer for a
 * question comes from `answer(qname, qtype)` (usually `resolve(snapshotFromStore(store), vantage, …)` from
 * src/network/dns-view.ts), so `dig`/`nslookup` see exactly what the gateway routes by.
 *
 * Responses are recursive (RA set, AA clear, as Azure DNS answers), carry the whole CNAME chain, the record TTLs
 * of the model, and the deciding zone's SOA in the authority section for negative answers. Malformed packets
 * never crash the process: dns2 drops unparsable UDP datagrams and closes TCP connections that send garbage; any
 * failure while answering becomes SERVFAIL.
 */
import dns2 from "dns2";
import type { Socket } from "node:net";
import type { DnsAnswer, DnsRecord } from "../network/dns-view.js";

const { Packet } = dns2;

/**
 * Whether a DNS message's header counts can fit its length (RFC 1035 §4.1: a header is 12 bytes, the smallest
 * question 5 — root name, type, class — and the smallest resource record 11). dns2 reads every record a header
 * claims, so a 12-byte datagram claiming 65,535 of each keeps the event loop busy for seconds; such messages are
 * malformed and are dropped before dns2 parses them.
 */
export function plausibleDnsMessage(buf: Buffer): boolean {
  if (buf.length < 12) return false;
  const questions = buf.readUInt16BE(4);
  const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  return 12 + questions * 5 + records * 11 <= buf.length;
}

// dns2's UDP and TCP servers both call Packet.parse on what arrives; guarding it is the one place that covers both.
const GUARDED = Symbol.for("hsmlink.dns.guardedParse");
if (!(Packet.parse as unknown as Record<symbol, boolean>)[GUARDED]) {
  const parse = Packet.parse.bind(Packet);
  Packet.parse = Object.assign((buf: Buffer) => {
    if (!plausibleDnsMessage(buf)) throw new Error("malformed DNS message: the header claims more records than the message holds");
    return parse(buf);
  }, { [GUARDED]: true }) as unknown as typeof Packet.parse;
}
/** RFC 1035 §4.1.1 response codes (dns2's typings omit `Packet.RCODE`). */
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;

/** A running DNS listener. */
export interface DnsListener {
  readonly host: string;
  /** The port actually bound (UDP and TCP share it). */
  readonly port: number;
  /** Stops both sockets and drops open TCP connections; idempotent. */
  close(): Promise<void>;
}

/** Answers one question; may throw (→ SERVFAIL). `qtype` is a type name such as `A`, or `TYPE65` for unknown numbers. */
export type DnsAnswerFn = (qname: string, qtype: string) => DnsAnswer;

const TYPE_NAMES = new Map<number, string>(Object.entries(Packet.TYPE).map(([k, v]) => [v as number, k]));

/** Splits TXT presentation data (`"a" "b"`) into its character strings. */
function txtStrings(data: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(data); m; m = re.exec(data)) out.push(m[1].replace(/\\(.)/g, "$1"));
  return out.length ? out : [data];
}

/** The dns2 resource object of a model record. @throws Error for record data it cannot encode */
export function toWireRecord(r: DnsRecord): Record<string, unknown> {
  const base = { name: r.name, type: Packet.TYPE[r.type as keyof typeof Packet.TYPE], class: Packet.CLASS.IN, ttl: r.ttl };
  const parts = r.data.split(/\s+/);
  switch (r.type) {
    case "A":
    case "AAAA":
      return { ...base, address: r.data };
    case "CNAME":
    case "PTR":
      return { ...base, domain: r.data };
    case "MX":
      return { ...base, priority: Number(parts[0]), exchange: parts[1] };
    case "SRV":
      return { ...base, priority: Number(parts[0]), weight: Number(parts[1]), port: Number(parts[2]), target: parts[3] };
    case "TXT":
      return { ...base, data: txtStrings(r.data) };
    case "SOA":
      return {
        ...base,
        primary: parts[0],
        admin: parts[1],
        serial: Number(parts[2]),
        refresh: Number(parts[3]),
        retry: Number(parts[4]),
        expiration: Number(parts[5]),
        minimum: Number(parts[6]),
      };
    default:
      throw new Error(`cannot encode record type ${String(r.type)}`);
  }
}

const RCODES: Record<string, number> = { NOERROR: RCODE.NOERROR, NXDOMAIN: RCODE.NXDOMAIN, SERVFAIL: RCODE.SERVFAIL };

/**
 * Starts a DNS server on `host:port` (`port` 0 = any free port; UDP and TCP share the port).
 * @throws listen errors (EADDRINUSE) as Node reports them
 */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsListener> {
  // With port 0 the kernel picks a free UDP port, but the same TCP port may be taken by another process; pick again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDnsServerOnce(opts);
    } catch (e) {
      if (opts.port !== 0 || (e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 10) throw e;
    }
  }
}

interface DnsServerOptions {
  host: string;
  port: number;
  answer: DnsAnswerFn;
  onQuery?: (qname: string, qtype: string, a: DnsAnswer) => void;
}

async function startDnsServerOnce(opts: DnsServerOptions): Promise<DnsListener> {
  const sockets = new Set<Socket>();
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      response.header.ra = 1;
      response.header.aa = 0;
      const question = request.questions[0];
      try {
        if (!question || request.header.opcode !== 0) {
          response.header.rcode = question ? RCODE.NOTIMP : RCODE.FORMERR;
        } else {
          const qtype = TYPE_NAMES.get(question.type) ?? `TYPE${question.type}`;
          const a = opts.answer(question.name, qtype);
          opts.onQuery?.(question.name, qtype, a);
          response.header.rcode = RCODES[a.rcode] ?? RCODE.SERVFAIL;
          response.answers = a.answers.map(toWireRecord) as never;
          response.authorities = a.authority.map(toWireRecord) as never;
          response.toBuffer(); // encode now so a bad record becomes SERVFAIL here, not a throw inside dns2
        }
      } catch {
        response.answers = [];
        response.authorities = [];
        response.header.rcode = RCODE.SERVFAIL;
      }
      try {
        send(response);
      } catch {
        /* the peer went away */
      }
    },
  });
  server.on("error", () => {
    /* per-socket errors (e.g. a reset TCP peer) must not crash the process */
  });
  server.on("requestError", () => {
    /* malformed packet: dns2 already dropped it */
  });
  const tcp = (server as unknown as { servers: { tcp?: import("node:net").Server } }).servers.tcp;
  tcp?.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("error", () => s.destroy());
    s.on("close", () => sockets.delete(s));
  });
  // Bind UDP first on the requested port, then TCP on the same port.
  const udp = (server as unknown as { servers: { udp: import("node:dgram").Socket } }).servers.udp;
  const udpPort = await new Promise<number>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(opts.port, opts.host, () => {
      udp.off("error", reject);
      resolve(udp.address().port);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp!.once("error", reject);
      tcp!.listen(udpPort, opts.host, () => {
        tcp!.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    udp.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    host: opts.host,
    port: udpPort,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        let pending = 2;
        const done = () => {
          if (--pending === 0) resolve();
        };
        try {
          udp.close(done);
        } catch {
          done();
        }
        tcp!.close(() => done());
      });
      return closing;
    },
  };
}
