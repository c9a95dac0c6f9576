// rsa2048Decrypt: RSA-OAEP-256 decrypt through the full path; baseline: privateDecrypt with node:crypto.
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { cryptoBaseline, fullPathRow, type DataPlaneContext, type Row } from "../harness.js";

export function rsa2048Decrypt(ctx: DataPlaneContext): Promise<Row> {
  const { kid, n, e } = ctx.keys.rsa.key;
  const rsaPublic = createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
  const secret = randomBytes(32);
  const ciphertext = publicEncrypt(
    { key: rsaPublic, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    secret,
  ).toString("base64url");
  return fullPathRow(
    ctx,
    "rsa2048Decrypt",
    "POST",
    `${new URL(kid).pathname}/decrypt`,
    { alg: "RSA-OAEP-256", value: ciphertext },
    (j) => {
      if (!Buffer.from(j.value, "base64url").equals(secret)) throw new Error("decrypt: wrong plaintext");
    },
    () => cryptoBaseline("rsaDecrypt"),
  );
}
