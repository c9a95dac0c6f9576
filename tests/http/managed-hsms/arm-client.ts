/**
 * Test support for the managed HSM http tests: a tiny ARM client over the direct HTTPS listener (trusting hsmlink's
 * CA), with a fresh token of the default managed identity per call (so a test clock moved by days never expires it).
 */
import { armCall } from "../../support/arm-client.js";
import type { TestHsmlink } from "../../support/hsmlink.js";

export interface ArmResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when empty. */
  body: any;
  text: string;
}

export const API = "2022-07-01";

export class ArmClient {
  constructor(private readonly h: TestHsmlink) {}

  get sub(): string {
    return this.h.endpoints.subscriptionId;
  }

  /** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.KeyVault/managedHSMs/{name}`. */
  hsmPath(rg: string, name: string): string {
    return `/subscriptions/${this.sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/managedHSMs/${name}`;
  }

  /** Sends one request. `path` may carry its own query; `api-version` is added unless `apiVersion` is null. */
  async call(
    method: string,
    pathOrUrl: string,
    opts: { body?: unknown; rawBody?: string; apiVersion?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ArmResponse> {
    const url = new URL(pathOrUrl, this.h.endpoints.httpsUrl);
    if (opts.apiVersion !== null && !url.searchParams.has("api-version"))
      url.searchParams.set("api-version", opts.apiVersion ?? API);
    const r = await armCall(this.h, method, url.toString(), {
      body: opts.body,
      rawBody: opts.rawBody,
      headers: opts.headers,
    });
    return { status: r.status, headers: r.headers, body: r.json, text: r.text };
  }

  /** Follows a `Location` LRO until the poll stops answering 202; returns the final poll response. */
  async poll(first: ArmResponse): Promise<ArmResponse> {
    let res = first;
    for (let i = 0; i < 10 && res.status === 202 && typeof res.headers.location === "string"; i++) {
      res = await this.call("GET", res.headers.location, { apiVersion: null });
    }
    return res;
  }

  /** The body az sends for `az keyvault create --hsm-name … --administrators <oid> --retention-days N` (control-plane.md §2.1). */
  createBody(
    overrides: {
      location?: string;
      retention?: number;
      properties?: Record<string, unknown>;
      sku?: unknown;
      tags?: Record<string, string>;
    } = {},
  ): Record<string, unknown> {
    return {
      location: overrides.location ?? "westeurope",
      sku: overrides.sku ?? { family: "B", name: "Standard_B1" },
      ...(overrides.tags ? { tags: overrides.tags } : {}),
      properties: {
        tenantId: this.h.endpoints.tenantId,
        initialAdminObjectIds: [this.h.endpoints.principalObjectId],
        enableSoftDelete: true,
        softDeleteRetentionInDays: overrides.retention ?? 7,
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
        ...(overrides.properties ?? {}),
      },
    };
  }

  /** Creates a resource group (synchronous PUT). */
  async group(rg: string, location = "westeurope"): Promise<void> {
    const r = await this.call("PUT", `/subscriptions/${this.sub}/resourcegroups/${rg}`, {
      body: { location },
      apiVersion: "2021-04-01",
    });
    if (r.status !== 200 && r.status !== 201) throw new Error(`group create ${rg}: ${r.status} ${r.text}`);
  }

  /** Creates an HSM through the LRO and returns the final body; throws unless it succeeds. */
  async createHsm(rg: string, name: string, body: Record<string, unknown> = this.createBody()): Promise<any> {
    const first = await this.call("PUT", this.hsmPath(rg, name), { body });
    if (first.status !== 202) throw new Error(`create ${name}: ${first.status} ${first.text}`);
    const done = await this.poll(first);
    if (done.status !== 200) throw new Error(`create ${name} poll: ${done.status} ${done.text}`);
    return done.body;
  }
}
