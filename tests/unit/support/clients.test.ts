// Real-client suites on a machine without the clients: skipped with one loud line per client naming the Debian
// package; with HSMLINK_REQUIRE_CLIENTS=1 the suite fails naming them. Runs a fixture suite with PATH emptied of
// az and dig (a directory holding only node).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const fixture = fileURLToPath(new URL("../../fixtures/clients/needs-az-dig.ts", import.meta.url));
/** A PATH with node and nothing else. */
const nodeDir = mkdtempSync(join(tmpdir(), "hsmlink-path-"));
symlinkSync(process.execPath, join(nodeDir, "node"));

function runFixture(env: Record<string, string>): { status: number; out: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", fixture], {
    encoding: "utf8",
    env: { HOME: process.env.HOME ?? "/tmp", PATH: nodeDir, ...env },
    timeout: 120_000,
  });
  return { status: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

test("without az and dig on PATH a client suite is skipped, with one line per client naming its package", () => {
  const r = runFixture({});
  assert.equal(r.status, 0, r.out);
  assert.equal(
    r.out.match(
      /\*\*\* SKIPPING the az client tests: az is not installed \(Debian package azure-cli: apt-get install azure-cli\)/g,
    )?.length,
    1,
    r.out,
  );
  assert.equal(
    r.out.match(
      /\*\*\* SKIPPING the dig client tests: dig is not installed \(Debian package dnsutils: apt-get install dnsutils\)/g,
    )?.length,
    1,
    r.out,
  );
  assert.match(r.out, /skipped 2/);
  assert.doesNotMatch(r.out, /ran although|before hook ran/);
});

test("with HSMLINK_REQUIRE_CLIENTS=1 the same suite fails, naming the missing clients and their packages", () => {
  const r = runFixture({ HSMLINK_REQUIRE_CLIENTS: "1" });
  assert.notEqual(r.status, 0, r.out);
  assert.match(
    r.out,
    /HSMLINK_REQUIRE_CLIENTS=1 and a real client is missing: az is not installed \(Debian package azure-cli[^;]*; dig is not installed \(Debian package dnsutils/,
  );
});
