/**
 * The local certificate authority: created on first start under the data dir (key mode 0600), reused after,
 * and minting a leaf certificate per emulated host name on demand (SNI), so real clients see real Azure host
 * names with a chain they trust through REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS (clients.md A3, B1).
 * X.509 work is done by @peculiar/x509; keys come from Node's WebCrypto.
 */
import type * as X509 from "@peculiar/x509";
import { webcrypto, randomBytes, createPrivateKey, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { isIP } from "node:net";

let x509Module: Promise<typeof X509> | undefined;

/** @peculiar/x509 takes ~80 ms to load and only issuing certificates needs it, so it loads on first use. */
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    await import("reflect-metadata"); // its dependency tsyringe needs the Reflect polyfill first
    const m = await import("@peculiar/x509");
    m.cryptoProvider.set(webcrypto as unknown as Crypto);
    return m;
  })();
  return x509Module;
}

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

export const CA_CERT_FILE = "ca.pem";
const CA_KEY_FILE = "ca-key.pem";

function pemPkcs8(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

export class LocalCa {
  private readonly leafContexts = new Map<string, Promise<SecureContext>>();

  private constructor(
    readonly certPem: string,
    readonly certPath: string,
    private readonly key: CryptoKey,
  ) {}

  /**
   * Loads the CA from `dir`, creating it (10-year validity, ECDSA P-256) when absent.
   * @throws Error when the files exist but cannot be read as a certificate and key
   */
  static async loadOrCreate(dir: string): Promise<LocalCa> {
    mkdirSync(dir, { recursive: true });
    const certPath = join(dir, CA_CERT_FILE);
    const keyPath = join(dir, CA_KEY_FILE);
    if (existsSync(certPath) && existsSync(keyPath)) {
      const certPem = readFileSync(certPath, "utf8");
      const keyObj: KeyObject = createPrivateKey(readFileSync(keyPath));
      const der = keyObj.export({ type: "pkcs8", format: "der" });
      const key = await webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
      return new LocalCa(certPem, certPath, key as CryptoKey);
    }
    const x509 = await loadX509();
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(8).toString("hex"),
      name: "CN=hsmlink local CA, O=hsmlink emulator",
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 3650 * DAY),
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const keyPem = pemPkcs8(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
    writeFileSync(keyPath, keyPem, { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    const certPem = cert.toString("pem") + "\n";
    writeFileSync(certPath, certPem);
    return new LocalCa(certPem, certPath, keys.privateKey);
  }

  /**
   * A TLS context for `host` (a DNS name or IP address), with a leaf certificate signed by this CA; cached per host.
   */
  contextFor(host: string): Promise<SecureContext> {
    const key = host.toLowerCase();
    let ctx = this.leafContexts.get(key);
    if (!ctx) {
      ctx = this.issueLeaf(key);
      this.leafContexts.set(key, ctx);
      ctx.catch(() => this.leafContexts.delete(key));
    }
    return ctx;
  }

  private async issueLeaf(host: string): Promise<SecureContext> {
    const x509 = await loadX509();
    const caCert = new x509.X509Certificate(this.certPem);
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const now = Date.now();
    const names: X509.JsonGeneralName[] = isIP(host) ? [{ type: "ip", value: host }] : [{ type: "dns", value: host }];
    if (host === "localhost") names.push({ type: "ip", value: "127.0.0.1" }, { type: "ip", value: "::1" });
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8).toString("hex"),
      subject: `CN=${host}`,
      issuer: caCert.subject,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 397 * DAY),
      signingKey: this.key,
      publicKey: keys.publicKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    });
    const keyPem = pemPkcs8(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
    return createSecureContext({ key: keyPem, cert: cert.toString("pem") + "\n" + this.certPem });
  }
}
