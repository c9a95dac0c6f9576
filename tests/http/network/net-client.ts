/**
 * Test support for the Microsoft.Network http tests: a small ARM client over hsmlink's direct HTTPS listener
 * (trusting its CA) with a fresh token of the default managed identity per call, plus builders for the bodies
 * az 2.45 sends (control-plane.md §2.1).
 */
import { armCall } from "../../support/arm-client.js";
import assert from "node:assert/strict";
import type { TestHsmlink } from "../../support/hsmlink.js";

export interface ArmResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** The api-version az 2.45 sends for vnet/subnet/private endpoint commands. */
export const NET_API = "2022-01-01";

export class NetClient {
  constructor(readonly h: TestHsmlink) {}

  get sub(): string {
    return this.h.endpoints.subscriptionId;
  }

  net(rg: string, ...segments: string[]): string {
    return `/subscriptions/${this.sub}/resourceGroups/${rg}/providers/Microsoft.Network/${segments.join("/")}`;
  }

  vnetPath(rg: string, vnet: string): string {
    return this.net(rg, "virtualNetworks", vnet);
  }

  subnetPath(rg: string, vnet: string, subnet: string): string {
    return this.net(rg, "virtualNetworks", vnet, "subnets", subnet);
  }

  pePath(rg: string, pe: string): string {
    return this.net(rg, "privateEndpoints", pe);
  }

  hsmId(rg: string, name: string): string {
    return `/subscriptions/${this.sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/managedHSMs/${name}`;
  }

  /** Sends one request; `api-version` defaults to {@link NET_API} unless the path or `apiVersion` says otherwise. */
  async call(
    method: string,
    pathOrUrl: string,
    opts: { body?: unknown; rawBody?: string; apiVersion?: string | null } = {},
  ): Promise<ArmResponse> {
    const url = new URL(pathOrUrl, this.h.endpoints.httpsUrl);
    if (opts.apiVersion !== null && !url.searchParams.has("api-version"))
      url.searchParams.set("api-version", opts.apiVersion ?? NET_API);
    const r = await armCall(this.h, method, url.toString(), { body: opts.body, rawBody: opts.rawBody });
    return { status: r.status, headers: r.headers, body: r.json, text: r.text };
  }

  async get(path: string, apiVersion?: string): Promise<any> {
    const r = await this.call("GET", path, { apiVersion });
    assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.text}`);
    return r.body;
  }

  /** PUT that must succeed with 200/201; returns the response. */
  async put(path: string, body: unknown, apiVersion?: string): Promise<ArmResponse> {
    const r = await this.call("PUT", path, { body, apiVersion });
    assert.ok(r.status === 200 || r.status === 201, `PUT ${path}: ${r.status} ${r.text}`);
    return r;
  }

  /** PUT that must fail; returns the error envelope's `error`. */
  async putError(
    path: string,
    body: unknown,
    status = 400,
    apiVersion?: string,
  ): Promise<{ code: string; message: string; details?: any[] }> {
    const r = await this.call("PUT", path, { body, apiVersion });
    assert.equal(r.status, status, `PUT ${path}: expected ${status}, got ${r.status} ${r.text}`);
    return r.body.error;
  }

  async group(rg: string, location = "westeurope"): Promise<void> {
    const r = await this.call("PUT", `/subscriptions/${this.sub}/resourcegroups/${rg}`, {
      body: { location },
      apiVersion: "2021-04-01",
    });
    assert.ok(r.status === 200 || r.status === 201, `group ${rg}: ${r.status} ${r.text}`);
  }

  /** `az network vnet create` body. */
  vnetBody(
    o: { location?: string; prefixes?: string[]; subnets?: { name: string; prefix: string }[] } = {},
  ): Record<string, unknown> {
    return {
      location: o.location ?? "westeurope",
      properties: {
        addressSpace: { addressPrefixes: o.prefixes ?? ["10.0.0.0/16"] },
        enableDdosProtection: false,
        enableVmProtection: false,
        ...(o.subnets
          ? { subnets: o.subnets.map((s) => ({ name: s.name, properties: { addressPrefix: s.prefix } })) }
          : {}),
      },
    };
  }

  async vnet(rg: string, name: string, o: Parameters<NetClient["vnetBody"]>[0] = {}): Promise<any> {
    return (await this.put(this.vnetPath(rg, name), this.vnetBody(o))).body;
  }

  /** `az network vnet subnet create` (+ optional explicit policies). */
  async subnet(
    rg: string,
    vnet: string,
    name: string,
    prefix: string,
    policies?: string,
    apiVersion?: string,
  ): Promise<any> {
    const body = {
      name,
      properties: { addressPrefix: prefix, ...(policies ? { privateEndpointNetworkPolicies: policies } : {}) },
    };
    return (await this.put(this.subnetPath(rg, vnet, name), body, apiVersion)).body;
  }

  /** `az network private-endpoint create … --group-id managedhsm --connection-name C` body. */
  peBody(o: {
    subnetId: string;
    hsmId: string;
    conn?: string;
    location?: string;
    manual?: boolean;
    requestMessage?: string;
    groupIds?: string[];
    extra?: Record<string, unknown>;
  }): Record<string, unknown> {
    const conn = {
      name: o.conn ?? "conn1",
      properties: {
        groupIds: o.groupIds ?? ["managedhsm"],
        privateLinkServiceId: o.hsmId,
        ...(o.requestMessage !== undefined ? { requestMessage: o.requestMessage } : {}),
      },
    };
    return {
      location: o.location ?? "westeurope",
      properties: {
        ...(o.manual ? { manualPrivateLinkServiceConnections: [conn] } : { privateLinkServiceConnections: [conn] }),
        subnet: { id: o.subnetId },
        ...(o.extra ?? {}),
      },
    };
  }

  /** Creates a managed HSM through its Key Vault LRO (`az keyvault create --hsm-name … --administrators …`). */
  async hsm(rg: string, name: string, location = "westeurope"): Promise<string> {
    const body = {
      location,
      sku: { family: "B", name: "Standard_B1" },
      properties: {
        tenantId: this.h.endpoints.tenantId,
        initialAdminObjectIds: [this.h.endpoints.principalObjectId],
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow" },
      },
    };
    let r = await this.call("PUT", this.hsmId(rg, name), { body, apiVersion: "2022-07-01" });
    assert.equal(r.status, 202, `hsm ${name}: ${r.status} ${r.text}`);
    for (let i = 0; i < 10 && r.status === 202 && typeof r.headers.location === "string"; i++)
      r = await this.call("GET", r.headers.location, { apiVersion: null });
    assert.equal(r.status, 200, `hsm ${name} poll: ${r.status} ${r.text}`);
    return this.hsmId(rg, name);
  }
}
