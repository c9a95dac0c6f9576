/**
 * Test support: raw HTTPS calls to hsmlink's direct listener (ARM and token endpoints), trusting its CA, for
 * protocol-level tests of errors and headers that SDKs hide. Tokens come from the emulator's own issuer.
 */
import { request } from "node:https";
import type { TestHsmlink } from "./hsmlink.js";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** One HTTPS request to `path` (relative to `h.endpoints.httpsUrl`, or an absolute https URL such as an LRO poll). `token: false` sends no Authorization header. */
export async function armCall(
  h: TestHsmlink,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string; token?: string | false; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  let token = opts.token;
  if (token === undefined)
    token = (await h.identity.issue(h.identity.defaultIdentity(), "https://management.azure.com/")).token;
  const payload =
    opts.rawBody !== undefined
      ? Buffer.from(opts.rawBody)
      : opts.body !== undefined
        ? Buffer.from(JSON.stringify(opts.body))
        : undefined;
  const url = new URL(path, h.endpoints.httpsUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: h.ca.certPem,
        headers: {
          accept: "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
          ...(opts.headers ?? {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}
