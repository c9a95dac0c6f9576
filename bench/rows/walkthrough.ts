// The `walkthrough` row: az commands against hsmlink and against a null stub (az's own cost), the difference being
// hsmlink's overhead per command.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes, randomUUID, webcrypto } from "node:crypto";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { clientEnvironment } from "../../src/cli/env.js";
import { HSM, instanceSecret, QUICK, ROOT, round, round3, type Endpoints, type Row } from "../harness.js";

const AZ_SHIM = join(ROOT, "tests/support/azshim");
const WALKTHROUGH_ROUNDS = QUICK ? 1 : 3;

/**
 * A null stub for az: a plain HTTP server that is an HTTPS proxy (CONNECT terminated with a leaf certificate for
 * the Azure host names, issued by hsmlink's CA from the bench's data dir) and an MSI endpoint. Every ARM/data-plane
 * request gets 200 (201 for a PUT) and a minimal valid body: the request body echoed with id, name, type and
 * provisioningState Succeeded. MSI answers are taken from hsmlink once per distinct query (the warm-up command
 * fills that cache) and replayed after.
 */
async function startNullStub(
  dataDir: string,
  msiEndpoint: string,
): Promise<{ port: number; requests: () => number; close: () => Promise<void> }> {
  const { createServer: createHttpServer } = await import("node:http");
  const { createServer: createHttpsServer } = await import("node:https");
  const caPem = readFileSync(join(dataDir, "ca.pem"), "utf8");
  const caKeyPem = readFileSync(join(dataDir, "ca-key.pem"), "utf8");
  const { createPrivateKey } = await import("node:crypto");
  const caCert = new x509.X509Certificate(caPem);
  const caKeyDer = createPrivateKey(caKeyPem).export({ type: "pkcs8", format: "der" });
  const caAlg = caCert.publicKey.algorithm as { name: string; namedCurve?: string };
  const signAlg =
    caAlg.name === "ECDSA"
      ? { name: "ECDSA", namedCurve: caAlg.namedCurve, hash: "SHA-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const caKey = await webcrypto.subtle.importKey("pkcs8", caKeyDer, signAlg, false, ["sign"]);
  const leafAlg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const leafKeys = (await webcrypto.subtle.generateKey(leafAlg, true, ["sign", "verify"])) as CryptoKeyPair;
  // Only names inside the CA's name constraints (src/listeners/ca.ts PERMITTED_DNS_NAMES): a leaf naming anything
  // else (graph.microsoft.com, *.vault.azure.net) fails verification as a permitted subtree violation.
  const names = ["management.azure.com", "*.managedhsm.azure.net", "login.microsoftonline.com"];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString("hex"),
    subject: "CN=management.azure.com",
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: leafKeys.publicKey,
    signingKey: caKey,
    signingAlgorithm: signAlg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: "dns" as const, value }))),
      new x509.BasicConstraintsExtension(false),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
    ],
  });
  const leafKeyDer = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey));
  const leafKeyPem = `-----BEGIN PRIVATE KEY-----\n${leafKeyDer
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
  let count = 0;
  const armBody = (path: string, reqBody: any) => {
    const segs = path.split("/").filter(Boolean);
    const iProv = segs.map((x) => x.toLowerCase()).lastIndexOf("providers");
    const type =
      iProv >= 0
        ? [segs[iProv + 1], ...segs.slice(iProv + 2).filter((_, i) => i % 2 === 0)].join("/")
        : "Microsoft.Resources/resourceGroups";
    const body = reqBody && typeof reqBody === "object" ? reqBody : {};
    return {
      location: "westeurope",
      ...body,
      id: path,
      name: segs[segs.length - 1] ?? "",
      type,
      properties: { ...(body.properties ?? {}), provisioningState: "Succeeded" },
    };
  };
  const tlsServer = createHttpsServer(
    { key: leafKeyPem, cert: leaf.toString("pem") + "\n" + caPem, keepAliveTimeout: 30_000 },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        count++;
        const path = (req.url ?? "/").split("?")[0]!;
        let reqBody: unknown;
        try {
          reqBody = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
        } catch {
          reqBody = undefined;
        }
        const listing =
          req.method === "GET" &&
          /\/(resourceGroups|virtualNetworks|privateDnsZones|managedHSMs|privateEndpoints|A|subscriptions)$/i.test(
            path,
          );
        const body = listing
          ? { value: [] }
          : req.method === "GET" || req.method === "PUT" || req.method === "PATCH"
            ? armBody(path, reqBody)
            : {};
        const text = JSON.stringify(body);
        res.writeHead(req.method === "PUT" ? 201 : 200, {
          "content-type": "application/json; charset=utf-8",
          "content-length": Buffer.byteLength(text),
          "x-ms-request-id": randomUUID(),
        });
        res.end(text);
      });
    },
  );
  const msiCache = new Map<string, { status: number; text: string }>();
  const front = createHttpServer(async (req, res) => {
    // the MSI endpoint (az POSTs the resource as a form, possibly in proxy form through HTTP_PROXY): replay
    // hsmlink's answer for the same method, query and body (fetched once)
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const q = new URL(req.url ?? "/", "http://stub").search;
    const key = `${req.method} ${q} ${body.toString("utf8")}`;
    let hit = msiCache.get(key);
    if (!hit) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (
          typeof v === "string" &&
          !["host", "connection", "content-length", "proxy-connection", "keep-alive"].includes(k)
        )
          headers[k] = v;
      const r = await fetch(`${msiEndpoint}${q}`, { method: req.method, headers, ...(body.length ? { body } : {}) });
      hit = { status: r.status, text: await r.text() };
      if (r.ok) msiCache.set(key, hit);
      else console.error(`null stub: MSI ${req.method} ${req.url} → hsmlink ${r.status} ${hit.text.slice(0, 300)}`);
    }
    res.writeHead(hit.status, { "content-type": "application/json" });
    res.end(hit.text);
  });
  front.on("connect", (_req, socket, head) => {
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length) socket.unshift(head);
    tlsServer.emit("connection", socket);
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const port = (front.address() as { port: number }).port;
  return {
    port,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        front.closeAllConnections();
        tlsServer.closeAllConnections();
        front.close(() => resolve());
      }),
  };
}

/** Runs az with `env`; resolves with its wall time (ms), exit code and stderr. */
function azTimed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn("az", [...args, "-o", "json"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => c.kill("SIGKILL"), 120_000);
    c.on("error", reject);
    c.on("close", (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code: code ?? -1, stderr });
    });
  });
}

/**
 * The `walkthrough` row: a representative subset of the how-to's az commands (group create, vnet create, private-dns
 * zone create, record-set a add-record, keyvault show for the HSM), timed against hsmlink and against the null stub
 * (same az, same login, same CA trust); the difference is hsmlink's own overhead.
 */
export async function walkthroughRow(e: Endpoints, dataDir: string): Promise<Row> {
  const { cpSync } = await import("node:fs");
  const cfgH = mkdtempSync(join(tmpdir(), "hsmlink-bench-az-"));
  const cfgS = mkdtempSync(join(tmpdir(), "hsmlink-bench-az-stub-"));
  const base: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    LANG: process.env["LANG"] ?? "C.UTF-8",
    PYTHONPATH: AZ_SHIM,
    AZURE_CORE_NO_COLOR: "true",
    AZURE_CORE_SURVEY_MESSAGE: "false",
  };
  // The variables `hsmlink env` prints (src/cli/env.ts): the proxy URL with the instance secret as password, the CA
  // bundles, and the managed identity endpoint with the secret (az 2.45 sends MSI_SECRET as header `secret`).
  const hsmlinkEnv = Object.fromEntries(clientEnvironment(e, undefined, instanceSecret(e)));
  const envH: NodeJS.ProcessEnv = { ...base, ...hsmlinkEnv, AZURE_CONFIG_DIR: cfgH };
  const stub = await startNullStub(dataDir, e.msiEndpoint);
  const sp = `http://127.0.0.1:${stub.port}`;
  // The stub side: the same variables with the proxy and identity endpoint pointed at the stub (which forwards the
  // secret header to hsmlink's identity endpoint the first time it sees a query).
  const envS: NodeJS.ProcessEnv = {
    ...base,
    ...hsmlinkEnv,
    HTTPS_PROXY: sp,
    HTTP_PROXY: sp,
    NO_PROXY: "localhost",
    MSI_ENDPOINT: `${sp}/msi/token`,
    IDENTITY_ENDPOINT: `${sp}/msi/token`,
    AZURE_CONFIG_DIR: cfgS,
  };
  try {
    const login = await azTimed(["login", "--identity"], envH);
    if (login.code !== 0) throw new Error(`az login --identity: ${login.stderr}`);
    cpSync(cfgH, cfgS, { recursive: true }); // the same login (the identity's tokens come from MSI_ENDPOINT per command)
    const zone = "privatelink.managedhsm.azure.net";
    const commands = (round: number): string[][] => {
      const rg = `rg-wt${round}`;
      return [
        ["group", "create", "-n", rg, "-l", "westeurope"],
        ["network", "vnet", "create", "-g", rg, "-n", "vnet-app", "--location", "westeurope"],
        ["network", "private-dns", "zone", "create", "--resource-group", rg, "--name", zone],
        ["network", "private-dns", "record-set", "a", "add-record", "-g", rg, "-z", zone, "-n", HSM, "-a", "10.0.1.4"],
        ["keyvault", "show", "--hsm-name", HSM, "-g", "rg-bench"],
      ];
    };
    // warm-up, untimed: one command each way (fills the stub's MSI cache, warms az's files in the page cache)
    for (const env of [envH, envS]) {
      const w = await azTimed(["group", "show", "-n", "rg-bench"], env);
      if (w.code !== 0) throw new Error(`az warm-up: ${w.stderr}`);
    }
    const per: Record<string, { hsmlinkMs: number[]; stubMs: number[] }> = {};
    let hsmlinkMs = 0;
    let stubMs = 0;
    let n = 0;
    for (let round = 0; round < WALKTHROUGH_ROUNDS; round++) {
      for (const cmd of commands(round)) {
        const key = cmd
          .slice(
            0,
            cmd.findIndex((x) => x.startsWith("-")),
          )
          .join(" ");
        const entry = (per[key] ??= { hsmlinkMs: [], stubMs: [] });
        // alternate which side goes first, so neither always runs on a warmer machine
        const order = (round + n) % 2 === 0 ? (["h", "s"] as const) : (["s", "h"] as const);
        for (const side of order) {
          const r = await azTimed(cmd, side === "h" ? envH : envS);
          if (r.code !== 0)
            throw new Error(
              `az ${cmd.join(" ")} against ${side === "h" ? "hsmlink" : "the null stub"} exited ${r.code}: ${r.stderr}`,
            );
          if (side === "h") {
            entry.hsmlinkMs.push(round3(r.ms));
            hsmlinkMs += r.ms;
          } else {
            entry.stubMs.push(round3(r.ms));
            stubMs += r.ms;
          }
        }
        n++;
      }
    }
    return {
      subset:
        "representative subset of the how-to's az commands, not all of them: group create, network vnet create, network private-dns zone create, network private-dns record-set a add-record, keyvault show --hsm-name (after an untimed az login --identity, shared by both sides)",
      rounds: WALKTHROUGH_ROUNDS,
      commands: n,
      hsmlinkSeconds: round(hsmlinkMs / 1000, 2),
      stubSeconds: round(stubMs / 1000, 2),
      overheadSeconds: round((hsmlinkMs - stubMs) / 1000, 2),
      overheadMsPerCommand: round((hsmlinkMs - stubMs) / n, 1),
      hsmlinkMsPerCommand: round(hsmlinkMs / n, 1),
      stubMsPerCommand: round(stubMs / n, 1),
      stubRequests: stub.requests(),
      perCommand: per,
    };
  } finally {
    await stub.close();
    rmSync(cfgH, { recursive: true, force: true });
    rmSync(cfgS, { recursive: true, force: true });
  }
}
