// The real Azure CLI against hsmlink's foundation: sign-in, account, resource groups, providers, and the gateway's
// refusals. Only the environment of `hsmlink env` (plus the Debian packaging shim) is set.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { grantArmRole } from "../support/arm-roles.js";
import { CONTRIBUTOR } from "../../src/kernel/azure-roles.js";
import { Az } from "../support/az.js";

const { test, before, after } = clientSuite("az");

let h: TestHsmlink;
let az: Az;

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
});
after(async () => h?.dispose());

test("az login --identity signs in to the emulated subscription", async () => {
  const accounts = await az.ok(["login", "--identity"]);
  assert.equal(accounts.length, 1);
  assert.equal(accounts[0].id, h.endpoints.subscriptionId);
  assert.equal(accounts[0].tenantId, h.endpoints.tenantId);
  assert.equal(accounts[0].user.assignedIdentityInfo, "MSI");
  const show = await az.ok(["account", "show"]);
  assert.equal(show.id, h.endpoints.subscriptionId);
  assert.equal(show.state, "Enabled");
});

test("az group create/show/list/delete and the 404 exit code", async () => {
  const rg = await az.ok(["group", "create", "-n", "rg-found", "-l", "westeurope", "--tags", "team=core"]);
  assert.equal(rg.id, `/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/rg-found`);
  assert.equal(rg.properties.provisioningState, "Succeeded");
  assert.deepEqual(rg.tags, { team: "core" });
  const shown = await az.ok(["group", "show", "-n", "RG-FOUND"]);
  assert.equal(shown.name, "rg-found");
  const list = await az.ok(["group", "list"]);
  assert.ok(list.some((g: { name: string }) => g.name === "rg-found"));
  assert.equal((await az.run(["group", "exists", "-n", "rg-found"])).stdout.trim(), "true");
  const moved = await az.run(["group", "create", "-n", "rg-found", "-l", "eastus"]);
  assert.equal(moved.code, 1);
  assert.match(moved.stderr, /InvalidResourceGroupLocation/);
  const del = await az.run(["group", "delete", "-n", "rg-found", "-y"]);
  assert.equal(del.code, 0, del.stderr);
  const gone = await az.run(["group", "show", "-n", "rg-found"]);
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /\(ResourceGroupNotFound\) Resource group 'rg-found' could not be found\./);
});

test("az provider register/show", async () => {
  const reg = await az.run(["provider", "register", "-n", "Microsoft.KeyVault"]);
  assert.equal(reg.code, 0, reg.stderr);
  const p = await az.ok(["provider", "show", "-n", "Microsoft.KeyVault"]);
  assert.equal(p.namespace, "Microsoft.KeyVault");
  assert.equal(p.registrationState, "Registered");
  assert.ok(p.resourceTypes.some((t: { resourceType: string }) => t.resourceType === "managedHSMs"));
});

test("az login --service-principal with an identity made by hsmlink", async () => {
  const { principal, password } = h.identity.createServicePrincipal("ci-deployer");
  // A new service principal has no Azure role (az login would find no subscription): Contributor on the subscription.
  await grantArmRole(h, principal.objectId, CONTRIBUTOR);
  const spAz = new Az(h.clientEnv());
  const accounts = await spAz.ok([
    "login",
    "--service-principal",
    "-u",
    principal.appId,
    `--password=${password}`,
    "--tenant",
    h.endpoints.tenantId,
  ]);
  assert.equal(accounts[0].user.type, "servicePrincipal");
  assert.equal(accounts[0].user.name, principal.appId);
  const rg = await spAz.ok(["group", "create", "-n", "rg-sp", "-l", "northeurope"]);
  assert.equal(rg.location, "northeurope");
  const bad = await new Az(h.clientEnv()).run([
    "login",
    "--service-principal",
    "-u",
    principal.appId,
    "-p",
    "wrong",
    "--tenant",
    h.endpoints.tenantId,
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /AADSTS7000215/);
});
