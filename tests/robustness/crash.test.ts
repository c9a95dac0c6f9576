// Crash safety: `hsmlink start` as a child process on a temp data dir takes concurrent resource group creates and is
// killed with SIGKILL mid-way. With the process dead, the SQLite file passes `PRAGMA integrity_check`; after a
// restart on the same data dir every acknowledged (2xx) write is there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Endpoints } from "../../src/client/endpoints.js";
import { startHsmlinkProcess, type HsmlinkProcess } from "../support/hsmlink-cli.js";

function put(e: Endpoints, ca: string, token: string, path: string, body?: unknown, method = "PUT"): Promise<number> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, e.httpsUrl),
      {
        method,
        ca,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": String(payload?.length ?? 0),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

test("kill -9 during concurrent resource group creates: integrity_check ok, every acknowledged write survives a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-crash-"));
  let hsmlink: HsmlinkProcess | undefined;
  try {
    hsmlink = await startHsmlinkProcess(dataDir);
    const { child } = hsmlink;
    const e = hsmlink.endpoints;
    const ca = readFileSync(e.caCertPath, "utf8");
    const secret = readFileSync(join(dataDir, "instance-secret"), "utf8").trim();
    const tokenRes = await fetch(`${e.msiEndpoint}?resource=${encodeURIComponent("https://management.azure.com/")}`, {
      headers: { Metadata: "true", "X-IDENTITY-HEADER": secret },
    });
    assert.equal(tokenRes.status, 200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;

    const acked: string[] = [];
    let failed = 0;
    let next = 0;
    const KILL_AFTER = 40;
    const TOTAL = 400;
    let killed = false;
    const lane = async () => {
      while (next < TOTAL) {
        const name = `rg-crash-${next++}`;
        try {
          const status = await put(
            e,
            ca,
            token,
            `/subscriptions/${e.subscriptionId}/resourceGroups/${name}?api-version=2021-04-01`,
            { location: "westeurope", tags: { n: name } },
          );
          if (status === 201 || status === 200) acked.push(name);
          else failed++;
        } catch {
          failed++; // connection reset by the kill: not acknowledged
          if (killed) return;
        }
        if (!killed && acked.length >= KILL_AFTER) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    await hsmlink.exited;
    assert.equal(child.signalCode, "SIGKILL", "hsmlink was killed, not stopped");
    assert.ok(acked.length >= KILL_AFTER, `acknowledged ${acked.length}`);
    assert.ok(acked.length < TOTAL, "the kill happened before every write was sent");

    // The process is dead: the database file (with its WAL) must be consistent.
    const db = new Database(join(dataDir, "hsmlink.db"));
    try {
      assert.deepEqual(db.pragma("integrity_check"), [{ integrity_check: "ok" }]);
      const stored = new Set(
        (
          db.prepare("SELECT name FROM resources WHERE type_key = 'microsoft.resources/resourcegroups'").all() as {
            name: string;
          }[]
        ).map((r) => r.name),
      );
      for (const name of acked) assert.ok(stored.has(name), `acknowledged ${name} missing from the database`);
    } finally {
      db.close();
    }

    // Restart on the same data dir: hsmlink starts (stale pid file of a dead process) and serves every acked group.
    hsmlink = await startHsmlinkProcess(dataDir);
    for (const name of acked) {
      const status = await put(
        hsmlink.endpoints,
        ca,
        token,
        `/subscriptions/${e.subscriptionId}/resourceGroups/${name}?api-version=2021-04-01`,
        undefined,
        "GET",
      );
      assert.equal(status, 200, `GET ${name} after restart`);
    }
    await hsmlink.stop();
  } finally {
    await hsmlink?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
