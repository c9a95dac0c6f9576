// Debian's Python SDKs (/usr/bin/python3: azure-keyvault-keys 4.8.0b3, azure-keyvault-administration 4.3.0b2
// KeyVaultAccessControlClient, azure-identity) against the managed HSM data plane with the `hsmlink env`
// environment: create keys, AES-GCM, list, random bytes, role definitions, role assignments create/list/delete.
import { clientSuite } from "../../support/clients.js";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runClientProcess } from "../../support/node-client.js";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { grant, ROLE, seedHsm } from "../../http/hsm/support.js";

const { test, before, after } = clientSuite("python3-azure");

const SCRIPT = fileURLToPath(new URL("./keyvault_hsm.py", import.meta.url));
let h: TestHsmlink;

before(async () => {
  h = await startTestHsmlink();
  for (const name of ["pyhsm", "pysp"]) {
    seedHsm(h, name);
    await grant(h, name, h.endpoints.principalObjectId, ROLE.cryptoUser);
  }
});
after(async () => h?.dispose());

/** Debian's Python, not the pyenv python3 on PATH: the Azure SDKs under test are Debian's packages. */
const python = (args: string[]) => runClientProcess("/usr/bin/python3", [SCRIPT, ...args], h.clientEnv(), 120_000);

function check(j: any, hsm: string) {
  assert.equal(j.ok, true, JSON.stringify(j));
  assert.equal(j.key.kty, "RSA-HSM");
  assert.match(j.key.kid, new RegExp(`^https://${hsm}\\.managedhsm\\.azure\\.net/keys/py-rsa/[0-9a-f]{32}$`));
  assert.equal(j.got, true);
  assert.equal(j.gcm, "python plaintext");
  assert.deepEqual(j.names, ["py-oct", "py-rsa"]);
  assert.equal(j.random, 16);
  assert.ok(j.definitions.includes("Managed HSM Administrator"));
  assert.ok(j.definitions.includes("Managed HSM Crypto User"));
  assert.equal(j.created.scope, "/");
  assert.equal(
    j.created.role,
    "Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/21dbd100-6940-42c2-9190-5d6cb909625b",
  );
  assert.equal(j.keyScoped.scope, "/keys/py-rsa");
  assert.match(j.keyScoped.id, /^\/keys\/py-rsa\/providers\/Microsoft\.Authorization\/roleAssignments\//);
  assert.equal(j.listedGlobal, true);
  assert.equal(j.listedKey, true);
  assert.equal(j.afterDelete, false);
  // The recorded wordings of a real managed HSM, as the Python SDK surfaces them (HttpResponseError code/message):
  // Azure/azure-sdk-assets net/sdk/keyvault/Azure.Security.KeyVault.Administration/tests/SessionRecords/
  // AccessControlSampleSnippets/RoleAssignmentNotFound.json, AccessControlClientLiveTests/DeleteNonexistentRoleDefinition.json;
  // azure-sdk-for-js keyvault-admin recordings …deleteroledefinition/recording_errors_when_deleting_a_builtin_role_definition.json,
  // …setroledefinition/recording_errors_when_name_is_not_a_valid_guid.json.
  assert.equal(j.getDeleted.code, "RoleAssignmentNotFound");
  assert.match(j.getDeleted.message, /Requested role assignment not found \(Activity ID: [0-9a-f-]+\)/);
  assert.equal(j.getMissingDefinition.status, 404, JSON.stringify(j.getMissingDefinition));
  assert.equal(j.getMissingDefinition.code, "RoleDefinitionNotFound");
  assert.match(j.getMissingDefinition.message, /Requested role definition not found \(Activity ID: [0-9a-f-]+\)/);
  assert.equal(j.deleteBuiltInDefinition.status, 400, JSON.stringify(j.deleteBuiltInDefinition));
  assert.equal(j.deleteBuiltInDefinition.code, "BadParameter");
  assert.match(
    j.deleteBuiltInDefinition.message,
    /Cannot re-use the name\/GUID matching that of a built-in role\. Please use a unique role ID\. \(Activity ID: /,
  );
  assert.equal(j.putNonGuidDefinition.status, 400, JSON.stringify(j.putNonGuidDefinition));
  assert.equal(j.putNonGuidDefinition.code, "BadParameter");
  assert.match(j.putNonGuidDefinition.message, /Role definition name must be a GUID \(Activity ID: /);
}

test("azure.keyvault.keys + KeyVaultAccessControlClient with ManagedIdentityCredential (the initial administrator)", async () => {
  const r = await python(["pyhsm"]);
  assert.ok(r.json, `exit ${r.code}: ${r.stderr.slice(-3000)}`);
  check(r.json, "pyhsm");
});

test("the same with ClientSecretCredential of a service principal holding Crypto User + Policy Administrator", async () => {
  const { principal, password } = h.identity.createServicePrincipal("py-sp");
  await grant(h, "pysp", principal.objectId, ROLE.cryptoUser);
  await grant(h, "pysp", principal.objectId, "4bd23610-cdcf-4971-bdee-bdc562cc28e4");
  const r = await python(["pysp", h.endpoints.tenantId, principal.appId, password]);
  assert.ok(r.json, `exit ${r.code}: ${r.stderr.slice(-3000)}`);
  check(r.json, "pysp");
});
