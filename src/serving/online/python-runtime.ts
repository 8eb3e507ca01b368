/**
 * The Python runtime behind the scoring front: a pool of Python worker
 * processes (src/serving/python/), each holding the model as
 * `mlflow.pyfunc.load_model` loads it and scoring one batch at a time. The
 * front's batching, protocols, metrics and draining are unchanged; requests
 * are parsed and validated here, on the HTTP thread (cheap next to the Python
 * call), and the batch travels to the worker as typed columns.
 *
 * A worker that dies fails its batch with 500s ({@link BatchRunner} answers
 * a non-MLflow error that way) and is replaced; until the replacement has
 * loaded the model, the scheduler sees one idle slot fewer.
 *
 * What the workers hold for batches (frames sent and not yet answered,
 * replies being read) is charged to the server's memory budget through
 * `ExecutorOptions.memory` (python-worker-process.ts), so admission control
 * counts it beside the requests' own estimates.
 * @module
 */
import { BatchRunner, type RunnerContext, type RunnerOptions } from "./batch-runner.js";
import type { BatchOutcome, ExecutorOptions, InferenceExecutor } from "./inference-executor.js";
import type { ScoringJob, ServedModelInfo } from "./scoring-job.js";
import { loadPythonModel, type PythonModel } from "../python/python-model.js";
import { preparePythonEnvironment, type PythonEnvOptions, type PythonEnvironment } from "../python/python-environment.js";
import { schemaNames } from "../../models/index.js";
import { residentBytesOf } from "./measured-memory.js";

/** MLflow's schema enforcement answers INVALID_PARAMETER_VALUE; so does the front for Python models. */
const RUNNER_OPTIONS: RunnerOptions = { schemaErrorCode: "INVALID_PARAMETER_VALUE" };

interface Slot {
  model: PythonModel;
  runner: BatchRunner;
  /** Batches sent to this worker and not yet answered. */
  running: number;
}

function infoOf(model: PythonModel): ServedModelInfo {
  const outputs = model.signature?.outputs;
  return {
    flavor: "python_function",
    inputSchema: model.inputSchema,
    signature: model.signature,
    mlmodel: model.mlmodel,
    workerSafe: false,
    ...(outputs ? { outputNames: schemaNames(outputs) } : {}),
  };
}

class PythonPoolExecutor implements InferenceExecutor {
  onCapacity?: () => void;
  private closing = false;
  readonly info: ServedModelInfo;

  constructor(
    private readonly slots: Array<Slot | undefined>,
    private readonly load: () => Promise<PythonModel>,
    private readonly context: RunnerContext,
    /** Batches one worker may hold at once (the next waits in its pipe while it scores one). */
    private readonly depth: number,
  ) {
    this.info = infoOf(slots[0]!.model);
    slots.forEach((s, i) => s && this.watch(s, i));
  }

  get threads(): number {
    return this.slots.length;
  }

  private watch(slot: Slot, i: number): void {
    slot.model.worker.onExit = () => this.replace(i);
  }

  /** A dead worker's slot is refilled with a fresh process (its batch has already failed). */
  private replace(i: number): void {
    this.slots[i] = undefined;
    if (this.closing) return;
    this.load().then(
      (model) => {
        if (this.closing) return void model.close();
        const slot: Slot = { model, runner: new BatchRunner(model, this.context, RUNNER_OPTIONS), running: 0 };
        this.slots[i] = slot;
        this.watch(slot, i);
        this.onCapacity?.();
      },
      () => undefined, // it loaded once; a failing reload leaves the slot out of service
    );
  }

  /** The live worker with the fewest batches, if it can take one more. */
  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s !== undefined && s.model.worker.alive && s.running < this.depth && (!best || s.running < best.running)) best = s;
    return best;
  }

  hasIdle(): boolean {
    return this.pick() !== undefined;
  }

  async run(jobs: ScoringJob[]): Promise<BatchOutcome> {
    const slot = this.pick();
    if (!slot) throw new Error("no idle Python worker");
    slot.running++;
    try {
      return await slot.runner.run(jobs);
    } finally {
      slot.running--;
    }
  }

  residentBytes(): number {
    let sum = 0;
    for (const s of this.slots) if (s?.model.worker.pid !== undefined && s.model.worker.alive) sum += residentBytesOf(s.model.worker.pid);
    return sum;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s?.model.close()));
  }
}

export interface PythonRuntimeOptions extends PythonEnvOptions {
  /** Lines the workers write to stderr (model logs, warnings). */
  workerLog?: (line: string) => void;
  /**
   * Batches one worker may hold at once (default 1: the next batch is formed when the worker answers). With 2 the
   * front forms, encodes and sends the next batch while the worker scores one, and answers the previous one
   * meanwhile: Node's and Python's work overlap instead of taking turns. A worker that dies fails both.
   */
  batchesPerWorker?: number;
}

/** Builds or finds the environment, then starts `workers` Python processes (at least 1) with warm models. */
export async function startPythonExecutor(opts: ExecutorOptions, py: PythonRuntimeOptions): Promise<InferenceExecutor> {
  const env: PythonEnvironment = await preparePythonEnvironment(opts.reload.path, py);
  // Batches sent to a worker and replies being read are charged to the server's memory budget until answered.
  const load = () => loadPythonModel(opts.reload.path, env, { log: py.workerLog, memory: opts.memory });
  const n = Math.max(1, opts.workers);
  const started = await Promise.allSettled(Array.from({ length: n }, load));
  const ok = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed || ok.length === 0) {
    await Promise.all(ok.map((m) => m.close()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const depth = Math.max(1, Math.floor(py.batchesPerWorker ?? 1));
  return new PythonPoolExecutor(
    ok.map((model) => ({ model, runner: new BatchRunner(model, opts.context, RUNNER_OPTIONS), running: 0 })),
    load,
    opts.context,
    depth,
  );
}
