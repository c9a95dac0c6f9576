/**
 * The security domain of a managed HSM (data-plane.md §7; Microsoft Learn "Security domain in Managed HSM"):
 *
 * - download (`POST /securitydomain/download`): 3–10 RSA ≥ 2048 wrapping certificates and a quorum of 2–10 make a
 *   fresh security domain, returned as the security-domain file; the HSM becomes Active.
 * - exchange key (`GET /securitydomain/upload`): an RSA key pair the HSM keeps for one upload; the public part goes
 *   out as a JWK with its self-signed certificate in `x5c`.
 * - upload (`POST /securitydomain/upload`): a restore blob (the file's data re-encrypted to the exchange key with a
 *   quorum of the wrapping keys) gives a new HSM the old domain; it becomes Active with it.
 *
 * The domain itself is a domain id and a 32-byte domain key; full backups are encrypted under the domain key, so
 * they restore only into HSMs holding the same domain. Everything a request changes is written in one transaction
 * after all checks have passed: a refused request changes nothing.
 */
import { createPrivateKey, randomBytes, randomUUID, webcrypto, X509Certificate, type KeyObject } from "node:crypto";
import { mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../../store/db.js";
import {
  SecurityDomainRepository,
  type SecurityDomainFields,
  type SecurityDomainRow,
} from "../../store/hsm-security-domains.js";
import type { MasterKey } from "../master-key.js";
import { openWithKey, sealWithKey } from "../crypto/index.js";
import { kvErrors } from "../errors.js";
import type { HsmInfo } from "../hsm.js";
import { loadX509 } from "../../kernel/x509.js";
import {
  buildSecurityDomainFile,
  certificateThumbprint,
  openRestoreBlob,
  parseWrappingCertificate,
  SecurityDomainFormatError,
} from "./format.js";
import { markActive } from "./activation.js";

/** The tag of hsmlink's one datum in the security-domain file (hsmlink's choice: Azure's internal tags are not public). */
export const DOMAIN_TAG = "hsmlink_security_domain_v1";

export const MIN_CERTIFICATES = 3;
export const MAX_CERTIFICATES = 10;
export const MIN_QUORUM = 2;
export const MAX_QUORUM = 10;

/** `SecurityDomainOperationStatus` (stable/7.4/admin/securitydomain.json). */
export interface OperationStatus {
  status: "Success" | "InProgress" | "Failed";
  status_details: string;
}

/** What full backup and restore need of an HSM's domain. */
export interface SecurityDomain {
  domainId: string;
  domainKey: Buffer;
}

/** Files `hsmlink hsm activate` wrote. */
export interface GeneratedActivation {
  directory: string;
  securityDomainFile: string;
  wrappingKeys: { key: string; certificate: string }[];
  quorum: number;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** A fresh RSA key pair with a self-signed certificate (DER), for exchange keys and generated wrapping keys. */
export async function generateRsaCertificate(
  commonName: string,
  bits = 2048,
): Promise<{ pkcs8: Buffer; certDer: Buffer }> {
  const x509 = await loadX509();
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: bits,
  };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8)
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  return {
    pkcs8: Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)),
    certDer: Buffer.from(cert.rawData),
  };
}

const pem = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END ${label}-----\n`;

export class SecurityDomainService {
  private readonly sealKey: Buffer;
  private readonly rows: SecurityDomainRepository;

  constructor(
    private readonly store: Store,
    master: MasterKey,
    private readonly now: () => number,
  ) {
    this.sealKey = master.derive("security-domain");
    this.rows = new SecurityDomainRepository(store);
  }

  private row(hsm: string): SecurityDomainRow | undefined {
    return this.rows.row(hsm);
  }

  private upsert(hsm: string, fields: SecurityDomainFields): void {
    this.rows.upsert(hsm, fields, this.now());
  }

  /** The domain the HSM holds, or undefined while it is not activated. */
  domain(hsm: string): SecurityDomain | undefined {
    const r = this.row(hsm);
    if (!r?.domain_id || !r.sealed_domain_key) return undefined;
    return {
      domainId: r.domain_id,
      domainKey: openWithKey(this.sealKey, r.sealed_domain_key, `hsmlink/security-domain/${r.domain_id}`),
    };
  }

  /**
   * The domain of an HSM the ARM resource shows Active. An HSM activated without a security-domain record (stored
   * by an hsmlink from before security domains) gets a fresh domain here, once: it can back up, and its backups
   * restore into HSMs recovered from it. Undefined while the HSM is not activated.
   */
  activeDomain(hsm: HsmInfo): SecurityDomain | undefined {
    const existing = this.domain(hsm.name);
    if (existing || hsm.activationStatus !== "Active") return existing;
    const domainId = randomUUID();
    this.store.tx(() => {
      if (this.row(hsm.name)?.domain_id) return;
      this.upsert(hsm.name, {
        domain_id: domainId,
        sealed_domain_key: sealWithKey(this.sealKey, randomBytes(32), `hsmlink/security-domain/${domainId}`),
      });
    });
    return this.domain(hsm.name);
  }

  /**
   * Status of the last download or upload (`GET /securitydomain/{download|upload}/pending`; az polls the upload
   * one after a download too, data-plane.md §0.9).
   * @throws 404 NotFound when no operation has run (hsmlink's choice)
   */
  status(hsm: HsmInfo): OperationStatus {
    const r = this.row(hsm.name);
    if (!r?.operation_status) throw kvErrors.sdNoOperation(hsm.name);
    return { status: r.operation_status as OperationStatus["status"], status_details: r.operation_details ?? "" };
  }

  private refuseWhenActive(hsm: HsmInfo, what: string): void {
    if (hsm.activationStatus === "Active" || this.row(hsm.name)?.domain_id) {
      // hsmlink's choice: a domain is created or restored once per HSM (Azure: "download the security domain right
      // after creating the HSM"; the recovery runbook uploads to a newly created HSM).
      throw kvErrors.sdAlreadyActive(hsm.name, what);
    }
  }

  /**
   * Download: validates `body` (`CertificateInfoObject`: `certificates` 3..10, `required` 2..10 and ≤ count), makes a
   * new domain, activates the HSM.
   * @returns `SecurityDomainObject` `{value}`: the security-domain file as a JSON string
   * @throws 400 BadParameter for bad input, 409 Conflict when the HSM already holds a domain
   */
  async download(hsm: HsmInfo, body: unknown): Promise<{ value: string }> {
    const b = body as { certificates?: unknown; required?: unknown } | undefined;
    if (!b || typeof b !== "object" || Array.isArray(b)) throw kvErrors.sdDownloadBody();
    if (!Array.isArray(b.certificates)) throw kvErrors.sdCertificatesRequired();
    const n = b.certificates.length;
    if (n < MIN_CERTIFICATES || n > MAX_CERTIFICATES)
      throw kvErrors.sdCertificateCount(MIN_CERTIFICATES, MAX_CERTIFICATES, n);
    const required = b.required;
    if (typeof required !== "number" || !Number.isInteger(required) || required < MIN_QUORUM || required > MAX_QUORUM) {
      throw kvErrors.sdQuorumRange(MIN_QUORUM, MAX_QUORUM, JSON.stringify(required ?? null));
    }
    if (required > n) throw kvErrors.sdQuorumAboveCount(required, n);
    let certs;
    try {
      certs = b.certificates.map((c, i) => parseWrappingCertificate(c, i));
    } catch (e) {
      if (e instanceof SecurityDomainFormatError) throw kvErrors.sdFormat(e.message);
      throw e;
    }
    if (new Set(certs.map((c) => c.x5tS256)).size !== certs.length) throw kvErrors.sdCertificatesNotDistinct();
    this.refuseWhenActive(hsm, "a download");
    const domainId = randomUUID();
    const domainKey = randomBytes(32);
    const value = await buildSecurityDomainFile(
      new Map([[DOMAIN_TAG, Buffer.from(JSON.stringify({ domainId, domainKey: domainKey.toString("base64") }))]]),
      certs,
      required,
    );
    this.store.tx(() => {
      this.refuseWhenActive(hsm, "a download");
      this.upsert(hsm.name, {
        domain_id: domainId,
        sealed_domain_key: sealWithKey(this.sealKey, domainKey, `hsmlink/security-domain/${domainId}`),
        required,
        certificates: JSON.stringify(certs.map((c) => c.x5tS256)),
        operation: "download",
        operation_status: "Success",
        operation_details: "The security domain was downloaded; the managed HSM is activated.",
      });
      markActive(this.store, hsm.name, this.now());
    });
    return { value };
  }

  private async exchangeKey(hsm: HsmInfo): Promise<{ key: KeyObject; certDer: Buffer }> {
    const r = this.row(hsm.name);
    if (r?.exchange_key && r.exchange_cert) {
      return {
        key: createPrivateKey({
          key: openWithKey(this.sealKey, r.exchange_key, `hsmlink/exchange/${hsm.name}`),
          format: "der",
          type: "pkcs8",
        }),
        certDer: Buffer.from(r.exchange_cert, "base64"),
      };
    }
    const { pkcs8, certDer } = await generateRsaCertificate(`${hsm.name} security domain exchange key`);
    this.store.tx(() => {
      if (this.row(hsm.name)?.exchange_key) return; // a concurrent request made one first
      this.upsert(hsm.name, {
        exchange_key: sealWithKey(this.sealKey, pkcs8, `hsmlink/exchange/${hsm.name}`),
        exchange_cert: certDer.toString("base64"),
      });
    });
    return this.exchangeKey(hsm);
  }

  /**
   * The exchange (transfer) key as `TransferKey` `{transfer_key, key_format: "jwk"}`. `transfer_key` is the JWK as a
   * JSON **string** for api-versions up to 7.4 (az 2.45 does `json.loads(json.loads(body)['transfer_key'])`), the
   * JWK object from 7.5 on (the spec's `SecurityDomainJsonWebKey`) — hsmlink's choice where the spec and az differ.
   */
  async transferKey(hsm: HsmInfo, apiVersion: string): Promise<{ transfer_key: unknown; key_format: "jwk" }> {
    this.refuseWhenActive(hsm, "a security domain upload");
    const { key, certDer } = await this.exchangeKey(hsm);
    const pub = key.export({ format: "jwk" }) as { n: string; e: string };
    const cert = new X509Certificate(certDer);
    const jwk = {
      kty: "RSA",
      key_ops: ["wrapKey", "encrypt"],
      n: pub.n,
      e: pub.e,
      x5c: [certDer.toString("base64")],
      x5t: b64url(Buffer.from(cert.fingerprint.replace(/:/g, ""), "hex")),
      "x5t#S256": certificateThumbprint(certDer),
      alg: "RSA-OAEP-256",
    };
    const major = Number(/^(\d+\.\d+)/.exec(apiVersion)?.[1] ?? "0");
    const asObject = /^\d{4}-/.test(apiVersion) || major >= 7.5;
    return { transfer_key: asObject ? jwk : JSON.stringify(jwk), key_format: "jwk" };
  }

  /**
   * Upload: opens the restore blob in `body.value` with this HSM's exchange key and takes over its domain.
   * @returns the operation status (202 body)
   * @throws 400 BadParameter for a malformed, tampered or foreign blob; 409 Conflict when the HSM already holds a
   *   domain or has no exchange key yet
   */
  async upload(hsm: HsmInfo, body: unknown): Promise<OperationStatus> {
    const b = body as { value?: unknown } | undefined;
    if (!b || typeof b !== "object" || typeof b.value !== "string" || b.value === "") throw kvErrors.sdUploadBody();
    this.refuseWhenActive(hsm, "an upload");
    const r = this.row(hsm.name);
    if (!r?.exchange_key || !r.exchange_cert) {
      throw kvErrors.sdNoExchangeKey(hsm.name);
    }
    const { key, certDer } = await this.exchangeKey(hsm);
    let data: Map<string, Buffer>;
    try {
      data = await openRestoreBlob(b.value, key, certificateThumbprint(certDer));
    } catch (e) {
      if (e instanceof SecurityDomainFormatError) throw kvErrors.sdFormat(e.message);
      throw e;
    }
    const datum = data.get(DOMAIN_TAG);
    let domain: { domainId?: unknown; domainKey?: unknown } | undefined;
    try {
      domain = datum ? (JSON.parse(datum.toString("utf8")) as typeof domain) : undefined;
    } catch {
      domain = undefined;
    }
    const domainKey = typeof domain?.domainKey === "string" ? Buffer.from(domain.domainKey, "base64") : undefined;
    if (!domain || typeof domain.domainId !== "string" || !domainKey || domainKey.length !== 32) {
      throw kvErrors.sdRestoreBlobNoDomain();
    }
    const domainId = domain.domainId;
    this.store.tx(() => {
      this.refuseWhenActive(hsm, "an upload");
      this.upsert(hsm.name, {
        domain_id: domainId,
        sealed_domain_key: sealWithKey(this.sealKey, domainKey, `hsmlink/security-domain/${domainId}`),
        exchange_key: null,
        exchange_cert: null,
        operation: "upload",
        operation_status: "Success",
        operation_details: "The security domain was restored; the managed HSM is activated.",
      });
      markActive(this.store, hsm.name, this.now());
    });
    return { status: "InProgress", status_details: "The security domain upload is in progress." };
  }

  /**
   * Activates `hsm` the way Microsoft's quickstart does, with generated material: three RSA-2048 wrapping key pairs
   * (`cert_{0,1,2}.key` / `.cer`, PEM, mode 0600) and the downloaded security domain (`<hsm>-SD.json`, quorum 2)
   * under `directory`. The files work with `az keyvault security-domain restore-blob/upload`.
   */
  async activateWithGeneratedKeys(hsm: HsmInfo, directory: string): Promise<GeneratedActivation> {
    this.refuseWhenActive(hsm, "activation");
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const generated = await Promise.all(
      [0, 1, 2].map((i) => generateRsaCertificate(`${hsm.name} security domain wrapping key ${i}`)),
    );
    const certificates = generated.map((g) => ({ kty: "RSA", x5c: [g.certDer.toString("base64")] }));
    // The private keys are on disk before the HSM is activated, so no activation leaves a domain nobody can open.
    const wrappingKeys = generated.map((g, i) => {
      const key = join(directory, `cert_${i}.key`);
      const certificate = join(directory, `cert_${i}.cer`);
      writeFileSync(key, pem("PRIVATE KEY", g.pkcs8), { mode: 0o600 });
      chmodSync(key, 0o600);
      writeFileSync(certificate, pem("CERTIFICATE", g.certDer));
      return { key, certificate };
    });
    const { value } = await this.download(hsm, { certificates, required: 2 });
    const securityDomainFile = join(directory, `${hsm.name}-SD.json`);
    writeFileSync(securityDomainFile, value, { mode: 0o600 });
    return { directory, securityDomainFile, wrappingKeys, quorum: 2 };
  }
}
