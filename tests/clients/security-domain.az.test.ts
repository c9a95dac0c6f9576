// Activation and recovery with the real Azure CLI, the way Microsoft's quickstart ("Provision and activate a managed
// HSM using Azure CLI") and the disaster-recovery guide do it: openssl makes three RSA-2048 wrapping key pairs,
// `az keyvault security-domain download` activates the HSM (az's own security-domain code writes the file),
// `init-recovery` + `upload --sd-wrapping-keys` (2 of the 3 private keys) and `restore-blob` + `upload --restore-blob`
// give new HSMs the same domain. Debian's az 2.45 runs these through the test shim (tests/support/azshim, item 3).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az, grantLocalRole } from "../support/az.js";
import { clientSuite } from "../support/clients.js";

const { test, before, after } = clientSuite("az", "openssl");

let h: TestHsmlink;
let az: Az;
let dir: string;
const RG = "rg-sd";

before(async () => {
  h = await startTestHsmlink({ activateNewHsms: false });
  az = new Az(h.clientEnv());
  dir = mkdtempSync(join(tmpdir(), "hsmlink-sd-"));
  await az.ok(["login", "--identity"]);
  await az.ok(["group", "create", "-n", RG, "-l", "westeurope"]);
});
after(async () => {
  await h?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => join(dir, name);
const createHsm = (name: string) =>
  az.ok([
    "keyvault",
    "create",
    "--hsm-name",
    name,
    "-g",
    RG,
    "-l",
    "westeurope",
    "--administrators",
    h.endpoints.principalObjectId,
    "--retention-days",
    "7",
  ]);
/** az 2.45's 2022-07-01 models drop securityDomainProperties, so read the resource with az rest and a newer api-version. */
const armActivation = async (name: string) =>
  (
    await az.ok([
      "rest",
      "--method",
      "get",
      "--url",
      `https://management.azure.com/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/${name}?api-version=2023-07-01`,
    ])
  ).properties.securityDomainProperties;
const grantCryptoUser = (hsm: string) => grantLocalRole(az, hsm, h.endpoints.principalObjectId);

test("quickstart: NotActivated, key create refused, security-domain download with 3 certificates / quorum 2, Active, keys work", async () => {
  await createHsm("sdaz1");
  const before = await armActivation("sdaz1");
  assert.equal(before.activationStatus, "NotActivated");
  assert.match(before.activationStatusMessage, /download the security domain/);
  await grantCryptoUser("sdaz1"); // role management works before activation
  const refused = await az.run(["keyvault", "key", "create", "--hsm-name", "sdaz1", "-n", "k1", "--kty", "RSA-HSM"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not activated/);

  for (const i of [0, 1, 2]) {
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        file(`cert_${i}.key`),
        "-x509",
        "-days",
        "365",
        "-out",
        file(`cert_${i}.cer`),
        "-subj",
        `/CN=sd wrapping ${i}`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
  }
  // A quorum of 1 and too few certificates are az's own checks; the service's are in tests/http/hsm/security-domain.test.ts.
  const dl = await az.run([
    "keyvault",
    "security-domain",
    "download",
    "--hsm-name",
    "sdaz1",
    "--sd-wrapping-keys",
    file("cert_0.cer"),
    file("cert_1.cer"),
    file("cert_2.cer"),
    "--sd-quorum",
    "2",
    "--security-domain-file",
    file("sdaz1-SD.json"),
    "-o",
    "json",
  ]);
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal(dl.json.status, "Success");
  const sd = JSON.parse(readFileSync(file("sdaz1-SD.json"), "utf8"));
  assert.equal(sd.SharedKeys.required, 2);
  assert.equal(sd.SharedKeys.enc_shares.length, 3);
  assert.equal((await armActivation("sdaz1")).activationStatus, "Active");
  const key = await az.ok(["keyvault", "key", "create", "--hsm-name", "sdaz1", "-n", "k1", "--kty", "RSA-HSM"]);
  assert.match(key.key.kid, /^https:\/\/sdaz1\.managedhsm\.azure\.net\/keys\/k1\/[0-9a-f]{32}$/);
});

test("recovery: init-recovery, upload with 2 of the 3 wrapping keys; restore-blob + upload --restore-blob; a blob for another HSM is refused", async () => {
  await createHsm("sdaz2");
  const init = await az.run([
    "keyvault",
    "security-domain",
    "init-recovery",
    "--hsm-name",
    "sdaz2",
    "--sd-exchange-key",
    file("sdaz2-exchange.cer"),
  ]);
  assert.equal(init.code, 0, init.stderr);
  assert.match(readFileSync(file("sdaz2-exchange.cer"), "utf8"), /^-----BEGIN CERTIFICATE-----/);
  const up = await az.run([
    "keyvault",
    "security-domain",
    "upload",
    "--hsm-name",
    "sdaz2",
    "--sd-file",
    file("sdaz1-SD.json"),
    "--sd-exchange-key",
    file("sdaz2-exchange.cer"),
    "--sd-wrapping-keys",
    file("cert_0.key"),
    file("cert_2.key"),
    "-o",
    "json",
  ]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.json.status, "Success");
  assert.equal((await armActivation("sdaz2")).activationStatus, "Active");
  const domainId = (hsm: string) =>
    (h.store.db.prepare("SELECT domain_id FROM hsm_security_domains WHERE hsm = ?").get(hsm) as { domain_id: string })
      .domain_id;
  assert.equal(domainId("sdaz2"), domainId("sdaz1"));

  // Offline restore blob for sdaz3, uploaded first to sdaz4 (another HSM's exchange key: refused), then to sdaz3.
  await createHsm("sdaz3");
  await createHsm("sdaz4");
  assert.equal(
    (
      await az.run([
        "keyvault",
        "security-domain",
        "init-recovery",
        "--hsm-name",
        "sdaz3",
        "--sd-exchange-key",
        file("sdaz3-exchange.cer"),
      ])
    ).code,
    0,
  );
  assert.equal(
    (
      await az.run([
        "keyvault",
        "security-domain",
        "init-recovery",
        "--hsm-name",
        "sdaz4",
        "--sd-exchange-key",
        file("sdaz4-exchange.cer"),
      ])
    ).code,
    0,
  );
  const blob = await az.run([
    "keyvault",
    "security-domain",
    "restore-blob",
    "--sd-file",
    file("sdaz1-SD.json"),
    "--sd-exchange-key",
    file("sdaz3-exchange.cer"),
    "--sd-wrapping-keys",
    file("cert_1.key"),
    file("cert_2.key"),
    "--sd-file-restore-blob",
    file("sdaz3-blob.json"),
  ]);
  assert.equal(blob.code, 0, blob.stderr);
  assert.ok(existsSync(file("sdaz3-blob.json")));
  const foreign = await az.run([
    "keyvault",
    "security-domain",
    "upload",
    "--hsm-name",
    "sdaz4",
    "--sd-file",
    file("sdaz3-blob.json"),
    "--restore-blob",
  ]);
  assert.notEqual(foreign.code, 0);
  assert.match(foreign.stderr, /another exchange key/);
  assert.equal((await armActivation("sdaz4")).activationStatus, "NotActivated");
  const ok = await az.run([
    "keyvault",
    "security-domain",
    "upload",
    "--hsm-name",
    "sdaz3",
    "--sd-file",
    file("sdaz3-blob.json"),
    "--restore-blob",
    "-o",
    "json",
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((await armActivation("sdaz3")).activationStatus, "Active");
  assert.equal(domainId("sdaz3"), domainId("sdaz1"));
});
