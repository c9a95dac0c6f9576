/**
 * The one private-address allocator's view of a subnet: which addresses are taken, by whom. Azure hands out the
 * first free assignable address of the subnet (cidr.ts {@link nextFreeAddress}: the first four and the last are
 * Azure's); every allocation (ARM network interfaces and private endpoints, simulated VMs) asks this function.
 */
import { RESOURCE_TYPES } from "../kernel/azure-names.js";
import { parentIdOf, sameId } from "../kernel/resource-ids.js";
import type { Store } from "../store/db.js";

/** The part of a stored network interface that says which addresses it holds. */
interface NicIpConfigurations {
  properties?: {
    ipConfigurations?: { id: string; properties?: { privateIPAddress?: string; subnet?: { id: string } } }[];
  };
}

/** The part of a stored simulated VM that says where it sits. */
interface VmPlacement {
  properties?: { hsmlink?: { subnetId?: string; privateIpAddress?: string } };
}

/**
 * Private addresses taken in subnet `subnetId`, address → the id of the ip configuration (or VM) holding it: every
 * NIC ip configuration placed in the subnet (found through `ipConfigurationRefs`, the subnet's back-references,
 * and by scanning the subscription's NICs, so NICs written by any module count) plus simulated VMs there.
 */
export function takenAddresses(
  store: Store,
  subscriptionId: string,
  subnetId: string,
  ipConfigurationRefs: readonly string[] = [],
): Map<string, string> {
  const out = new Map<string, string>();
  const nics = new Map<string, NicIpConfigurations & { id: string }>();
  for (const ref of ipConfigurationRefs) {
    const nic = store.resources.get<NicIpConfigurations>(parentIdOf(ref));
    if (nic && nic.type.toLowerCase() === RESOURCE_TYPES.networkInterface.toLowerCase())
      nics.set(nic.id.toLowerCase(), { id: nic.id, ...nic.body });
  }
  for (const nic of store.resources.list<NicIpConfigurations>(RESOURCE_TYPES.networkInterface, { subscriptionId }))
    nics.set(nic.id.toLowerCase(), { id: nic.id, ...nic.body });
  for (const nic of nics.values()) {
    for (const ipc of nic.properties?.ipConfigurations ?? []) {
      const ip = ipc.properties?.privateIPAddress;
      if (ip && sameId(ipc.properties?.subnet?.id, subnetId)) out.set(ip, ipc.id);
    }
  }
  for (const vm of store.resources.list<VmPlacement>(RESOURCE_TYPES.virtualMachine, { subscriptionId })) {
    const f = vm.body.properties?.hsmlink;
    if (f?.privateIpAddress && sameId(f.subnetId, subnetId) && !out.has(f.privateIpAddress))
      out.set(f.privateIpAddress, vm.id);
  }
  return out;
}
