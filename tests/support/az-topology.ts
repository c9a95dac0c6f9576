// The how-to's az commands (shared/seed/private-link-howto.txt) as named steps, so that client tests which build a
// Private Link topology through the real az and the real ARM routes say what they build instead of spelling out
// every argument. Each step is exactly one az command (two for a private endpoint: its NIC is read for the address).
import type { Az } from "./az.js";

/** The private DNS zone of managed HSM private endpoints. */
export const HSM_PRIVATE_ZONE = "privatelink.managedhsm.azure.net";

/** What {@link AzTopology.privateEndpoint} returns: the endpoint as az printed it and its NIC's private address. */
export interface CreatedPrivateEndpoint {
  readonly pe: any;
  readonly ip: string;
}

/** One resource group's resources, created with the real az in the how-to's words. */
export class AzTopology {
  constructor(
    readonly az: Az,
    readonly rg: string,
    readonly location = "westeurope",
  ) {}

  /** `az group create`; returns the group as az printed it. */
  resourceGroup(): Promise<any> {
    return this.az.ok(["group", "create", "-n", this.rg, "-l", this.location]);
  }

  /** `az keyvault create --hsm-name` with one administrator and the given retention (days). */
  managedHsm(name: string, administrator: string, retentionDays = 7): Promise<any> {
    const args = ["keyvault", "create", "--hsm-name", name, "-g", this.rg, "-l", this.location];
    return this.az.ok([...args, "--administrators", administrator, "--retention-days", String(retentionDays)]);
  }

  /** `az keyvault update-hsm --default-action … [--bypass …]`: the HSM's network ACLs. */
  hsmFirewall(name: string, defaultAction: string, bypass?: string): Promise<any> {
    const args = ["keyvault", "update-hsm", "--hsm-name", name, "-g", this.rg, "--default-action", defaultAction];
    return this.az.ok(bypass === undefined ? args : [...args, "--bypass", bypass]);
  }

  /** `az network vnet create` with an address prefix and, when given, its first subnet. */
  vnet(name: string, addressPrefix: string, subnet?: { name: string; prefix: string }): Promise<any> {
    const args = ["network", "vnet", "create", "-g", this.rg, "-n", name, "--address-prefixes", addressPrefix];
    return this.az.ok(subnet ? [...args, "--subnet-name", subnet.name, "--subnet-prefixes", subnet.prefix] : args);
  }

  /** `az network vnet subnet create`: one more subnet in `vnet`. */
  subnet(vnet: string, name: string, addressPrefix: string): Promise<any> {
    const args = ["network", "vnet", "subnet", "create", "-g", this.rg, "--vnet-name", vnet, "-n", name];
    return this.az.ok([...args, "--address-prefixes", addressPrefix]);
  }

  /** `az network vnet subnet update --disable-private-endpoint-network-policies`. */
  subnetPolicies(vnet: string, subnet: string, disabled: boolean): Promise<any> {
    const args = ["network", "vnet", "subnet", "update", "-g", this.rg, "--vnet-name", vnet, "-n", subnet];
    return this.az.ok([...args, "--disable-private-endpoint-network-policies", String(disabled)]);
  }

  /**
   * `az network private-endpoint create` to a managed HSM (group id `managedhsm`), then `az network nic show` for
   * the endpoint's private address. `manualRequest` makes it a manual approval request (a string: with that
   * request message).
   */
  async privateEndpoint(
    name: string,
    o: { vnet: string; subnet: string; hsmId: string; connection: string; manualRequest?: boolean | string },
  ): Promise<CreatedPrivateEndpoint> {
    const args = ["network", "private-endpoint", "create", "-g", this.rg, "-n", name, "-l", this.location];
    args.push("--vnet-name", o.vnet, "--subnet", o.subnet, "--private-connection-resource-id", o.hsmId);
    args.push("--group-id", "managedhsm", "--connection-name", o.connection);
    if (o.manualRequest) args.push("--manual-request");
    if (typeof o.manualRequest === "string") args.push("--request-message", o.manualRequest);
    const pe = await this.az.ok(args);
    const nic = await this.az.ok(["network", "nic", "show", "--ids", pe.networkInterfaces[0].id]);
    const ip: string = nic.ipConfigurations[0].privateIPAddress ?? nic.ipConfigurations[0].privateIpAddress;
    return { pe, ip };
  }

  /** `az network private-dns zone create`. */
  privateDnsZone(zone = HSM_PRIVATE_ZONE): Promise<any> {
    return this.az.ok(["network", "private-dns", "zone", "create", "-g", this.rg, "-n", zone]);
  }

  /** `az network private-dns link vnet create -e {registration}`: links `vnet` (a name or an id) to the zone. */
  zoneLink(link: string, vnet: string, o: { zone?: string; registration?: boolean } = {}): Promise<any> {
    const args = ["network", "private-dns", "link", "vnet", "create", "-g", this.rg, "-z", o.zone ?? HSM_PRIVATE_ZONE];
    return this.az.ok([...args, "-n", link, "-v", vnet, "-e", String(o.registration ?? false)]);
  }

  /** `az network private-dns record-set a add-record`: the HSM's A record in the zone by hand, as the how-to does. */
  aRecord(name: string, ip: string, zone = HSM_PRIVATE_ZONE): Promise<any> {
    const args = ["network", "private-dns", "record-set", "a", "add-record", "-g", this.rg, "-z", zone];
    return this.az.ok([...args, "-n", name, "-a", ip]);
  }

  /** `az network private-endpoint dns-zone-group create`: the endpoint keeps its A record in `zoneId` itself. */
  zoneGroup(endpoint: string, zoneId: string, o: { name?: string; zoneName?: string } = {}): Promise<any> {
    const args = ["network", "private-endpoint", "dns-zone-group", "create", "-g", this.rg];
    args.push("--endpoint-name", endpoint, "-n", o.name ?? "default");
    return this.az.ok([...args, "--private-dns-zone", zoneId, "--zone-name", o.zoneName ?? "hsm"]);
  }
}

/** Names and results of {@link buildHowto}. */
export interface Howto {
  readonly topology: AzTopology;
  /** The resource group as az printed it. */
  readonly group: any;
  readonly hsm: any;
  readonly pe: any;
  /** The private endpoint's address (its NIC's). */
  readonly peIp: string;
}

/**
 * The how-to's Private Link setup with az: resource group, managed HSM (the signed-in identity as administrator),
 * firewall Deny + AzureServices, a VNet with one subnet, an auto-approved private endpoint, the private DNS zone, its
 * link to the VNet (registration off) and the HSM's A record. Names default to the how-to's.
 */
export async function buildHowto(
  az: Az,
  o: {
    rg: string;
    hsm: string;
    administrator: string;
    vnet?: string;
    addressPrefix?: string;
    subnet?: string;
    subnetPrefix?: string;
    pe?: string;
    connection?: string;
    link?: string;
    /** Disable the subnet's private endpoint network policies first, as the how-to does. */
    subnetPoliciesDisabled?: boolean;
  },
): Promise<Howto> {
  const t = new AzTopology(az, o.rg);
  const vnet = o.vnet ?? "vnet1";
  const subnet = o.subnet ?? "snet1";
  const group = await t.resourceGroup();
  const hsm = await t.managedHsm(o.hsm, o.administrator);
  await t.hsmFirewall(o.hsm, "deny", "AzureServices");
  await t.vnet(vnet, o.addressPrefix ?? "10.0.0.0/16", { name: subnet, prefix: o.subnetPrefix ?? "10.0.1.0/24" });
  if (o.subnetPoliciesDisabled) await t.subnetPolicies(vnet, subnet, true);
  const { pe, ip } = await t.privateEndpoint(o.pe ?? "pe1", {
    vnet,
    subnet,
    hsmId: hsm.id,
    connection: o.connection ?? "conn1",
  });
  await t.privateDnsZone();
  await t.zoneLink(o.link ?? "link1", vnet);
  await t.aRecord(o.hsm, ip);
  return { topology: t, group, hsm, pe, peIp: ip };
}
