// `--blob-endpoint`: hsmlink serves {account}.blob.core.windows.net from an Azurite the user runs (here one started
// for the test) instead of starting its own; a bad value is refused at start.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { BlobStorage, type BlobEndpoint } from "../../src/hsm/backup/blob-storage.js";
import { loadConfig, ConfigError } from "../../src/config/settings.js";

const STORAGE = fileURLToPath(new URL("./sdk/storage-blob.ts", import.meta.url));
let azurite: BlobStorage;
let endpoint: BlobEndpoint;
let h: TestHsmlink;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "hsmlink-azurite-"));
  azurite = new BlobStorage({ dataDir: dir, inMemory: true, host: "127.0.0.1" });
  endpoint = await azurite.endpoint();
  h = await startTestHsmlink({ blobEndpoint: `http://${endpoint.host}:${endpoint.port}` });
});
after(async () => {
  await h?.dispose();
  await azurite?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a container created through the gateway lives in the Azurite --blob-endpoint names", async () => {
  const setup = await runNodeClient(STORAGE, h.clientEnv(), ["setup", "external"]);
  assert.equal(setup.code, 0, setup.stdout + setup.stderr);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        path: `/devstoreaccount1/external?restype=container&comp=list&${setup.json.sasReadOnly}`,
        method: "GET",
        headers: { "x-ms-version": "2021-08-06" },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
  assert.equal(status, 200);
});

test("--blob-endpoint must be http://host:port", () => {
  assert.throws(
    () => loadConfig({ blobEndpoint: "https://example.com/x" }, {}),
    (e: Error) => e instanceof ConfigError && /--blob-endpoint: expected an Azurite blob endpoint/.test(e.message),
  );
  assert.equal(loadConfig({ blobEndpoint: "http://127.0.0.1:10000" }, {}).blobEndpoint, "http://127.0.0.1:10000");
});
