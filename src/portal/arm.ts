/**
 * The portal's ARM client: requests to the running hsmlink's ARM API (its direct HTTPS listener, trusting its CA)
 * with a bearer token of the signed-in identity — the managed identity `az login --identity` signs in as, obtained
 * from hsmlink's managed-identity endpoint exactly as az obtains it. Every change the portal makes (approve,
 * reject, delete a private endpoint connection) goes through this client, so the ARM engine's validation, role
 * checks and state rules apply as they do to az.
 */
import { httpsJson } from "../client/https-json.js";
import { readFileSync } from "node:fs";
import type { Endpoints } from "../client/endpoints.js";
import { hsmlinkToken } from "../troubleshoot/sources.js";

/** Answer of one ARM call. `json` undefined for an empty or non-JSON body. */
export interface ArmAnswer {
  readonly status: number;
  readonly json: any;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** api-version az 2.45 sends per provider (azure-cli core profiles, `latest`): Microsoft.KeyVault 2022-07-01. */
export function apiVersionOf(id: string): string {
  if (/\/providers\/Microsoft\.KeyVault\//i.test(id)) return "2022-07-01";
  if (/\/providers\/Microsoft\.Network\/privateDnsZones/i.test(id)) return "2020-06-01";
  if (/\/providers\/Microsoft\.Network\//i.test(id)) return "2022-01-01";
  return "2021-04-01";
}

export class PortalArmClient {
  private token?: { value: string; until: number };
  private readonly ca: Buffer;

  constructor(private readonly endpoints: () => Endpoints) {
    this.ca = readFileSync(endpoints().caCertPath);
  }

  private async bearer(): Promise<string> {
    const now = Date.now();
    if (this.token && this.token.until > now) return this.token.value;
    const value = await hsmlinkToken(this.endpoints());
    // Tokens live an hour; a fresh one every five minutes keeps well inside that.
    this.token = { value, until: now + 5 * 60_000 };
    return value;
  }

  /**
   * One request. `pathOrUrl` is an ARM path with query, or an absolute URL the ARM API handed out (LRO `Location`).
   * @throws Error when hsmlink cannot be reached
   */
  async call(method: string, pathOrUrl: string, body?: unknown): Promise<ArmAnswer> {
    const url = new URL(pathOrUrl, this.endpoints().httpsUrl);
    const token = await this.bearer();
    try {
      const r = await httpsJson(url, {
        method,
        ca: this.ca,
        headers: { authorization: `Bearer ${token}`, accept: "application/json" },
        body,
      });
      return { status: r.status, json: r.json, headers: r.headers };
    } catch (e) {
      throw new Error(`cannot reach hsmlink's ARM API at ${url.origin}: ${(e as Error).message}`);
    }
  }

  /**
   * Follows a long-running operation the way azure-core's poller does: `Azure-AsyncOperation` until a terminal
   * `status`, else `Location` until it stops answering 202. At most 30 polls, each waiting `Retry-After` capped at 1 s.
   */
  async settle(first: ArmAnswer): Promise<ArmAnswer> {
    let answer = first;
    const async = first.headers["azure-asyncoperation"];
    const location = first.headers["location"];
    if (first.status !== 201 && first.status !== 202) return first;
    for (let i = 0; i < 30; i++) {
      const wait = Math.min(1, Number(answer.headers["retry-after"] ?? 1) || 1) * 1000;
      await new Promise((r) => setTimeout(r, wait));
      if (async) {
        const poll = await this.call("GET", async);
        const status = String(poll.json?.status ?? "");
        if (/^(succeeded|failed|canceled)$/i.test(status)) return poll;
        answer = poll;
      } else if (location) {
        const poll = await this.call("GET", location);
        if (poll.status !== 202) return poll;
        answer = poll;
      } else return first;
    }
    return answer;
  }
}
