/**
 * How CLI commands reach the admin API of a running hsmlink: HTTPS to its direct listener, trusting its CA.
 */
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { type Endpoints } from "./endpoints.js";

export class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Sends one JSON request to `{httpsUrl}{path}`; resolves with the parsed JSON reply. @throws AdminError on non-2xx */
export function adminRequest<T>(e: Endpoints, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, e.httpsUrl);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: readFileSync(e.caCertPath), headers: { "content-type": "application/json", ...(payload ? { "content-length": String(payload.length) } : {}) } },
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
          if ((res.statusCode ?? 500) >= 300) {
            const msg = (json as { error?: { message?: string } } | undefined)?.error?.message ?? text;
            reject(new AdminError(res.statusCode ?? 500, msg));
          } else resolve(json as T);
        });
      },
    );
    req.on("error", (err) => reject(new AdminError(0, `cannot reach hsmlink at ${e.httpsUrl}: ${err.message}`)));
    if (payload) req.write(payload);
    req.end();
  });
}
