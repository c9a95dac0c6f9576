// getKey: GET /keys/{name} through the full path; baseline: a bare https server answering the same bytes.
import { bareBaseline, fullPathRow, type DataPlaneContext, type Row } from "../harness.js";

export function getKey(ctx: DataPlaneContext): Promise<Row> {
  return fullPathRow(
    ctx,
    "getKey",
    "GET",
    "/keys/bench-rsa",
    undefined,
    (j) => {
      if (j.key?.kid !== ctx.keys.rsa.key.kid) throw new Error("getKey: wrong key");
    },
    (sample) => bareBaseline(ctx.bareTls, sample.text, "GET", ctx.hsmToken),
  );
}
