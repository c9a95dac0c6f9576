// The checks added for issue #6 (FC-07, FC-09/FC-15, FC-13, FC-14) on snapshots built from the BASE fixture.
import { test } from "node:test";
import assert from "node:assert/strict";
import { snapshotFromResources } from "../../../src/network/from-resources.js";
import { normalizeClientHost } from "../../../src/troubleshoot/run.js";
import { base, get, one, run, S, ZONE_ID, type Res } from "./helpers.js";

const A = "Microsoft.Network/privateDnsZones/A";
const PE_ID = `${S}/providers/Microsoft.Network/privateEndpoints/pe1`;
const LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";

function zoneGroup(zoneId: string, provisioningState = "Succeeded"): Res {
  return {
    id: `${PE_ID}/privateDnsZoneGroups/default`,
    name: "default",
    type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    properties: {
      provisioningState,
      privateDnsZoneConfigs: [{ name: "hsm", properties: { privateDnsZoneId: zoneId, recordSets: [] } }],
    },
  };
}

test("from-resources: zone groups are read (ARM and az-flattened configs); absent type = not known", () => {
  const flat = {
    id: `${PE_ID}/privateDnsZoneGroups/default`,
    name: "default",
    type: "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
    privateDnsZoneConfigs: [{ name: "hsm", privateDnsZoneId: ZONE_ID }],
  };
  const { snapshot } = snapshotFromResources([...base(), flat]);
  assert.equal(
    snapshot.privateDnsZoneGroups?.[0].properties.privateDnsZoneConfigs[0].properties.privateDnsZoneId,
    ZONE_ID,
  );
  assert.equal(snapshotFromResources(base()).snapshot.privateDnsZoneGroups, undefined);
});

test("FC-14: zone group on a missing zone → ZONE_GROUP_ZONE_NOT_FOUND naming the id; on a near-miss zone → ZONE_GROUP_WRONG_ZONE; on the right zone → pass", () => {
  const typo = `${ZONE_ID}s`;
  const f = get(run([...base(), zoneGroup(typo)]), "private-dns-zone-group");
  assert.equal(`${f.status}:${f.code}`, "fail:ZONE_GROUP_ZONE_NOT_FOUND");
  assert.match(f.message, /references non-existent zone .*azure\.nets; did you mean/);
  const near = `${S}/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`;
  const rs = [
    ...base(),
    { id: near, name: "privatelink.vaultcore.azure.net", type: "Microsoft.Network/privateDnsZones", properties: {} },
    zoneGroup(near),
  ];
  assert.equal(get(run(rs), "private-dns-zone-group").code, "ZONE_GROUP_WRONG_ZONE");
  assert.equal(get(run([...base(), zoneGroup(ZONE_ID)]), "private-dns-zone-group").status, "pass");
});

test("FC-13: no record and no zone group → DNS_RECORD_NOT_CREATED; zone group Updating → DNS_RECORD_PENDING warn; Succeeded group but no record → ZONE_GROUP_RECORD_MISSING", () => {
  const noRecord = () => base().filter((r) => r.type !== A);
  const f = get(run(noRecord()), "private-endpoint-dns-record");
  assert.equal(`${f.status}:${f.code}`, "fail:DNS_RECORD_NOT_CREATED");
  assert.match(f.fix!, /dns-zone-group create -g rg --endpoint-name pe1/);
  assert.equal(
    get(run([...noRecord(), zoneGroup(ZONE_ID, "Updating")]), "private-endpoint-dns-record").code,
    "DNS_RECORD_PENDING",
  );
  assert.equal(get(run([...noRecord(), zoneGroup(ZONE_ID, "Updating")]), "private-endpoint-dns-record").status, "warn");
  assert.equal(
    get(run([...noRecord(), zoneGroup(ZONE_ID)]), "private-endpoint-dns-record").code,
    "ZONE_GROUP_RECORD_MISSING",
  );
  assert.match(
    get(run([...base(), zoneGroup(ZONE_ID)]), "private-endpoint-dns-record").message,
    /by zone group default/,
  );
});

test("FC-07: a name without record in the linked zone → X_FALLBACK warn with the policy; NxDomainRedirect → pass, not NXDOMAIN", () => {
  const rs = base().filter((r) => r.type !== A);
  const f = get(run(rs), "dns-fallback");
  assert.equal(`${f.status}:${f.code}`, "warn:X_FALLBACK");
  assert.deepEqual([f.evidence.values.resolutionPolicy, f.evidence.values.nxdomain], ["Default", true]);
  one(rs, LINK).properties.resolutionPolicy = "NxDomainRedirect";
  const g = get(run(rs), "dns-fallback");
  assert.deepEqual(
    [g.status, g.evidence.values.resolutionPolicy, g.evidence.values.nxdomain],
    ["pass", "NxDomainRedirect", false],
  );
});

test("FC-09 / FC-15: --host privatelink FQDN, vault domain, another name; the HSM URL passes", () => {
  assert.equal(
    get(run(base(), { host: "hsm1.privatelink.managedhsm.azure.net" }), "client-host-name").code,
    "HOST_PRIVATELINK_NAME",
  );
  const v = get(run(base(), { host: "https://hsm1.vault.azure.net" }), "client-host-name");
  assert.equal(v.code, "HOST_VAULT_DOMAIN");
  assert.match(v.message, /https:\/\/hsm1\.managedhsm\.azure\.net/);
  assert.equal(get(run(base(), { host: "other.example.com" }), "client-host-name").code, "HOST_NOT_MANAGED_HSM");
  assert.equal(
    get(run(base(), { host: "HTTPS://HSM1.managedhsm.azure.net:443/keys" }), "client-host-name").status,
    "pass",
  );
  assert.equal(normalizeClientHost("https://a.b.c./x?y"), "a.b.c");
});
