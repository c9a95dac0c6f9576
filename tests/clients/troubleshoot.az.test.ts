// `hsmlink troubleshoot` end to end: BASE of field-cases.md built with the real az against a running hsmlink, then
// the troubleshooter through its three sources (running hsmlink, --from an export, --subscription/--arm-endpoint
// with a managed-identity credential) — same findings each way; then a broken record gives a failing finding.
import { runHsmlinkCli } from "../support/hsmlink-cli.js";
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { Az } from "../support/az.js";
import { buildHowto } from "../support/az-topology.js";

const { test, before, after } = clientSuite("az");

const ZONE = "privatelink.managedhsm.azure.net";
let h: TestHsmlink;
let az: Az;
let tmp: string;
let peIp: string;

const cli = runHsmlinkCli;

const common = ["troubleshoot", "--hsm", "tshsm", "-g", "rg-ts", "--vnet", "vnet-ts", "-o", "json"];
const summary = (stdout: string) =>
  (JSON.parse(stdout).findings as { id: string; status: string }[])
    .filter((f) => f.id !== "data-complete")
    .map((f) => `${f.id}:${f.status}`);

before(async () => {
  h = await startTestHsmlink();
  az = new Az(h.clientEnv());
  tmp = mkdtempSync(join(tmpdir(), "hsmlink-ts-"));
  await az.ok(["login", "--identity"]);
  ({ peIp } = await buildHowto(az, {
    rg: "rg-ts",
    hsm: "tshsm",
    administrator: h.endpoints.principalObjectId,
    vnet: "vnet-ts",
    subnet: "default",
    pe: "pe-ts",
    connection: "conn-ts",
    link: "link-ts",
  }));
});

after(async () => {
  await h?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("BASE via the running hsmlink, an az export and --subscription/--arm-endpoint: all pass, same findings", async () => {
  const env = { ...h.clientEnv(), HSMLINK_HOME: h.endpoints.dataDir };
  const viaHsmlink = await cli(common, env);
  assert.equal(viaHsmlink.code, 0, viaHsmlink.stdout + viaHsmlink.stderr);
  const expected = summary(viaHsmlink.stdout);
  assert.ok(
    expected.includes("a-record-ip-matches:pass") && expected.includes("dns-resolves-private:pass"),
    expected.join("\n"),
  );
  assert.deepEqual(
    expected.filter((s) => s.endsWith(":fail")),
    [],
  );

  // --from: what az prints (flattened AAZ shapes) for each type, concatenated.
  const exported = [
    ...(await az.ok(["keyvault", "list", "--resource-type", "hsm", "-g", "rg-ts"])),
    ...(await az.ok(["network", "vnet", "list", "-g", "rg-ts"])),
    ...(await az.ok(["network", "private-endpoint", "list", "-g", "rg-ts"])),
    ...(await az.ok(["network", "nic", "list", "-g", "rg-ts"])),
    ...(await az.ok(["network", "private-dns", "zone", "list", "-g", "rg-ts"])),
    ...(await az.ok(["network", "private-dns", "link", "vnet", "list", "-g", "rg-ts", "-z", ZONE])),
    ...(await az.ok(["network", "private-dns", "record-set", "list", "-g", "rg-ts", "-z", ZONE])),
  ];
  const file = join(tmp, "export.json");
  writeFileSync(file, JSON.stringify(exported));
  const viaFile = await cli([...common, "--from", file], env);
  assert.equal(viaFile.code, 0, viaFile.stdout + viaFile.stderr);
  assert.deepEqual(summary(viaFile.stdout), expected);

  // --subscription with DefaultAzureCredential → ManagedIdentityCredential via MSI_ENDPOINT (hsmlink's).
  const viaSub = await cli(
    [...common, "--subscription", h.endpoints.subscriptionId, "--arm-endpoint", h.endpoints.httpsUrl],
    env,
  );
  assert.equal(viaSub.code, 0, viaSub.stdout + viaSub.stderr);
  assert.deepEqual(summary(viaSub.stdout), expected);
});

test("A record deleted: a-record-exists fails, exit code 1, table names the add-record fix", async () => {
  await az.ok([
    "network",
    "private-dns",
    "record-set",
    "a",
    "delete",
    "-g",
    "rg-ts",
    "-z",
    ZONE,
    "-n",
    "tshsm",
    "--yes",
  ]);
  const env = { ...h.clientEnv(), HSMLINK_HOME: h.endpoints.dataDir };
  const r = await cli(common, env);
  assert.equal(r.code, 1, r.stderr);
  const f = (JSON.parse(r.stdout).findings as { id: string; status: string; fix?: string }[]).find(
    (x) => x.id === "a-record-exists",
  )!;
  assert.equal(f.status, "fail");
  assert.equal(f.fix, `az network private-dns record-set a add-record -g rg-ts -z ${ZONE} -n tshsm -a ${peIp}`);
  const table = await cli(common.slice(0, -2), env);
  assert.equal(table.code, 1);
  assert.match(table.stdout, /^FAIL\s+a-record-exists/m);
});
