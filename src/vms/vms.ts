/**
 * Simulated VMs: the vantage points of the emulated network. A VM is stored as a `Microsoft.Compute/virtualMachines`
 * resource (no ARM routes serve it) with a NIC `{vm}-nic` (`Microsoft.Network/networkInterfaces`, visible through
 * ARM) in a subnet, the subnet's next free private address, and a stable public SNAT address from
 * 198.51.100.64/26 (TEST-NET-2, RFC 5737; distinct from the HSM public addresses in 203.0.113.0/24 and from the
 * internet client address 198.51.100.7).
 *
 * Each VM gets its own DNS listener (UDP + TCP, a free port on the hsmlink host) that answers as Azure DNS inside
 * that VM, so a stock `dig @host -p port` asks from the VM's point of view. Listeners come back on start for
 * stored VMs (on their old port when it is still free).
 */
import type { Store } from "../store/db.js";
import { RESOURCE_TYPES } from "../kernel/azure-names.js";
import type { Clock } from "../kernel/clock.js";
import { AzureError } from "../kernel/errors.js";
import { resourceGroupId, resourceId } from "../kernel/resource-ids.js";
import { formatIpv4, nextFreeAddress, parseCidr, tryParseIpv4 } from "../network/cidr.js";
import { findSubnet, findVm, sameResourceId, type NetworkInterface, type Vantage } from "../network/topology.js";
import { resolve } from "../network/dns-view.js";
import { takenAddresses } from "../network/allocation.js";
import { NETWORK_TYPES, snapshotFromStore, vmOfBody, type StoredVmBody } from "../network/snapshot.js";
import { startDnsServer, type DnsListener } from "../dns/server.js";
import { cacheAnswersByStoreVersion } from "../dns/answer-cache.js";
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";

/** The public SNAT range of simulated VMs. */
export const VM_PUBLIC_RANGE = "198.51.100.64/26";

/** What `vm create` / `vm show` print. */
export interface VmView {
  name: string;
  id: string;
  resourceGroup: string;
  vnet: string;
  subnet: string;
  nicId: string;
  privateIpAddress: string;
  publicIpAddress: string | null;
  dnsForwarder: boolean;
  dns: { host: string; port: number | null };
  proxy: string;
}

/** Request of {@link VmService.create}. */
export interface CreateVmRequest {
  name: string;
  resourceGroup: string;
  /** VNet name in the resource group, or a full VNet id. */
  vnet: string;
  subnet: string;
  dnsForwarder?: boolean;
  /** The subscription of the resource group; the default subscription when omitted. */
  subscription?: string;
}

const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, "utf8")) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** VM registry + per-VM DNS listeners. */
export class VmService {
  private readonly listeners = new Map<string, DnsListener>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly opts: {
      subscriptionId: string;
      location: string;
      dnsHost: string;
      gatewayUrl: () => string;
      proxyPassword?: string;
    },
  ) {}

  private rows() {
    return this.store.resources.list<StoredVmBody>(NETWORK_TYPES.virtualMachine);
  }

  private row(name: string) {
    return this.rows().find((r) => r.name.toLowerCase() === name.toLowerCase());
  }

  /** The vantage a proxy user name / DNS listener stands for; undefined for an unknown VM. */
  vantageOf(name: string): Vantage | undefined {
    const r = this.row(name);
    const vm = r ? vmOfBody(r.body) : undefined;
    return vm ? { kind: "vm", vm } : undefined;
  }

  private view(body: StoredVmBody, resourceGroup: string): VmView {
    const f = body.properties.hsmlink;
    const listener = this.listeners.get(body.name.toLowerCase());
    const gw = new URL(this.opts.gatewayUrl());
    return {
      name: body.name,
      id: body.id,
      resourceGroup,
      vnet: f.vnetId.split("/").pop() ?? f.vnetId,
      subnet: f.subnetId.split("/").pop() ?? f.subnetId,
      nicId: f.nicId,
      privateIpAddress: f.privateIpAddress,
      publicIpAddress: f.publicIpAddress ?? null,
      dnsForwarder: !!f.dnsForwarder,
      dns: { host: this.opts.dnsHost, port: listener?.port ?? null },
      proxy: `http://${encodeURIComponent(body.name)}:${encodeURIComponent(this.opts.proxyPassword ?? "hsmlink")}@${gw.host}`,
    };
  }

  /** Every VM, in creation order. */
  list(): VmView[] {
    return this.rows().map((r) => this.view(r.body, r.resourceGroup ?? ""));
  }

  /** One VM. @throws AzureError 404 when there is no such VM */
  show(name: string): VmView {
    const r = this.row(name);
    if (!r) throw new AzureError(404, "VmNotFound", `VM '${name}' does not exist; 'hsmlink vm list' shows the VMs`);
    return this.view(r.body, r.resourceGroup ?? "");
  }

  /**
   * Creates a VM with its NIC and starts its DNS listener.
   * @throws AzureError 400 (bad name), 404 (resource group / VNet / subnet not found), 409 (name taken, subnet full)
   */
  async create(req: CreateVmRequest): Promise<VmView> {
    if (!VM_NAME.test(req.name))
      throw new AzureError(
        400,
        "InvalidVmName",
        `VM name '${req.name}' is invalid: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit`,
      );
    const sub = req.subscription ?? this.opts.subscriptionId;
    if (!this.store.resources.get(resourceGroupId(sub, req.resourceGroup)))
      throw new AzureError(404, "ResourceGroupNotFound", `Resource group '${req.resourceGroup}' could not be found.`);
    const vnetId = req.vnet.startsWith("/")
      ? req.vnet
      : resourceId(sub, req.resourceGroup, "Microsoft.Network", "virtualNetworks", req.vnet);
    const view = this.store.tx(() => {
      if (this.row(req.name))
        throw new AzureError(
          409,
          "VmExists",
          `VM '${req.name}' already exists (VM names are proxy user names, so they are unique across resource groups)`,
        );
      const snapshot = snapshotFromStore(this.store);
      const vnet = snapshot.virtualNetworks.find((v) => sameResourceId(v.id, vnetId));
      if (!vnet)
        throw new AzureError(
          404,
          "VirtualNetworkNotFound",
          `Virtual network '${req.vnet}' was not found in resource group '${req.resourceGroup}'.`,
        );
      const subnetId = `${vnet.id}/subnets/${req.subnet}`;
      const found = findSubnet(snapshot, subnetId);
      if (!found) {
        const names = (vnet.properties.subnets ?? []).map((s) => s.name).join(", ") || "none";
        throw new AzureError(
          404,
          "SubnetNotFound",
          `Subnet '${req.subnet}' was not found in virtual network '${vnet.name}' (subnets: ${names}).`,
        );
      }
      const prefix = found.subnet.properties.addressPrefix ?? found.subnet.properties.addressPrefixes?.[0];
      if (!prefix)
        throw new AzureError(400, "SubnetWithoutPrefix", `Subnet '${found.subnet.name}' has no address prefix.`);
      const privateIp = nextFreeAddress(prefix, takenAddresses(this.store, sub, found.subnet.id).keys());
      if (!privateIp)
        throw new AzureError(
          409,
          "SubnetIsFull",
          `Subnet '${found.subnet.name}' (${prefix}) has no free address left.`,
        );
      const publicIp = this.pickPublicAddress(
        req.name,
        snapshot.vms.map((v) => v.publicIpAddress).filter((a): a is string => !!a),
      );

      const vmId = resourceId(sub, req.resourceGroup, "Microsoft.Compute", "virtualMachines", req.name);
      const nicId = resourceId(sub, req.resourceGroup, "Microsoft.Network", "networkInterfaces", `${req.name}-nic`);
      if (this.store.resources.get(nicId))
        throw new AzureError(
          409,
          "NicExists",
          `A network interface '${req.name}-nic' already exists in '${req.resourceGroup}'.`,
        );
      const location = vnet.location ?? this.opts.location;
      const nic: NetworkInterface & { properties: { virtualMachine: { id: string } } } = {
        id: nicId,
        name: `${req.name}-nic`,
        type: NETWORK_TYPES.networkInterface,
        location,
        properties: {
          provisioningState: "Succeeded",
          ipConfigurations: [
            {
              id: `${nicId}/ipConfigurations/ipconfig1`,
              name: "ipconfig1",
              type: RESOURCE_TYPES.networkInterfaceIpConfiguration,
              properties: {
                provisioningState: "Succeeded",
                privateIPAddress: privateIp,
                privateIPAllocationMethod: "Dynamic",
                subnet: { id: found.subnet.id },
                primary: true,
                privateIPAddressVersion: "IPv4",
              },
            },
          ],
          virtualMachine: { id: vmId },
          nicType: "Standard",
        },
      };
      const body: StoredVmBody = {
        id: vmId,
        name: req.name,
        type: NETWORK_TYPES.virtualMachine,
        location,
        properties: {
          provisioningState: "Succeeded",
          networkProfile: { networkInterfaces: [{ id: nicId }] },
          hsmlink: {
            vnetId: vnet.id,
            subnetId: found.subnet.id,
            privateIpAddress: privateIp,
            publicIpAddress: publicIp,
            dnsForwarder: !!req.dnsForwarder,
            nicId,
          },
        },
      };
      const now = this.clock.now();
      this.store.resources.put(
        {
          id: nicId,
          type: NETWORK_TYPES.networkInterface,
          name: nic.name,
          subscriptionId: sub,
          resourceGroup: req.resourceGroup,
          body: nic,
        },
        now,
      );
      this.store.resources.put(
        {
          id: vmId,
          type: NETWORK_TYPES.virtualMachine,
          name: req.name,
          subscriptionId: sub,
          resourceGroup: req.resourceGroup,
          body,
        },
        now,
      );
      return body;
    });
    await this.startListener(view);
    return this.show(req.name);
  }

  /** Deletes a VM, its NIC and its DNS listener. @throws AzureError 404 when there is no such VM */
  async delete(name: string): Promise<void> {
    const r = this.row(name);
    if (!r) throw new AzureError(404, "VmNotFound", `VM '${name}' does not exist`);
    this.store.tx(() => {
      this.store.resources.delete(r.body.properties.hsmlink.nicId);
      this.store.resources.delete(r.id);
    });
    const l = this.listeners.get(r.name.toLowerCase());
    this.listeners.delete(r.name.toLowerCase());
    await l?.close();
  }

  /**
   * Removes a VM by resource id inside the caller's transaction (resource-group delete): its NIC and its row now,
   * its DNS listener right after. A missing VM is ignored.
   */
  removeById(id: string): void {
    const r = this.store.resources.get<StoredVmBody>(id);
    if (!r) return;
    this.store.resources.delete(r.body.properties.hsmlink.nicId);
    this.store.resources.delete(r.id);
    const key = r.name.toLowerCase();
    const l = this.listeners.get(key);
    this.listeners.delete(key);
    void l?.close();
  }

  /** Starts the DNS listeners of every stored VM (call once at start). */
  async start(): Promise<void> {
    for (const r of this.rows()) await this.startListener(r.body);
  }

  /**
   * Matches the DNS listeners to the stored VMs after the whole state was replaced (`hsmlink state restore|import|
   * reset`, a seed): stops those of VMs that are gone, starts those of VMs that appeared.
   */
  async sync(): Promise<void> {
    const stored = new Map(this.rows().map((r) => [r.name.toLowerCase(), r.body]));
    for (const [key, l] of [...this.listeners]) {
      if (stored.has(key)) continue;
      this.listeners.delete(key);
      await l.close();
    }
    for (const body of stored.values()) await this.startListener(body);
  }

  /** Stops every listener. */
  async close(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
  }

  private async startListener(body: StoredVmBody): Promise<void> {
    const key = body.name.toLowerCase();
    if (this.listeners.has(key)) return;
    const answer = cacheAnswersByStoreVersion(this.store, (qname: string, qtype: string) => {
      const snapshot = snapshotFromStore(this.store);
      const vm = findVm(snapshot, body.name);
      if (!vm) return { rcode: "SERVFAIL" as const, answers: [], authority: [], trace: [] };
      return resolve(snapshot, { kind: "vm", vm }, qname, qtype);
    });
    const wanted = body.properties.hsmlink.dnsPort ?? 0;
    let listener: DnsListener;
    try {
      listener = await startDnsServer({
        host: this.opts.dnsHost,
        port: wanted,
        answer,
        version: () => this.store.version(),
      });
    } catch (e) {
      if (wanted === 0) throw e;
      listener = await startDnsServer({
        host: this.opts.dnsHost,
        port: 0,
        answer,
        version: () => this.store.version(),
      });
    }
    this.listeners.set(key, listener);
    if (listener.port !== wanted) {
      const r = this.row(body.name);
      if (r) {
        const next: StoredVmBody = {
          ...r.body,
          properties: { ...r.body.properties, hsmlink: { ...r.body.properties.hsmlink, dnsPort: listener.port } },
        };
        this.store.tx(() =>
          this.store.resources.put(
            {
              id: r.id,
              type: NETWORK_TYPES.virtualMachine,
              name: r.name,
              subscriptionId: r.subscriptionId,
              resourceGroup: r.resourceGroup,
              body: next,
            },
            this.clock.now(),
          ),
        );
      }
    }
  }

  private pickPublicAddress(name: string, taken: readonly string[]): string | undefined {
    const range = parseCidr(VM_PUBLIC_RANGE);
    const first = range.first + 1;
    const size = range.last - range.first - 1;
    const takenSet = new Set(taken.map((a) => tryParseIpv4(a)));
    const start = fnv1a(name.toLowerCase()) % size;
    for (let i = 0; i < size; i++) {
      const candidate = first + ((start + i) % size);
      if (!takenSet.has(candidate)) return formatIpv4(candidate);
    }
    return undefined;
  }
}
