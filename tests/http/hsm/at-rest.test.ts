// Key material at rest: the SQLite file never holds private key bytes (RSA d/p/q, AES k) in any encoding; the
// per-HSM key is sealed under <dataDir>/hsm-master.key (0600); keys survive a restart and need that file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { loadConfig } from "../../../src/config/settings.js";
import { startHsmlink } from "../../../src/server/hsmlink.js";
import { API, grant, hsmCall, ROLE, seedHsm } from "./support.js";
import type { TestHsmlink } from "../../support/hsmlink.js";

async function start(dataDir: string): Promise<TestHsmlink> {
  const config = loadConfig(
    { dataDir, inMemory: false, gatewayPort: 0, httpsPort: 0, msiPort: 0, dnsPort: 0, portalPort: 0, logLevel: "warn" },
    {},
  );
  const h = await startHsmlink(config);
  return Object.assign(h, { clientEnv: () => ({}), dispose: () => h.close() }) as TestHsmlink;
}

/** Every encoding a leaked secret could take in the file. */
function encodings(secret: Buffer): Buffer[] {
  return [
    secret,
    Buffer.from(secret.toString("base64url")),
    Buffer.from(secret.toString("base64")),
    Buffer.from(secret.toString("hex")),
  ].map((b) => b.subarray(0, Math.min(b.length, 48)));
}

test("imported RSA d/p/q and AES k never reach the database file; keys work after a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-atrest-"));
  try {
    let h = await start(dataDir);
    seedHsm(h, "vault1");
    await grant(h, "vault1", h.endpoints.principalObjectId, ROLE.cryptoUser);
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const rsa = privateKey.export({ format: "jwk" });
    const k = randomBytes(32);
    assert.equal(
      (await hsmCall(h, "vault1", "PUT", `/keys/rsa?${API}`, { body: { key: { ...rsa, kty: "RSA" } } })).status,
      200,
    );
    assert.equal(
      (
        await hsmCall(h, "vault1", "PUT", `/keys/aes?${API}`, {
          body: { key: { kty: "oct", k: k.toString("base64url") } },
        })
      ).status,
      200,
    );
    const bk = await hsmCall(h, "vault1", "POST", `/keys/aes/backup?${API}`);
    assert.equal(bk.status, 200);
    const wrapped = await hsmCall(h, "vault1", "POST", `/keys/aes/wrapkey?${API}`, {
      body: { alg: "A256KW", value: Buffer.alloc(16, 7).toString("base64url") },
    });
    assert.equal(wrapped.status, 200);

    const files = ["hsmlink.db", "hsmlink.db-wal"].map((f) => join(dataDir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.ok(bytes.length > 0);
    assert.ok(
      bytes.includes(Buffer.from(String(rsa.n).slice(0, 40))),
      "the public modulus is stored (the check can see stored values)",
    );
    for (const [name, secret] of [
      ["d", Buffer.from(String(rsa.d), "base64url")],
      ["p", Buffer.from(String(rsa.p), "base64url")],
      ["q", Buffer.from(String(rsa.q), "base64url")],
      ["k", k],
    ] as const) {
      for (const enc of encodings(secret))
        assert.ok(!bytes.includes(enc), `private ${name} found in the database file`);
    }
    const masterPath = join(dataDir, "hsm-master.key");
    assert.equal(statSync(masterPath).mode & 0o777, 0o600);
    for (const enc of encodings(k)) assert.ok(!readFileSync(masterPath).includes(enc));

    await h.close();
    h = await start(dataDir);
    const unwrapped = await hsmCall(h, "vault1", "POST", `/keys/aes/unwrapkey?${API}`, {
      body: { alg: "A256KW", value: wrapped.json.value },
    });
    assert.equal(unwrapped.status, 200, unwrapped.text);
    assert.deepEqual(Buffer.from(unwrapped.json.value, "base64url"), Buffer.alloc(16, 7));
    await h.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
