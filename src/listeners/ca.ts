/**
 * The local certificate authority: created on first start under the data dir (key mode 0600), reused after,
 * and minting a leaf certificate per emulated host name on demand (SNI), so real clients see real Azure host
 * names with a chain they trust through REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS (clients.md A3, B1).
 * The CA certificate carries X.509 name constraints (RFC 5280 §4.2.1.10) that permit only the names hsmlink
 * serves, so its key, which clients trust, cannot vouch for any other site; leaves are minted only inside them
 * and kept in a bounded cache. X.509 work is done by @peculiar/x509; keys come from Node's WebCrypto.
 */
import type * as X509 from "@peculiar/x509";
import { loadX509 } from "../kernel/x509.js";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  Certificate,
  NameConstraints,
  GeneralSubtree,
  GeneralSubtrees,
  GeneralName,
  id_ce_nameConstraints,
} from "@peculiar/asn1-x509";
import { webcrypto, randomBytes, createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync, renameSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { isIP, isIPv4 } from "node:net";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

export const CA_CERT_FILE = "ca.pem";
const CA_KEY_FILE = "ca-key.pem";

/** Most leaf certificates kept (least recently used first out); each holds a key pair and a TLS context. */
export const MAX_LEAF_CERTIFICATES = 256;

/**
 * DNS names (each with all its subdomains, RFC 5280 §4.2.1.10) the CA may vouch for: the emulated Azure hosts
 * (ARM, Entra ID sign-in, managed HSM data planes, Storage blob accounts served through the gateway, the Microsoft
 * Graph stand-in that answers az's `directoryObjects/getByIds` with "not emulated") and localhost.
 */
export const PERMITTED_DNS_NAMES = [
  "management.azure.com",
  "login.microsoftonline.com",
  "managedhsm.azure.net",
  "blob.core.windows.net",
  "graph.microsoft.com",
  "localhost",
] as const;

/** Address ranges the CA may vouch for: loopback and the IMDS address (`169.254.169.254`). */
export const PERMITTED_IP_RANGES = ["127.0.0.0/8", "::1/128", "169.254.169.254/32"] as const;

/** Whether `addr` (IPv4 or IPv6) lies in `cidr`. */
function ipInRange(addr: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  if (isIPv4(addr) !== isIPv4(base)) return false;
  const a = ipBytes(addr);
  const b = ipBytes(base);
  let bits = Number(bitsText);
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i] & mask) !== (b[i] & mask)) return false;
  }
  return true;
}

/** The bytes of an IPv4 or IPv6 address (network order). */
function ipBytes(addr: string): number[] {
  if (isIPv4(addr)) return addr.split(".").map(Number);
  const [head, tail] = addr.includes("::") ? addr.split("::") : [addr, undefined];
  const groups = (t: string | undefined) => (t ? t.split(":").filter((g) => g !== "") : []);
  let h = groups(head);
  let t = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = (g: string[]) =>
    g.flatMap((x) =>
      x.includes(".")
        ? (([a, b, c, d]) => [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)])(x.split(".").map(Number))
        : [x],
    );
  h = v4(h);
  t = v4(t);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [(n >> 8) & 0xff, n & 0xff];
  });
}

/** Where the CA must vouch for more than the defaults: the address or name of a non-loopback `--host`. */
export interface CaNames {
  /** Extra DNS names (with subdomains) or IP addresses to permit, e.g. the `--host` hsmlink was exposed on. */
  extra?: readonly string[];
}

/** The permitted DNS names and IP ranges for `names`. */
function permittedSets(names: CaNames): { dns: string[]; ip: string[] } {
  const dns: string[] = [...PERMITTED_DNS_NAMES];
  const ip: string[] = [...PERMITTED_IP_RANGES];
  for (const n of names.extra ?? []) {
    const h = n.toLowerCase().replace(/^\[|\]$/g, "");
    if (isIP(h)) {
      if (!ip.some((r) => ipInRange(h, r))) ip.push(`${h}/${isIPv4(h) ? 32 : 128}`);
    } else if (h && h !== "0.0.0.0" && !dns.some((d) => h === d || h.endsWith(`.${d}`))) dns.push(h);
  }
  return { dns, ip };
}

/** DER of the name constraints extension value for `names` (permitted subtrees only). */
function nameConstraintsDer(names: CaNames): ArrayBuffer {
  const { dns, ip } = permittedSets(names);
  const subtrees = [
    ...dns.map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })),
    // asn1-x509 encodes a CIDR as the address followed by its mask (RFC 5280 §4.2.1.10, iPAddress constraints).
    ...ip.map((r) => new GeneralSubtree({ base: new GeneralName({ iPAddress: r }) })),
  ];
  return AsnConvert.serialize(new NameConstraints({ permittedSubtrees: new GeneralSubtrees(subtrees) }));
}

/** The name constraints extension value (DER) of a PEM certificate, if it has one. */
function nameConstraintsOf(certPem: string): Buffer | undefined {
  const cert = AsnConvert.parse(new X509Certificate(certPem).raw, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_nameConstraints);
  return ext ? Buffer.from(ext.extnValue.buffer) : undefined;
}

function pemPkcs8(der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/** Why a leaf certificate was not minted: the name is outside the CA's name constraints. */
export class NameNotServedError extends Error {}

interface Leaf {
  context: Promise<SecureContext>;
  pem: Promise<{ key: string; cert: string }>;
}

export class LocalCa {
  private readonly leaves = new Map<string, Leaf>();
  private readonly permitted: { dns: string[]; ip: string[] };

  private constructor(
    readonly certPem: string,
    readonly certPath: string,
    private readonly key: CryptoKey,
    names: CaNames,
    /** Set when an existing CA was replaced at load (it lacked these name constraints): why, for the log. */
    readonly replaced?: string,
  ) {
    this.permitted = permittedSets(names);
  }

  /**
   * Loads the CA from `dir`, creating it (10-year validity, ECDSA P-256, name constraints for `names`) when absent.
   * A CA whose name constraints differ from those `names` need (a CA from before hsmlink constrained it, or one
   * made for another `--host`) is replaced by a new one at the same paths; `replaced` then says so.
   * @throws Error when the files exist but cannot be read as a certificate and key
   */
  static async loadOrCreate(dir: string, names: CaNames = {}): Promise<LocalCa> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const certPath = join(dir, CA_CERT_FILE);
    const keyPath = join(dir, CA_KEY_FILE);
    const wanted = Buffer.from(nameConstraintsDer(names));
    let replaced: string | undefined;
    if (existsSync(certPath) && existsSync(keyPath)) {
      const certPem = readFileSync(certPath, "utf8");
      const have = nameConstraintsOf(certPem);
      if (have && have.equals(wanted)) {
        chmodSync(keyPath, 0o600);
        const keyObj: KeyObject = createPrivateKey(readFileSync(keyPath));
        const der = keyObj.export({ type: "pkcs8", format: "der" });
        const key = await webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
        return new LocalCa(certPem, certPath, key as CryptoKey, names);
      }
      replaced = have
        ? `the local CA ${certPath} was made for other names; replaced it with a new CA limited to ${describePermitted(names)}`
        : `the local CA ${certPath} had no name constraints (made by an older hsmlink); replaced it with a new CA limited to ${describePermitted(names)}`;
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
        // RFC 5280 §4.2.1.10: conforming CAs MUST mark name constraints critical.
        new x509.Extension(id_ce_nameConstraints, true, wanted),
      ],
    });
    const keyPem = pemPkcs8(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
    // Written to temporary files and renamed, so a crash never leaves a key that does not match the certificate.
    writeFileSync(keyPath + ".tmp", keyPem, { mode: 0o600 });
    chmodSync(keyPath + ".tmp", 0o600);
    const certPem = cert.toString("pem") + "\n";
    writeFileSync(certPath + ".tmp", certPem, { mode: 0o644 });
    renameSync(keyPath + ".tmp", keyPath);
    renameSync(certPath + ".tmp", certPath);
    return new LocalCa(certPem, certPath, keys.privateKey, names, replaced);
  }

  /** Whether this CA may vouch for `host` (a DNS name or IP address): inside its name constraints. */
  permits(host: string): boolean {
    const h = host
      .toLowerCase()
      .replace(/^\[|\]$/g, "")
      .replace(/\.$/, "");
    if (isIP(h)) return this.permitted.ip.some((r) => ipInRange(h, r));
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(h) || h.length > 253)
      return false;
    return this.permitted.dns.some((d) => h === d || h.endsWith(`.${d}`));
  }

  /** Leaf certificates currently cached (at most {@link MAX_LEAF_CERTIFICATES}). */
  get cachedLeaves(): number {
    return this.leaves.size;
  }

  /**
   * A TLS context for `host` (a DNS name or IP address), with a leaf certificate signed by this CA; cached per
   * host, least recently used first out beyond {@link MAX_LEAF_CERTIFICATES}.
   * @throws NameNotServedError (as a rejection) when `host` is outside the CA's name constraints; nothing is minted
   */
  contextFor(host: string): Promise<SecureContext> {
    const leaf = this.leaf(host);
    return leaf ? leaf.context : Promise.reject(new NameNotServedError(`hsmlink serves no TLS name '${host}'`));
  }

  /**
   * The PEM key and certificate chain of the leaf for `host` (see {@link contextFor}).
   * @throws NameNotServedError (as a rejection) when `host` is outside the CA's name constraints
   */
  leafPem(host: string): Promise<{ key: string; cert: string }> {
    const leaf = this.leaf(host);
    return leaf ? leaf.pem : Promise.reject(new NameNotServedError(`hsmlink serves no TLS name '${host}'`));
  }

  private leaf(host: string): Leaf | undefined {
    const key = host
      .toLowerCase()
      .replace(/^\[|\]$/g, "")
      .replace(/\.$/, "");
    if (!this.permits(key)) return undefined;
    let leaf = this.leaves.get(key);
    if (leaf) {
      // Most recently used goes last (Map keeps insertion order).
      this.leaves.delete(key);
      this.leaves.set(key, leaf);
      return leaf;
    }
    const pem = this.issueLeaf(key);
    leaf = { pem, context: pem.then((p) => createSecureContext(p)) };
    this.leaves.set(key, leaf);
    leaf.context.catch(() => {
      if (this.leaves.get(key) === leaf) this.leaves.delete(key);
    });
    while (this.leaves.size > MAX_LEAF_CERTIFICATES) this.leaves.delete(this.leaves.keys().next().value as string);
    return leaf;
  }

  private async issueLeaf(host: string): Promise<{ key: string; cert: string }> {
    const x509 = await loadX509();
    const caCert = new x509.X509Certificate(this.certPem);
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
    const now = Date.now();
    const names: X509.JsonGeneralName[] = isIP(host) ? [{ type: "ip", value: host }] : [{ type: "dns", value: host }];
    if (host === "localhost") names.push({ type: "ip", value: "127.0.0.1" }, { type: "ip", value: "::1" });
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8).toString("hex"),
      // OpenSSL checks the CN of a leaf without DNS names against the CA's DNS constraints when it looks like a host
      // name; an address leaf's CN therefore holds a space, so only its IP subject alternative name is checked.
      subject: isIP(host) ? `CN=hsmlink ${host}` : `CN=${host}`,
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
    return { key: keyPem, cert: cert.toString("pem") + "\n" + this.certPem };
  }
}

/** The permitted names of `names`, for a log line. */
function describePermitted(names: CaNames): string {
  const { dns, ip } = permittedSets(names);
  return [...dns, ...ip].join(", ");
}
