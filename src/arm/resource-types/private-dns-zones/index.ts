/**
 * Microsoft.Network/privateDnsZones (api 2020-06-01): zones, virtual network links and record sets, plus the
 * private DNS zone groups of private endpoints that keep A records in those zones (control-plane.md §5).
 * Resource-group delete runs zone groups (order 10), then links (20), then zones with their record sets (30).
 */
import type { ArmRouter, CascadeDeleter } from "../../engine.js";
import { LINK_TYPE, ZONE_GROUP_TYPE, ZONE_TYPE } from "./model.js";
import { registerZones, deleteZone } from "./zones.js";
import { registerLinks, deleteLink } from "./links.js";
import { registerRecordSets } from "./record-sets.js";
import { registerZoneGroups, deleteZoneGroup } from "./zone-groups.js";

export { refreshZoneGroupRecords, removeZoneGroupRecords } from "./zone-groups.js";

/** Registers every private DNS route and the cascade deleters resource-group delete runs. */
export function registerPrivateDnsZones(router: ArmRouter, deleters: CascadeDeleter[]): void {
  registerZones(router);
  registerLinks(router);
  registerRecordSets(router);
  registerZoneGroups(router);
  deleters.push(
    { type: ZONE_GROUP_TYPE, order: 10, remove: deleteZoneGroup },
    { type: LINK_TYPE, order: 20, remove: deleteLink },
    { type: ZONE_TYPE, order: 30, remove: deleteZone },
  );
}
