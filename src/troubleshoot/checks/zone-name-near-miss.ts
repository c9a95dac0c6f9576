/**
 * X-SHADOW-ZONE (field case FC-01, and zones shadowing the public name): private DNS zones whose name is close to
 * `privatelink.managedhsm.azure.net` but not it (`privatelink.managedhsm.azure.com`, `privatelink.mhsm.azure.net`,
 * `privatelink.vaultcore.azure.net`, …), or that cover the public name (`managedhsm.azure.net`,
 * `{hsm}.managedhsm.azure.net`) and so answer instead of public DNS. Linked to the client VNet = fail, elsewhere = warn.
 */

import {
  linkedZones,
  parentResourceId,
  recordSetsOfZone,
  resourceName,
  sameResourceId,
  type PrivateDnsZone,
} from "../../network/topology.js";
import {
  correctZones,
  hsmARecord,
  isApproved,
  linkedCorrectZone,
  privateEndpointFacts,
  zoneResourceGroup,
} from "../facts.js";
import { finding, type Check, type CheckContext } from "../types.js";
import { MANAGED_HSM_PRIVATELINK_ZONE, MANAGED_HSM_PUBLIC_ZONE } from "../../kernel/azure-names.js";

/** Levenshtein distance (small strings only). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** True when `name` is a near miss of the Managed HSM privatelink zone or shadows the public HSM name. */
export function isNearMissZoneName(name: string, hsmName: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (n === MANAGED_HSM_PRIVATELINK_ZONE) return false;
  if (n === MANAGED_HSM_PUBLIC_ZONE || n === `${hsmName.toLowerCase()}.${MANAGED_HSM_PUBLIC_ZONE}`) return true;
  if (distance(n, MANAGED_HSM_PRIVATELINK_ZONE) <= 4) return true;
  // privatelink.<key-vault-ish>.azure.<tld>
  return (
    /^privatelink\.(managedhsm|mhsm|hsm|managed-hsm|vault|vaultcore)\.azure\.[a-z]+$/.test(n) ||
    /^privatelink\.managedhsm\./.test(n)
  );
}

/**
 * Private DNS zones other services really use (Key Vault vaults): never a mistake in themselves, so they count only
 * when someone put this HSM's record in them, and the fix removes that record rather than the zone.
 */
const OTHER_SERVICE_ZONES = ["privatelink.vaultcore.azure.net"];

function isOtherServiceZone(z: PrivateDnsZone): boolean {
  return OTHER_SERVICE_ZONES.includes(z.name.toLowerCase().replace(/\.$/, ""));
}

function holdsHsmRecord(ctx: CheckContext, z: PrivateDnsZone): boolean {
  return recordSetsOfZone(ctx.snapshot, z.id).some(
    (r) => resourceName(r.id).toLowerCase() === ctx.hsmName.toLowerCase(),
  );
}

/** Zones in the snapshot with a near-miss or shadowing name (another service's zone only when it holds this HSM's record). */
export function nearMissZones(ctx: CheckContext): PrivateDnsZone[] {
  return ctx.snapshot.privateDnsZones.filter(
    (z) => isNearMissZoneName(z.name, ctx.hsmName) && (!isOtherServiceZone(z) || holdsHsmRecord(ctx, z)),
  );
}

/**
 * The az sequence that replaces `wrong` zones, in an order that works: a zone with virtual network links cannot be
 * deleted (CannotDeleteResource), so its links go first; the right zone is created only when absent (else
 * PreconditionFailed), linked to the client VNet when it is not, and given the HSM's A record when it lacks one.
 */
export function repairCommands(ctx: CheckContext, wrong: readonly PrivateDnsZone[]): string[] {
  const cmds: string[] = [];
  for (const z of wrong) {
    const rg = zoneResourceGroup(ctx, z);
    if (isOtherServiceZone(z)) {
      cmds.push(`az network private-dns record-set a delete -g ${rg} -z ${z.name} -n ${ctx.hsmName} --yes`);
      continue;
    }
    for (const l of ctx.snapshot.virtualNetworkLinks.filter((x) => sameResourceId(parentResourceId(x.id), z.id))) {
      cmds.push(`az network private-dns link vnet delete -g ${rg} -z ${z.name} -n ${l.name} --yes`);
    }
    cmds.push(`az network private-dns zone delete -g ${rg} -n ${z.name} --yes`);
  }
  const existing = linkedCorrectZone(ctx)?.zone ?? correctZones(ctx)[0];
  const zoneRg = existing
    ? zoneResourceGroup(ctx, existing)
    : wrong[0]
      ? zoneResourceGroup(ctx, wrong[0])
      : ctx.resourceGroup;
  const zone = MANAGED_HSM_PRIVATELINK_ZONE;
  if (!existing) cmds.push(`az network private-dns zone create -g ${zoneRg} -n ${zone}`);
  if (!linkedCorrectZone(ctx)) {
    const taken = existing
      ? ctx.snapshot.virtualNetworkLinks
          .filter((x) => sameResourceId(parentResourceId(x.id), existing.id))
          .map((x) => x.name.toLowerCase())
      : [];
    let name = `${ctx.vnet.name}-link`;
    for (let i = 2; taken.includes(name.toLowerCase()); i++) name = `${ctx.vnet.name}-link${i}`;
    cmds.push(`az network private-dns link vnet create -g ${zoneRg} -z ${zone} -n ${name} -v ${ctx.vnet.id} -e false`);
  }
  const facts = privateEndpointFacts(ctx);
  const ip = (facts.find((f) => isApproved(f) && f.reachable) ?? facts.find(isApproved))?.ips[0];
  if (ip && (!existing || !hsmARecord(ctx, existing)))
    cmds.push(`az network private-dns record-set a add-record -g ${zoneRg} -z ${zone} -n ${ctx.hsmName} -a ${ip}`);
  return cmds;
}

export const check: Check = {
  id: "zone-name-near-miss",
  run(ctx) {
    const near = nearMissZones(ctx);
    if (near.length === 0) return finding(this.id, "pass", "no private DNS zone with a near-miss or shadowing name");
    const linked = linkedZones(ctx.snapshot, ctx.vnet.id).map((l) => l.zone);
    const linkedNear = near.filter((z) => linked.some((l) => sameResourceId(l.id, z.id)));
    const shown = linkedNear.length > 0 ? linkedNear : near;
    const z = shown[0];
    const values = {
      expected: MANAGED_HSM_PRIVATELINK_ZONE,
      zones: shown.map((x) => x.name),
      linkedToClientVnet: linkedNear.length > 0,
    };
    const shadows = [MANAGED_HSM_PUBLIC_ZONE, `${ctx.hsmName.toLowerCase()}.${MANAGED_HSM_PUBLIC_ZONE}`].includes(
      z.name.toLowerCase(),
    );
    const why = shadows
      ? `it shadows the public name ${ctx.hsmName}.${MANAGED_HSM_PUBLIC_ZONE} in the VNets it is linked to`
      : `no private endpoint record is ever written to it and clients never query it`;
    return finding(
      this.id,
      linkedNear.length > 0 ? "fail" : "warn",
      `private DNS zone ${z.name} is not ${MANAGED_HSM_PRIVATELINK_ZONE}: ${why}${linkedNear.length > 0 ? ` (linked to ${ctx.vnet.name})` : ""}`,
      {
        code: "DNS_ZONE_NAME_MISMATCH",
        resources: shown.map((x) => x.id),
        values,
        fix: repairCommands(ctx, shown).join(" && "),
      },
    );
  },
};
