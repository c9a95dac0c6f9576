/**
 * Test support for the private DNS http tests: paths, the private DNS LRO poll, and seeded virtual networks and
 * private endpoints (control-plane.md §4.1/§4.3 wire shapes) for tests that must not depend on the network routes.
 */
import assert from "node:assert/strict";
import { armCall, type RawResponse } from "../../support/arm-client.js";
import type { TestHsmlink } from "../../support/hsmlink.js";

export const API = "2020-06-01";

export class Dns {
  constructor(readonly h: TestHsmlink) {}

  get sub(): string {
    return this.h.endpoints.subscriptionId;
  }

  rgPath(rg: string): string {
    return `/subscriptions/${this.sub}/resourceGroups/${rg}`;
  }

  zonePath(rg: string, zone: string): string {
    return `${this.rgPath(rg)}/providers/Microsoft.Network/privateDnsZones/${zone}`;
  }

  zoneId(rg: string, zone: string): string {
    return this.zonePath(rg, zone);
  }

  vnetId(rg: string, vnet: string): string {
    return `${this.rgPath(rg)}/providers/Microsoft.Network/virtualNetworks/${vnet}`;
  }

  peId(rg: string, pe: string): string {
    return `${this.rgPath(rg)}/providers/Microsoft.Network/privateEndpoints/${pe}`;
  }

  /** One call; `api-version` is added unless the path carries one. */
  call(
    method: string,
    path: string,
    opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; apiVersion?: string } = {},
  ): Promise<RawResponse> {
    const withApi = /[?&]api-version=/.test(path)
      ? path
      : `${path}${path.includes("?") ? "&" : "?"}api-version=${opts.apiVersion ?? API}`;
    return armCall(this.h, method, withApi, opts);
  }

  async group(rg: string, location = "westeurope"): Promise<void> {
    const r = await armCall(this.h, "PUT", `/subscriptions/${this.sub}/resourcegroups/${rg}?api-version=2021-04-01`, {
      body: { location },
    });
    assert.ok(r.status === 200 || r.status === 201, r.text);
  }

  /** Polls the `Azure-AsyncOperation` URL of a 202/201 until terminal; returns the status document. */
  async status(first: RawResponse): Promise<{ status: string; error?: { code: string; message: string } }> {
    const url = first.headers["azure-asyncoperation"];
    assert.equal(typeof url, "string", `no Azure-AsyncOperation header on ${first.status} ${first.text}`);
    for (let i = 0; i < 10; i++) {
      const r = await armCall(this.h, "GET", String(url));
      assert.equal(r.status, 200, r.text);
      if (r.json.status !== "InProgress") return r.json;
    }
    throw new Error("operation never finished");
  }

  /** PUT through the private DNS LRO; returns the terminal status document. */
  async lro(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ first: RawResponse; status: string; error?: { code: string; message: string } }> {
    const first = await this.call(method, path, { body, headers });
    assert.equal(first.status, 202, first.text);
    return { first, ...(await this.status(first)) };
  }

  /** Creates a zone and asserts the operation succeeded. */
  async zone(rg: string, zone: string): Promise<void> {
    const r = await this.lro("PUT", this.zonePath(rg, zone), { location: "global" }, { "If-None-Match": "*" });
    assert.equal(r.status, "Succeeded", JSON.stringify(r.error));
  }

  /** Creates a virtual network link and returns the terminal status document. */
  link(
    rg: string,
    zone: string,
    link: string,
    vnetId: string,
    registrationEnabled = false,
    extra: Record<string, unknown> = {},
  ) {
    return this.lro(
      "PUT",
      `${this.zonePath(rg, zone)}/virtualNetworkLinks/${link}`,
      { location: "global", properties: { virtualNetwork: { id: vnetId }, registrationEnabled, ...extra } },
      { "If-None-Match": "*" },
    );
  }

  /** Writes a virtual network straight into the store (§4.1 shape). */
  seedVnet(rg: string, name: string, location = "westeurope"): string {
    const id = this.vnetId(rg, name);
    const body = {
      name,
      id,
      etag: 'W/"00000000-0000-0000-0000-000000000001"',
      type: "Microsoft.Network/virtualNetworks",
      location,
      tags: {},
      properties: {
        provisioningState: "Succeeded",
        resourceGuid: "11111111-1111-1111-1111-111111111111",
        addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
        dhcpOptions: { dnsServers: [] },
        subnets: [],
        virtualNetworkPeerings: [],
        enableDdosProtection: false,
      },
    };
    this.h.store.resources.put(
      { id, type: body.type, name, subscriptionId: this.sub, resourceGroup: rg, body },
      Date.now(),
    );
    return id;
  }

  /** Writes a private endpoint to managed HSM `hsm` straight into the store (§4.3 shape). */
  seedPe(
    rg: string,
    name: string,
    o: { hsm: string; ips: string[]; status?: string; location?: string; fqdn?: string },
  ): string {
    const id = this.peId(rg, name);
    const body = {
      name,
      id,
      etag: 'W/"00000000-0000-0000-0000-000000000002"',
      type: "Microsoft.Network/privateEndpoints",
      location: o.location ?? "westeurope",
      properties: {
        provisioningState: "Succeeded",
        resourceGuid: `guid-of-${name}`,
        privateLinkServiceConnections: [
          {
            name: `${name}-conn`,
            id: `${id}/privateLinkServiceConnections/${name}-conn`,
            properties: {
              provisioningState: "Succeeded",
              privateLinkServiceId: `${this.rgPath(rg)}/providers/Microsoft.KeyVault/managedHSMs/${o.hsm}`,
              groupIds: ["managedhsm"],
              privateLinkServiceConnectionState: {
                status: o.status ?? "Approved",
                description: "",
                actionsRequired: "None",
              },
            },
          },
        ],
        manualPrivateLinkServiceConnections: [],
        subnet: { id: `${this.vnetId(rg, "vnet-pe")}/subnets/default` },
        networkInterfaces: [{ id: `${this.rgPath(rg)}/providers/Microsoft.Network/networkInterfaces/${name}.nic.1` }],
        customDnsConfigs: [{ fqdn: o.fqdn ?? `${o.hsm}.managedhsm.azure.net`, ipAddresses: o.ips }],
      },
    };
    this.h.store.resources.put(
      { id, type: body.type, name, subscriptionId: this.sub, resourceGroup: rg, body },
      Date.now(),
    );
    return id;
  }
}
