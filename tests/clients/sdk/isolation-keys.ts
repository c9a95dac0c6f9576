/**
 * Child-process client for tests/clients/isolation.sdk.test.ts: the UNMODIFIED @azure/keyvault-keys KeyClient +
 * CryptographyClient creating and using a key (RS256 sign through the server, RSA-OAEP decrypt through the server),
 * exactly as a user's program on a VM or on the internet runs it — the vantage is only the environment
 * (`hsmlink env [--vm NAME]`). Credential: ManagedIdentityCredential, or ClientSecretCredential when
 * tenant/app/secret are given.
 * Usage: isolation-keys.ts <hsmName> <keyName> [tenantId appId secret]; prints one JSON line:
 * `{ ok: true, kid, keyType, signatureValid, decrypted }` or `{ ok: false, error: { statusCode, code, message, innerCode, networkInfo } }`.
 */
import { KeyClient, CryptographyClient } from "@azure/keyvault-keys";
import { ManagedIdentityCredential, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { createHash, createPublicKey, publicEncrypt, verify, constants } from "node:crypto";

const [hsm, keyName, ...rest] = process.argv.slice(2);

function credential(): TokenCredential {
  return rest.length >= 3 ? new ClientSecretCredential(rest[0], rest[1], rest[2]) : new ManagedIdentityCredential();
}

const b64 = (u: Uint8Array | undefined) => (u ? Buffer.from(u).toString("base64url") : undefined);

async function main(): Promise<Record<string, unknown>> {
  const cred = credential();
  const client = new KeyClient(`https://${hsm}.managedhsm.azure.net`, cred);
  const key = await client.createRsaKey(keyName, { hsm: true, keySize: 2048 });
  const cc = new CryptographyClient(key.id!, cred);
  const digest = createHash("sha256").update("hsmlink isolation").digest();
  // The SDK signs remotely (signing needs the private key, which never leaves the HSM).
  const signed = await cc.sign("RS256", digest);
  const pub = createPublicKey({ key: { kty: "RSA", n: b64(key.key!.n)!, e: b64(key.key!.e)! }, format: "jwk" });
  const signatureValid = verify("sha256", Buffer.from("hsmlink isolation"), pub, Buffer.from(signed.result));
  const ciphertext = publicEncrypt(
    { key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
    Buffer.from("secret"),
  );
  const decrypted = Buffer.from((await cc.decrypt({ algorithm: "RSA-OAEP", ciphertext })).result).toString();
  return { kid: key.id, keyType: key.keyType, signatureValid, decrypted };
}

main().then(
  (r) => console.log(JSON.stringify({ ok: true, ...r })),
  (e) => {
    // The SDK's RestError: statusCode, code, message, and `details` = the deserialized Key Vault error envelope
    // (`innererror` surfaces as `details.error.innerError`).
    const err = e as {
      statusCode?: number;
      code?: string;
      message?: string;
      name?: string;
      details?: { error?: { innerError?: { code?: string } } };
      response?: { headers?: { get(n: string): string | undefined } };
    };
    const innerCode = err.details?.error?.innerError?.code;
    const error = {
      name: err.name,
      statusCode: err.statusCode,
      code: err.code,
      message: String(err.message),
      innerCode,
      networkInfo: err.response?.headers?.get("x-ms-keyvault-network-info"),
    };
    console.log(JSON.stringify({ ok: false, error }));
  },
);
