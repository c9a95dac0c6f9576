// Who may do what in Azure Resource Manager, with the real Azure CLI (issue #14 "Done when"): several subscriptions,
// `az role assignment create/list/delete` with object ids, AuthorizationFailed for callers without a role,
// Contributor on one resource group, and the approval rule of private endpoints across subscriptions: the "app
// team" (Contributor on subscription B) asks for a private endpoint to the "security team"'s HSM in subscription A,
// is refused the automatic connection (LinkedAuthorizationFailed), gets a Pending one with --manual-request, the
// security team (Managed HSM contributor on A) approves it, and a VM in B then reaches the HSM through it.
// One hsmlink for the file; the tests run in order and build on each other.
import assert from "node:assert/strict";
import { clientSuite } from "../support/clients.js";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import { adminRequest } from "../../src/client/admin-client.js";

const { test, before, after } = clientSuite("az");

const LOC = "westeurope";
const HSM = "sechsm14";
let h: TestHsmlink;
let owner: Az;
let subA: string;
let subB: string;
let hsmId: string;
const sp: Record<string, { appId: string; password: string; objectId: string }> = {};
const session: Record<string, Az> = {};

function newSp(name: string) {
  const { principal, password } = h.identity.createServicePrincipal(name);
  sp[name] = { appId: principal.appId, password, objectId: principal.objectId };
  return sp[name];
}

async function loginAs(name: string, extra: string[] = []) {
  const az = new Az(h.clientEnv());
  const r = await az.run([
    "login",
    "--service-principal",
    "-u",
    sp[name].appId,
    `--password=${sp[name].password}`,
    "--tenant",
    h.endpoints.tenantId,
    ...extra,
    "-o",
    "json",
  ]);
  session[name] = az;
  return r;
}

before(async () => {
  h = await startTestHsmlink();
  subA = h.endpoints.subscriptionId;
  owner = new Az(h.clientEnv());
  await owner.ok(["login", "--identity"]);
});
after(async () => h?.dispose());

test("hsmlink subscription create: a second subscription the default identity owns; az login lists it; az account set / --subscription", async () => {
  const env = { ...process.env, HSMLINK_HOME: h.config.dataDir };
  const made = await runHsmlinkCli(["subscription", "create", "app team"], env);
  assert.equal(made.code, 0, made.stderr);
  subB = JSON.parse(made.stdout).subscriptionId;
  assert.match(subB, /^[0-9a-f-]{36}$/);
  const dup = await runHsmlinkCli(["subscription", "create", "app team"], env);
  assert.notEqual(dup.code, 0, "a second subscription with the same name is refused");

  // az keeps the subscription list of its last login (`account list --refresh` skips managed identity accounts).
  await owner.ok(["login", "--identity"]);
  const accounts = await owner.ok(["account", "list"]);
  assert.deepEqual(accounts.map((a: { id: string }) => a.id).sort(), [subA, subB].sort());
  assert.equal(accounts.find((a: { id: string }) => a.id === subB).name, "app team");
  await owner.ok(["account", "set", "--subscription", "app team"]);
  assert.equal((await owner.ok(["account", "show"])).id, subB);
  // The same resource group name in both subscriptions: names are per subscription.
  const inB = await owner.ok(["group", "create", "-n", "rg-shared-name", "-l", LOC]);
  assert.equal(inB.id, `/subscriptions/${subB}/resourceGroups/rg-shared-name`);
  const inA = await owner.ok(["group", "create", "-n", "rg-shared-name", "-l", "northeurope", "--subscription", subA]);
  assert.equal(inA.id, `/subscriptions/${subA}/resourceGroups/rg-shared-name`);
  assert.equal((await owner.ok(["group", "show", "-n", "rg-shared-name"])).location, LOC);
  await owner.ok(["account", "set", "--subscription", subA]);
});

test("a service principal without a role: az login finds no subscription (its ARM writes: authorization.sdk.test.ts)", async () => {
  newSp("no-role");
  const r = await loginAs("no-role");
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /No subscriptions found for/);
  const tenantOnly = await loginAs("no-role", ["--allow-no-subscriptions"]);
  assert.equal(tenantOnly.code, 0, tenantOnly.stderr);
  assert.equal(tenantOnly.json[0].name, "N/A(tenant level account)");
});

test("Contributor on one resource group: a VNet there, not in another group, and no new resource group", async () => {
  await owner.ok(["group", "create", "-n", "rg-net", "-l", LOC]);
  await owner.ok(["group", "create", "-n", "rg-other", "-l", LOC]);
  const dev = newSp("rg-contributor");
  const ra = await owner.ok([
    "role",
    "assignment",
    "create",
    "--assignee-object-id",
    dev.objectId,
    "--assignee-principal-type",
    "ServicePrincipal",
    "--role",
    "Contributor",
    "--scope",
    `/subscriptions/${subA}/resourceGroups/rg-net`,
  ]);
  assert.equal(
    ra.roleDefinitionId,
    `/subscriptions/${subA}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c`,
  );
  assert.equal(ra.scope, `/subscriptions/${subA}/resourceGroups/rg-net`);
  assert.equal(ra.principalType, "ServicePrincipal");

  const login = await loginAs("rg-contributor");
  assert.equal(login.code, 0, login.stderr);
  const az = session["rg-contributor"];
  const vnet = await az.ok([
    "network",
    "vnet",
    "create",
    "-g",
    "rg-net",
    "-n",
    "vnet-dev",
    "--address-prefixes",
    "10.10.0.0/16",
    "-l",
    LOC,
  ]);
  assert.equal(vnet.newVNet.provisioningState, "Succeeded");
  const elsewhere = await az.run([
    "network",
    "vnet",
    "create",
    "-g",
    "rg-other",
    "-n",
    "vnet-dev",
    "--address-prefixes",
    "10.10.0.0/16",
    "-l",
    LOC,
  ]);
  assert.notEqual(elsewhere.code, 0);
  assert.match(elsewhere.stderr, /AuthorizationFailed/);
  assert.match(
    elsewhere.stderr,
    /Microsoft\.Network\/virtualNetworks\/write' over scope '\/subscriptions\/[^/]+\/resourceGroups\/rg-other\//,
  );
  const group = await az.run(["group", "create", "-n", "rg-dev-new", "-l", LOC]);
  assert.notEqual(group.code, 0);
  assert.match(group.stderr, /AuthorizationFailed/);
});

test("az role assignment list and delete (Graph is not emulated: object ids only, and Graph errors say so)", async () => {
  const dev = sp["rg-contributor"];
  const scope = `/subscriptions/${subA}/resourceGroups/rg-net`;
  const listed = await owner.ok(["role", "assignment", "list", "--scope", scope]);
  const mine = listed.filter((a: { principalId: string }) => a.principalId === dev.objectId);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].roleDefinitionName, "Contributor");
  const inherited = await owner.ok(["role", "assignment", "list", "--scope", scope, "--include-inherited"]);
  assert.ok(
    inherited.some(
      (a: { principalId: string; roleDefinitionName: string; scope: string }) =>
        a.principalId === h.endpoints.principalObjectId &&
        a.roleDefinitionName === "Owner" &&
        a.scope === `/subscriptions/${subA}`,
    ),
  );

  const dup = await owner.run([
    "role",
    "assignment",
    "create",
    "--assignee-object-id",
    dev.objectId,
    "--assignee-principal-type",
    "ServicePrincipal",
    "--role",
    "Reader",
    "--scope",
    scope,
    "-o",
    "json",
  ]);
  assert.equal(dup.code, 0, dup.stderr);
  const unknownRole = await owner.run([
    "role",
    "assignment",
    "create",
    "--assignee-object-id",
    dev.objectId,
    "--assignee-principal-type",
    "ServicePrincipal",
    "--role",
    "No Such Role",
    "--scope",
    scope,
  ]);
  assert.notEqual(unknownRole.code, 0);
  assert.match(unknownRole.stderr, /Role 'No Such Role' doesn't exist/);
  const badScope = await owner.run([
    "role",
    "assignment",
    "create",
    "--assignee-object-id",
    dev.objectId,
    "--assignee-principal-type",
    "ServicePrincipal",
    "--role",
    "Reader",
    "--scope",
    `/subscriptions/${subA}/resourceGroups/rg-missing`,
  ]);
  assert.notEqual(badScope.code, 0);
  assert.match(badScope.stderr, /ResourceGroupNotFound/);
  const byName = await owner.run(["ad", "sp", "show", "--id", dev.appId]);
  assert.notEqual(byName.code, 0);
  assert.match(byName.stderr, /hsmlink does not emulate Microsoft Graph/);

  await owner.ok(["role", "assignment", "delete", "--assignee", dev.objectId, "--role", "Reader", "--scope", scope]);
  const after = await owner.ok(["role", "assignment", "list", "--scope", scope]);
  assert.deepEqual(
    after
      .filter((a: { principalId: string }) => a.principalId === dev.objectId)
      .map((a: { roleDefinitionName: string }) => a.roleDefinitionName),
    ["Contributor"],
  );
  const again = await owner.run([
    "role",
    "assignment",
    "delete",
    "--assignee",
    dev.objectId,
    "--role",
    "Reader",
    "--scope",
    scope,
  ]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /No matched assignments were found to delete/);
});

test("the security team's HSM in subscription A; the app team is Contributor on subscription B only", async () => {
  await owner.ok(["group", "create", "-n", "rg-sec", "-l", LOC]);
  const hsm = await owner.ok([
    "keyvault",
    "create",
    "--hsm-name",
    HSM,
    "-g",
    "rg-sec",
    "-l",
    LOC,
    "--administrators",
    h.endpoints.principalObjectId,
    "--retention-days",
    "7",
  ]);
  hsmId = hsm.id;
  await owner.ok(["keyvault", "update-hsm", "--hsm-name", HSM, "-g", "rg-sec", "--default-action", "deny"]);
  const sec = newSp("security-team");
  await owner.ok([
    "role",
    "assignment",
    "create",
    "--assignee-object-id",
    sec.objectId,
    "--assignee-principal-type",
    "ServicePrincipal",
    "--role",
    "Managed HSM contributor",
    "--scope",
    `/subscriptions/${subA}`,
  ]);
  const app = newSp("app-team");
  await owner.ok([
    "role",
    "assignment",
    "create",
    "--assignee-object-id",
    app.objectId,
    "--assignee-principal-type",
    "ServicePrincipal",
    "--role",
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "--scope",
    `/subscriptions/${subB}`,
    "--subscription",
    subB,
  ]);

  {
    const l = await loginAs("app-team");
    assert.equal(l.code, 0, l.stderr);
  }
  const appSubs = await session["app-team"].ok(["account", "list"]);
  assert.deepEqual(
    appSubs.map((s: { id: string }) => s.id),
    [subB],
    "the app team sees subscription B only",
  );
  {
    const l = await loginAs("security-team");
    assert.equal(l.code, 0, l.stderr);
  }
  const secSubs = await session["security-team"].ok(["account", "list"]);
  assert.deepEqual(
    secSubs.map((s: { id: string }) => s.id),
    [subA],
  );
});

test("app team: a private endpoint in B to the HSM in A without --manual-request is refused (LinkedAuthorizationFailed); with it, Pending", async () => {
  const az = session["app-team"];
  await az.ok(["group", "create", "-n", "rg-app", "-l", LOC]);
  await az.ok([
    "network",
    "vnet",
    "create",
    "-g",
    "rg-app",
    "-n",
    "vnet-app",
    "--address-prefixes",
    "10.20.0.0/16",
    "--subnet-name",
    "snet-app",
    "--subnet-prefixes",
    "10.20.1.0/24",
    "-l",
    LOC,
  ]);
  await az.ok([
    "network",
    "vnet",
    "subnet",
    "update",
    "-g",
    "rg-app",
    "--vnet-name",
    "vnet-app",
    "-n",
    "snet-app",
    "--disable-private-endpoint-network-policies",
    "true",
  ]);
  const peArgs = [
    "network",
    "private-endpoint",
    "create",
    "-g",
    "rg-app",
    "-n",
    "pe-app",
    "--vnet-name",
    "vnet-app",
    "--subnet",
    "snet-app",
    "--private-connection-resource-id",
    hsmId,
    "--group-id",
    "managedhsm",
    "--connection-name",
    "conn-app",
    "-l",
    LOC,
  ];
  const refused = await az.run(peArgs);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /LinkedAuthorizationFailed/);
  const app = sp["app-team"];
  assert.ok(
    refused.stderr.includes(
      `The client '${app.objectId}' with object id '${app.objectId}' has permission to perform action 'Microsoft.Network/privateEndpoints/write' on scope '/subscriptions/${subB}/resourceGroups/rg-app/providers/Microsoft.Network/privateEndpoints/pe-app'; however, it does not have permission to perform action 'Microsoft.KeyVault/managedHSMs/privateEndpointConnectionsApproval/action' on the linked scope(s) '${hsmId}' or the linked scope(s) are invalid.`,
    ),
    refused.stderr,
  );
  assert.equal(
    (await az.run(["network", "private-endpoint", "show", "-g", "rg-app", "-n", "pe-app"])).code,
    3,
    "nothing was created",
  );
  assert.deepEqual(await az.ok(["network", "nic", "list", "-g", "rg-app"]), [], "no NIC left behind");
  // The troubleshooter names the missing right and the assignment that would grant it.
  const vnetId = `/subscriptions/${subB}/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/vnet-app`;
  const ts = await runHsmlinkCli(
    ["troubleshoot", "--hsm", HSM, "-g", "rg-sec", "--vnet", vnetId, "--principal", app.objectId, "-o", "json"],
    { ...process.env, HSMLINK_HOME: h.config.dataDir },
  );
  const approval = JSON.parse(ts.stdout).findings.find((f: { id: string }) => f.id === "rights-auto-approval");
  assert.equal(approval.status, "warn", ts.stdout);
  assert.equal(approval.code, "AUTO_APPROVAL_NOT_PERMITTED");
  assert.match(
    approval.fix,
    new RegExp(
      `--assignee-object-id ${app.objectId} --assignee-principal-type ServicePrincipal --role "Managed HSM contributor" --scope ${hsmId.replace(/[/.]/g, "\\$&")}`,
    ),
  );

  const pe = await az.ok([...peArgs, "--manual-request", "--request-message", "app team asks"]);
  assert.equal(pe.manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Pending");
  assert.equal(pe.privateLinkServiceConnections.length, 0);
  // The app team cannot approve its own request: it has no right on the HSM in A.
  const selfApprove = await az.run([
    "keyvault",
    "private-endpoint-connection",
    "list",
    "--hsm-name",
    HSM,
    "-g",
    "rg-sec",
    "--subscription",
    subA,
  ]);
  assert.notEqual(selfApprove.code, 0);
});

test("security team approves; the app team's VM in B reaches the HSM in A through the private endpoint", async () => {
  const sec = session["security-team"];
  const hsm = await sec.ok(["keyvault", "show", "--hsm-name", HSM, "-g", "rg-sec"]);
  const conns = hsm.properties.privateEndpointConnections;
  assert.equal(conns.length, 1);
  assert.equal(conns[0].privateLinkServiceConnectionState.status, "Pending");
  const connName = conns[0].id.split("/").pop();
  const approved = await sec.ok([
    "keyvault",
    "private-endpoint-connection",
    "approve",
    "--hsm-name",
    HSM,
    "-g",
    "rg-sec",
    "-n",
    connName,
    "--description",
    "security team approves",
  ]);
  assert.equal(approved.privateLinkServiceConnectionState.status, "Approved");
  // The security team has no right in B.
  const noB = await sec.run(["group", "list", "--subscription", subB]);
  assert.notEqual(noB.code, 0);

  const app = session["app-team"];
  const pe = await app.ok(["network", "private-endpoint", "show", "-g", "rg-app", "-n", "pe-app"]);
  assert.equal(pe.manualPrivateLinkServiceConnections[0].privateLinkServiceConnectionState.status, "Approved");
  await app.ok(["network", "private-dns", "zone", "create", "-g", "rg-app", "-n", "privatelink.managedhsm.azure.net"]);
  await app.ok([
    "network",
    "private-dns",
    "link",
    "vnet",
    "create",
    "-g",
    "rg-app",
    "-z",
    "privatelink.managedhsm.azure.net",
    "-n",
    "link-app",
    "-v",
    "vnet-app",
    "-e",
    "false",
  ]);
  await app.ok([
    "network",
    "private-endpoint",
    "dns-zone-group",
    "create",
    "-g",
    "rg-app",
    "--endpoint-name",
    "pe-app",
    "-n",
    "default",
    "--private-dns-zone",
    "privatelink.managedhsm.azure.net",
    "--zone-name",
    "managedhsm",
  ]);

  const vm = await adminRequest<{ name: string; privateIpAddress: string }>(h.endpoints, "POST", "/_hsmlink/vms", {
    name: "vm-app",
    resourceGroup: "rg-app",
    vnet: "vnet-app",
    subnet: "snet-app",
    subscription: subB,
  });
  assert.match(vm.privateIpAddress, /^10\.20\.1\./);
  // Across the two subscriptions the troubleshooter finds nothing wrong; the app team may write the zone's records.
  const ts = await runHsmlinkCli(
    [
      "troubleshoot",
      "--hsm",
      HSM,
      "-g",
      "rg-sec",
      "--vm",
      "vm-app",
      "--principal",
      sp["app-team"].objectId,
      "-o",
      "json",
    ],
    { ...process.env, HSMLINK_HOME: h.config.dataDir },
  );
  const findings = JSON.parse(ts.stdout).findings as { id: string; status: string; message: string }[];
  assert.deepEqual(
    findings.filter((f) => f.status === "fail"),
    [],
    ts.stdout,
  );
  assert.equal(findings.find((f) => f.id === "rights-zone-records")?.status, "pass");
  assert.equal(findings.find((f) => f.id === "connection-approved")?.status, "pass");
  assert.equal(ts.code, 0);
  // The HSM's firewall denies the internet; from the VM the request takes the private endpoint.
  const url = `https://${HSM}.managedhsm.azure.net/providers/Microsoft.Authorization/roleAssignments?api-version=7.4`;
  const fromInternet = await owner.run([
    "rest",
    "--method",
    "get",
    "--url",
    url,
    "--resource",
    "https://managedhsm.azure.net",
  ]);
  assert.notEqual(fromInternet.code, 0);
  assert.match(fromInternet.stderr, /Forbidden|firewall|ForbiddenByFirewall/i);
  const vmAz = new Az(h.clientEnv("vm-app"));
  await vmAz.ok(["login", "--identity"]);
  const fromVm = await vmAz.ok(["rest", "--method", "get", "--url", url, "--resource", "https://managedhsm.azure.net"]);
  assert.ok(Array.isArray(fromVm.value), JSON.stringify(fromVm));
});
