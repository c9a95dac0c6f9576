/** Shared fixtures for the troubleshooter unit tests: BASE of field-cases.md as ARM JSON, and mutators. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { snapshotFromResources } from "../../../src/network/from-resources.js";
import { troubleshoot, type TroubleshootOptions } from "../../../src/troubleshoot/run.js";
import type { Finding } from "../../../src/troubleshoot/types.js";

export const S = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg";
export const ZONE_ID = `${S}/providers/Microsoft.Network/privateDnsZones/privatelink.managedhsm.azure.net`;
export const VNET1 = `${S}/providers/Microsoft.Network/virtualNetworks/vnet1`;
export const VNET2 = `${S}/providers/Microsoft.Network/virtualNetworks/vnet2`;

export type Res = Record<string, any>;

export function loadFixture(name: string): Res[] {
  return JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../fixtures/troubleshoot/${name}`, import.meta.url)), "utf8"),
  );
}

/** A fresh deep copy of BASE (wire shape). */
export function base(): Res[] {
  return loadFixture("base.json");
}

export function byType(rs: Res[], type: string): Res[] {
  return rs.filter((r) => String(r.type).toLowerCase() === type.toLowerCase());
}

export function one(rs: Res[], type: string): Res {
  const found = byType(rs, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, got ${found.length}`);
  return found[0];
}

/** Runs the troubleshooter on resources; default client `--vnet vnet1`. */
export function run(rs: Res[], opts: Partial<TroubleshootOptions> = {}): Finding[] {
  const { snapshot, missing } = snapshotFromResources(rs);
  const o: TroubleshootOptions = { hsm: "hsm1", resourceGroup: "rg", ...(opts.vm ? {} : { vnet: "vnet1" }), ...opts };
  return troubleshoot(snapshot, missing, o).findings;
}

export function get(findings: Finding[], id: string): Finding {
  const f = findings.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id} in ${findings.map((x) => x.id).join(", ")}`);
  return f;
}

/** Adds a second VNet (10.1.0.0/16, subnet 10.1.1.0/24), optionally peered both ways with vnet1. */
export function addVnet2(rs: Res[], peered: boolean): void {
  rs.push({
    id: VNET2,
    name: "vnet2",
    type: "Microsoft.Network/virtualNetworks",
    location: "westeurope",
    properties: {
      addressSpace: { addressPrefixes: ["10.1.0.0/16"] },
      subnets: [{ id: `${VNET2}/subnets/default`, name: "default", properties: { addressPrefix: "10.1.1.0/24" } }],
      virtualNetworkPeerings: peered
        ? [
            {
              name: "to1",
              properties: {
                remoteVirtualNetwork: { id: VNET1 },
                peeringState: "Connected",
                allowVirtualNetworkAccess: true,
              },
            },
          ]
        : [],
    },
  });
  if (peered) {
    const v1 = rs.find((r) => r.id === VNET1)!;
    v1.properties.virtualNetworkPeerings = [
      {
        name: "to2",
        properties: { remoteVirtualNetwork: { id: VNET2 }, peeringState: "Connected", allowVirtualNetworkAccess: true },
      },
    ];
  }
}

/** Moves the zone's only link from vnet1 to `vnetId`. */
export function relink(rs: Res[], vnetId: string): void {
  one(rs, "Microsoft.Network/privateDnsZones/virtualNetworkLinks").properties.virtualNetwork.id = vnetId;
}

/** A simulated VM resource as hsmlink stores it. */
export function vmResource(name: string, vnetId: string, ip: string, extra: Record<string, unknown> = {}): Res {
  return {
    id: `${S}/providers/Microsoft.Compute/virtualMachines/${name}`,
    name,
    type: "Microsoft.Compute/virtualMachines",
    location: "westeurope",
    properties: {
      hsmlink: {
        vnetId,
        subnetId: `${vnetId}/subnets/default`,
        privateIpAddress: ip,
        nicId: `${S}/providers/Microsoft.Network/networkInterfaces/${name}-nic`,
        ...extra,
      },
    },
  };
}
