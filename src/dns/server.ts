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
 *
 * Hot path (UDP): a plain query (one question, no answer/authority records, at most one additional record such as
 * EDNS OPT) is read by {@link parsePlainQuery} without dns2; if this listener already answered the same question
 * (name compared case-insensitively, same type, class, RD bit and additional-section bytes) under the current store
 * version, the bytes dns2 sent then are sent again with only the message id and the question name's letter case
 * (DNS 0x20, draft-vixie-dnsext-dns0x20) taken from the new query. dns2 compresses every later occurrence of the
 * name into a pointer to the question (suffixes compared lower-cased), so those are the only bytes in which its
 * answers to such queries differ; tests/unit/dns/fast-path.test.ts checks the bytes against dns2's own answers. Any
 * other message, any miss, and TCP go through dns2.
 */
import dns2 from "dns2";
import type { RemoteInfo, Socket as UdpSocket } from "node:dgram";
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
  Packet.parse = Object.assign(
    (buf: Buffer) => {
      if (!plausibleDnsMessage(buf))
        throw new Error("malformed DNS message: the header claims more records than the message holds");
      return parse(buf);
    },
    { [GUARDED]: true },
  ) as unknown as typeof Packet.parse;
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
  const base = {
    name: r.name,
    type: Packet.TYPE[r.type as keyof typeof Packet.TYPE],
    class: Packet.CLASS.IN,
    ttl: r.ttl,
  };
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
      return {
        ...base,
        priority: Number(parts[0]),
        weight: Number(parts[1]),
        port: Number(parts[2]),
        target: parts[3],
      };
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
  /**
   * A value that changes whenever `answer` may answer differently (usually `() => store.version()`); undefined =
   * do not reuse now. Without it (or with `onQuery`, which must see every query) every query goes through dns2.
   */
  version?: () => number | undefined;
}

/** What the hot path needs of a plain query: its reuse key and where the question name ends. */
export interface PlainQuery {
  /** Lower-cased wire name, type, class, RD bit and the additional-section bytes. */
  readonly key: string;
  /** Offset just past the question name's root label (the name occupies bytes 12..nameEnd-1). */
  readonly nameEnd: number;
}

const MAX_REUSED_ANSWERS = 10_000;

/**
 * Reads a standard query without dns2: header QR=0, OPCODE=0, QDCOUNT=1, ANCOUNT=NSCOUNT=0, ARCOUNT ≤ 1, a question
 * name of uncompressed labels of letters, digits, '-' and '_' (RFC 1035 §4.1.2, §2.3.1), QTYPE and QCLASS, and
 * nothing after the question but (at least the fixed part of) the one additional record. Returns undefined for
 * anything else (the caller then uses dns2). Never throws.
 */
export function parsePlainQuery(buf: Buffer): PlainQuery | undefined {
  const len = buf.length;
  if (len < 17 || len > 4096) return undefined;
  const flags = buf[2]!;
  if ((flags & 0xf8) !== 0) return undefined; // QR=1 or OPCODE≠0
  if (
    buf[4] !== 0 ||
    buf[5] !== 1 ||
    buf[6] !== 0 ||
    buf[7] !== 0 ||
    buf[8] !== 0 ||
    buf[9] !== 0 ||
    buf[10] !== 0 ||
    buf[11]! > 1
  )
    return undefined;
  let i = 12;
  let key = "";
  for (;;) {
    const labelLength = buf[i]!;
    if (labelLength === 0) break;
    if (labelLength > 63 || i + 1 + labelLength >= len) return undefined;
    key += String.fromCharCode(labelLength);
    for (let j = i + 1; j <= i + labelLength; j++) {
      let c = buf[j]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f)) return undefined;
      key += String.fromCharCode(c);
    }
    i += 1 + labelLength;
    if (i - 12 > 254) return undefined;
  }
  if (i === 12) return undefined; // the root: not a hot-path question
  const nameEnd = i + 1;
  const rest = nameEnd + 4;
  if (buf[11] === 0 ? rest !== len : rest + 11 > len) return undefined;
  // type, class, RD, then the additional record's bytes verbatim: the same bytes decode the same way in dns2.
  key += `\u0000${buf.readUInt16BE(nameEnd)}\u0000${buf.readUInt16BE(nameEnd + 2)}\u0000${flags & 1}`;
  if (rest < len) key += `\u0000${buf.toString("latin1", rest, len)}`;
  return { key, nameEnd };
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
  const udp = (server as unknown as { servers: { udp: DnsUdpSocket } }).servers.udp;
  if (opts.version && !opts.onQuery) reuseUdpAnswers(udp, opts.version);
  tcp?.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("error", () => s.destroy());
    s.on("close", () => sockets.delete(s));
  });
  // Bind UDP first on the requested port, then TCP on the same port.
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

/** dns2's UDP server: a dgram socket whose `handle` parses, answers and sends one datagram. */
type DnsUdpSocket = UdpSocket & { handle(data: Buffer, rinfo: RemoteInfo): void };

/**
 * Puts the hot path in front of dns2's UDP server: dns2 registered `handle` as the socket's only message listener;
 * it is replaced by one that answers repeated plain queries from the bytes dns2 sent for the first of them, and hands
 * everything else to dns2 unchanged. dns2 answers synchronously (parse, handler, serialize, `send`), so the bytes of
 * a miss are taken from the socket's `send` while dns2 is handling it.
 */
function reuseUdpAnswers(udp: DnsUdpSocket, version: () => number | undefined): void {
  const answers = new Map<string, Buffer>();
  let answersVersion: number | undefined;
  let sent: Buffer | undefined;
  let capturing = false;
  type Send = (msg: Buffer, port: number, address: string, cb?: (e: Error | null) => void) => void;
  const send = udp.send.bind(udp) as Send;
  (udp as unknown as { send: Send }).send = (msg, port, address, cb) => {
    if (capturing) sent = msg;
    send(msg, port, address, cb);
  };
  const ignoreSendError = () => {
    /* the peer went away */
  };
  udp.removeAllListeners("message");
  udp.on("message", (data: Buffer, rinfo: RemoteInfo) => {
    const q = parsePlainQuery(data);
    const v = q ? version() : undefined;
    if (q === undefined || v === undefined) return udp.handle(data, rinfo);
    if (v !== answersVersion) {
      answers.clear();
      answersVersion = v;
    }
    const template = answers.get(q.key);
    if (template !== undefined) {
      const out = Buffer.allocUnsafe(template.length);
      template.copy(out);
      out[0] = data[0]!;
      out[1] = data[1]!;
      data.copy(out, 12, 12, q.nameEnd);
      send(out, rinfo.port, rinfo.address, ignoreSendError);
      return;
    }
    capturing = true;
    sent = undefined;
    try {
      udp.handle(data, rinfo);
    } finally {
      capturing = false;
    }
    // Reuse only an answer that echoes the question, is not SERVFAIL, and was computed under the version it is filed under.
    const answer = sent as Buffer | undefined;
    sent = undefined;
    if (
      answer !== undefined &&
      answer.length >= q.nameEnd &&
      (answer[3]! & 0x0f) !== RCODE.SERVFAIL &&
      version() === v
    ) {
      if (answers.size >= MAX_REUSED_ANSWERS) answers.clear();
      answers.set(q.key, Buffer.from(answer));
    }
  });
}
