// ecP256Sign: ES256 sign of a 32-byte digest through the full path; baseline: crypto.sign (ECDSA P-256) with
// node:crypto, which hashes its input once more — the same native work as signing a digest.
import { randomBytes } from "node:crypto";
import { cryptoBaseline, fullPathRow, type DataPlaneContext, type Row } from "../harness.js";

export function ecP256Sign(ctx: DataPlaneContext): Promise<Row> {
  const digest = randomBytes(32).toString("base64url");
  return fullPathRow(
    ctx,
    "ecP256Sign",
    "POST",
    `${new URL(ctx.keys.ec.key.kid).pathname}/sign`,
    { alg: "ES256", value: digest },
    (j) => {
      if (Buffer.from(j.value, "base64url").length !== 64) throw new Error("ES256: unexpected signature length");
    },
    () => cryptoBaseline("ecSign"),
  );
}
