// The rights checks (issue 14): with --principal, whether the principal's Azure roles let its private endpoint be
// approved on creation and let it write the HSM's record into the private DNS zone; the fix names the narrowest
// built-in role and the scope. Role assignments come as `az role assignment list` prints them (a --from export).
import { test } from "node:test";
import assert from "node:assert/strict";
import { troubleshootSource } from "../../../src/troubleshoot/run.js";
import type { Finding } from "../../../src/troubleshoot/types.js";
import { base, S, ZONE_ID } from "./helpers.js";

const P = "11111111-2222-3333-4444-555555555555";
const SUB = "/subscriptions/00000000-0000-0000-0000-000000000001";
const HSM_ID = `${S}/providers/Microsoft.KeyVault/managedHSMs/hsm1`;
const ROLE = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const KV_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395";
const DNS_CONTRIBUTOR = "b12aa53e-6015-4669-85d0-8515ebb3ae7f";

/** az's flattened output of `az role assignment list`. */
const assignment = (scope: string, guid: string, principalId = P) => ({
  id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${guid.slice(0, 8)}-0000-0000-0000-000000000000`,
  type: "Microsoft.Authorization/roleAssignments",
  scope,
  principalId,
  principalType: "ServicePrincipal",
  roleDefinitionId: ROLE(guid),
});

function run(assignments: unknown[], principal: string | null = P): Finding[] {
  return troubleshootSource({ resources: [...base(), assignments], missing: [] }, "file", {
    hsm: "hsm1",
    resourceGroup: "rg",
    vnet: "vnet1",
    ...(principal ? { principal } : {}),
  }).findings;
}
const get = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!;

test("without --principal the rights checks do not run", () => {
  const fs = run([assignment(SUB, CONTRIBUTOR)], null);
  assert.equal(
    fs.some((f) => f.id.startsWith("rights-")),
    false,
  );
});

test("Contributor on the subscription: auto-approval and zone records pass, naming the granting assignment", () => {
  const fs = run([assignment(SUB, CONTRIBUTOR)]);
  assert.equal(get(fs, "rights-auto-approval").status, "pass");
  assert.deepEqual(get(fs, "rights-auto-approval").evidence.values.grantedBy, [
    { scope: SUB, roleName: "Contributor" },
  ]);
  assert.equal(get(fs, "rights-zone-records").status, "pass");
});

test("Reader only: auto-approval impossible (warn, Managed HSM contributor on the HSM) and no records in the zone (fail, Private DNS Zone Contributor on the zone)", () => {
  const fs = run([assignment(SUB, READER), assignment(SUB, READER, "99999999-9999-9999-9999-999999999999")]);
  const approval = get(fs, "rights-auto-approval");
  assert.equal(approval.status, "warn");
  assert.equal(approval.code, "AUTO_APPROVAL_NOT_PERMITTED");
  assert.match(approval.message, /LinkedAuthorizationFailed/);
  assert.equal(
    approval.fix,
    `az role assignment create --assignee-object-id ${P} --assignee-principal-type ServicePrincipal --role "Managed HSM contributor" --scope ${HSM_ID}  (or create the private endpoint with --manual-request and have the HSM's owner approve it)`,
  );
  const zone = get(fs, "rights-zone-records");
  assert.equal(zone.status, "fail");
  assert.equal(zone.code, "ZONE_RECORDS_NOT_PERMITTED");
  assert.deepEqual(zone.evidence.values.missing, [
    "Microsoft.Network/privateDnsZones/join/action",
    "Microsoft.Network/privateDnsZones/A/write",
  ]);
  assert.equal(
    zone.fix,
    `az role assignment create --assignee-object-id ${P} --assignee-principal-type ServicePrincipal --role "Private DNS Zone Contributor" --scope ${ZONE_ID}`,
  );
});

test("Key Vault Contributor does not cover managed HSMs (its notActions); Private DNS Zone Contributor on the zone covers the records", () => {
  const fs = run([assignment(SUB, KV_CONTRIBUTOR), assignment(ZONE_ID, DNS_CONTRIBUTOR)]);
  assert.equal(get(fs, "rights-auto-approval").status, "warn");
  assert.equal(get(fs, "rights-zone-records").status, "pass");
});

test("an assignment at another resource group does not reach the HSM", () => {
  const fs = run([assignment(`${SUB}/resourceGroups/other`, CONTRIBUTOR)]);
  assert.equal(get(fs, "rights-auto-approval").status, "warn");
  assert.equal(get(fs, "rights-zone-records").status, "fail");
});
