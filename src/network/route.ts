/**
 * Route decision: given the address a client's DNS answer produced, which path would a TCP
 * connection to port 443 take in Azure — through a private endpoint NIC, to the HSM's public
 * endpoint, or nowhere (connection refused / timed out)?
 *
 * Pure. Whether the request is then allowed (connection state, publicNetworkAccess, network ACLs)
 * is decided by the network-rules step of the pipeline, not here; this module only reports facts.
 */

import { ipInCidr, tryParseCidr, tryParseIpv4 } from "./cidr.js";
import { publicAddressOfHsm } from "./dns-view.js";
import {
  connectionsOfPrivateEndpoint,
  findManagedHsmByName,
  findNicByAddress,
  findVirtualNetwork,
  findVmByPrivateAddress,
  privateEndpointOfNic,
  reachableVnetIds,
  resourceName,
  sameResourceId,
  type ManagedHsm,
  type NetworkSnapshot,
  type PrivateLinkServiceConnectionState,
  type Vantage,
  type VirtualNetwork,
} from "./topology.js";
import type { RouteRule, TraceRefs, NetworkTraceStep } from "./trace.js";
import { normalizeDnsName, parseManagedHsmHost } from "../kernel/azure-names.js";

/** Address the public internet vantage connects from unless configured (TEST-NET-2, RFC 5737). */
export const DEFAULT_INTERNET_CLIENT_ADDRESS = "198.51.100.7";

/** Knobs of {@link route}. */
export interface RouteOptions {
  /** Source address of requests from the internet vantage; default {@link DEFAULT_INTERNET_CLIENT_ADDRESS}. */
  readonly internetClientAddress?: string;
}

/** Why no path exists. */
export type RouteNoneReason =
  /** The destination is not an IPv4 address. */
  | "invalid-address"
  /** The VM's VNet is not in the snapshot. */
  | "vnet-missing"
  /** A private endpoint has that address, but in a VNet that is neither the VM's nor a Connected peer. */
  | "private-endpoint-not-reachable"
  /** A reachable NIC or VM has that address, but it is not a private endpoint's NIC. */
  | "not-a-private-endpoint"
  /** The private endpoint NIC exists but its PE has no connection (so it leads nowhere). */
  | "private-endpoint-without-connection"
  /** From the internet to a private endpoint's private address: not routable. */
  | "private-address-from-internet"
  /** The VM has no public IP, so it has no path to a public endpoint (default outbound access is not modelled). */
  | "no-outbound-public-address"
  /** Nothing the model knows listens at that address. */
  | "no-listener";

/** Outcome of {@link route}; every variant carries the trace that explains it. */
export type RouteDecision =
  | {
      readonly path: "private";
      readonly destinationAddress: string;
      /** The VM's private address: what the HSM sees as the client address over a private endpoint. */
      readonly sourceAddress: string;
      readonly privateEndpointId: string;
      readonly nicId: string;
      /** `privateLinkServiceId` of the PE's connection (the HSM may no longer exist). */
      readonly hsmId: string;
      readonly connectionName: string;
      /** True when the connection is a manual request (`manualPrivateLinkServiceConnections`). */
      readonly manualRequest: boolean;
      /** The PE-side connection state, e.g. `{ status: 'Approved' }`. */
      readonly connectionState: PrivateLinkServiceConnectionState;
      readonly trace: readonly NetworkTraceStep[];
    }
  | {
      readonly path: "public";
      readonly destinationAddress: string;
      /** The VM's public IP, or the configured internet client address. */
      readonly sourceAddress: string;
      /**
       * The HSM named by `hostName` when `destinationAddress` is its public address; undefined
       * when the host names no such HSM (the front end then selects by SNI and finds nothing).
       */
      readonly hsmId: string | undefined;
      readonly trace: readonly NetworkTraceStep[];
    }
  | {
      readonly path: "none";
      readonly destinationAddress: string;
      readonly reason: RouteNoneReason;
      readonly trace: readonly NetworkTraceStep[];
    };

class Tracer {
  readonly steps: NetworkTraceStep[] = [];
  add(rule: RouteRule, detail: string, refs?: TraceRefs): void {
    this.steps.push(refs ? { step: "route", rule, detail, refs } : { step: "route", rule, detail });
  }
}

/**
 * Decides the network path from `vantage` to `address` for a request to `hostName`.
 *
 * From a VM: an address held by a private endpoint's NIC in the VM's own VNet or a Connected peer
 * ({@link reachableVnetIds}) → `private` (PE, NIC, target HSM id and connection state, whatever
 * that state is); a private endpoint NIC in any other VNet → `none`
 * (`private-endpoint-not-reachable`). From either vantage: the public address of an existing
 * managed HSM ({@link publicAddressOfHsm}) → `public`, source = the VM's `publicIpAddress` or
 * `options.internetClientAddress`; from the internet a PE's private address → `none`. Anything
 * else → `none` (`no-listener`), like a connection to an unused Azure address.
 * `hostName` (the TLS/HTTP host) does not change the path; it selects the HSM on the public path
 * and is traced when it names a different HSM than a private endpoint leads to.
 * Never throws for bad input. Sources: learn.microsoft.com "What is a private endpoint?",
 * "Virtual network peering", "Default outbound access in Azure".
 */
export function route(
  snapshot: NetworkSnapshot,
  vantage: Vantage,
  address: string,
  hostName: string,
  options: RouteOptions = {},
): RouteDecision {
  const tracer = new Tracer();
  const destinationAddress = address.trim();
  const host = normalizeDnsName(hostName);
  const none = (reason: RouteNoneReason): RouteDecision => ({
    path: "none",
    destinationAddress,
    reason,
    trace: tracer.steps,
  });

  if (vantage.kind === "internet") {
    tracer.add("vantage-internet", `connect to ${destinationAddress}:443 (host ${host}) from the public internet`);
  } else {
    tracer.add(
      "vantage-vm",
      `connect to ${destinationAddress}:443 (host ${host}) from VM ${vantage.vm.name} (${vantage.vm.privateIpAddress})`,
      {
        vmName: vantage.vm.name,
        vnetId: vantage.vm.vnetId,
      },
    );
  }
  if (tryParseIpv4(destinationAddress) === undefined) {
    tracer.add("invalid-address", `${destinationAddress} is not an IPv4 address`);
    return none("invalid-address");
  }

  if (vantage.kind === "vm") {
    const vm = vantage.vm;
    const vnet = findVirtualNetwork(snapshot, vm.vnetId);
    if (!vnet) {
      tracer.add("vnet-missing", `virtual network ${vm.vnetId} of VM ${vm.name} does not exist`, { vnetId: vm.vnetId });
      return none("vnet-missing");
    }
    const reachable = reachableVnetIds(snapshot, vnet.id);
    tracer.add(
      "reachable-vnets",
      reachable.length > 1
        ? `VM ${vm.name} reaches private addresses in ${reachable.map(resourceName).join(", ")} (own VNet and Connected peers)`
        : `VM ${vm.name} reaches private addresses in ${vnet.name} only (no Connected peering)`,
      { vnetId: vnet.id },
    );

    const match = findNicByAddress(snapshot, reachable, destinationAddress);
    if (match) {
      const pe = privateEndpointOfNic(snapshot, match.nic);
      const nicRefs = { nicId: match.nic.id, vnetId: match.vnetId };
      if (!pe) {
        tracer.add(
          "not-a-private-endpoint",
          `${destinationAddress} is NIC ${match.nic.name}, which belongs to no private endpoint; no managed HSM listens there`,
          nicRefs,
        );
        return none("not-a-private-endpoint");
      }
      const [connection] = connectionsOfPrivateEndpoint(pe);
      if (!connection) {
        tracer.add(
          "private-endpoint-without-connection",
          `${destinationAddress} is private endpoint ${pe.name}, which has no private link service connection`,
          {
            ...nicRefs,
            privateEndpointId: pe.id,
          },
        );
        return none("private-endpoint-without-connection");
      }
      const where = sameResourceId(match.vnetId, vnet.id)
        ? `its own VNet ${vnet.name}`
        : `peered VNet ${resourceName(match.vnetId)}`;
      tracer.add(
        "private-endpoint-nic",
        `${destinationAddress} is NIC ${match.nic.name} of private endpoint ${pe.name} in ${where}; connection ${connection.name}${connection.manualRequest ? " (manual)" : ""} to ${resourceName(connection.privateLinkServiceId)} is ${connection.state.status}`,
        { ...nicRefs, privateEndpointId: pe.id, hsmId: connection.privateLinkServiceId },
      );
      const hostHsm = parseManagedHsmHost(host);
      if (hostHsm && hostHsm.hsmName !== resourceName(connection.privateLinkServiceId).toLowerCase()) {
        tracer.add(
          "host-differs-from-target",
          `host ${host} names managed HSM ${hostHsm.hsmName}, but private endpoint ${pe.name} leads to ${resourceName(connection.privateLinkServiceId)}`,
          { privateEndpointId: pe.id, hsmId: connection.privateLinkServiceId },
        );
      }
      return {
        path: "private",
        destinationAddress,
        sourceAddress: vm.privateIpAddress,
        privateEndpointId: pe.id,
        nicId: match.nic.id,
        hsmId: connection.privateLinkServiceId,
        connectionName: connection.name,
        manualRequest: connection.manualRequest,
        connectionState: connection.state,
        trace: tracer.steps,
      };
    }

    const vmThere = findVmByPrivateAddress(snapshot, reachable, destinationAddress);
    if (vmThere) {
      tracer.add(
        "not-a-private-endpoint",
        `${destinationAddress} is VM ${vmThere.name}, not a private endpoint; no managed HSM listens there`,
        {
          vmName: vmThere.name,
        },
      );
      return none("not-a-private-endpoint");
    }

    const reachableVnets = reachable
      .map((id) => findVirtualNetwork(snapshot, id))
      .filter((v): v is VirtualNetwork => v !== undefined);
    if (!reachableVnets.some((v) => inAddressSpace(v, destinationAddress))) {
      const elsewhere = privateEndpointNicAnywhere(snapshot, destinationAddress);
      if (elsewhere) {
        tracer.add(
          "private-endpoint-not-reachable",
          `${destinationAddress} is private endpoint ${elsewhere.peName} in ${resourceName(elsewhere.vnetId)}, which is neither ${vnet.name} nor a Connected peer of it`,
          { privateEndpointId: elsewhere.peId, vnetId: elsewhere.vnetId },
        );
        return none("private-endpoint-not-reachable");
      }
    }
  }

  const publicTarget = publicEndpoint(snapshot, destinationAddress, host);
  if (publicTarget) {
    const front = publicTarget.servedHsms.map((h) => h.name).join(", ");
    if (vantage.kind === "vm" && !vantage.vm.publicIpAddress) {
      tracer.add(
        "no-outbound-public-address",
        `${destinationAddress} is the public endpoint of managed HSM ${front}, but VM ${vantage.vm.name} has no public IP address (default outbound access is not modelled)`,
      );
      return none("no-outbound-public-address");
    }
    const sourceAddress =
      vantage.kind === "vm"
        ? vantage.vm.publicIpAddress!
        : (options.internetClientAddress ?? DEFAULT_INTERNET_CLIENT_ADDRESS);
    const selected = publicTarget.hostHsm
      ? `host ${host} selects managed HSM ${publicTarget.hostHsm.name}`
      : `host ${host} names none of the managed HSMs served there`;
    tracer.add(
      "public-endpoint",
      `${destinationAddress} is the public endpoint of managed HSM ${front}; ${selected}; the HSM sees client address ${sourceAddress}`,
      publicTarget.hostHsm ? { hsmId: publicTarget.hostHsm.id, sourceAddress } : { sourceAddress },
    );
    return { path: "public", destinationAddress, sourceAddress, hsmId: publicTarget.hostHsm?.id, trace: tracer.steps };
  }

  if (vantage.kind === "internet") {
    const privateTarget = privateEndpointNicAnywhere(snapshot, destinationAddress);
    if (privateTarget) {
      tracer.add(
        "private-address-from-internet",
        `${destinationAddress} is the private address of private endpoint ${privateTarget.peName} in ${resourceName(privateTarget.vnetId)}; private addresses are not reachable from the internet`,
        { privateEndpointId: privateTarget.peId, vnetId: privateTarget.vnetId },
      );
      return none("private-address-from-internet");
    }
  }

  tracer.add("no-listener", `nothing listens at ${destinationAddress} for this vantage: connection fails`);
  return none("no-listener");
}

function inAddressSpace(vnet: VirtualNetwork, address: string): boolean {
  return vnet.properties.addressSpace.addressPrefixes.some((prefix) => {
    const parsed = tryParseCidr(prefix);
    return parsed.ok && ipInCidr(address, parsed.value);
  });
}

function privateEndpointNicAnywhere(
  snapshot: NetworkSnapshot,
  address: string,
): { readonly peId: string; readonly peName: string; readonly vnetId: string } | undefined {
  for (const vnet of snapshot.virtualNetworks) {
    const match = findNicByAddress(snapshot, [vnet.id], address);
    const pe = match ? privateEndpointOfNic(snapshot, match.nic) : undefined;
    if (match && pe) return { peId: pe.id, peName: pe.name, vnetId: match.vnetId };
  }
  return undefined;
}

function publicEndpoint(
  snapshot: NetworkSnapshot,
  address: string,
  host: string,
): { readonly servedHsms: readonly ManagedHsm[]; readonly hostHsm: ManagedHsm | undefined } | undefined {
  const wanted = tryParseIpv4(address);
  const servedHsms = snapshot.managedHsms.filter((h) => tryParseIpv4(publicAddressOfHsm(h.name)) === wanted);
  if (servedHsms.length === 0) return undefined;
  const parsedHost = parseManagedHsmHost(host);
  const named = parsedHost ? findManagedHsmByName(snapshot, parsedHost.hsmName) : undefined;
  const hostHsm = named && servedHsms.some((h) => sameResourceId(h.id, named.id)) ? named : undefined;
  return { servedHsms, hostHsm };
}
