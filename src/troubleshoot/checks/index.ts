/**
 * The checks in the order the how-to's troubleshooting guide walks (connection, zone, link, record, IP), then the
 * field-case checks, then the end-to-end and firewall views.
 */
import type { Check } from "../types.js";
import { check as rightsAutoApproval } from "./rights-auto-approval.js";
import { check as rightsZoneRecords } from "./rights-zone-records.js";
import { check as connectionApproved } from "./connection-approved.js";
import { check as connectionVnet } from "./connection-vnet.js";
import { check as connectionDisconnected } from "./connection-disconnected.js";
import { check as dnsZoneExists } from "./dns-zone-exists.js";
import { check as zoneNameNearMiss } from "./zone-name-near-miss.js";
import { check as dnsZoneLinked } from "./dns-zone-linked.js";
import { check as zoneLinkedToPeerOnly } from "./zone-linked-to-peer-only.js";
import { check as aRecordExists } from "./a-record-exists.js";
import { check as aRecordIpMatches } from "./a-record-ip-matches.js";
import { check as multiplePrivateEndpoints } from "./multiple-private-endpoints.js";
import { check as customDnsBypass } from "./custom-dns-bypass.js";
import { check as regionMismatch } from "./region-mismatch.js";
import { check as dnsResolvesPrivate } from "./dns-resolves-private.js";
import { check as publicPathFirewall } from "./public-path-firewall.js";
import { check as publicNetworkAccess } from "./public-network-access.js";
import { check as clientHostName } from "./client-host-name.js";
import { check as privateDnsZoneGroup } from "./private-dns-zone-group.js";
import { check as privateEndpointDnsRecord } from "./private-endpoint-dns-record.js";
import { check as dnsFallback } from "./dns-fallback.js";
import { check as subnetNetworkPolicies } from "./subnet-network-policies.js";

export const CHECKS: readonly Check[] = [
  connectionApproved,
  connectionVnet,
  connectionDisconnected,
  subnetNetworkPolicies,
  dnsZoneExists,
  zoneNameNearMiss,
  dnsZoneLinked,
  zoneLinkedToPeerOnly,
  privateDnsZoneGroup,
  aRecordExists,
  aRecordIpMatches,
  privateEndpointDnsRecord,
  multiplePrivateEndpoints,
  customDnsBypass,
  regionMismatch,
  clientHostName,
  dnsFallback,
  dnsResolvesPrivate,
  publicPathFirewall,
  publicNetworkAccess,
];

/** Checks of the setup principal's Azure RBAC rights; they run only when `--principal` names one. */
export const RIGHTS_CHECKS: readonly Check[] = [rightsAutoApproval, rightsZoneRecords];
