/**
 * X-SHADOW-ZONE (field case FC-01, and zones shadowing the public name): private DNS zones whose name is close to
 * `privatelink.managedhsm.azure.net` but not it (`privatelink.managedhsm.azure.com`, `privatelink.mhsm.azure.net`,
 * `privatelink.vaultcore.azure.net`, …), or that cover the public name (`managedhsm.azure.net`,
 * `{hsm}.managedhsm.azure.net`) and so answer instead of public DNS. Linked to the client VNet = fail, elsewhere = warn.
 */
import { MANAGED_HSM_PRIVATELINK_ZONE, MANAGED_HSM_PUBLIC_ZONE } from '../../network/dns-view.js';
import { linkedZones, sameResourceId, type PrivateDnsZone } from '../../network/topology.js';
import { zoneResourceGroup } from '../facts.js';
import { finding, type Check, type CheckContext } from '../types.js';

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
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n === MANAGED_HSM_PRIVATELINK_ZONE) return false;
  if (n === MANAGED_HSM_PUBLIC_ZONE || n === `${hsmName.toLowerCase()}.${MANAGED_HSM_PUBLIC_ZONE}`) return true;
  if (distance(n, MANAGED_HSM_PRIVATELINK_ZONE) <= 4) return true;
  // privatelink.<key-vault-ish>.azure.<tld>
  return /^privatelink\.(managedhsm|mhsm|hsm|managed-hsm|vault|vaultcore)\.azure\.[a-z]+$/.test(n) || /^privatelink\.managedhsm\./.test(n);
}

/** Zones in the snapshot with a near-miss or shadowing name. */
export function nearMissZones(ctx: CheckContext): PrivateDnsZone[] {
  return ctx.snapshot.privateDnsZones.filter((z) => isNearMissZoneName(z.name, ctx.hsmName));
}

export const check: Check = {
  id: 'zone-name-near-miss',
  run(ctx) {
    const near = nearMissZones(ctx);
    if (near.length === 0) return finding(this.id, 'pass', 'no private DNS zone with a near-miss or shadowing name');
    const linked = linkedZones(ctx.snapshot, ctx.vnet.id).map((l) => l.zone);
    const linkedNear = near.filter((z) => linked.some((l) => sameResourceId(l.id, z.id)));
    const shown = linkedNear.length > 0 ? linkedNear : near;
    const z = shown[0];
    const values = { expected: MANAGED_HSM_PRIVATELINK_ZONE, zones: shown.map((x) => x.name), linkedToClientVnet: linkedNear.length > 0 };
    const shadows = [MANAGED_HSM_PUBLIC_ZONE, `${ctx.hsmName.toLowerCase()}.${MANAGED_HSM_PUBLIC_ZONE}`].includes(z.name.toLowerCase());
    const why = shadows
      ? `it shadows the public name ${ctx.hsmName}.${MANAGED_HSM_PUBLIC_ZONE} in the VNets it is linked to`
      : `no private endpoint record is ever written to it and clients never query it`;
    return finding(this.id, linkedNear.length > 0 ? 'fail' : 'warn', `private DNS zone ${z.name} is not ${MANAGED_HSM_PRIVATELINK_ZONE}: ${why}${linkedNear.length > 0 ? ` (linked to ${ctx.vnet.name})` : ''}`, {
      code: 'DNS_ZONE_NAME_MISMATCH',
      resources: shown.map((x) => x.id),
      values,
      fix: `az network private-dns zone delete -g ${zoneResourceGroup(ctx, z)} -n ${z.name} --yes && az network private-dns zone create -g ${zoneResourceGroup(ctx, z)} -n ${MANAGED_HSM_PRIVATELINK_ZONE}`,
    });
  },
};
