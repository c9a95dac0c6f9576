/**
 * Test support for the managed HSM data plane: seed an HSM resource directly in the store (the ARM wire shape of
 * control-plane.md §3.2), call `https://{name}.managedhsm.azure.net` through hsmlink's gateway (CONNECT + TLS
 * with the local CA, exactly like a proxied client), grant local RBAC roles with an administrator's token.
 */
import { request as httpRequest } from "node:http";
import { connect as tlsConnect } from "node:tls";
import { request as httpsRequest } from "node:https";
import { randomUUID } from "node:crypto";
import type { TestHsmlink } from "../../support/hsmlink.js";
import type { Principal } from "../../../src/entra/identity.js";

export const MHSM_AUDIENCE = "https://managedhsm.azure.net";
export const ROLE = {
  administrator: "a290e904-7015-4bba-90c8-60543313cdb4",
  cryptoOfficer: "515eb02d-2335-4d2d-92f2-b1cbdf9c3778",
  cryptoUser: "21dbd100-6940-42c2-9190-5d6cb909625b",
  cryptoAuditor: "2c18b078-7c48-4d3a-af88-5a3a1b3f82b3",
} as const;
export const roleId = (guid: string) => `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

export interface SeedOptions {
  location?: string;
  tenantId?: string;
  admins?: string[];
  retentionDays?: number;
  purgeProtection?: boolean;
  activationStatus?: string;
  provisioningState?: string;
}

/** Stores a managed HSM resource as the ARM layer would (default: activated, the default identity as admin). */
export function seedHsm(h: TestHsmlink, name: string, o: SeedOptions = {}): string {
  const sub = h.endpoints.subscriptionId;
  const id = `/subscriptions/${sub}/resourceGroups/rg-hsm/providers/Microsoft.KeyVault/managedHSMs/${name}`;
  h.store.resources.put(
    {
      id,
      type: "Microsoft.KeyVault/managedHSMs",
      name,
      subscriptionId: sub,
      resourceGroup: "rg-hsm",
      body: {
        id,
        name,
        type: "Microsoft.KeyVault/managedHSMs",
        location: o.location ?? "westeurope",
        sku: { family: "B", name: "Standard_B1" },
        tags: {},
        properties: {
          tenantId: o.tenantId ?? h.endpoints.tenantId,
          hsmUri: `https://${name}.managedhsm.azure.net/`,
          initialAdminObjectIds: o.admins ?? [h.endpoints.principalObjectId],
          enableSoftDelete: true,
          softDeleteRetentionInDays: o.retentionDays ?? 90,
          enablePurgeProtection: o.purgeProtection ?? false,
          provisioningState: o.provisioningState ?? "Succeeded",
          statusMessage: "The Managed HSM is provisioned and ready to use.",
          networkAcls: { bypass: "AzureServices", defaultAction: "Allow", ipRules: [], virtualNetworkRules: [] },
          publicNetworkAccess: "Enabled",
          regions: [],
          securityDomainProperties: { activationStatus: o.activationStatus ?? "Active", activationStatusMessage: "" },
        },
      },
    },
    Date.now(),
  );
  return id;
}

export interface HsmResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** A token for the managed HSM audience (default: the default managed identity). */
export async function hsmToken(
  h: TestHsmlink,
  principal: Principal = h.identity.defaultIdentity(),
  audience = MHSM_AUDIENCE,
): Promise<string> {
  return (await h.identity.issue(principal, audience)).token;
}

/**
 * One request to `https://{hsm}.managedhsm.azure.net{path}` through the gateway. `token: false` sends no
 * Authorization header; default is a default-identity token. `rawBody` is sent verbatim.
 */
export async function hsmCall(
  h: TestHsmlink,
  hsm: string,
  method: string,
  path: string,
  opts: { body?: unknown; rawBody?: string | Buffer; token?: string | false; headers?: Record<string, string> } = {},
): Promise<HsmResponse> {
  let token = opts.token;
  if (token === undefined) token = await hsmToken(h);
  const host = `${hsm}.managedhsm.azure.net`;
  const gw = new URL(h.endpoints.gatewayUrl);
  const socket = await new Promise<import("node:net").Socket>((resolve, reject) => {
    const req = httpRequest({
      host: gw.hostname,
      port: Number(gw.port),
      method: "CONNECT",
      path: `${host}:443`,
      headers: { host: `${host}:443` },
    });
    req.on("connect", (res, s) =>
      res.statusCode === 200 ? resolve(s) : reject(new Error(`CONNECT ${host}: ${res.statusCode}`)),
    );
    req.on("error", reject);
    req.end();
  });
  const tls = tlsConnect({ socket, servername: host, ca: h.ca.certPem });
  const payload =
    opts.rawBody !== undefined
      ? Buffer.from(opts.rawBody)
      : opts.body !== undefined
        ? Buffer.from(JSON.stringify(opts.body))
        : undefined;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        method,
        path: path.replace(/ /g, "%20").replace(/'/g, "%27"),
        createConnection: () => tls,
        headers: {
          host,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          "content-type": "application/json",
          "content-length": String(payload?.length ?? 0),
          ...(opts.headers ?? {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          tls.destroy();
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
    req.on("error", (e) => {
      tls.destroy();
      reject(e);
    });
    if (payload) req.write(payload);
    req.end();
  });
}

/** Assigns `roleGuid` to `principalId` at `scope` with the default identity (an initial administrator). Returns the assignment name. */
export async function grant(
  h: TestHsmlink,
  hsm: string,
  principalId: string,
  roleGuid: string,
  scope = "/",
): Promise<string> {
  const name = randomUUID();
  const prefix = scope === "/" ? "" : scope;
  const r = await hsmCall(
    h,
    hsm,
    "PUT",
    `${prefix}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=7.4`,
    {
      body: { properties: { roleDefinitionId: roleId(roleGuid), principalId } },
    },
  );
  if (r.status !== 201) throw new Error(`grant failed: ${r.status} ${r.text}`);
  return name;
}

export const API = "api-version=7.4";
