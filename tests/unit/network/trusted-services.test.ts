// `hsmlink identity create --trusted-service` accepts only Managed HSM's trusted services (field-cases.md FC-20).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { trustedServiceNamespace } from "../../../src/network/trusted-services.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

test("known namespaces are accepted in any casing and stored canonically; others are refused with the list", () => {
  assert.equal(trustedServiceNamespace("microsoft.STORAGE"), "Microsoft.Storage");
  assert.equal(trustedServiceNamespace("Microsoft.Foo"), undefined);
  const { principal } = h.identity.createServicePrincipal("cmk-storage", "microsoft.storage");
  assert.equal(principal.trustedService, "Microsoft.Storage");
  assert.throws(() => h.identity.createServicePrincipal("bad", "Microsoft.Foo"), /'Microsoft\.Foo' is not a trusted Microsoft service for Managed HSM; use one of: Microsoft\.Storage/);
  assert.equal(h.identity.list().some((p) => p.displayName === "bad"), false);
});
