/**
 * One JSON request over node:https, shared by every hsmlink client of an HTTPS API (the admin client, the
 * troubleshooter's ARM reader, the portal's ARM client).
 */
import { request } from "node:https";

/** A reply: status, the body parsed as JSON (undefined when empty or not JSON), its text and lower-cased headers. */
export interface JsonReply {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
  readonly headers: Record<string, string | undefined>;
}

/**
 * Sends `method url` with `headers` and, when `body` is given, its JSON (content-type and content-length set).
 * A reply that is not JSON resolves with `json` undefined; the caller judges the status.
 * @param ca PEM of the CA to trust (default: Node's trust store)
 * @throws (rejects with) the socket's Error when the server cannot be reached
 */
export function httpsJson(
  url: URL,
  opts: { method: string; headers?: Record<string, string>; body?: unknown; ca?: string | Buffer },
): Promise<JsonReply> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method,
        ...(opts.ca ? { ca: opts.ca } : {}),
        headers: {
          ...opts.headers,
          ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const headers: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers))
            headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
          resolve({ status: res.statusCode ?? 0, json, text, headers });
        });
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}
