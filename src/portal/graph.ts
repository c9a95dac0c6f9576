/**
 * The topology picture's graph: nodes and edges drawn from one {@link NetworkSnapshot} (the same read model the
 * decision pipeline, `explain` and `troubleshoot` read). Pure: no store, no I/O. Layout happens in the browser
 * (elkjs); this module only says what exists and how it is connected.
 *
 * Connection edges come from the private endpoint's side (`privateLinkServiceConnections` /
 * `manualPrivateLinkServiceConnections`): that side keeps `Disconnected` connections the HSM no longer lists.
 */
import {
  connectionsOfPrivateEndpoint,
  resourceIdKey,
  sameResourceId,
  zoneIdOfChild,
  type NetworkSnapshot,
} from "../network/topology.js";
import { publicAddressOfHsm } from "../network/dns-view.js";
import type { GraphEdge, GraphNode, TopologyView } from "./model.js";

/** `/subscriptions/{s}/resourceGroups/{rg}/…` → `{ subscription, resourceGroup }` (as written in the id). */
export function scopeOf(id: string): { subscription: string; resourceGroup: string } {
  const m = /^\/subscriptions\/([^/]+)(?:\/resourcegroups\/([^/]+))?/i.exec(id);
  return { subscription: m?.[1] ?? "", resourceGroup: m?.[2] ?? "" };
}

/** Filter of {@link topologyGraph}: one subscription, optionally one resource group (case-insensitive). */
export interface TopologyFilter {
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
}

/**
 * Nodes and edges of `snapshot` within `filter`; `vmIds` maps a lower-cased VM name to its ARM id (VMs of the
 * snapshot carry no id). Edges whose ends are not both drawn are left out (a private
 * endpoint in the filtered group targeting an HSM elsewhere shows no edge).
 */
export function topologyGraph(
  snapshot: NetworkSnapshot,
  filter: TopologyFilter,
  version: number,
  vmIds: ReadonlyMap<string, string> = new Map(),
): TopologyView {
  const allIds: string[] = [
    ...snapshot.virtualNetworks.map((v) => v.id),
    ...snapshot.privateEndpoints.map((p) => p.id),
    ...snapshot.privateDnsZones.map((z) => z.id),
    ...snapshot.managedHsms.map((h) => h.id),
  ];
  const subscriptions = [
    ...new Set(
      [filter.subscriptionId, ...allIds.map((id) => scopeOf(id).subscription).filter((s) => s !== "")].map((s) =>
        s.toLowerCase(),
      ),
    ),
  ].sort();
  const inSubscription = (id: string) => scopeOf(id).subscription.toLowerCase() === filter.subscriptionId.toLowerCase();
  const resourceGroups = [
    ...new Set(
      allIds
        .filter(inSubscription)
        .map((id) => scopeOf(id).resourceGroup.toLowerCase())
        .filter((g) => g !== ""),
    ),
  ].sort();
  const wanted = (id: string) =>
    inSubscription(id) &&
    (!filter.resourceGroup || scopeOf(id).resourceGroup.toLowerCase() === filter.resourceGroup.toLowerCase());

  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const drawn = new Set<string>();
  const add = (n: GraphNode) => {
    nodes.push(n);
    drawn.add(resourceIdKey(n.id));
  };
  const rg = (id: string) => scopeOf(id).resourceGroup;

  for (const vnet of snapshot.virtualNetworks) {
    if (!wanted(vnet.id)) continue;
    const dns = vnet.properties.dhcpOptions?.dnsServers ?? [];
    add({
      id: vnet.id,
      kind: "vnet",
      label: vnet.name,
      lines: [
        `VNet ${vnet.properties.addressSpace.addressPrefixes.join(", ")}`,
        ...(dns.length ? [`DNS servers ${dns.join(", ")}`] : []),
      ],
      resourceGroup: rg(vnet.id),
    });
    for (const s of vnet.properties.subnets ?? []) {
      const prefixes = s.properties.addressPrefix ? [s.properties.addressPrefix] : (s.properties.addressPrefixes ?? []);
      const policies = s.properties.privateEndpointNetworkPolicies;
      add({
        id: s.id,
        kind: "subnet",
        label: s.name,
        lines: [`subnet ${prefixes.join(", ")}`, ...(policies ? [`PE network policies ${policies}`] : [])],
        parent: vnet.id,
        resourceGroup: rg(s.id),
      });
    }
  }
  const subnetDrawn = (id: string | undefined) => id !== undefined && drawn.has(resourceIdKey(id));

  for (const vm of snapshot.vms) {
    if (!subnetDrawn(vm.subnetId)) continue;
    const id =
      vmIds.get(vm.name.toLowerCase()) ??
      `/subscriptions/${scopeOf(vm.vnetId).subscription}/resourceGroups/${rg(vm.vnetId)}/providers/Microsoft.Compute/virtualMachines/${vm.name}`;
    add({
      id,
      kind: "vm",
      label: vm.name,
      lines: [`VM private ${vm.privateIpAddress}`, `public ${vm.publicIpAddress ?? "none"}`],
      parent: vm.subnetId,
      resourceGroup: rg(id),
    });
  }

  const nicAddress = new Map<string, string>();
  for (const nic of snapshot.networkInterfaces) {
    const ip = nic.properties.ipConfigurations.find((c) => c.properties.privateIPAddress)?.properties.privateIPAddress;
    if (ip) nicAddress.set(resourceIdKey(nic.id), ip);
  }
  const peByAddress = new Map<string, string>();
  for (const pe of snapshot.privateEndpoints) {
    if (!wanted(pe.id)) continue;
    const addresses = (pe.properties.networkInterfaces ?? [])
      .map((n) => nicAddress.get(resourceIdKey(n.id)))
      .filter((a): a is string => a !== undefined);
    for (const a of addresses) peByAddress.set(a, pe.id);
    const parent = subnetDrawn(pe.properties.subnet.id) ? pe.properties.subnet.id : undefined;
    add({
      id: pe.id,
      kind: "private-endpoint",
      label: pe.name,
      lines: [`private endpoint NIC ${addresses.join(", ") || "no address"}`],
      ...(parent ? { parent } : {}),
      resourceGroup: rg(pe.id),
    });
  }

  for (const hsm of snapshot.managedHsms) {
    if (!wanted(hsm.id)) continue;
    const p = hsm.properties;
    add({
      id: hsm.id,
      kind: "managed-hsm",
      label: hsm.name,
      lines: [
        `managed HSM public ${publicAddressOfHsm(hsm.name)}`,
        `publicNetworkAccess ${p.publicNetworkAccess ?? "Enabled"}`,
        `defaultAction ${p.networkAcls?.defaultAction ?? "Allow"}`,
        `bypass ${p.networkAcls?.bypass ?? "AzureServices"}`,
      ],
      resourceGroup: rg(hsm.id),
    });
  }

  for (const zone of snapshot.privateDnsZones) {
    if (!wanted(zone.id)) continue;
    add({
      id: zone.id,
      kind: "private-dns-zone",
      label: zone.name,
      lines: ["private DNS zone"],
      resourceGroup: rg(zone.id),
    });
  }
  for (const rs of snapshot.recordSets) {
    const zoneId = zoneIdOfChild(rs.id);
    if (!drawn.has(resourceIdKey(zoneId))) continue;
    const a = rs.properties.aRecords?.map((r) => r.ipv4Address) ?? [];
    const type = /\/([A-Za-z]+)\/[^/]+$/.exec(rs.id)?.[1]?.toUpperCase() ?? "";
    if (type === "SOA") continue;
    const data =
      type === "A"
        ? a.join(", ")
        : type === "CNAME"
          ? (rs.properties.cnameRecord?.cname ?? "")
          : type === "AAAA"
            ? (rs.properties.aaaaRecords?.map((r) => r.ipv6Address).join(", ") ?? "")
            : "";
    add({
      id: rs.id,
      kind: "record-set",
      label: `${rs.name} ${type}`,
      lines: [`${data}${rs.properties.isAutoRegistered ? " (auto-registered)" : ""}`],
      parent: zoneId,
      resourceGroup: rg(rs.id),
    });
    for (const ip of a) {
      const pe = peByAddress.get(ip);
      if (pe && drawn.has(resourceIdKey(pe)))
        edges.push({ id: `${rs.id}|${pe}`, kind: "record-target", source: rs.id, target: pe, label: ip });
    }
  }

  for (const link of snapshot.virtualNetworkLinks) {
    const zoneId = zoneIdOfChild(link.id);
    const vnetId = link.properties.virtualNetwork.id;
    if (!drawn.has(resourceIdKey(zoneId)) || !drawn.has(resourceIdKey(vnetId))) continue;
    const vnet = snapshot.virtualNetworks.find((v) => sameResourceId(v.id, vnetId));
    edges.push({
      id: link.id,
      kind: "zone-link",
      source: zoneId,
      target: vnet?.id ?? vnetId,
      label: `link ${link.name} · registration ${link.properties.registrationEnabled ? "on" : "off"}`,
    });
  }

  const peerings = new Set<string>();
  for (const vnet of snapshot.virtualNetworks) {
    if (!drawn.has(resourceIdKey(vnet.id))) continue;
    for (const p of vnet.properties.virtualNetworkPeerings ?? []) {
      const remote = snapshot.virtualNetworks.find((v) => sameResourceId(v.id, p.properties.remoteVirtualNetwork.id));
      if (!remote || !drawn.has(resourceIdKey(remote.id))) continue;
      const pair = [resourceIdKey(vnet.id), resourceIdKey(remote.id)].sort().join("|");
      if (peerings.has(pair)) continue;
      peerings.add(pair);
      edges.push({
        id: p.id ?? `${vnet.id}|peering|${remote.id}`,
        kind: "peering",
        source: vnet.id,
        target: remote.id,
        label: `peering ${p.properties.peeringState ?? ""}`.trim(),
      });
    }
  }

  for (const pe of snapshot.privateEndpoints) {
    if (!drawn.has(resourceIdKey(pe.id))) continue;
    for (const c of connectionsOfPrivateEndpoint(pe)) {
      const hsm = snapshot.managedHsms.find((h) => sameResourceId(h.id, c.privateLinkServiceId));
      if (!hsm || !drawn.has(resourceIdKey(hsm.id))) continue;
      edges.push({
        id: `${pe.id}|${c.name}`,
        kind: "connection",
        source: pe.id,
        target: hsm.id,
        label: `${c.name}: ${c.state.status}`,
        state: c.state.status,
      });
    }
  }

  return { subscriptionId: filter.subscriptionId, subscriptions, resourceGroups, nodes, edges, version };
}
