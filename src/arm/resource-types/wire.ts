/**
 * The link between the ARM resource types' stored bodies (what ARM writes, in the wire shape of the REST specs)
 * and the network model's read types (src/network/topology.ts, what the DNS views, routes, network rules and the
 * troubleshooter read): each stored body must be assignable to the type the network model reads it as, so a field
 * renamed or retyped on one side fails the type check here instead of silently reading `undefined`.
 */
import type {
  ManagedHsm,
  NetworkInterface,
  PrivateDnsZone,
  PrivateEndpoint,
  RecordSet,
  Subnet,
  VirtualNetwork,
  VirtualNetworkLink,
  VirtualNetworkPeering,
} from "../../network/topology.js";
import type { NicBody } from "./network-interfaces/index.js";
import type { PrivateEndpointBody } from "./private-endpoints/index.js";
import type { LinkBody, RecordSetBody, ZoneBody } from "./private-dns-zones/model.js";
import type { PeeringBody, SubnetBody, VnetBody } from "./virtual-networks/model.js";
import type { ManagedHsmBody } from "./managed-hsms/model.js";

/** Compiles only when `Stored` can be read as `Read`. */
type ReadableAs<Stored extends Read, Read> = Stored;

export type WireConformance = [
  ReadableAs<VnetBody, VirtualNetwork>,
  ReadableAs<SubnetBody, Subnet>,
  ReadableAs<PeeringBody, VirtualNetworkPeering>,
  ReadableAs<PrivateEndpointBody, PrivateEndpoint>,
  ReadableAs<NicBody, NetworkInterface>,
  ReadableAs<ZoneBody, PrivateDnsZone>,
  ReadableAs<LinkBody, VirtualNetworkLink>,
  ReadableAs<RecordSetBody, RecordSet>,
  ReadableAs<ManagedHsmBody, ManagedHsm>,
];
