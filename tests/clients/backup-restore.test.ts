// The disaster-recovery chain with real clients where they exist: a new HSM is NotActivated and refuses keys;
// security-domain download (3 certificates, quorum 2) activates it; keys are created and used; a full backup goes
// into Azure Blob Storage (Azurite behind {account}.blob.core.windows.net) and the unmodified @azure/storage-blob
// lists the folder mhsm-{name}-{timestamp} and finds nothing readable in it; a second HSM recovers the domain with 2
// of the 3 private keys; a full restore brings back the same keys (public keys, versions) that verify signatures
// made before the backup, and removes what the backup did not have; a selective restore brings back one key; bad
// input, another domain's backup, a read-only SAS, a missing container and a second operation are refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { seedHsm, hsmCall, grant, ROLE, API } from "../http/hsm/support.js";
import { activate, recover, wrappingKeys, type WrappingKey } from "../http/hsm/security-domain-support.js";
import type { SecurityDomainFile } from "../../src/hsm/security-domain/format.js";

const STORAGE = fileURLToPath(new URL("./sdk/storage-blob.ts", import.meta.url));
const CONTAINER_URI = "https://devstoreaccount1.blob.core.windows.net/backups";

let h: TestHsmlink;
let wrapping: WrappingKey[];
let sdFile: SecurityDomainFile;
let sas: { sasWrite: string; sasReadOnly: string; sasMissing: string };
let folder: string;
const signed: Record<
  string,
  { kid: string; jwk: Record<string, string>; message: string; digest: string; value: string; alg: string }
> = {};

before(async () => {
  h = await startTestHsmlink({ activateNewHsms: false });
  wrapping = await wrappingKeys(3);
});
after(async () => h?.dispose());

const me = () => h.endpoints.principalObjectId;
const b64u = (b: Buffer) => b.toString("base64url");

/** Polls `…/pending` until the job leaves InProgress. */
async function settle(hsm: string, kind: "backup" | "restore", jobId: string): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const r = await hsmCall(h, hsm, "GET", `/${kind}/${jobId}/pending?${API}`);
    assert.equal(r.status, 200, r.text);
    if (r.json.status !== "InProgress") return r.json;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("job did not finish");
}

test("a new HSM refuses keys until its security domain is downloaded; then keys are created and used", async () => {
  seedHsm(h, "bk1", { activationStatus: "NotActivated" });
  await grant(h, "bk1", me(), ROLE.cryptoUser);
  await grant(h, "bk1", me(), ROLE.cryptoOfficer);
  const refused = await hsmCall(h, "bk1", "POST", `/keys/rsa1/create?${API}`, {
    body: { kty: "RSA-HSM", key_size: 2048 },
  });
  assert.equal(refused.status, 403);
  sdFile = await activate(h, "bk1", wrapping);
  for (const [name, body, alg] of [
    ["rsa1", { kty: "RSA-HSM", key_size: 2048 }, "RS256"],
    ["ec1", { kty: "EC-HSM", crv: "P-256" }, "ES256"],
  ] as const) {
    assert.equal((await hsmCall(h, "bk1", "POST", `/keys/${name}/create?${API}`, { body })).status, 200);
    // A second version, so versions and their order must survive the round trip.
    const k = await hsmCall(h, "bk1", "POST", `/keys/${name}/create?${API}`, { body });
    assert.equal(k.status, 200, k.text);
    const message = `signed before the backup by ${name}`;
    const digest = b64u(createHash("sha256").update(message).digest());
    const s = await hsmCall(h, "bk1", "POST", `/keys/${name}/${k.json.key.kid.split("/").pop()}/sign?${API}`, {
      body: { alg, value: digest },
    });
    assert.equal(s.status, 200, s.text);
    signed[name] = { kid: k.json.key.kid, jwk: k.json.key, message, digest, value: s.json.value, alg };
  }
});

test("full backup into Azurite: 202 + Azure-AsyncOperation, Succeeded with the folder; @azure/storage-blob lists it and reads nothing in clear", async () => {
  const setup = await runNodeClient(STORAGE, h.clientEnv(), ["setup", "backups"]);
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  assert.equal(setup.json.url, CONTAINER_URI);
  sas = setup.json;
  const start = await hsmCall(h, "bk1", "POST", `/backup?${API}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite },
  });
  assert.equal(start.status, 202, start.text);
  assert.deepEqual(Object.keys(start.json), [
    "status",
    "statusDetails",
    "error",
    "startTime",
    "endTime",
    "jobId",
    "azureStorageBlobContainerUri",
  ]);
  assert.equal(start.json.status, "InProgress");
  assert.match(start.json.jobId, /^[0-9a-f]{32}$/);
  assert.equal(
    start.headers["azure-asyncoperation"],
    `https://bk1.managedhsm.azure.net/backup/${start.json.jobId}/pending`,
  );
  // Recorded (python azure-keyvault-administration test_full_backup_and_restore[2025-07-01]): the Azure-AsyncOperation
  // URL carries no api-version and is polled as given; another route without one is refused.
  const polled = await hsmCall(h, "bk1", "GET", `/backup/${start.json.jobId}/pending`);
  assert.equal(polled.status, 200, polled.text);
  assert.equal(polled.json.jobId, start.json.jobId);
  const unversioned = await hsmCall(h, "bk1", "GET", "/keys");
  assert.equal(unversioned.status, 400, unversioned.text);
  const done = await settle("bk1", "backup", start.json.jobId);
  // One operation at a time per HSM: while a job is in progress (here a restore job row), a backup is refused.
  h.store.db
    .prepare(
      "INSERT INTO hsm_backup_jobs (job_id, hsm, kind, status, start_time) VALUES ('f'||hex(randomblob(15)), 'bk1', 'restore', 'InProgress', 0)",
    )
    .run();
  const second = await hsmCall(h, "bk1", "POST", `/backup?${API}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite },
  });
  assert.equal(second.status, 409, second.text);
  assert.equal(second.json.error.code, "Conflict");
  assert.match(second.json.error.message, /A restore operation \(job f[0-9A-F]{30}\) is already in progress/);
  h.store.db.prepare("DELETE FROM hsm_backup_jobs WHERE start_time = 0").run();
  assert.equal(done.status, "Succeeded", JSON.stringify(done));
  assert.equal(done.error, null);
  assert.deepEqual(Object.keys(done), [...Object.keys(done)].sort());
  assert.match(
    done.azureStorageBlobContainerUri,
    /^https:\/\/devstoreaccount1\.blob\.core\.windows\.net\/backups\/mhsm-bk1-\d{16}$/,
  );
  folder = done.azureStorageBlobContainerUri.split("/").pop();
  const listed = await runNodeClient(STORAGE, h.clientEnv(), ["list", "backups", `${folder}/`]);
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  assert.ok(listed.json.names.includes(`${folder}/manifest`), JSON.stringify(listed.json.names));
  assert.equal(listed.json.names.filter((n: string) => n.startsWith(`${folder}/keys/`)).length, 2);
  for (const sample of listed.json.samples as string[]) {
    for (const clear of ["rsa1", "ec1", "kty", "RSA-HSM", me()])
      assert.equal(sample.includes(clear), false, `blob shows '${clear}'`);
  }
});

test("backup failures: a read-only SAS, a missing container (ResourceNotFound), bad requests", async () => {
  const ro = await hsmCall(h, "bk1", "POST", `/backup?${API}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasReadOnly },
  });
  assert.equal(ro.status, 202);
  const roDone = await settle("bk1", "backup", ro.json.jobId);
  assert.equal(roDone.status, "Failed");
  assert.match(roDone.statusDetails, /AuthorizationPermissionMismatch/);
  assert.equal(roDone.azureStorageBlobContainerUri, null);
  const missing = await hsmCall(h, "bk1", "POST", `/backup?${API}`, {
    body: {
      storageResourceUri: "https://devstoreaccount1.blob.core.windows.net/nosuchcontainer",
      token: sas.sasMissing,
    },
  });
  const missingDone = await settle("bk1", "backup", missing.json.jobId);
  assert.equal(missingDone.status, "Failed");
  assert.equal(missingDone.statusDetails, "ResourceNotFound");
  for (const body of [
    { token: sas.sasWrite },
    { storageResourceUri: "https://example.com/x", token: "t" },
    { storageResourceUri: CONTAINER_URI },
    { storageResourceUri: CONTAINER_URI, useManagedIdentity: true },
  ]) {
    const r = await hsmCall(h, "bk1", "POST", `/backup?${API}`, { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.code, "BadParameter");
  }
  assert.equal((await hsmCall(h, "bk1", "GET", `/backup/0123456789abcdef0123456789abcdef/pending?${API}`)).status, 404);
  // Malformed percent-encoding in a path parameter is a 400, never a 500.
  for (const path of [`/keys/%E0%A4%A/restore?${API}`, `/settings/%E0%A4%A?${API}`]) {
    const r = await hsmCall(h, "bk1", path.startsWith("/keys") ? "PUT" : "GET", path, { body: {} });
    assert.equal(r.status, 400, `${path}: ${r.text}`);
  }
});

test("disaster recovery: a second HSM takes the domain with 2 of 3 keys; full restore brings back the same keys, which verify old signatures", async () => {
  seedHsm(h, "bk2", { activationStatus: "NotActivated" });
  await grant(h, "bk2", me(), ROLE.cryptoUser);
  await recover(h, "bk2", sdFile, wrapping, [1, 2]);
  // Something the backup does not have: a full restore is destructive.
  assert.equal((await hsmCall(h, "bk2", "POST", `/keys/junk/create?${API}`, { body: { kty: "EC-HSM" } })).status, 200);
  const start = await hsmCall(h, "bk2", "PUT", `/restore?${API}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite }, folderToRestore: folder },
  });
  assert.equal(start.status, 202, start.text);
  assert.deepEqual(Object.keys(start.json), ["status", "statusDetails", "error", "startTime", "endTime", "jobId"]);
  assert.equal(
    start.headers["azure-asyncoperation"],
    `https://bk2.managedhsm.azure.net/restore/${start.json.jobId}/pending`,
  );
  const done = await settle("bk2", "restore", start.json.jobId);
  assert.equal(done.status, "Succeeded", JSON.stringify(done));
  // The backup's role assignments replaced bk2's: the crypto user/officer grants made on bk1 hold here too.
  const list = await hsmCall(h, "bk2", "GET", `/keys?${API}`);
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.value.map((k: { kid: string }) => k.kid.split("/").pop()).sort(), ["ec1", "rsa1"]);
  for (const [name, s] of Object.entries(signed)) {
    const version = s.kid.split("/").pop();
    const got = await hsmCall(h, "bk2", "GET", `/keys/${name}/${version}?${API}`);
    assert.equal(got.status, 200, got.text);
    for (const f of ["kty", "n", "e", "crv", "x", "y"]) assert.equal(got.json.key[f], s.jwk[f], `${name}.${f}`);
    const versions = await hsmCall(h, "bk2", "GET", `/keys/${name}/versions?${API}`);
    assert.equal(versions.json.value.length, 2);
    const v = await hsmCall(h, "bk2", "POST", `/keys/${name}/${version}/verify?${API}`, {
      body: { alg: s.alg, digest: s.digest, value: s.value },
    });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.value, true);
    // And locally with the restored public key, as a relying party would.
    const { kty, n, e, crv, x, y } = got.json.key;
    const pub = createPublicKey({
      key: { kty: String(kty).replace(/-HSM$/, ""), ...(n ? { n, e } : { crv, x, y }) },
      format: "jwk",
    });
    const sig = Buffer.from(s.value, "base64url");
    assert.equal(
      nodeVerify(
        "sha256",
        Buffer.from(s.message),
        s.alg === "ES256" ? { key: pub, dsaEncoding: "ieee-p1363" } : pub,
        sig,
      ),
      true,
      `${name}: the old signature verifies locally`,
    );
    // The restored private key still signs.
    assert.equal(
      (
        await hsmCall(h, "bk2", "POST", `/keys/${name}/${version}/sign?${API}`, {
          body: { alg: s.alg, value: s.digest },
        })
      ).status,
      200,
    );
  }
  assert.equal((await hsmCall(h, "bk2", "GET", `/keys/junk?${API}`)).status, 404);
});

test("selective key restore brings back one deleted key with its versions", async () => {
  assert.equal((await hsmCall(h, "bk1", "DELETE", `/keys/ec1?${API}`)).status, 200);
  assert.equal((await hsmCall(h, "bk1", "DELETE", `/deletedkeys/ec1?${API}`)).status, 204);
  const start = await hsmCall(h, "bk1", "PUT", `/keys/ec1/restore?${API}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite }, folder },
  });
  assert.equal(start.status, 202, start.text);
  const done = await settle("bk1", "restore", start.json.jobId);
  assert.equal(done.status, "Succeeded", JSON.stringify(done));
  const got = await hsmCall(h, "bk1", "GET", `/keys/ec1?${API}`);
  assert.equal(got.json.key.kid.split("/").pop(), signed.ec1.kid.split("/").pop());
  assert.equal(got.json.key.x, signed.ec1.jwk.x);
  const absent = await hsmCall(h, "bk1", "PUT", `/keys/nosuchkey/restore?${API}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite }, folder },
  });
  const absentDone = await settle("bk1", "restore", absent.json.jobId);
  assert.equal(absentDone.status, "Failed");
  assert.match(absentDone.statusDetails, /not in the backup/);
});

test("a backup made under another security domain does not restore and changes nothing", async () => {
  seedHsm(h, "bk3", { activationStatus: "NotActivated" });
  await grant(h, "bk3", me(), ROLE.cryptoUser);
  await activate(h, "bk3", await wrappingKeys(3));
  assert.equal((await hsmCall(h, "bk3", "POST", `/keys/mine/create?${API}`, { body: { kty: "EC-HSM" } })).status, 200);
  const start = await hsmCall(h, "bk3", "PUT", `/restore?${API}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite }, folderToRestore: folder },
  });
  const done = await settle("bk3", "restore", start.json.jobId);
  assert.equal(done.status, "Failed");
  assert.match(done.statusDetails, /^Invalid backup provided: the backup was made under another security domain/);
  assert.deepEqual(done.error, { code: null, message: null, innererror: null });
  assert.equal((await hsmCall(h, "bk3", "GET", `/keys/mine?${API}`)).status, 200);
  assert.equal((await hsmCall(h, "bk3", "GET", `/keys/rsa1?${API}`)).status, 404);
  const noFolder = await hsmCall(h, "bk3", "PUT", `/restore?${API}`, {
    body: {
      sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite },
      folderToRestore: "mhsm-bk3-2020010100000000",
    },
  });
  assert.match(
    (await settle("bk3", "restore", noFolder.json.jobId)).statusDetails,
    /Invalid backup provided: there is no backup/,
  );
  const bad = await hsmCall(h, "bk3", "PUT", `/restore?${API}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite } },
  });
  assert.equal(bad.status, 400);
});

test("pre-backup and pre-restore checks (api-version 7.5+) report without changing anything", async () => {
  const v75 = "api-version=7.5";
  const pre = await hsmCall(h, "bk1", "POST", `/prebackup?${v75}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite },
  });
  assert.equal(pre.status, 202, pre.text);
  assert.match(String(pre.headers["azure-asyncoperation"]), /\/backup\/[0-9a-f]{32}\/pending$/);
  const preDone = await settle("bk1", "backup", pre.json.jobId);
  assert.equal(preDone.status, "Succeeded", JSON.stringify(preDone));
  assert.equal(preDone.azureStorageBlobContainerUri, null);
  const listed = await runNodeClient(STORAGE, h.clientEnv(), ["list", "backups", ""]);
  assert.equal(
    listed.json.names.some((n: string) => n.includes("prebackup")),
    false,
    "the probe blob is gone",
  );
  const ro = await hsmCall(h, "bk1", "POST", `/prebackup?${v75}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasReadOnly },
  });
  assert.equal((await settle("bk1", "backup", ro.json.jobId)).status, "Failed");
  const old = await hsmCall(h, "bk1", "POST", `/prebackup?${API}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite },
  });
  assert.equal(old.status, 400);
  assert.match(old.json.error.message, /api-version 7\.5 or later/);

  const same = await hsmCall(h, "bk2", "PUT", `/prerestore?${v75}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite }, folderToRestore: folder },
  });
  assert.equal(same.status, 202, same.text);
  assert.equal((await settle("bk2", "restore", same.json.jobId)).status, "Succeeded");
  const other = await hsmCall(h, "bk3", "PUT", `/prerestore?${v75}`, {
    body: { sasTokenParameters: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite }, folderToRestore: folder },
  });
  const otherDone = await settle("bk3", "restore", other.json.jobId);
  assert.equal(otherDone.status, "Failed");
  assert.match(otherDone.statusDetails, /another security domain/);
  assert.equal((await hsmCall(h, "bk3", "GET", `/keys/mine?${API}`)).status, 200);
});

test("a job that was running when hsmlink stopped is Failed after the next start, and no longer blocks the HSM", async () => {
  h.store.db
    .prepare(
      "INSERT INTO hsm_backup_jobs (job_id, hsm, kind, status, start_time) VALUES ('0123456789abcdef0123456789abcdee', 'bk1', 'backup', 'InProgress', 1)",
    )
    .run();
  const { BackupService } = await import("../../src/hsm/backup/service.js");
  new BackupService(h.store, undefined as never, undefined as never, undefined as never, () => Date.now());
  const after = await hsmCall(h, "bk1", "GET", `/backup/0123456789abcdef0123456789abcdee/pending?${API}`);
  assert.equal(after.json.status, "Failed");
  assert.equal(after.json.statusDetails, "hsmlink stopped while the operation ran.");
  const next = await hsmCall(h, "bk1", "POST", `/backup?${API}`, {
    body: { storageResourceUri: CONTAINER_URI, token: sas.sasWrite },
  });
  assert.equal(next.status, 202, next.text);
  assert.equal((await settle("bk1", "backup", next.json.jobId)).status, "Succeeded");
});
