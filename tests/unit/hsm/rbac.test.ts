// Local RBAC model: scopes, scope chains, wildcard data actions, notDataActions, built-in roles.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  actionMatches,
  BUILT_IN_ROLES,
  normaliseScope,
  permits,
  roleGuidOf,
  ROLE_IDS,
  scopeChain,
} from "../../../src/hsm/rbac/roles.js";

test("scope paths: JS '///', Python '/', trailing slashes, key scopes; anything else is not a scope", () => {
  assert.equal(normaliseScope(""), "/");
  assert.equal(normaliseScope("//"), "/");
  assert.equal(normaliseScope("/keys/"), "/keys");
  assert.equal(normaliseScope("/KEYS"), "/keys");
  assert.equal(normaliseScope("/keys//MyKey/"), "/keys/MyKey");
  assert.equal(normaliseScope("/secrets"), undefined);
  assert.equal(normaliseScope("/keys/a/b"), undefined);
  assert.equal(normaliseScope("/keys/bad_name"), undefined);
  assert.deepEqual(scopeChain("/keys/k"), ["/keys/k", "/keys", "/"]);
  assert.deepEqual(scopeChain("/keys"), ["/keys", "/"]);
  assert.deepEqual(scopeChain("/"), ["/"]);
});

test("data action patterns: case-insensitive, '*' wildcards, regex characters literal", () => {
  assert.ok(actionMatches("Microsoft.KeyVault/managedHsm/keys/*", "Microsoft.KeyVault/managedHsm/keys/sign/action"));
  assert.ok(
    actionMatches("microsoft.keyvault/managedhsm/keys/read/action", "Microsoft.KeyVault/managedHsm/keys/read/action"),
  );
  assert.ok(
    !actionMatches("Microsoft.KeyVault/managedHsm/keys/read/action", "Microsoft.KeyVault/managedHsm/keys/read/actionX"),
  );
  assert.ok(
    !actionMatches("Microsoft.KeyVault.managedHsm/keys/*", "MicrosoftXKeyVault/managedHsm/keys/a"),
    "'.' is literal",
  );
});

test("notDataActions subtract within a permission block", () => {
  const perms = [
    {
      actions: [],
      notActions: [],
      dataActions: ["Microsoft.KeyVault/managedHsm/keys/*"],
      notDataActions: ["Microsoft.KeyVault/managedHsm/keys/sign/action"],
    },
  ];
  assert.ok(permits(perms, "Microsoft.KeyVault/managedHsm/keys/verify/action"));
  assert.ok(!permits(perms, "Microsoft.KeyVault/managedHsm/keys/sign/action"));
  assert.ok(!permits(perms, "Microsoft.KeyVault/managedHsm/rng/action"));
});

test("built-in roles: ids, the Administrator has no key actions, Crypto User cannot purge, Officer can", () => {
  const byId = (g: string) => BUILT_IN_ROLES.find((r) => r.name === g)!;
  for (const r of BUILT_IN_ROLES) {
    assert.equal(r.id, `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${r.name}`);
    assert.equal(r.properties.type, "AKVBuiltInRole");
  }
  const admin = byId(ROLE_IDS.administrator).properties.permissions;
  assert.ok(!permits(admin, "Microsoft.KeyVault/managedHsm/keys/read/action"));
  assert.ok(permits(admin, "Microsoft.KeyVault/managedHsm/roleAssignments/write/action"));
  const user = byId(ROLE_IDS.cryptoUser).properties.permissions;
  assert.ok(permits(user, "Microsoft.KeyVault/managedHsm/keys/rotate/action"));
  assert.ok(!permits(user, "Microsoft.KeyVault/managedHsm/keys/deletedKeys/delete"));
  assert.ok(
    permits(
      byId(ROLE_IDS.cryptoOfficer).properties.permissions,
      "Microsoft.KeyVault/managedHsm/keys/deletedKeys/delete",
    ),
  );
  assert.equal(
    roleGuidOf(
      `Microsoft.KeyVault/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.cryptoUser.toUpperCase()}`,
    ),
    ROLE_IDS.cryptoUser,
  );
  assert.equal(roleGuidOf("Managed HSM Crypto User"), undefined);
});
