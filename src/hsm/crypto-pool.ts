/**
 * A small `node:worker_threads` pool for heavy private-key work (RSA key generation, RSA decrypt / unwrapKey /
 * sign), so that both cores serve requests and a slow RSA-4096 operation never stalls the event loop.
 * Size = `os.availableParallelism()`, at least 2. Workers start lazily and are replaced if one dies.
 * Under tsx (tests, `.ts` sources) the worker registers tsx itself; compiled builds load `crypto-worker.js`.
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import {
  KeyCryptoError,
  type GenerateKeyOptions,
  type KeyOperationRequest,
  type KeyOperationResult,
} from "./crypto/index.js";
import { MATERIAL_UNKNOWN, type PoolOp, type PoolTask } from "./crypto-worker.js";

/** How many materials a worker is believed to hold before the pool starts sending them again. */
const MAX_KNOWN_MATERIALS = 400;

/** The worker no longer holds the material the task named: send it again. */
class MaterialUnknownError extends Error {}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  /** Ids of the key materials this worker was sent (it keeps them parsed); bounded, see `operate`. */
  known: Set<number>;
}

/** A view of a structured-cloned Uint8Array as a Buffer, without copying. */
const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class CryptoPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private nextId = 1;
  private closed = false;
  /** Material ids by the serialized material's Buffer object (the key service reuses one Buffer per key version). */
  private readonly materialIds = new WeakMap<Buffer, number>();
  private nextMaterialId = 1;
  /** How many operations had to be sent again with their material (a worker had dropped it). */
  materialResends = 0;
  readonly size: number;
  /**
   * Whether this process may run on more than one core (os.availableParallelism() honours the CPU affinity). On one
   * core a worker adds no parallelism, only the cost of handing work over, so callers may do short work inline.
   */
  readonly parallel = availableParallelism() > 1;

  constructor(size = Math.max(2, availableParallelism())) {
    this.size = size;
  }

  private spawn(): Slot {
    const here = import.meta.url;
    let worker: Worker;
    if (here.endsWith(".ts")) {
      const target = new URL("./crypto-worker.ts", here).href;
      const tsx = import.meta.resolve("tsx/esm/api");
      worker = new Worker(
        `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`,
        { eval: true },
      );
    } else {
      // "../hsm/": right from dist/hsm/crypto-pool.js and from the start bundle in dist/cli/ (scripts/bundle.mjs).
      worker = new Worker(new URL("../hsm/crypto-worker.js", here));
    }
    const slot: Slot = { worker, busy: 0, known: new Set() };
    worker.unref();
    worker.on(
      "message",
      (msg: { id: number; ok: boolean; result?: unknown; error?: { name: string; code: string; message: string } }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        slot.busy--;
        if (msg.ok) p.resolve(msg.result);
        else if (msg.error?.code === MATERIAL_UNKNOWN) p.reject(new MaterialUnknownError());
        else if (msg.error?.name === "KeyCryptoError")
          p.reject(
            new KeyCryptoError(msg.error.code === "BadParameter" ? "BadParameter" : "InternalError", msg.error.message),
          );
        else p.reject(new Error(`crypto worker: ${msg.error?.message}`));
      },
    );
    const fail = (e: unknown) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const [id, p] of this.pending) {
        if (p.slot === slot) {
          this.pending.delete(id);
          p.reject(
            this.closed
              ? new Error("crypto pool closed")
              : e instanceof Error
                ? e
                : new Error(`crypto worker exited (${String(e)})`),
          );
        }
      }
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(code));
    this.slots.push(slot);
    return slot;
  }

  private pick(): Slot {
    if (this.slots.length < this.size) {
      const idle = this.slots.find((s) => s.busy === 0);
      if (idle) return idle;
      return this.spawn();
    }
    return this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private submit(task: PoolTask, on?: Slot): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("crypto pool closed"));
    const slot = on && this.slots.includes(on) ? on : this.pick();
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.ref();
      slot.worker.postMessage({ id, task });
    }).finally(() => {
      if (slot.busy === 0) slot.worker.unref();
    });
  }

  /** Generates key material in a worker; resolves with its serialized form (see `serializeMaterial`). */
  async generate(options: GenerateKeyOptions): Promise<Buffer> {
    return Buffer.from((await this.submit({ kind: "generate", options: { ...options } })) as Uint8Array);
  }

  /**
   * Runs one key operation on serialized material in a worker. A worker is sent each material once (by id) and keeps
   * it parsed; should it have dropped it (its cache is bounded), the operation is sent again with the material.
   * @throws KeyCryptoError as the operation would
   */
  async operate(op: PoolOp, material: Buffer, request: KeyOperationRequest): Promise<KeyOperationResult | boolean> {
    let materialId = this.materialIds.get(material);
    if (materialId === undefined) {
      materialId = this.nextMaterialId++;
      this.materialIds.set(material, materialId);
    }
    const slot = this.pick();
    const send = (withMaterial: boolean) => {
      if (withMaterial) {
        if (slot.known.size >= MAX_KNOWN_MATERIALS) slot.known.clear();
        slot.known.add(materialId);
      }
      return this.submit({ kind: "op", op, materialId, ...(withMaterial ? { material } : {}), request }, slot);
    };
    let raw: unknown;
    try {
      raw = await send(!slot.known.has(materialId));
    } catch (e) {
      if (!(e instanceof MaterialUnknownError)) throw e;
      this.materialResends++;
      raw = await send(true);
    }
    const r = raw as { value: Uint8Array; iv?: Uint8Array; tag?: Uint8Array; aad?: Uint8Array } | boolean;
    if (typeof r === "boolean") return r;
    return {
      value: view(r.value),
      ...(r.iv ? { iv: view(r.iv) } : {}),
      ...(r.tag ? { tag: view(r.tag) } : {}),
      ...(r.aad ? { aad: view(r.aad) } : {}),
    };
  }

  /** Terminates every worker; pending work is rejected. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = this.slots.splice(0);
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
