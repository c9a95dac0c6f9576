/**
 * Worker-thread side of the crypto pool (crypto-pool.ts): runs heavy private-key work — RSA key generation and
 * RSA decrypt/unwrapKey/sign — so the event loop keeps serving requests. Messages in:
 * `{id, task: {kind:"generate", options}}` or `{id, task: {kind:"op", op, material: serialized material, request}}`;
 * out: `{id, ok: true, result}` or `{id, ok: false, error: {name, code, message}}`. No key bytes in errors.
 */
import { parentPort } from "node:worker_threads";
import {
  decrypt,
  deserializeMaterial,
  encrypt,
  generateKeyMaterial,
  serializeMaterial,
  sign,
  unwrapKey,
  verify,
  wrapKey,
  type GenerateKeyOptions,
  type KeyMaterial,
  type KeyOperationRequest,
} from "./crypto/index.js";

export type PoolOp = "encrypt" | "decrypt" | "wrapKey" | "unwrapKey" | "sign" | "verify";
/** `material` (serialized) comes with the first task for a `materialId`; later tasks name the id only. */
export type PoolTask =
  | { kind: "generate"; options: GenerateKeyOptions }
  | { kind: "op"; op: PoolOp; materialId: number; material?: Uint8Array; request: KeyOperationRequest };

/** Error code of a task whose material id this worker does not hold (the pool then sends the material). */
export const MATERIAL_UNKNOWN = "MaterialUnknown";

/** Parsed material by the pool's material id: parsing PKCS#8 is costly and the same keys come back again and again. */
const parsed = new Map<number, KeyMaterial>();
const MAX_PARSED = 1000;

function materialOf(id: number, bytes: Uint8Array | undefined): KeyMaterial {
  let m = parsed.get(id);
  if (bytes !== undefined) {
    m = deserializeMaterial(view(bytes));
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(id, m);
  }
  if (!m) throw Object.assign(new Error("material not held by this worker"), { code: MATERIAL_UNKNOWN });
  return m;
}

/** A view of a structured-cloned Uint8Array as a Buffer, without copying. */
const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

async function run(task: PoolTask): Promise<unknown> {
  if (task.kind === "generate") return serializeMaterial(await generateKeyMaterial(task.options));
  const material = materialOf(task.materialId, task.material);
  const r = task.request;
  const req: KeyOperationRequest = {
    alg: r.alg,
    value: view(r.value),
    ...(r.iv ? { iv: view(r.iv) } : {}),
    ...(r.aad ? { aad: view(r.aad) } : {}),
    ...(r.tag ? { tag: view(r.tag) } : {}),
    ...(r.digest ? { digest: view(r.digest) } : {}),
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
      parentPort!.postMessage({
        id: msg.id,
        ok: false,
        error: {
          name: String(err?.name ?? "Error"),
          code: String(err?.code ?? "InternalError"),
          message: String(err?.message ?? e),
        },
      });
    },
  );
});
