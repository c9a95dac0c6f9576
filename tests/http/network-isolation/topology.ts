// Seeds the private-link how-to topology into a test hsmlink's store in ARM wire shape (control-plane.md §3–§5),
// and small clients for the gateway (raw CONNECT + TLS + one HTTP request) and the admin API.
import { connect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readFileSync } from "node:fs";
import type { TestHsmlink } from "../../support/hsmlink.js";
import { adminRequest } from "../../../src/client/admin-client.js";

export const ZONE = "privatelink.managedhsm.azure.net";

export function ids(h: TestHsmlink, rg = "rg1") {
  const base = `/subscriptions/${h.config.subscriptionId}/resourceGroups/${rg}`;
  const net = `${base}/providers/Microsoft.Network`;
  return {
    rg: base,
    vnet: (v: string) => `${net}/virtualNetworks/${v}`,
    subnet: (v: string, s: string) => `${net}/virtualNetworks/${v}/subnets/${s}`,
    pe: (n: string) => `${net}/privateEndpoints/${n}`,
    nic: (n: string) => `${net}/networkInterfaces/${n}`,
    zone: `${net}/privateDnsZones/${ZONE}`,
    hsm: (n: string) => `${base}/providers/Microsoft.KeyVault/managedHSMs/${n}`,
  };
}

function put(h: TestHsmlink, id: string, type: string, body: unknown, parentId?: string): void {
  h.store.resources.put(
    {
      id,
      type,
      name: id.split("/").pop()!,
      subscriptionId: h.config.subscriptionId,
      resourceGroup: "rg1",
      parentId,
      body,
    },
    Date.now(),
  );
}

export function putHsm(
  h: TestHsmlink,
  name: string,
  p: { pna?: string; defaultAction?: string; bypass?: string; connections?: { pe: string; status: string }[] },
): void {
  const id = ids(h).hsm(name);
  put(h, id, "Microsoft.KeyVault/managedHSMs", {
    id,
    name,
    type: "Microsoft.KeyVault/managedHSMs",
    location: "westeurope",
    sku: { family: "B", name: "Standard_B1" },
    properties: {
      tenantId: h.config.tenantId,
      initialAdminObjectIds: [h.endpoints.principalObjectId],
      softDeleteRetentionInDays: 7,
      securityDomainProperties: { activationStatus: "Active" },
      hsmUri: `https://${name}.managedhsm.azure.net/`,
      publicNetworkAccess: p.pna ?? "Enabled",
      networkAcls: {
        bypass: p.bypass ?? "AzureServices",
        defaultAction: p.defaultAction ?? "Deny",
        ipRules: [],
        virtualNetworkRules: [],
      },
      ...(p.connections?.length
        ? {
            privateEndpointConnections: p.connections.map((c) => ({
              id: `${id}/privateEndpointConnections/${c.pe}`,
              properties: {
                provisioningState: "Succeeded",
                privateEndpoint: { id: ids(h).pe(c.pe) },
                privateLinkServiceConnectionState: { status: c.status, description: "", actionsRequired: "None" },
              },
            })),
          }
        : {}),
      provisioningState: "Succeeded",
    },
  });
}

export function putPrivateEndpoint(
  h: TestHsmlink,
  name: string,
  hsm: string,
  ip: string,
  o: { manual?: boolean; status?: string } = {},
): void {
  const i = ids(h);
  const nicName = `${name}.nic.0000`;
  const conn = {
    name: `${name}-conn`,
    properties: {
      privateLinkServiceId: i.hsm(hsm),
      groupIds: ["managedhsm"],
      privateLinkServiceConnectionState: { status: o.status ?? "Approved", description: "", actionsRequired: "None" },
    },
  };
  put(h, i.pe(name), "Microsoft.Network/privateEndpoints", {
    id: i.pe(name),
    name,
    type: "Microsoft.Network/privateEndpoints",
    location: "westeurope",
    properties: {
      provisioningState: "Succeeded",
      subnet: { id: i.subnet("vnet1", "sn1") },
      privateLinkServiceConnections: o.manual ? [] : [conn],
      manualPrivateLinkServiceConnections: o.manual ? [conn] : [],
      networkInterfaces: [{ id: i.nic(nicName) }],
    },
  });
  put(h, i.nic(nicName), "Microsoft.Network/networkInterfaces", {
    id: i.nic(nicName),
    name: nicName,
    type: "Microsoft.Network/networkInterfaces",
    location: "westeurope",
    properties: {
      privateEndpoint: { id: i.pe(name) },
      ipConfigurations: [
        {
          name: "privateEndpointIpConfig.0000",
          properties: {
            privateIPAddress: ip,
            privateIPAllocationMethod: "Dynamic",
            subnet: { id: i.subnet("vnet1", "sn1") },
            primary: true,
          },
        },
      ],
    },
  });
}

export function putARecord(h: TestHsmlink, name: string, ip: string): void {
  const id = `${ids(h).zone}/A/${name}`;
  put(
    h,
    id,
    "Microsoft.Network/privateDnsZones/A",
    {
      id,
      name,
      type: "Microsoft.Network/privateDnsZones/A",
      properties: { ttl: 10, fqdn: `${name}.${ZONE}.`, aRecords: [{ ipv4Address: ip }] },
    },
    ids(h).zone,
  );
}

/** RG, HSM hsm1 (Deny + AzureServices), vnet1 (linked to the zone) and vnet2 (unlinked), PE pe1 at 10.0.1.4, A record. */
export function seedHowTo(h: TestHsmlink): void {
  const i = ids(h);
  put(h, i.rg, "Microsoft.Resources/resourceGroups", {
    id: i.rg,
    name: "rg1",
    type: "Microsoft.Resources/resourceGroups",
    location: "westeurope",
    properties: { provisioningState: "Succeeded" },
  });
  putHsm(h, "hsm1", { connections: [{ pe: "pe1", status: "Approved" }] });
  for (const [v, prefix, sn] of [
    ["vnet1", "10.0.0.0/16", "10.0.1.0/24"],
    ["vnet2", "10.1.0.0/16", "10.1.1.0/24"],
  ] as const) {
    put(h, i.vnet(v), "Microsoft.Network/virtualNetworks", {
      id: i.vnet(v),
      name: v,
      type: "Microsoft.Network/virtualNetworks",
      location: "westeurope",
      properties: {
        provisioningState: "Succeeded",
        addressSpace: { addressPrefixes: [prefix] },
        subnets: [
          {
            id: i.subnet(v, "sn1"),
            name: "sn1",
            properties: { addressPrefix: sn, privateEndpointNetworkPolicies: "Disabled" },
          },
        ],
        virtualNetworkPeerings: [],
      },
    });
  }
  putPrivateEndpoint(h, "pe1", "hsm1", "10.0.1.4");
  put(h, i.zone, "Microsoft.Network/privateDnsZones", {
    id: i.zone,
    name: ZONE,
    type: "Microsoft.Network/privateDnsZones",
    location: "global",
    properties: { provisioningState: "Succeeded" },
  });
  const linkId = `${i.zone}/virtualNetworkLinks/link1`;
  put(
    h,
    linkId,
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
    {
      id: linkId,
      name: "link1",
      type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
      location: "global",
      properties: { virtualNetwork: { id: i.vnet("vnet1") }, registrationEnabled: false },
    },
    i.zone,
  );
  putARecord(h, "hsm1", "10.0.1.4");
}

export interface VmView {
  name: string;
  privateIpAddress: string;
  publicIpAddress: string | null;
  nicId: string;
  dns: { host: string; port: number };
  proxy: string;
}

export function createVm(
  h: TestHsmlink,
  name: string,
  vnet: string,
  subnet = "sn1",
  resourceGroup = "rg1",
): Promise<VmView> {
  return adminRequest<VmView>(h.endpoints, "POST", "/_hsmlink/vms", { name, resourceGroup, vnet, subnet });
}

/** CONNECT through the gateway (optionally as a VM), then, if accepted, one HTTPS request; returns both outcomes. */
export async function viaGateway(
  h: TestHsmlink,
  host: string,
  o: { vm?: string; method?: string; path?: string; token?: string | false } = {},
): Promise<{ connectStatus: number; connectHead: string; status?: number; headers?: string; body?: string }> {
  // The service authenticates before it applies network rules (data-plane.md §0.11), so send a valid token.
  const token =
    o.token === undefined
      ? (await h.identity.issue(h.identity.defaultIdentity(), "https://managedhsm.azure.net")).token
      : o.token;
  const bearer = token ? `Authorization: Bearer ${token}\r\n` : "";
  const gw = new URL(h.endpoints.gatewayUrl);
  const auth = o.vm ? `Proxy-Authorization: Basic ${Buffer.from(`${o.vm}:x`).toString("base64")}\r\n` : "";
  const socket = connect(Number(gw.port), gw.hostname);
  socket.write(`CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n${auth}\r\n`);
  const head = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        socket.off("data", onData);
        resolve(buf.slice(0, end) + "\r\n\r\n" + buf.slice(end + 4));
      }
    };
    socket.on("data", onData);
    socket.on("error", reject);
  });
  const connectStatus = Number(head.split(" ")[1]);
  if (connectStatus !== 200) {
    socket.destroy();
    return { connectStatus, connectHead: head };
  }
  const tls = tlsConnect({ socket, servername: host, ca: readFileSync(h.endpoints.caCertPath) });
  await new Promise<void>((resolve, reject) => {
    tls.once("secureConnect", () => resolve());
    tls.once("error", reject);
  });
  tls.write(
    `${o.method ?? "GET"} ${o.path ?? "/providers/Microsoft.Authorization/roleAssignments?api-version=7.4"} HTTP/1.1\r\nHost: ${host}\r\n${bearer}Connection: close\r\nContent-Length: 0\r\n\r\n`,
  );
  const raw = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    tls.on("data", (c: Buffer) => chunks.push(c));
    tls.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    tls.on("error", reject);
  });
  tls.destroy();
  const end = raw.indexOf("\r\n\r\n");
  return {
    connectStatus,
    connectHead: head,
    status: Number(raw.split(" ")[1]),
    headers: raw.slice(0, end),
    body: raw.slice(end + 4),
  };
}
