// The "done when" chain with the real Azure CLI (Debian az 2.45 + the test shim), as an operator's runbook
// runs it: az keyvault create → NotActivated → key create refused → openssl wrapping keys + `az keyvault
// security-domain download` (3 certificates, quorum 2) → Active → keys created and used → `az storage container
// create` / `generate-sas` on Azurite through {account}.blob.core.windows.net → `az keyvault backup start` → `az
// storage blob list` shows mhsm-{name}-{timestamp} → a second HSM → `init-recovery` + `upload` with 2 of the 3
// private keys → `az keyvault restore start` → the same keys (public keys, versions) verify signatures made before the
// backup. Selective key restore is not in az 2.45; `az rest` does it (PUT /keys/{name}/restore).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az, grantLocalRole } from "../support/az.js";
import { clientSuite } from "../support/clients.js";

const { test, before, after } = clientSuite("az", "openssl");

const RG = "rg-dr";
const ACCOUNT = "devstoreaccount1";
// Azurite's documented well-known development key (not a secret).
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const CONTAINER_URI = `https://${ACCOUNT}.blob.core.windows.net/mhsmbackups`;
let h: TestHsmlink;
let az: Az;
let dir: string;

before(async () => {
  h = await startTestHsmlink({ activateNewHsms: false });
  az = new Az(h.clientEnv());
  dir = mkdtempSync(join(tmpdir(), "hsmlink-dr-"));
  await az.ok(["login", "--identity"]);
  await az.ok(["group", "create", "-n", RG, "-l", "westeurope"]);
});
after(async () => {
  await h?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const file = (n: string) => join(dir, n);
const rest = (method: string, hsm: string, path: string, body?: unknown) =>
  az.ok([
    "rest",
    "--method",
    method,
    "--resource",
    "https://managedhsm.azure.net",
    "--url",
    `https://${hsm}.managedhsm.azure.net${path}${path.includes("?") ? "&" : "?"}api-version=7.4`,
    ...(body ? ["--body", JSON.stringify(body)] : []),
  ]);
const activation = async (hsm: string) =>
  (
    await az.ok([
      "rest",
      "--method",
      "get",
      "--url",
      `https://management.azure.com/subscriptions/${h.endpoints.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.KeyVault/managedHSMs/${hsm}?api-version=2023-07-01`,
    ])
  ).properties.securityDomainProperties.activationStatus;

test(
  "create → NotActivated → refused → security domain → keys → backup into Azurite → recovery with 2 of 3 keys → restore → old signatures verify",
  { timeout: 600_000 },
  async () => {
    await az.ok([
      "keyvault",
      "create",
      "--hsm-name",
      "drhsm1",
      "-g",
      RG,
      "-l",
      "westeurope",
      "--administrators",
      h.endpoints.principalObjectId,
      "--retention-days",
      "7",
    ]);
    assert.equal(await activation("drhsm1"), "NotActivated");
    await grantLocalRole(az, "drhsm1", h.endpoints.principalObjectId);
    const refused = await az.run([
      "keyvault",
      "key",
      "create",
      "--hsm-name",
      "drhsm1",
      "-n",
      "signer",
      "--kty",
      "EC-HSM",
      "--curve",
      "P-256",
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /not activated/);

    for (const i of [0, 1, 2])
      assert.equal(
        spawnSync("openssl", [
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
          `/CN=dr ${i}`,
        ]).status,
        0,
      );
    const dl = await az.run([
      "keyvault",
      "security-domain",
      "download",
      "--hsm-name",
      "drhsm1",
      "--sd-wrapping-keys",
      file("cert_0.cer"),
      file("cert_1.cer"),
      file("cert_2.cer"),
      "--sd-quorum",
      "2",
      "--security-domain-file",
      file("drhsm1-SD.json"),
    ]);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(await activation("drhsm1"), "Active");

    const key = await az.ok([
      "keyvault",
      "key",
      "create",
      "--hsm-name",
      "drhsm1",
      "-n",
      "signer",
      "--kty",
      "EC-HSM",
      "--curve",
      "P-256",
    ]);
    const kid: string = key.key.kid;
    const version = kid.split("/").pop()!;
    const digest = createHash("sha256").update("signed before the backup").digest("base64url");
    const signature = (await rest("post", "drhsm1", `/keys/signer/${version}/sign`, { alg: "ES256", value: digest }))
      .value;

    await az.ok([
      "storage",
      "container",
      "create",
      "--account-name",
      ACCOUNT,
      "--account-key",
      ACCOUNT_KEY,
      "-n",
      "mhsmbackups",
    ]);
    const expiry = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16) + "Z";
    const sas = await az.ok([
      "storage",
      "container",
      "generate-sas",
      "--account-name",
      ACCOUNT,
      "--account-key",
      ACCOUNT_KEY,
      "-n",
      "mhsmbackups",
      "--permissions",
      "racwdl",
      "--expiry",
      expiry,
    ]);
    assert.equal(typeof sas, "string");
    const backup = await az.ok([
      "keyvault",
      "backup",
      "start",
      "--hsm-name",
      "drhsm1",
      "--storage-resource-uri",
      CONTAINER_URI,
      "--storage-container-SAS-token",
      sas,
    ]);
    assert.match(
      backup.folderUrl,
      /^https:\/\/devstoreaccount1\.blob\.core\.windows\.net\/mhsmbackups\/mhsm-drhsm1-\d{16}$/,
    );
    const folder = backup.folderUrl.split("/").pop();
    const blobs = await az.ok([
      "storage",
      "blob",
      "list",
      "--account-name",
      ACCOUNT,
      "--account-key",
      ACCOUNT_KEY,
      "--container-name",
      "mhsmbackups",
      "--prefix",
      `${folder}/`,
    ]);
    assert.ok(
      blobs.map((b: { name: string }) => b.name).includes(`${folder}/manifest`),
      JSON.stringify(blobs.map((b: { name: string }) => b.name)),
    );

    await az.ok([
      "keyvault",
      "create",
      "--hsm-name",
      "drhsm2",
      "-g",
      RG,
      "-l",
      "westeurope",
      "--administrators",
      h.endpoints.principalObjectId,
      "--retention-days",
      "7",
    ]);
    assert.equal(
      (
        await az.run([
          "keyvault",
          "security-domain",
          "init-recovery",
          "--hsm-name",
          "drhsm2",
          "--sd-exchange-key",
          file("drhsm2-exchange.cer"),
        ])
      ).code,
      0,
    );
    const up = await az.run([
      "keyvault",
      "security-domain",
      "upload",
      "--hsm-name",
      "drhsm2",
      "--sd-file",
      file("drhsm1-SD.json"),
      "--sd-exchange-key",
      file("drhsm2-exchange.cer"),
      "--sd-wrapping-keys",
      file("cert_1.key"),
      file("cert_2.key"),
    ]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await activation("drhsm2"), "Active");

    const restored = await az.run([
      "keyvault",
      "restore",
      "start",
      "--hsm-name",
      "drhsm2",
      "--storage-resource-uri",
      CONTAINER_URI,
      "--storage-container-SAS-token",
      sas,
      "--backup-folder",
      folder,
      "-o",
      "json",
    ]);
    assert.equal(restored.code, 0, restored.stderr);
    // The restore brought the backup's role assignments, so the signed-in identity is a Crypto User on drhsm2 too.
    const shown = await az.ok(["keyvault", "key", "show", "--hsm-name", "drhsm2", "-n", "signer"]);
    assert.equal(shown.key.kid, kid.replace("drhsm1", "drhsm2"));
    assert.equal(shown.key.x, key.key.x);
    assert.equal(shown.key.y, key.key.y);
    const verified = await rest("post", "drhsm2", `/keys/signer/${version}/verify`, {
      alg: "ES256",
      digest,
      value: signature,
    });
    assert.equal(verified.value, true);

    // Selective key restore (not an az 2.45 command): az rest PUT /keys/{name}/restore, then the pending status.
    await rest("delete", "drhsm2", "/keys/signer");
    const sel = await rest("put", "drhsm2", "/keys/signer/restore", {
      sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas },
      folder,
    });
    let status = sel;
    for (let i = 0; i < 100 && status.status === "InProgress"; i++)
      status = await rest("get", "drhsm2", `/restore/${sel.jobId}/pending`);
    assert.equal(status.status, "Succeeded", JSON.stringify(status));
    assert.equal(
      (await az.ok(["keyvault", "key", "show", "--hsm-name", "drhsm2", "-n", "signer"])).key.kid,
      shown.key.kid,
    );
  },
);
