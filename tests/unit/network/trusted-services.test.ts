// `hsmlink identity create --trusted-service` accepts only the Key Vault trusted-services table, which Managed HSM
// points to (overview-vnet-service-endpoints.md#trusted-services; field-cases.md FC-20).
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
  assert.equal(trustedServiceNamespace("microsoft.containerregistry"), "Microsoft.ContainerRegistry");
  assert.equal(trustedServiceNamespace("Microsoft.Synapse"), "Microsoft.Synapse");
  // Not in the Key Vault table (the last round guessed them).
  assert.equal(trustedServiceNamespace("Microsoft.DocumentDB"), undefined);
  assert.equal(trustedServiceNamespace("Microsoft.Kusto"), undefined);
  assert.throws(
    () => h.identity.createServicePrincipal("cosmos", "Microsoft.DocumentDB"),
    /'Microsoft\.DocumentDB' is not a trusted Microsoft service/,
  );
  const { principal } = h.identity.createServicePrincipal("cmk-storage", "microsoft.storage");
  assert.equal(principal.trustedService, "Microsoft.Storage");
  assert.throws(
    () => h.identity.createServicePrincipal("bad", "Microsoft.Foo"),
    /'Microsoft\.Foo' is not a trusted Microsoft service for Managed HSM \(the Key Vault trusted-services table\); use one of: Microsoft\.Storage/,
  );
  assert.equal(
    h.identity.list().some((p) => p.displayName === "bad"),
    false,
  );
});
