// The Key Vault error catalogue is the only place the managed HSM's refusals are worded (issue 10 item 5): every
// handler throws a named entry of kvErrors (src/hsm/errors.ts) or, in the crypto worker, cryptoErrors
// (src/hsm/crypto/errors.ts). This scans src/hsm for a literal error built anywhere else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { kvErrors } from "../../../src/hsm/errors.js";
import { cryptoErrors } from "../../../src/hsm/crypto/errors.js";
import { AzureError } from "../../../src/kernel/errors.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const CATALOGUES = new Set(["src/hsm/errors.ts", "src/hsm/crypto/errors.ts"]);

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

test("no error of the managed HSM is built outside the catalogues", () => {
  const builders =
    /\b(badParameter|kvError|keyForbidden)\s*\(|new\s+(AzureError|KeyCryptoError)\s*\(\s*(400|"BadParameter")/;
  const offenders: string[] = [];
  const files = sources(join(root, "src/hsm"));
  assert.ok(files.length > 20, "the scan found the src/hsm sources");
  for (const file of files) {
    const rel = relative(root, file).split("\\").join("/");
    if (CATALOGUES.has(rel)) continue;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (builders.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, [], "build these errors through kvErrors / cryptoErrors");
});

test("the catalogues' builders are private: only named entries are exported", async () => {
  const hsmErrors = (await import("../../../src/hsm/errors.js")) as Record<string, unknown>;
  assert.equal(hsmErrors.kvError, undefined);
  assert.equal(hsmErrors.keyForbidden, undefined);
  const crypto = (await import("../../../src/hsm/crypto/errors.js")) as Record<string, unknown>;
  assert.equal(crypto.badParameter, undefined);
});

test("every catalogue entry builds its Key Vault error", () => {
  // Call every entry with placeholder arguments: each must give an AzureError (kvErrors) or a KeyCryptoError
  // BadParameter (cryptoErrors) with a non-empty message that does not end in the renderer's Activity ID.
  // One-element arrays stand in for strings, numbers and lists alike (slice, join, arithmetic, templates).
  const args = [["1"], ["2"], ["3"], ["4"]];
  for (const [name, make] of Object.entries(kvErrors)) {
    const e = (make as (...a: unknown[]) => unknown)(...args);
    assert.ok(e instanceof AzureError, name);
    assert.ok(e.message.length > 0 && !/Activity ID/.test(e.message), name);
    assert.ok([400, 403, 404, 409].includes(e.status), `${name}: ${e.status}`);
  }
  for (const [name, make] of Object.entries(cryptoErrors)) {
    const e = (make as (...a: unknown[]) => Error & { code?: string })(...args);
    assert.equal(e.code, "BadParameter", name);
    assert.ok(e.message.length > 0, name);
  }
});

test("recorded local RBAC wordings", () => {
  // Azure/azure-sdk-assets …/Administration/tests/SessionRecords/AccessControlClientLiveTests/
  // DeleteNonexistentRoleAssignment.json, DeleteNonexistentRoleDefinition.json; keyvault-admin JS recordings.
  const a = kvErrors.roleAssignmentNotFound();
  assert.deepEqual(
    [a.status, a.code, a.message],
    [404, "RoleAssignmentNotFound", "Requested role assignment not found"],
  );
  const d = kvErrors.roleDefinitionNotFound();
  assert.deepEqual(
    [d.status, d.code, d.message],
    [404, "RoleDefinitionNotFound", "Requested role definition not found"],
  );
  const g = kvErrors.roleDefinitionNameNotGuid();
  assert.deepEqual([g.status, g.code, g.message], [400, "BadParameter", "Role definition name must be a GUID"]);
});
