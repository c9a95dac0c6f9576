/**
 * How CLI commands reach the admin API of a running hsmlink: HTTPS to its direct listener, trusting its CA.
 */
import { readFileSync } from "node:fs";
import { type Endpoints, readInstanceSecret } from "./endpoints.js";
import { ADMIN_SECRET_HEADER } from "../kernel/instance-secret.js";
import { httpsJson, type JsonReply } from "./https-json.js";

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
export async function adminRequest<T>(e: Endpoints, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, e.httpsUrl);
  let secret: string;
  try {
    secret = readInstanceSecret(e.dataDir);
  } catch (err) {
    throw new AdminError(0, (err as Error).message);
  }
  const ca = readFileSync(e.caCertPath);
  let reply: JsonReply;
  try {
    reply = await httpsJson(url, {
      method,
      ca,
      headers: { "content-type": "application/json", [ADMIN_SECRET_HEADER]: secret },
      body,
    });
  } catch (err) {
    throw new AdminError(0, `cannot reach hsmlink at ${e.httpsUrl}: ${(err as Error).message}`);
  }
  if (reply.status >= 300) {
    const msg = (reply.json as { error?: { message?: string } } | undefined)?.error?.message ?? reply.text;
    throw new AdminError(reply.status, msg);
  }
  return reply.json as T;
}
