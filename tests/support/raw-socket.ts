/**
 * Test support for socket-level attacks on hsmlink's listeners (loopback only): raw proxy requests, CONNECT
 * tunnels with TLS on top, and counting the process's open file descriptors. Every wait is bounded.
 */
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { readdirSync } from "node:fs";

/** Host and port of a `http://host:port` or `https://host:port` URL. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

/** Opens a TCP connection; rejects after `timeoutMs`. */
export function openTcp(url: string, timeoutMs = 5000): Promise<Socket> {
  const { host, port } = hostPort(url);
  return new Promise((resolve, reject) => {
    const s = netConnect(port, host);
    const t = setTimeout(() => (s.destroy(), reject(new Error(`connect to ${url} timed out`))), timeoutMs);
    s.once("connect", () => (clearTimeout(t), resolve(s)));
    s.once("error", (e) => (clearTimeout(t), reject(e)));
  });
}

/**
 * Sends `raw` bytes on a new connection to `url` and collects what comes back until the server closes, `until`
 * matches the text so far, or `timeoutMs` passes. @returns the text and whether the server closed the connection
 */
export async function rawExchange(
  url: string,
  raw: string | Buffer,
  opts: { timeoutMs?: number; until?: RegExp } = {},
): Promise<{ text: string; closed: boolean }> {
  const s = await openTcp(url);
  return new Promise((resolve) => {
    let text = "";
    let closed = false;
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve({ text, closed });
    };
    const t = setTimeout(done, opts.timeoutMs ?? 5000);
    s.on("data", (d) => {
      text += d.toString("latin1");
      if (opts.until?.test(text)) done();
    });
    s.on("error", () => undefined);
    s.on("close", () => ((closed = true), done()));
    s.write(raw);
  });
}

/** The status line's code and reason of an HTTP response text. */
export function statusLine(text: string): { status: number; reason: string } {
  const m = /^HTTP\/1\.[01] (\d{3}) ?([^\r\n]*)/.exec(text);
  return m ? { status: Number(m[1]), reason: m[2] } : { status: 0, reason: "" };
}

/**
 * Opens a CONNECT tunnel through the gateway to `target` (host:port) and starts TLS in it with SNI `servername`.
 * @throws Error with the gateway's status line when it refuses the tunnel
 */
export async function tlsTunnel(
  gatewayUrl: string,
  target: string,
  ca: string,
  opts: { servername?: string; proxyAuthorization?: string; timeoutMs?: number } = {},
): Promise<TLSSocket> {
  const raw = await openTcp(gatewayUrl);
  const timeoutMs = opts.timeoutMs ?? 5000;
  await new Promise<void>((resolve, reject) => {
    let text = "";
    const t = setTimeout(() => (raw.destroy(), reject(new Error("CONNECT timed out"))), timeoutMs);
    const onData = (d: Buffer) => {
      text += d.toString("latin1");
      if (!text.includes("\r\n\r\n")) return;
      clearTimeout(t);
      raw.off("data", onData);
      if (statusLine(text).status === 200) resolve();
      else reject(new Error(`CONNECT refused: ${text.split("\r\n")[0]}`));
    };
    raw.on("data", onData);
    raw.once("error", (e) => (clearTimeout(t), reject(e)));
    raw.write(
      `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${opts.proxyAuthorization ? `Proxy-Authorization: ${opts.proxyAuthorization}\r\n` : ""}\r\n`,
    );
  });
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket: raw, ca, servername: opts.servername ?? target.replace(/:\d+$/, "") });
    const t = setTimeout(() => (s.destroy(), reject(new Error("TLS handshake in the tunnel timed out"))), timeoutMs);
    s.once("secureConnect", () => (clearTimeout(t), resolve(s)));
    s.once("error", (e) => (clearTimeout(t), reject(e)));
  });
}

/** Opens TLS to a direct `https://host:port` listener with SNI `servername`. */
export function tlsDirect(
  httpsUrl: string,
  ca: string,
  servername = "localhost",
  timeoutMs = 5000,
): Promise<TLSSocket> {
  const { host, port } = hostPort(httpsUrl);
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, ca, servername });
    const t = setTimeout(() => (s.destroy(), reject(new Error("TLS handshake timed out"))), timeoutMs);
    s.once("secureConnect", () => (clearTimeout(t), resolve(s)));
    s.once("error", (e) => (clearTimeout(t), reject(e)));
  });
}

/** Writes `raw` on `s` and collects the answer text until `until` matches, the socket closes, or `timeoutMs`. */
export function exchangeOn(
  s: Socket | TLSSocket,
  raw: string,
  opts: { until?: RegExp; timeoutMs?: number } = {},
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = "";
    let closed = false;
    const finish = () => {
      clearTimeout(t);
      s.off("data", onData);
      resolve({ text, closed });
    };
    const onData = (d: Buffer) => {
      text += d.toString("utf8");
      if (opts.until?.test(text)) finish();
    };
    const t = setTimeout(finish, opts.timeoutMs ?? 5000);
    s.on("data", onData);
    s.once("close", () => ((closed = true), finish()));
    s.on("error", () => undefined);
    s.write(raw);
  });
}

/** Resolves when `s` is closed by the other side, or with false after `timeoutMs`. */
export function closedWithin(s: Socket | TLSSocket, timeoutMs: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    s.on("error", () => undefined);
    s.once("close", () => (clearTimeout(t), resolve(true)));
    s.resume();
  });
}

/** Open file descriptors of this process (Linux /proc), or undefined where /proc is not there. */
export function openDescriptors(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return undefined;
  }
}

/** Basic proxy credentials for a Proxy-Authorization header (RFC 7617), from raw (not percent-decoded) text. */
export function basicCredentials(userPass: string): string {
  return `Basic ${Buffer.from(userPass, "utf8").toString("base64")}`;
}
