// ecdsaSignDigest: hsmlink's ECDSA signer over a digest (src/hsm/crypto/ecdsa.ts, from dist) against node:crypto's
// crypto.sign on the same curve, in this process, on one thread — the signing itself, without HTTP. The two run in
// alternating 100 ms slices so machine noise hits both alike.
import { randomBytes, sign as nodeSign } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { QUICK, ROOT, round, type Row } from "../harness.js";

const CURVES = [
  { crv: "P-256", alg: "ES256", hash: "sha256", digestBytes: 32 },
  { crv: "P-256K", alg: "ES256K", hash: "sha256", digestBytes: 32 },
  { crv: "P-384", alg: "ES384", hash: "sha384", digestBytes: 48 },
  { crv: "P-521", alg: "ES512", hash: "sha512", digestBytes: 64 },
] as const;

export async function ecdsaSignDigestRow(): Promise<Record<string, Row>> {
  const dist = join(ROOT, "dist/hsm/crypto/index.js");
  const lib = (await import(
    existsSync(dist) ? pathToFileURL(dist).href : pathToFileURL(join(ROOT, "src/hsm/crypto/index.ts")).href
  )) as typeof import("../../src/hsm/crypto/index.js");
  const { privateKeyObject } = (await import(
    pathToFileURL(join(ROOT, existsSync(dist) ? "dist/hsm/crypto/keys.js" : "src/hsm/crypto/keys.ts")).href
  )) as typeof import("../../src/hsm/crypto/keys.js");
  const out: Record<string, Row> = {};
  const slices = QUICK ? 10 : 30;
  for (const { crv, alg, hash, digestBytes } of CURVES) {
    const material = await lib.generateKeyMaterial({ kty: "EC", crv });
    if (material.kty !== "EC-HSM") throw new Error("expected an EC key");
    const key = privateKeyObject(material);
    const digest = randomBytes(digestBytes);
    const ours = () => lib.sign(material, { alg, value: digest });
    const native = () => nodeSign(hash, digest, { key, dsaEncoding: "ieee-p1363" });
    ours();
    native();
    let oursOps = 0;
    let nativeOps = 0;
    let oursMs = 0;
    let nativeMs = 0;
    let oursCpu = 0;
    let nativeCpu = 0;
    for (let i = 0; i < slices; i++) {
      for (const which of i % 2 ? (["n", "o"] as const) : (["o", "n"] as const)) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        let n = 0;
        do {
          if (which === "o") ours();
          else native();
          n++;
        } while (performance.now() - t0 < 100);
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        const cpu = (c.user + c.system) / 1000;
        if (which === "o") ((oursOps += n), (oursMs += ms), (oursCpu += cpu));
        else ((nativeOps += n), (nativeMs += ms), (nativeCpu += cpu));
      }
    }
    const opsPerSec = round((oursOps * 1000) / oursMs, 1);
    const baselineOpsPerSec = round((nativeOps * 1000) / nativeMs, 1);
    out[crv] = {
      opsPerSec,
      baselineOpsPerSec,
      ratio: round(opsPerSec / baselineOpsPerSec, 3),
      serverCpuMsPerOp: round(oursCpu / oursOps, 4),
      baselineCpuMsPerOp: round(nativeCpu / nativeOps, 4),
      threads: 1,
    };
  }
  return out;
}
