// aes256Wrap: A256KW wrapKey through the full path; baseline: a bare https server answering the same bytes.
import { randomBytes } from "node:crypto";
import { bareBaseline, fullPathRow, type DataPlaneContext, type Row } from "../harness.js";

export function aes256Wrap(ctx: DataPlaneContext): Promise<Row> {
  const body = { alg: "A256KW", value: randomBytes(32).toString("base64url") };
  return fullPathRow(
    ctx,
    "aes256Wrap",
    "POST",
    `${new URL(ctx.keys.aes.key.kid).pathname}/wrapkey`,
    body,
    () => {},
    (sample) => bareBaseline(ctx.bareTls, sample.text, "POST", ctx.hsmToken, body),
  );
}
