/**
 * Where inference runs: a pool of worker threads (each with its own warm copy
 * of the model), so a busy model never delays `/ping`, health or metrics on the
 * HTTP thread; or, for a js_function model that declares `workerSafe = false`
 * (or `workers: 0`), the HTTP thread itself.
 *
 * Each worker takes one batch at a time; the scheduler asks for an idle one.
 * A worker that dies (a crashing native addon, an out-of-memory model) fails
 * its batch with 500s and is replaced.
 * @module
 */
import type { Worker } from "node:worker_threads";
import type { MemoryAccount } from "./admission-control.js";
import { type LoadedModel, type ModelReloadSpec, loadLocalModel, schemaNames } from "../../models/index.js";
import { BatchRunner, type BatchStats, type RunnerContext } from "./batch-runner.js";
import type { JobResult, ScoringJob, ServedModelInfo } from "./scoring-job.js";
import { spawnModuleWorker } from "../worker-spawn.js";

export interface InferenceWorkerData {
  reload: ModelReloadSpec;
  context: RunnerContext;
}

export interface BatchOutcome {
  results: JobResult[];
  stats: BatchStats;
}

export interface InferenceExecutor {
  readonly info: ServedModelInfo;
  /** Threads scoring in parallel (0 = the HTTP thread). */
  readonly threads: number;
  /** True when a batch can start now. */
  hasIdle(): boolean;
  run(jobs: ScoringJob[]): Promise<BatchOutcome>;
  close(): Promise<void>;
  /** Called when a thread becomes available outside a batch's completion (a replaced thread is ready). */
  onCapacity?: () => void;
  /**
   * The runtime's estimate of the memory it holds per request-body byte while
   * scoring (parsed input, columns, tensors, the serialised answer), charged
   * to the admission budget with every request (admission-control.ts).
   * Memory beyond it is reported through `ExecutorOptions.memory`.
   */
  readonly bytesPerBodyByte?: number;
  /** Resident bytes of the runtime's own processes (the Python workers), for the guard on measured memory. */
  residentBytes?(): number;
  /** Asks the runtime's JavaScript heaps to collect their garbage now (the server's memory is past its ceiling). */
  collectGarbage?(): void;
}

/**
 * In-process runtime: measured under the overload of bench/serving-overload.ts
 * (5,000-row dataframe_split bodies, ONNX): JSON.parse's tree of boxed numbers
 * is ≈ 3.5× the text, the columns and tensors ≈ 1×, the answer ≈ 0.5×, and V8
 * collects the garbage late. On a loaded machine 8 per byte kept the RSS under
 * the budget (the queue-wait bound refused first); on a quiet one, where the
 * admitted requests are scored at full speed and their garbage piles up as
 * fast, 8 (+2 for the front) let the server reach 907 MB above idle for a
 * 512 MB budget (1.8× the estimate): 16 covers that. (Most of those 907 MB
 * turned out to be answered requests the scheduler's queue kept alive, since
 * fixed; the guard on measured memory, measured-memory.ts, now backs the
 * estimate.)
 */
export const IN_PROCESS_BYTES_PER_BODY_BYTE = 16;

export async function describeModel(model: LoadedModel): Promise<ServedModelInfo> {
  const outputs = model.signature?.outputs;
  return {
    flavor: model.flavor,
    inputSchema: model.inputSchema,
    signature: model.signature,
    mlmodel: model.mlmodel,
    workerSafe: model.workerSafe,
    ...(outputs ? { outputNames: schemaNames(outputs) } : {}),
    ...(model.nativeSchema ? { nativeSchema: model.nativeSchema } : {}),
  };
}

interface Slot {
  worker: Worker;
  busy: boolean;
  pending?: { id: number; resolve(o: BatchOutcome): void; reject(e: Error): void };
}

type WorkerMessage =
  | { type: "ready"; info: ServedModelInfo }
  | { type: "failed"; message: string }
  | { type: "done"; id: number; results?: JobResult[]; stats?: BatchStats; error?: string };

function startSlot(data: InferenceWorkerData, onExit: (slot: Slot, code: number) => void): Promise<{ slot: Slot; info: ServedModelInfo }> {
  return new Promise((resolve, reject) => {
    const slot: Slot = { worker: spawnModuleWorker(import.meta.url, "inference-worker", data), busy: false };
    let ready = false;
    slot.worker.on("message", (msg: WorkerMessage) => {
      if (msg.type === "ready") {
        ready = true;
        resolve({ slot, info: msg.info });
      } else if (msg.type === "failed") reject(new Error(msg.message));
      else if (msg.type === "done" && slot.pending?.id === msg.id) {
        const p = slot.pending;
        slot.pending = undefined;
        slot.busy = false;
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve({ results: msg.results!, stats: msg.stats! });
      }
    });
    slot.worker.on("error", (err) => {
      if (!ready) reject(err);
    });
    slot.worker.on("exit", (code) => {
      if (!ready) reject(new Error(`inference thread exited (${code}) while loading the model`));
      else onExit(slot, code);
    });
  });
}

class WorkerPoolExecutor implements InferenceExecutor {
  onCapacity?: () => void;
  readonly bytesPerBodyByte = IN_PROCESS_BYTES_PER_BODY_BYTE;
  private closing = false;
  private nextId = 1;

  constructor(
    private readonly slots: Slot[],
    readonly info: ServedModelInfo,
    private readonly data: InferenceWorkerData,
  ) {}

  get threads(): number {
    return this.slots.length;
  }

  hasIdle(): boolean {
    return this.slots.some((s) => !s.busy);
  }

  /** A dead worker fails its batch and is replaced (the pool keeps its size). */
  readonly onExit = (slot: Slot, code: number): void => {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    slot.busy = true; // never handed work again
    slot.pending?.reject(new Error(`inference thread exited with code ${code}`));
    slot.pending = undefined;
    if (this.closing) return;
    startSlot(this.data, this.onExit).then(
      ({ slot: fresh }) => {
        if (this.closing) void fresh.worker.terminate();
        else {
          this.slots[this.slots.indexOf(slot)] = fresh;
          this.onCapacity?.(); // requests may be waiting for it
        }
      },
      () => undefined, // it loaded once; a failing reload leaves the slot out of service
    );
  };

  run(jobs: ScoringJob[]): Promise<BatchOutcome> {
    const slot = this.slots.find((s) => !s.busy);
    if (!slot) return Promise.reject(new Error("no idle inference thread"));
    slot.busy = true;
    const id = this.nextId++;
    return new Promise<BatchOutcome>((resolve, reject) => {
      slot.pending = { id, resolve, reject };
      slot.worker.postMessage({ type: "batch", id, jobs });
    });
  }

  collectGarbage(): void {
    for (const s of this.slots) s.worker.postMessage({ type: "collect" });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

class InlineExecutor implements InferenceExecutor {
  readonly threads = 0;
  readonly bytesPerBodyByte = IN_PROCESS_BYTES_PER_BODY_BYTE;
  private busy = false;
  private readonly runner: BatchRunner;

  constructor(
    private readonly model: LoadedModel,
    readonly info: ServedModelInfo,
    context: RunnerContext,
  ) {
    this.runner = new BatchRunner(model, context);
  }

  hasIdle(): boolean {
    return !this.busy;
  }

  async run(jobs: ScoringJob[]): Promise<BatchOutcome> {
    this.busy = true;
    try {
      return await this.runner.run(jobs);
    } finally {
      this.busy = false;
    }
  }

  close(): Promise<void> {
    return this.model.close();
  }
}

export interface ExecutorOptions {
  reload: ModelReloadSpec;
  context: RunnerContext;
  /** Inference threads; 0 runs the model on the calling thread. */
  workers: number;
  /** Where a runtime reports buffers its `bytesPerBodyByte` estimate does not cover (a worker pool's shared memory). */
  memory?: MemoryAccount;
}

/** Loads the model where it will run; resolves once every thread holds a warm copy. */
export async function startExecutor(opts: ExecutorOptions): Promise<InferenceExecutor> {
  const inline = async (): Promise<InferenceExecutor> => {
    const model = await loadLocalModel(opts.reload.path, opts.reload.options);
    return new InlineExecutor(model, await describeModel(model), opts.context);
  };
  if (opts.workers <= 0) return inline();
  const data: InferenceWorkerData = { reload: opts.reload, context: opts.context };
  let pool: WorkerPoolExecutor | undefined;
  const onExit = (slot: Slot, code: number) => pool?.onExit(slot, code);
  const started = await Promise.allSettled(Array.from({ length: opts.workers }, () => startSlot(data, onExit)));
  const ok = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed || ok.length === 0) {
    await Promise.all(ok.map((s) => s.slot.worker.terminate()));
    throw (failed as PromiseRejectedResult).reason;
  }
  if (!ok[0].info.workerSafe) {
    // The module says it must not run in a worker thread: run it here instead.
    await Promise.all(ok.map((s) => s.slot.worker.terminate()));
    return inline();
  }
  pool = new WorkerPoolExecutor(
    ok.map((s) => s.slot),
    ok[0].info,
    data,
  );
  return pool;
}
