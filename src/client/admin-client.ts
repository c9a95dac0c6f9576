/**
 * How CLI commands reach the admin API of a running hsmlink: HTTPS to its direct listener, trusting its CA.
 */
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { type Endpoints, readInstanceSecret } from "./endpoints.js";
import { ADMIN_SECRET_HEADER } from "../kernel/instance-secret.js";

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends one JSON request to `{httpsUrl}{path}` with the instance secret read from the data dir (header
 * X-Hsmlink-Secret); resolves with the parsed JSON reply.
 * @throws AdminError on non-2xx, or (status 0) when hsmlink cannot be reached or its secret cannot be read
 */
export function adminRequest<T>(e: Endpoints, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, e.httpsUrl);
  let secret: string;
  try {
    secret = readInstanceSecret(e.dataDir);
  } catch (err) {
    return Promise.reject(new AdminError(0, (err as Error).message));
  }
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(e.caCertPath),
        headers: {
          "content-type": "application/json",
          [ADMIN_SECRET_HEADER]: secret,
          ...(payload ? { "content-length": String(payload.length) } : {}),
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
