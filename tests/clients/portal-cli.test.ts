// `hsmlink portal` as a user runs it: a real `hsmlink start` child process, then `hsmlink portal` prints a URL whose
// page and API answer (the token in its fragment is accepted); once hsmlink stops, `hsmlink portal` says so.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHsmlinkCli, startHsmlinkProcess } from "../support/hsmlink-cli.js";

const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-portal-cli-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test("hsmlink portal prints a URL that opens the portal of the running hsmlink; none once it stopped", async () => {
  const hsmlink = await startHsmlinkProcess(dataDir, { args: ["--in-memory"] });
  try {
    const r = await runHsmlinkCli(["portal", "--data-dir", dataDir], { ...process.env, HSMLINK_HOME: "" });
    assert.equal(r.code, 0, r.stderr);
    const url = new URL(r.stdout.trim());
    assert.equal(url.protocol, "http:");
    assert.equal(url.hostname, "127.0.0.1");
    const token = new URLSearchParams(url.hash.slice(1)).get("token") ?? "";
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    const page = await fetch(new URL("/", url));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>hsmlink portal<\/title>/);
    const api = await fetch(new URL("/api/vantages", url), { headers: { "x-hsmlink-portal-token": token } });
    assert.equal(api.status, 200);
    assert.deepEqual(
      ((await api.json()) as { value: { name: string }[] }).value.map((v) => v.name),
      ["internet"],
    );
    assert.equal((await fetch(new URL("/api/vantages", url))).status, 401);
    // One secret on disk: the portal's token is derived from the instance secret, no second file.
    assert.ok(existsSync(join(dataDir, "instance-secret")));
    assert.equal(existsSync(join(dataDir, "portal-secret")), false);
  } finally {
    await hsmlink.stop();
  }
  const gone = await runHsmlinkCli(["portal", "--data-dir", dataDir], process.env);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /not running/);
});
