// Robustness: parallel creation of the same resource group / managed HSM name (exactly one creation, the rest
// updates or Azure's conflict, one stored resource), parallel crypto on one key (every result correct), and the
// DNS listener fed random and truncated datagrams (fast-check, fixed seed) keeps answering valid queries.
import { plausibleDnsMessage } from "../../src/dns/server.js";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect as netConnect } from "node:net";
import { createPublicKey, publicDecrypt, constants, randomBytes, type KeyObject } from "node:crypto";
import fc from "fast-check";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { armCall } from "../support/arm-client.js";
import { API, grant, hsmCall, hsmToken, ROLE } from "../http/hsm/support.js";

let h: TestHsmlink;
let armToken = "";
let sub = "";
const HSM = "conchsm";
const hsmBody = () => ({
  location: "westeurope",
  sku: { family: "B", name: "Standard_B1" },
  properties: {
    tenantId: h.endpoints.tenantId,
    initialAdminObjectIds: [h.endpoints.principalObjectId],
    enableSoftDelete: true,
    softDeleteRetentionInDays: 7,
  },
});
const countRows = (like: string) =>
  (h.store.db.prepare("SELECT COUNT(*) AS n FROM resources WHERE id_key LIKE ?").get(like) as { n: number }).n;

before(async () => {
  h = await startTestHsmlink();
  sub = h.endpoints.subscriptionId;
  armToken = (await h.identity.issue(h.identity.defaultIdentity(), "https://management.azure.com/")).token;
});
after(async () => h?.dispose());

test("the same resource group created 12 times in parallel: one 201, the rest 200 updates, one stored group", async () => {
  const path = `/subscriptions/${sub}/resourceGroups/rg-race?api-version=2021-04-01`;
  const rs = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      armCall(h, "PUT", path, { token: armToken, body: { location: "westeurope", tags: { i: String(i) } } }),
    ),
  );
  const statuses = rs.map((r) => r.status).sort();
  assert.deepEqual(
    statuses,
    [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
    rs.map((r) => r.text).join("\n"),
  );
  assert.equal(countRows(`/subscriptions/${sub.toLowerCase()}/resourcegroups/rg-race`), 1);
  const got = await armCall(h, "GET", path, { token: armToken });
  assert.equal(got.status, 200);
  assert.ok(
    rs.some((r) => r.json?.tags?.i === got.json.tags.i),
    "the stored group is one of the acknowledged writes",
  );
});

test("the same managed HSM name created in parallel (same and different resource groups): exactly one creation", async () => {
  for (const rg of ["rg-h1", "rg-h2"])
    assert.equal(
      (
        await armCall(h, "PUT", `/subscriptions/${sub}/resourceGroups/${rg}?api-version=2021-04-01`, {
          token: armToken,
          body: { location: "westeurope" },
        })
      ).status,
      201,
    );
  const rs = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      armCall(
        h,
        "PUT",
        `/subscriptions/${sub}/resourceGroups/${i % 2 ? "rg-h2" : "rg-h1"}/providers/Microsoft.KeyVault/managedHSMs/${HSM}?api-version=2022-07-01`,
        { token: armToken, body: hsmBody() },
      ),
    ),
  );
  // Create and update both answer 202 (the Key Vault LRO dialect, committed before the answer), so "one creation"
  // means: one stored HSM, in one resource group; every request to that group 202, every one to the other group
  // Azure's global-name ConflictError (409).
  assert.equal(countRows(`%/providers/microsoft.keyvault/managedhsms/${HSM}`), 1);
  const stored = h.store.db
    .prepare("SELECT resource_group_key AS rg FROM resources WHERE id_key LIKE ?")
    .get(`%/managedhsms/${HSM}`) as { rg: string };
  rs.forEach((r, i) => {
    const rg = i % 2 ? "rg-h2" : "rg-h1";
    if (rg === stored.rg) assert.equal(r.status, 202, `${rg}: ${r.status} ${r.text}`);
    else {
      assert.equal(r.status, 409, `${rg}: ${r.status} ${r.text}`);
      assert.equal(r.json?.error?.code, "ConflictError", r.text);
    }
  });
  assert.equal(countRows(`%/providers/microsoft.keyvault/managedhsms/${HSM}`), 1);
});

test("parallel sign and wrap/unwrap on one key: every result is correct", async () => {
  assert.equal(countRows(`%/managedhsms/${HSM}`), 1);
  await grant(h, HSM, h.endpoints.principalObjectId, ROLE.cryptoUser);
  const token = await hsmToken(h);
  const dp = (method: string, path: string, body?: unknown) =>
    hsmCall(h, HSM, method, `${path}?${API}`, { token, body });
  const rsa = await dp("POST", "/keys/par-rsa/create", { kty: "RSA-HSM", key_size: 2048 });
  assert.equal(rsa.status, 200, rsa.text);
  const aes = await dp("POST", "/keys/par-aes/create", { kty: "oct-HSM", key_size: 256 });
  assert.equal(aes.status, 200, aes.text);
  const pub = createPublicKey({ key: { kty: "RSA", n: rsa.json.key.n, e: rsa.json.key.e }, format: "jwk" });
  const digests = Array.from({ length: 24 }, () => randomBytes(32));
  const sigs = await Promise.all(
    digests.map((d) => dp("POST", "/keys/par-rsa/sign", { alg: "RS256", value: d.toString("base64url") })),
  );
  sigs.forEach((s, i) => {
    assert.equal(s.status, 200, s.text);
    assert.ok(verifyDigest(pub, digests[i]!, Buffer.from(s.json.value, "base64url")), `signature ${i} does not verify`);
  });
  const ceks = Array.from({ length: 24 }, () => randomBytes(32));
  const wrapped = await Promise.all(
    ceks.map((c) => dp("POST", "/keys/par-aes/wrapkey", { alg: "A256KW", value: c.toString("base64url") })),
  );
  const unwrapped = await Promise.all(
    wrapped.map((w) => dp("POST", "/keys/par-aes/unwrapkey", { alg: "A256KW", value: w.json?.value })),
  );
  unwrapped.forEach((u, i) => {
    assert.equal(wrapped[i]!.status, 200, wrapped[i]!.text);
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.value, ceks[i]!.toString("base64url"), `unwrap ${i} returned another key`);
  });
});

/** Verifies an RS256 signature over a precomputed SHA-256 digest with publicDecrypt (PKCS#1 v1.5 DigestInfo). */
function verifyDigest(pub: KeyObject, digest: Buffer, sig: Buffer): boolean {
  const em = publicDecrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, sig);
  const digestInfo = Buffer.concat([Buffer.from("3031300d060960864801650304020105000420", "hex"), digest]);
  return em.equals(digestInfo);
}

// ---------------------------------------------------------------- DNS

function query(id: number, name: string, qtype = 1): Buffer {
  const labels = name.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, ...labels, Buffer.from([0]), tail]);
}

async function udpExchange(packet: Buffer, waitMs: number): Promise<Buffer | undefined> {
  const sock = createSocket("udp4");
  try {
    return await new Promise<Buffer | undefined>((resolve, reject) => {
      const t = setTimeout(() => resolve(undefined), waitMs);
      sock.on("message", (m) => {
        clearTimeout(t);
        resolve(m);
      });
      sock.on("error", reject);
      sock.send(packet, h.endpoints.dns.port, h.endpoints.dns.host);
    });
  } finally {
    sock.close();
  }
}

/** A valid query for the HSM name gets a NOERROR answer with the query's id (retried: UDP). */
async function assertAnswers(id: number): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await udpExchange(query(id, `${HSM}.managedhsm.azure.net`), 2_000);
    if (!r) continue;
    assert.equal(r.readUInt16BE(0), id);
    assert.ok(r.readUInt16BE(2) & 0x8000, "QR bit set");
    assert.equal(r.readUInt16BE(2) & 0x000f, 0, "NOERROR");
    assert.ok(r.readUInt16BE(6) >= 1, "at least one answer record");
    return;
  }
  assert.fail("no answer to a valid DNS query");
}

test("DNS: random and truncated datagrams, then garbage on TCP — the server keeps answering valid queries", async () => {
  assert.equal(countRows(`%/managedhsms/${HSM}`), 1);
  await assertAnswers(0x1234);
  const valid = query(0x4242, `${HSM}.managedhsm.azure.net`, 28);
  // Random headers claim any record counts: implausible ones are dropped before parsing (see the test below).
  const packets = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 600 }).map((u) => Buffer.from(u)),
    fc.nat({ max: valid.length - 1 }).map((n) => valid.subarray(0, n)),
    fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const c = Buffer.from(valid);
      c[i] = b;
      return c;
    }),
    // A compression pointer to itself, labels running past the end, a zero-length datagram.
    fc.constantFrom(
      Buffer.from("abcd01000001000000000000c00c00010001", "hex"),
      Buffer.from("abcd010000010000000000003f616263", "hex"),
      Buffer.alloc(0),
    ),
  );
  let n = 0;
  await fc.assert(
    fc.asyncProperty(packets, async (p) => {
      const sock = createSocket("udp4");
      await new Promise<void>((resolve) => sock.send(p, h.endpoints.dns.port, h.endpoints.dns.host, () => resolve()));
      sock.close();
      if (++n % 25 === 0) await assertAnswers(n);
    }),
    { seed: 20261129, numRuns: 200 },
  );
  // Garbage and a truncated length prefix on TCP.
  for (const junk of [randomBytes(300), Buffer.from([0xff, 0xff, 1, 2, 3]), Buffer.from([0x00])]) {
    await new Promise<void>((resolve) => {
      const s = netConnect(h.endpoints.dns.port, h.endpoints.dns.host, () => s.end(junk));
      s.on("error", () => resolve());
      s.on("close", () => resolve());
      s.setTimeout(2_000, () => s.destroy());
    });
  }
  await assertAnswers(0x7777);
});

test("DNS: datagrams whose header claims more records than they hold are dropped unparsed, and queries keep being answered", async () => {
  for (const hex of ["abcd0100ffffffffffffffff", "abcd0100ffff00000000000000"]) {
    assert.equal(plausibleDnsMessage(Buffer.from(hex, "hex")), false, hex);
  }
  const valid = Buffer.from("12340100000100000000000003777777076578616d706c6503636f6d0000010001", "hex");
  assert.equal(plausibleDnsMessage(valid), true);
  const sock = createSocket("udp4");
  for (let i = 0; i < 50; i++)
    sock.send(Buffer.from("abcd0100ffffffffffffffff", "hex"), h.endpoints.dns.port, h.endpoints.dns.host);
  await new Promise((r) => setTimeout(r, 50));
  sock.close();
  await assertAnswers(0x7878);
});
