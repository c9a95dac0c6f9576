// Certificates and the local CA (issue 17, items 3 and the CA's reach): a flood of server names (SNI) mints
// nothing and keeps memory bounded; inside a tunnel only the tunnel's host is served; the leaf cache is bounded;
// the CA carries X.509 name constraints (RFC 5280 §4.2.1.10) so a certificate it signs for any other name is
// rejected by clients, while curl, Python requests and Node accept the names hsmlink serves; an old CA without
// constraints is replaced.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFile } from "node:child_process";
import { X509Certificate, webcrypto, createPrivateKey, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import type { AddressInfo } from "node:net";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { startHsmlinkProcess } from "../support/hsmlink-cli.js";
import { tlsTunnel, tlsDirect, exchangeOn, statusLine, hostPort } from "../support/raw-socket.js";
import { LocalCa, MAX_LEAF_CERTIFICATES, PERMITTED_DNS_NAMES } from "../../src/listeners/ca.js";

let h: TestHsmlink;

/** Runs a client process without blocking this process's event loop (hsmlink answers from it). */
function run(cmd: string, args: string[]): Promise<{ missing: boolean; code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30000, encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      resolve({
        missing: e?.code === "ENOENT",
        code: typeof e?.code === "number" ? e.code : e ? 1 : 0,
        stdout,
        stderr,
      });
    });
  });
}

before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

/** Tries a TLS handshake on the direct listener with SNI `name`; resolves whether it completed. */
function handshake(name: string): Promise<boolean> {
  const { host, port } = hostPort(h.endpoints.httpsUrl);
  return new Promise((resolve) => {
    const s = tlsConnect({ host, port, servername: name, rejectUnauthorized: false });
    const t = setTimeout(() => (s.destroy(), resolve(false)), 5000);
    s.once("secureConnect", () => (clearTimeout(t), s.destroy(), resolve(true)));
    s.once("error", () => (clearTimeout(t), s.destroy(), resolve(false)));
  });
}

/** Tries a TLS handshake on `httpsUrl` with SNI `name`; resolves whether it completed. */
function handshakeAt(httpsUrl: string, name: string): Promise<boolean> {
  const { host, port } = hostPort(httpsUrl);
  return new Promise((resolve) => {
    const s = tlsConnect({ host, port, servername: name, rejectUnauthorized: false });
    const t = setTimeout(() => (s.destroy(), resolve(false)), 5000);
    s.once("secureConnect", () => (clearTimeout(t), s.destroy(), resolve(true)));
    s.once("error", () => (clearTimeout(t), s.destroy(), resolve(false)));
  });
}

test("300 distinct server names on the direct listener mint no certificate; hsmlink still serves localhost", async () => {
  const leavesBefore = h.ca.cachedLeaves;
  const results = await Promise.all(Array.from({ length: 300 }, (_, i) => handshake(`n${i}.flood.example`)));
  // Names inside the CA's constraints that the direct listener does not answer to are refused too.
  assert.equal(await handshake("x1.managedhsm.azure.net"), false);
  assert.equal(results.filter(Boolean).length, 0, "a handshake for a name hsmlink does not serve completed");
  assert.equal(h.ca.cachedLeaves, leavesBefore, "certificates were minted for flood names");
  const d = await tlsDirect(h.endpoints.httpsUrl, h.ca.certPem);
  const r = await exchangeOn(d, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", {
    until: /\}/,
  });
  d.destroy();
  assert.equal(statusLine(r.text).status, 200);
});

test("6,000 distinct server names keep `hsmlink start`'s resident memory bounded", async (t) => {
  if (!existsSync("/proc/self/status")) return t.skip("no /proc: resident memory cannot be read");
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-sni-"));
  const hsmlink = await startHsmlinkProcess(dataDir);
  const { child } = hsmlink;
  try {
    const { httpsUrl } = hsmlink.endpoints;
    const rss = () =>
      Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
    const flood = async (from: number, n: number) => {
      let completed = 0;
      for (let i = from; i < from + n; i += 50)
        completed += (
          await Promise.all(Array.from({ length: 50 }, (_, k) => handshakeAt(httpsUrl, `n${i + k}.flood.example`)))
        ).filter(Boolean).length;
      return completed;
    };
    // Warm up (TLS machinery, JIT), then the flood the issue measured: 6,000 names once took +260 MB.
    assert.equal(await flood(0, 500), 0);
    const before = rss();
    assert.equal(await flood(500, 6000), 0, "a handshake for a name hsmlink does not serve completed");
    const growth = rss() - before;
    t.diagnostic(`hsmlink resident memory ${before.toFixed(0)} MB → +${growth.toFixed(1)} MB after 6,000 names`);
    assert.ok(growth < 64, `resident memory grew ${growth.toFixed(1)} MB`);
    assert.equal(await handshakeAt(httpsUrl, "localhost"), true, "localhost is no longer served");
  } finally {
    await hsmlink.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("inside a tunnel, a server name other than the tunnel's host is refused before any certificate is minted", async () => {
  const before = h.ca.cachedLeaves;
  for (const name of ["evil.example", "other.managedhsm.azure.net", "login.microsoftonline.com"]) {
    await assert.rejects(
      tlsTunnel(h.endpoints.gatewayUrl, "management.azure.com:443", h.ca.certPem, { servername: name }),
      Error,
      name,
    );
  }
  assert.ok(h.ca.cachedLeaves <= before + 1, "minted for names other than the tunnel's host");
  const ok = await tlsTunnel(h.endpoints.gatewayUrl, "management.azure.com:443", h.ca.certPem);
  ok.destroy();
});

test(`the leaf cache holds at most ${MAX_LEAF_CERTIFICATES} certificates (least recently used first out)`, async () => {
  const dir = mkdtempSync(join(tmpdir(), "hsmlink-ca-"));
  try {
    const ca = await LocalCa.loadOrCreate(dir);
    const keep = await ca.contextFor("management.azure.com");
    for (let i = 0; i < MAX_LEAF_CERTIFICATES + 40; i++) {
      await ca.contextFor(`hsm${i}.managedhsm.azure.net`);
      if (i % 50 === 0) await ca.contextFor("management.azure.com"); // recently used: stays
    }
    assert.equal(ca.cachedLeaves, MAX_LEAF_CERTIFICATES);
    assert.equal(await ca.contextFor("management.azure.com"), keep, "the recently used leaf was evicted");
    await assert.rejects(ca.contextFor("www.example.com"), /serves no TLS name/);
    await assert.rejects(ca.contextFor("8.8.8.8"), /serves no TLS name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the CA certificate carries critical name constraints permitting only the emulated names and loopback", () => {
  const out = spawnSync("openssl", ["x509", "-noout", "-text", "-in", h.endpoints.caCertPath], { encoding: "utf8" });
  if (out.error) return; // openssl not installed: the TLS tests below still check the constraints' effect
  assert.match(out.stdout, /X509v3 Name Constraints: critical/);
  const permitted = [...out.stdout.matchAll(/^\s+(DNS|IP):(\S+)$/gm)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(permitted, [
    ...PERMITTED_DNS_NAMES.map((d) => `DNS:${d}`),
    "IP:127.0.0.0/255.0.0.0",
    "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
    "IP:169.254.169.254/255.255.255.255",
  ]);
});

test("a certificate signed with the CA's own key for another name is rejected by a client trusting the CA", async () => {
  const x509 = await import("@peculiar/x509");
  await import("reflect-metadata");
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const caKeyDer = createPrivateKey(readFileSync(join(h.endpoints.dataDir, "ca-key.pem"))).export({
    type: "pkcs8",
    format: "der",
  });
  const caKey = await webcrypto.subtle.importKey("pkcs8", caKeyDer, alg, false, ["sign"]);
  const leafKeys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const caCert = new x509.X509Certificate(h.ca.certPem);
  const forged = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString("hex"),
    subject: "CN=www.example.com",
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingKey: caKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "www.example.com" }]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  // The signature itself is the CA's: only the name constraints stand in the way.
  assert.ok(new X509Certificate(forged.toString("pem")).verify(new X509Certificate(h.ca.certPem).publicKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey)).toString("base64")}\n-----END PRIVATE KEY-----\n`;
  const server = createTlsServer({ key: keyPem, cert: forged.toString("pem") }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const err = await new Promise<Error | undefined>((resolve) => {
      const s = tlsConnect({
        host: "127.0.0.1",
        port: (server.address() as AddressInfo).port,
        servername: "www.example.com",
        ca: h.ca.certPem,
      });
      s.once("secureConnect", () => (s.destroy(), resolve(undefined)));
      s.once("error", (e) => resolve(e));
    });
    assert.ok(err, "Node accepted a certificate outside the CA's name constraints");
    assert.match(String(err.message), /permitted subtree violation/);
  } finally {
    server.close();
  }
});

test("clients accept the name-constrained CA: curl and Python requests through the gateway, Node directly", async (t) => {
  const proxy = h.endpoints.gatewayUrl;
  const curl = await run("curl", [
    "-sS",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    "--proxy",
    proxy,
    "--cacert",
    h.endpoints.caCertPath,
    "https://management.azure.com/subscriptions?api-version=2022-12-01",
  ]);
  if (curl.missing) t.diagnostic("curl not installed: skipped");
  else assert.equal(curl.stdout, "401", curl.stderr);
  const py = await run("python3", [
    "-c",
    "import requests,sys; r=requests.get('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration', proxies={'https': sys.argv[1]}, verify=sys.argv[2], timeout=20); print(r.status_code)",
    proxy,
    h.endpoints.caCertPath,
  ]);
  if (py.missing || /No module named/.test(py.stderr)) t.diagnostic("python3 requests not installed: skipped");
  else assert.equal(py.stdout.trim(), "200", py.stderr);
  const s = await tlsDirect(h.endpoints.httpsUrl, h.ca.certPem, "localhost");
  assert.ok(s.authorized);
  s.destroy();
  const ip = await new Promise<boolean>((resolve, reject) => {
    const { host, port } = hostPort(h.endpoints.httpsUrl);
    const c = tlsConnect({ host, port, ca: h.ca.certPem }, () => (c.destroy(), resolve(c.authorized)));
    c.once("error", reject);
  });
  assert.ok(ip, "the certificate for the listen address (no SNI) was not accepted");
});

test("an existing CA without name constraints is replaced at start, with a reason for the log", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hsmlink-oldca-"));
  try {
    const gen = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        join(dir, "ca-key.pem"),
        "-out",
        join(dir, "ca.pem"),
        "-days",
        "30",
        "-subj",
        "/CN=old hsmlink CA",
      ],
      { encoding: "utf8" },
    );
    if (gen.error) return;
    const old = readFileSync(join(dir, "ca.pem"), "utf8");
    const ca = await LocalCa.loadOrCreate(dir);
    assert.match(ca.replaced ?? "", /had no name constraints/);
    assert.notEqual(readFileSync(join(dir, "ca.pem"), "utf8"), old);
    const again = await LocalCa.loadOrCreate(dir);
    assert.equal(again.replaced, undefined, "a constrained CA was replaced again");
    assert.equal(again.certPem, ca.certPem);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
