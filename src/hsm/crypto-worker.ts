/**
 * Worker-thread side of the crypto pool (crypto-pool.ts): runs heavy private-key work — RSA key generation and
 * RSA decrypt/unwrapKey/sign — so the event loop keeps serving requests. Messages in:
 * `{id, task: {kind:"generate", options}}` or `{id, task: {kind:"op", op, material: serialized material, request}}`;
 * out: `{id, ok: true, result}` or `{id, ok: false, error: {name, code, message}}`. No key bytes in errors.
 */
import { parentPort } from "node:worker_threads";
import { decrypt, deserializeMaterial, encrypt, generateKeyMaterial, serializeMaterial, sign, unwrapKey, verify, wrapKey, type GenerateKeyOptions, type KeyMaterial, type KeyOperationRequest } from "./crypto/index.js";

export type PoolOp = "encrypt" | "decrypt" | "wrapKey" | "unwrapKey" | "sign" | "verify";
export type PoolTask = { kind: "generate"; options: GenerateKeyOptions } | { kind: "op"; op: PoolOp; material: Uint8Array; request: KeyOperationRequest };

/** Parsed material by its serialized bytes: the same keys come back again and again, and parsing PKCS#8 is costly. */
const parsed = new Map<string, KeyMaterial>();

function materialOf(bytes: Buffer): KeyMaterial {
  const key = bytes.toString("latin1");
  let m = parsed.get(key);
  if (!m) {
    m = deserializeMaterial(bytes);
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(key, m);
  }
  return m;
}

async function run(task: PoolTask): Promise<unknown> {
  if (task.kind === "generate") return serializeMaterial(await generateKeyMaterial(task.options));
  const material = materialOf(Buffer.from(task.material));
  const req: KeyOperationRequest = {
    alg: task.request.alg,
    value: Buffer.from(task.request.value),
    ...(task.request.iv ? { iv: Buffer.from(task.request.iv) } : {}),
    ...(task.request.aad ? { aad: Buffer.from(task.request.aad) } : {}),
    ...(task.request.tag ? { tag: Buffer.from(task.request.tag) } : {}),
    ...(task.request.digest ? { digest: Buffer.from(task.request.digest) } : {}),
  };
  switch (task.op) {
    case "encrypt":
      return encrypt(material, req);
    case "decrypt":
      return decrypt(material, req);
    case "wrapKey":
      return wrapKey(material, req);
    case "unwrapKey":
      return unwrapKey(material, req);
    case "sign":
      return sign(material, req);
    case "verify":
      return verify(material, req);
  }
}

parentPort?.on("message", (msg: { id: number; task: PoolTask }) => {
  run(msg.task).then(
    (result) => parentPort!.postMessage({ id: msg.id, ok: true, result }),
    (e: unknown) => {
      const err = e as { name?: string; code?: string; message?: string };
      parentPort!.postMessage({ id: msg.id, ok: false, error: { name: String(err?.name ?? "Error"), code: String(err?.code ?? "InternalError"), message: String(err?.message ?? e) } });
    },
  );
});
