// rsa2048Sign: RS256 sign of a 32-byte digest through the full path; baseline: crypto.sign with node:crypto.
import { randomBytes } from "node:crypto";
import { cryptoBaseline, fullPathRow, type DataPlaneContext, type Row } from "../harness.js";

export function rsa2048Sign(ctx: DataPlaneContext): Promise<Row> {
  const digest = randomBytes(32).toString("base64url");
  return fullPathRow(
    ctx,
    "rsa2048Sign",
    "POST",
    `${new URL(ctx.keys.rsa.key.kid).pathname}/sign`,
    { alg: "RS256", value: digest },
    (j) => {
      if (Buffer.from(j.value, "base64url").length !== 256) throw new Error("sign: unexpected signature length");
    },
    () => cryptoBaseline("rsaSign"),
  );
}
