/**
 * Where the troubleshooter's resources come from. All three produce one flat array of ARM resources that
 * `snapshotFromResources` turns into a snapshot:
 * (a) the running hsmlink: its ARM API over HTTPS, token from its managed-identity endpoint (endpoints.json);
 * (b) a real subscription: `--subscription ID --arm-endpoint URL`, token from `@azure/identity`'s
 *     DefaultAzureCredential (loaded on demand; it is a devDependency of hsmlink);
 * (c) `--from FILE`: a JSON array (az output, ARM bodies, or `{"value": [...]}` pages).
 * Reads are GETs only. A list that fails (e.g. a type the endpoint does not serve) is reported in `missing`.
 * Simulated VMs (`--vm`) are an hsmlink concept that ARM does not serve: source (a) reads them from the admin API
 * (`GET /_hsmlink/vms`); the other sources have none.
 */
import { readFileSync } from "node:fs";
import { RESOURCE_TYPES } from "../kernel/azure-names.js";
import { httpsJson } from "../client/https-json.js";

import type { VmView } from "../vms/vms.js";
import { adminRequest } from "../client/admin-client.js";
import { readInstanceSecret } from "../client/endpoints.js";
import { parentResourceId, sameResourceId, type Vm } from "../network/topology.js";
import { type Endpoints } from "../client/endpoints.js";

/** API versions of the read-only lists (control-plane.md §3–§5). */
const LISTS: readonly { readonly provider: string; readonly apiVersion: string }[] = [
  { provider: RESOURCE_TYPES.managedHsm, apiVersion: "2022-07-01" },
  { provider: RESOURCE_TYPES.virtualNetwork, apiVersion: "2022-01-01" },
  { provider: RESOURCE_TYPES.privateEndpoint, apiVersion: "2022-01-01" },
  { provider: RESOURCE_TYPES.networkInterface, apiVersion: "2022-01-01" },
  { provider: RESOURCE_TYPES.privateDnsZone, apiVersion: "2020-06-01" },
];

export interface ArmReader {
  /** GET an ARM path (with query); resolves `{status, json}`. */
  get(pathAndQuery: string): Promise<{ status: number; json: any }>;
}

/** Resources read from an ARM endpoint, plus the lists that could not be read. */
export interface SourceResult {
  readonly resources: unknown[];
  readonly missing: string[];
  /** Simulated VMs of the running hsmlink (source (a) only). */
  readonly vms?: Vm[];
  /** The role assignments of the asked principal and the role definitions (ARM sources with a principal only). */
  readonly roles?: { assignments: unknown[]; definitions: unknown[] };
}

/** An {@link ArmReader} over node:https: bearer token from `token()`, optional CA PEM. */
export function httpsArmReader(baseUrl: string, token: () => Promise<string>, ca?: string | Buffer): ArmReader {
  return {
    async get(pathAndQuery) {
      const url = new URL(pathAndQuery, baseUrl);
      const bearer = await token();
      try {
        const r = await httpsJson(url, {
          method: "GET",
          ca,
          headers: { authorization: `Bearer ${bearer}`, accept: "application/json" },
        });
        return { status: r.status, json: r.json };
      } catch (e) {
        throw new Error(`cannot reach ${url.origin}: ${(e as Error).message}`);
      }
    },
  };
}

async function listAll(reader: ArmReader, path: string, missing: string[]): Promise<any[]> {
  const out: any[] = [];
  let next: string | undefined = path;
  for (let pages = 0; next && pages < 100; pages++) {
    const r = await reader.get(next);
    if (r.status !== 200 || !Array.isArray(r.json?.value)) {
      missing.push(
        `GET ${path.split("?")[0]} answered ${r.status}${r.json?.error?.code ? ` ${r.json.error.code}` : ""}`,
      );
      break;
    }
    out.push(...r.json.value);
    const link: string | undefined = r.json.nextLink;
    next = link ? (link.startsWith("http") ? new URL(link).pathname + new URL(link).search : link) : undefined;
  }
  return out;
}

/**
 * Reads every resource group of `subscriptionId`, then per group the resource types the checks need, and per
 * HSM its private endpoint connections, per private endpoint its private DNS zone groups, per zone its virtual
 * network links and record sets (`ALL`).
 */
export async function readFromArm(reader: ArmReader, subscriptionId: string): Promise<SourceResult> {
  const missing: string[] = [];
  const resources: unknown[] = [];
  const sub = `/subscriptions/${subscriptionId}`;
  const groups = await listAll(reader, `${sub}/resourcegroups?api-version=2021-04-01`, missing);
  for (const g of groups) {
    const rg = `${sub}/resourceGroups/${encodeURIComponent(g.name)}`;
    for (const l of LISTS) {
      const items = await listAll(reader, `${rg}/providers/${l.provider}?api-version=${l.apiVersion}`, missing);
      resources.push(...items);
      if (l.provider === RESOURCE_TYPES.managedHsm) {
        for (const hsm of items) {
          if (Array.isArray(hsm?.properties?.privateEndpointConnections)) continue;
          resources.push(
            ...(await listAll(reader, `${hsm.id}/privateEndpointConnections?api-version=${l.apiVersion}`, missing)).map(
              (c) => ({ type: RESOURCE_TYPES.managedHsmPrivateEndpointConnection, ...c }),
            ),
          );
        }
      }
      if (l.provider === RESOURCE_TYPES.privateEndpoint) {
        for (const pe of items) {
          resources.push(
            ...(await listAll(reader, `${pe.id}/privateDnsZoneGroups?api-version=${l.apiVersion}`, missing)).map(
              (g) => ({ type: RESOURCE_TYPES.privateDnsZoneGroup, ...g }),
            ),
          );
        }
      }
      if (l.provider === RESOURCE_TYPES.privateDnsZone) {
        for (const zone of items) {
          resources.push(
            ...(await listAll(reader, `${zone.id}/virtualNetworkLinks?api-version=${l.apiVersion}`, missing)),
          );
          resources.push(...(await listAll(reader, `${zone.id}/ALL?api-version=${l.apiVersion}`, missing)));
        }
      }
    }
  }
  // Types the endpoint does not serve (404 on every group) are noise once per type, not per group.
  return { resources, missing: [...new Set(missing)] };
}

/** Token for hsmlink's ARM from its managed-identity endpoint (`MSI_ENDPOINT` style, form POST, with the instance secret). */
export async function hsmlinkToken(e: Endpoints): Promise<string> {
  const r = await fetch(e.msiEndpoint, {
    method: "POST",
    headers: {
      Metadata: "true",
      "content-type": "application/x-www-form-urlencoded",
      "X-IDENTITY-HEADER": readInstanceSecret(e.dataDir),
    },
    body: "resource=https://management.azure.com/",
  });
  if (!r.ok) throw new Error(`managed identity endpoint ${e.msiEndpoint} answered ${r.status}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

/**
 * The role assignments of `principalId` in each subscription (`$filter=principalId eq '…'`) and the role definitions
 * of the first (Microsoft.Authorization 2022-04-01).
 */
export async function readRoles(
  reader: ArmReader,
  subscriptionIds: readonly string[],
  principalId: string,
  missing: string[],
): Promise<{ assignments: unknown[]; definitions: unknown[] }> {
  const assignments: unknown[] = [];
  const filter = encodeURIComponent(`principalId eq '${principalId}'`);
  for (const s of subscriptionIds)
    assignments.push(
      ...(await listAll(
        reader,
        `/subscriptions/${s}/providers/Microsoft.Authorization/roleAssignments?$filter=${filter}&api-version=2022-04-01`,
        missing,
      )),
    );
  const definitions = subscriptionIds.length
    ? await listAll(
        reader,
        `/subscriptions/${subscriptionIds[0]}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01`,
        missing,
      )
    : [];
  return { assignments, definitions };
}

/**
 * (a) The running hsmlink: every subscription its default identity sees (a private endpoint may sit in another
 * subscription than its HSM), and with `principal` that principal's role assignments.
 */
export async function readFromHsmlink(e: Endpoints, principal?: string): Promise<SourceResult> {
  const ca = readFileSync(e.caCertPath);
  let cached: string | undefined;
  const reader = httpsArmReader(e.httpsUrl, async () => (cached ??= await hsmlinkToken(e)), ca);
  const missing: string[] = [];
  const subs = (await listAll(reader, "/subscriptions?api-version=2022-12-01", missing)).map(
    (s: { subscriptionId: string }) => s.subscriptionId,
  );
  const ids = subs.length ? subs : [e.subscriptionId];
  const resources: unknown[] = [];
  for (const s of ids) {
    const one = await readFromArm(reader, s);
    resources.push(...one.resources);
    missing.push(...one.missing);
  }
  const roles = principal ? await readRoles(reader, ids, principal, missing) : undefined;
  const views = await adminRequest<{ value: VmView[] }>(e, "GET", "/_hsmlink/vms");
  return {
    resources,
    missing: [...new Set(missing)],
    vms: (views?.value ?? []).map((v) => vmFromView(v, resources)),
    ...(roles ? { roles } : {}),
  };
}

/**
 * The {@link Vm} of an admin-API VM view. Its subnet is the one of its NIC (read through ARM with the rest);
 * without the NIC it is rebuilt from the view's names (`vnet`/`subnet` in the VM's resource group).
 */
export function vmFromView(v: VmView, resources: readonly unknown[]): Vm {
  const nic = resources.find(
    (r): r is { id: string; properties?: { ipConfigurations?: { properties?: { subnet?: { id?: string } } }[] } } =>
      typeof (r as { id?: unknown })?.id === "string" && sameResourceId((r as { id: string }).id, v.nicId),
  );
  const nicSubnet = nic?.properties?.ipConfigurations
    ?.map((c) => c.properties?.subnet?.id)
    .find((id): id is string => typeof id === "string" && id.length > 0);
  const rgId = v.id.replace(/\/providers\/.*$/i, "");
  const subnetId = nicSubnet ?? `${rgId}/providers/Microsoft.Network/virtualNetworks/${v.vnet}/subnets/${v.subnet}`;
  return {
    name: v.name,
    vnetId: parentResourceId(subnetId),
    subnetId,
    privateIpAddress: v.privateIpAddress,
    ...(v.publicIpAddress ? { publicIpAddress: v.publicIpAddress } : {}),
    ...(v.dnsForwarder ? { dnsForwarder: true } : {}),
  };
}

/**
 * (b) A subscription behind any ARM endpoint, with `DefaultAzureCredential` (scope `{audience}/.default`,
 * audience default `https://management.azure.com`). TLS trust is Node's (NODE_EXTRA_CA_CERTS for a local CA).
 */
export async function readFromSubscription(
  subscriptionId: string,
  armEndpoint: string,
  audience = "https://management.azure.com",
  principal?: string,
): Promise<SourceResult> {
  const identity = (await import("@azure/identity").catch(() => {
    throw new Error("--subscription needs the '@azure/identity' package (npm install @azure/identity)");
  })) as typeof import("@azure/identity");
  const credential = new identity.DefaultAzureCredential();
  const scope = `${audience.replace(/\/+$/, "")}/.default`;
  const reader = httpsArmReader(armEndpoint, async () => {
    const t = await credential.getToken(scope);
    if (!t) throw new Error(`no token for ${scope}`);
    return t.token;
  });
  const arm = await readFromArm(reader, subscriptionId);
  if (!principal) return arm;
  const missing = [...arm.missing];
  const roles = await readRoles(reader, [subscriptionId], principal, missing);
  return { ...arm, missing, roles };
}

/** (c) A JSON file: an array, or one `{"value": [...]}` page. */
export function readFromFile(path: string): SourceResult {
  const json = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (Array.isArray(json)) return { resources: json, missing: [] };
  if (json && typeof json === "object" && Array.isArray((json as { value?: unknown }).value))
    return { resources: (json as { value: unknown[] }).value, missing: [] };
  throw new Error(`${path}: expected a JSON array of ARM resources`);
}
