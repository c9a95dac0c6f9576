// `hsmlink hsm activate NAME` (the CLI as a user runs it, against a running hsmlink) and `--activate-new-hsms`:
// the security domain is downloaded with generated wrapping keys kept in the data dir; the printed files are a
// real security domain (2 of the 3 generated private keys open it) and the HSM is Active.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import { seedHsm, hsmCall, API } from "../http/hsm/support.js";
import { certificateThumbprint } from "../../src/hsm/security-domain/format.js";
import { decryptWithRsa, decryptDirect, sp800108 } from "../../src/hsm/security-domain/jwe.js";
import { combineShares } from "../../src/hsm/security-domain/shamir.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink({ activateNewHsms: false, inMemory: false });
});
after(async () => h?.dispose());

const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, HSMLINK_HOME: h.config.dataDir });

test("hsm activate prints where the security domain and its wrapping keys are; the HSM is Active", async () => {
  seedHsm(h, "clihsm", { activationStatus: "NotActivated" });
  const r = await runHsmlinkCli(["hsm", "activate", "clihsm", "-o", "json"], env());
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.quorum, 2);
  assert.equal(out.wrappingKeys.length, 3);
  assert.ok(out.directory.startsWith(h.config.dataDir));
  for (const k of out.wrappingKeys) assert.equal(statSync(k.key).mode & 0o077, 0, "private keys are owner-only");
  const sd = JSON.parse(readFileSync(out.securityDomainFile, "utf8"));
  const shares = [];
  for (const k of out.wrappingKeys.slice(1)) {
    const der = new X509Certificate(readFileSync(k.certificate)).raw;
    const item = sd.SharedKeys.enc_shares.find((s: { x5t_256: string }) => s.x5t_256 === certificateThumbprint(der));
    shares.push(await decryptWithRsa(item.enc_key, createPrivateKey(readFileSync(k.key))));
  }
  const mk = combineShares(shares, 2);
  const datum = JSON.parse(
    (await decryptDirect(sd.EncData.data[0].compact_jwe, sp800108(mk, sd.EncData.data[0].tag))).toString(),
  );
  assert.match(datum.domainId, /^[0-9a-f-]{36}$/);
  const hsm = h.store.resources.list<any>("Microsoft.KeyVault/managedHSMs").find((x) => x.name === "clihsm")!;
  assert.equal(hsm.body.properties.securityDomainProperties.activationStatus, "Active");
  // Twice: refused, says why.
  const again = await runHsmlinkCli(["hsm", "activate", "clihsm"], env());
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a security domain/);
  const none = await runHsmlinkCli(["hsm", "activate", "nosuchhsm"], env());
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no managed HSM named 'nosuchhsm'/);
});

test("--activate-new-hsms: an HSM created through ARM is Active and serves keys at once", async () => {
  const on = await startTestHsmlink({ activateNewHsms: true });
  try {
    const sub = on.endpoints.subscriptionId;
    const { ArmClient } = await import("../http/managed-hsms/arm-client.js");
    const arm = new ArmClient(on);
    await arm.group("rg-auto");
    const first = await arm.call("PUT", arm.hsmPath("rg-auto", "autohsm"), { body: arm.createBody({}) });
    const done = await arm.poll(first);
    assert.equal(done.body.properties.securityDomainProperties.activationStatus, "Active");
    assert.ok(done.body.id.startsWith(`/subscriptions/${sub}/`));
    const { grant, ROLE } = await import("../http/hsm/support.js");
    await grant(on, "autohsm", on.endpoints.principalObjectId, ROLE.cryptoUser);
    assert.equal(
      (await hsmCall(on, "autohsm", "POST", `/keys/k/create?${API}`, { body: { kty: "EC-HSM" } })).status,
      200,
    );
  } finally {
    await on.dispose();
  }
});
