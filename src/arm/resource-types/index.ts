/**
 * Every resource type the emulated ARM serves. Each folder registers its routes and, where resource-group delete
 * must run side effects, a cascade deleter.
 */
import type { ArmRouter, CascadeDeleter } from "../engine.js";
import { registerSubscriptions } from "./subscriptions/index.js";
import { registerResourceGroups } from "./resource-groups/index.js";
import { registerOperationRoutes } from "./operations/index.js";
import { registerManagedHsms } from "./managed-hsms/index.js";
import { registerPrivateDnsZones } from "./private-dns-zones/index.js";
import { registerNetworkResources } from "./virtual-networks/index.js";
import { registerPrivateEndpoints } from "./private-endpoints/index.js";
import { registerNetworkInterfaces } from "./network-interfaces/index.js";
import { registerAuthorization } from "../authorization/assignments.js";

export function registerResourceTypes(router: ArmRouter, deleters: CascadeDeleter[]): void {
  registerSubscriptions(router);
  registerResourceGroups(router);
  registerOperationRoutes(router);
  registerManagedHsms(router, deleters);
  registerPrivateDnsZones(router, deleters);
  registerNetworkResources(router, deleters);
  registerAuthorization(router);
  registerPrivateEndpoints(router, deleters);
  registerNetworkInterfaces(router, deleters);
}
