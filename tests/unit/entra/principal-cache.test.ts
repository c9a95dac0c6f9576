// The data plane looks the caller of every request up by object id; the lookup is reused while the store is
// unchanged, and a principal created after a miss (or removed after a hit) is seen by the next lookup.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../../../src/store/db.js";
import { IdentityService, TokenError } from "../../../src/entra/identity.js";
import { ManualClock, systemClock } from "../../../src/kernel/clock.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OID = "0c7a4a2e-8a3a-4b8e-9a53-1b0f9e3c1d11";

test("principal lookups see creations and deletions at once, and a token's principal follows them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hsmlink-principals-"));
  const store = Store.open(":memory:");
  try {
    const identity = await IdentityService.open(store, systemClock, dir, TENANT);
    assert.equal(identity.byObjectId(OID), undefined);
    assert.equal(identity.byObjectId(OID), undefined, "a miss is reused while nothing is written");
    const { principal } = identity.createServicePrincipal("cache-probe", undefined, { objectId: OID });
    const found = identity.byObjectId(OID.toUpperCase());
    assert.equal(found?.objectId, OID, "the principal created after a miss is found");
    assert.equal(found?.displayName, "cache-probe");
    assert.ok(Object.isFrozen(found), "a shared principal cannot be changed by a caller");

    const { token } = await identity.issue(principal, "https://managedhsm.azure.net");
    const v = await identity.verify(token, ["https://managedhsm.azure.net"]);
    assert.equal(v.principal.objectId, OID);

    store.tx(() => store.db.prepare("DELETE FROM principals WHERE object_id = ?").run(OID));
    assert.equal(identity.byObjectId(OID), undefined, "a removed principal is gone for the next lookup");
    await assert.rejects(
      identity.verify(token, ["https://managedhsm.azure.net"]),
      /principal of the token does not exist/,
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("verifyKnown decides a token seen before exactly as verify does, and leaves new and expired ones to verify", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hsmlink-principals-"));
  const store = Store.open(":memory:");
  const clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
  try {
    const identity = await IdentityService.open(store, clock, dir, TENANT);
    const principal = identity.defaultIdentity();
    const { token } = await identity.issue(principal, "https://managedhsm.azure.net");
    const auds = ["https://managedhsm.azure.net"];
    assert.equal(identity.verifyKnown(token, auds), undefined, "a token never verified is left to verify");
    const slow = await identity.verify(token, auds);
    const fast = identity.verifyKnown(token, auds);
    assert.deepEqual(fast, slow);
    assert.throws(
      () => identity.verifyKnown(token, ["https://management.azure.com"]),
      (e: unknown) => e instanceof TokenError && e.reason === "audience",
    );
    await assert.rejects(
      identity.verify(token, ["https://management.azure.com"]),
      (e: unknown) => e instanceof TokenError && e.reason === "audience",
    );
    clock.advance(3601_000);
    assert.equal(identity.verifyKnown(token, auds), undefined, "an expired token is left to verify");
    await assert.rejects(
      identity.verify(token, auds),
      (e: unknown) => e instanceof TokenError && e.reason === "expired",
    );
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
