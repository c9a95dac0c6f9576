/**
 * Test support for the security domain over HTTP: wrapping certificates as az sends them, opening a downloaded file
 * with a quorum of private keys, and the restore blob `az keyvault security-domain restore-blob` makes (built here with
 * the same primitives; tests/clients/security-domain.az.test.ts proves the format with az itself).
 */
import assert from "node:assert/strict";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import type { TestHsmlink } from "../../support/hsmlink.js";
import { hsmCall } from "./support.js";
import { generateRsaCertificate } from "../../../src/hsm/security-domain/service.js";
import { certificateThumbprint, type SecurityDomainFile } from "../../../src/hsm/security-domain/format.js";
import { combineShares } from "../../../src/hsm/security-domain/shamir.js";
import {
  decryptDirect,
  decryptWithRsa,
  encryptDirect,
  encryptToRsa,
  sp800108,
} from "../../../src/hsm/security-domain/jwe.js";

export type WrappingKey = { pkcs8: Buffer; certDer: Buffer };

export const wrappingKeys = (n: number): Promise<WrappingKey[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => generateRsaCertificate(`sd-test-${i}`)));

/** A SecurityDomainJsonWebKey as az 2.45 builds it from a certificate. */
export function jwkOf(der: Buffer) {
  const pub = new X509Certificate(der).publicKey.export({ format: "jwk" });
  return {
    kty: "RSA",
    key_ops: ["verify", "encrypt", "wrapKey"],
    n: pub.n,
    e: pub.e,
    x5c: [der.toString("base64")],
    "x5t#S256": certificateThumbprint(der),
    alg: "RSA-OAEP-256",
  };
}

/** The plaintext datum of `file`, recovered with the private keys of `which` wrapping keys. */
export async function openFile(file: SecurityDomainFile, wrapping: WrappingKey[], which: number[]): Promise<Buffer> {
  const shares: Buffer[] = [];
  for (const i of which) {
    const item = file.SharedKeys.enc_shares.find((s) => s.x5t_256 === certificateThumbprint(wrapping[i].certDer))!;
    shares.push(
      await decryptWithRsa(item.enc_key, createPrivateKey({ key: wrapping[i].pkcs8, format: "der", type: "pkcs8" })),
    );
  }
  const masterKey = combineShares(shares, file.SharedKeys.required);
  const datum = file.EncData.data[0];
  return decryptDirect(datum.compact_jwe, sp800108(masterKey, datum.tag));
}

/** A restore blob for the exchange certificate `exchangeCertDer`, made from `file` with `which` wrapping keys. */
export async function restoreBlob(
  file: SecurityDomainFile,
  wrapping: WrappingKey[],
  which: number[],
  exchangeCertDer: Buffer,
): Promise<string> {
  const plaintext = await openFile(file, wrapping, which);
  const mk = randomBytes(32);
  const tag = file.EncData.data[0].tag;
  return JSON.stringify({
    EncData: { data: [{ compact_jwe: await encryptDirect(plaintext, sp800108(mk, tag), tag), tag }], kdf: "sp108_kdf" },
    WrappedKey: {
      enc_key: await encryptToRsa(mk, new X509Certificate(exchangeCertDer).publicKey, "not used"),
      x5t_256: certificateThumbprint(exchangeCertDer),
    },
  });
}

/** Downloads `hsm`'s security domain (quorum 2) with the first three `wrapping` keys; returns the file. */
export async function activate(h: TestHsmlink, hsm: string, wrapping: WrappingKey[]): Promise<SecurityDomainFile> {
  const r = await hsmCall(h, hsm, "POST", "/securitydomain/download?api-version=7.2", {
    body: { certificates: wrapping.slice(0, 3).map((w) => jwkOf(w.certDer)), required: 2 },
  });
  assert.equal(r.status, 202, r.text);
  return JSON.parse(r.json.value) as SecurityDomainFile;
}

/** Recovers `file`'s domain onto `hsm` with the `which` wrapping keys (init-recovery + restore-blob + upload). */
export async function recover(
  h: TestHsmlink,
  hsm: string,
  file: SecurityDomainFile,
  wrapping: WrappingKey[],
  which: number[],
): Promise<void> {
  const tk = await hsmCall(h, hsm, "GET", "/securitydomain/upload?api-version=7.2");
  assert.equal(tk.status, 200, tk.text);
  const exchange = Buffer.from(JSON.parse(tk.json.transfer_key).x5c[0], "base64");
  const up = await hsmCall(h, hsm, "POST", "/securitydomain/upload?api-version=7.2", {
    body: { value: await restoreBlob(file, wrapping, which, exchange) },
  });
  assert.equal(up.status, 202, up.text);
}
