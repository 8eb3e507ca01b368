/**
 * One Python worker process holding one loaded MLflow model
 * (`pyfunc_worker.py`): started with the environment's interpreter, answers
 * batches over its stdin/stdout (pyfunc-protocol.ts), one at a time, in order.
 *
 * A worker that exits — a crash in a native extension, an out-of-memory kill,
 * `os._exit` in model code — fails every batch it holds at once with an error
 * naming the exit code and the last lines it wrote to stderr, and refuses new
 * ones; its owner replaces it. Nothing waits on a dead process.
 *
 * What a worker holds for batches is reported to the server's memory budget
 * (admission-control.ts) when one is given: each batch's frame × {@link
 * WORKER_BYTES_PER_FRAME_BYTE} from the moment it is written until its reply
 * has been read and decoded, and the bytes of replies still being read. Both
 * are released on the reply, or at once when the process dies.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ModelInput, ModelOutput, ModelParams } from "../../models/index.js";
import { MlflowError, type ErrorCode } from "../../shared/errors.js";
import { decodeOutput, encodeRequest, FrameReader, frameBytes, type Frame } from "./pyfunc-protocol.js";
import type { PythonEnvironment } from "./python-environment.js";

/** The worker script: beside this file in a checkout and in dist/ (the build copies it). */
export function workerScriptPath(): string {
  const here = new URL("./pyfunc_worker.py", import.meta.url);
  const path = fileURLToPath(here);
  if (existsSync(path)) return path;
  // The Docker/esbuild bundle puts it beside the bundle under python/.
  return fileURLToPath(new URL("./python/pyfunc_worker.py", import.meta.url));
}

export interface PythonWorkerInfo {
  python: string;
  executable: string;
  mlflow: string;
  pid: number;
}

/** Python's exception codes as MLflow sends them → ciclo's (unknown ones are BAD_REQUEST, as MLflow's scoring server answers them 400). */
function errorCode(code: unknown): ErrorCode {
  const known: ErrorCode[] = ["BAD_REQUEST", "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "INTERNAL_ERROR", "INVALID_STATE", "RESOURCE_ALREADY_EXISTS"];
  return known.includes(code as ErrorCode) ? (code as ErrorCode) : "BAD_REQUEST";
}

/**
 * What one byte of a request frame stands for until the reply is in: the
 * frame in Node's write queue (until the pipe takes it), Python's copy of the
 * body, and the arrays and DataFrame built from it (MLflow's schema
 * enforcement may copy them once more; the output is counted when it comes
 * back). An estimate, like the front's per-body-byte charge.
 */
export const WORKER_BYTES_PER_FRAME_BYTE = 4;

/** Where a worker reports its buffers (the scoring server's admission budget: MemoryAccount). */
export interface WorkerMemory {
  hold(bytes: number): { resize(bytes: number): void; release(): void };
}

export interface PythonWorkerOptions {
  /** Lines the worker writes to stderr. */
  log?: (line: string) => void;
  /** The budget its batch and reply buffers are charged to. */
  memory?: WorkerMemory;
}

interface Pending {
  rows: number;
  hold?: { release(): void };
  resolve(o: ModelOutput): void;
  reject(e: Error): void;
}

export class PythonWorkerProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail: string[] = [];
  private deadError: Error | undefined;
  /** Resolves once the model is loaded; rejects with the worker's own message when it cannot load. */
  readonly ready: Promise<PythonWorkerInfo>;
  /** Called once if the process exits after loading (not on close()). */
  onExit?: (err: Error) => void;
  private closing = false;
  private readonly memory: WorkerMemory | undefined;
  /** The reply bytes read and not yet decoded. */
  private readonly readHold: { resize(bytes: number): void; release(): void } | undefined;

  constructor(env: PythonEnvironment, modelPath: string, opts: PythonWorkerOptions = {}) {
    this.memory = opts.memory;
    this.readHold = opts.memory?.hold(0);
    this.child = spawn(env.python, [workerScriptPath(), modelPath], {
      env: { ...process.env, ...env.env, PYTHONUNBUFFERED: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let ready: { resolve(i: PythonWorkerInfo): void; reject(e: Error): void } | undefined;
    this.ready = new Promise((resolve, reject) => (ready = { resolve, reject }));
    this.ready.catch(() => undefined);
    let loaded = false;
    const reader = new FrameReader((f: Frame) => {
      if (!loaded) {
        if (f.header.ready === true) {
          loaded = true;
          ready!.resolve(f.header as unknown as PythonWorkerInfo);
        } else ready!.reject(new MlflowError(String(f.header.error ?? "the Python worker could not load the model"), "INVALID_PARAMETER_VALUE"));
        return;
      }
      const id = f.header.id as number;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      p.hold?.release();
      if (f.header.ok === true) {
        try {
          p.resolve(decodeOutput(f.header.output as Record<string, unknown>, f.body, p.rows));
        } catch (err) {
          p.reject(err as Error);
        }
      } else p.reject(new MlflowError(String(f.header.message), errorCode(f.header.error_code)));
    });
    this.child.stdout!.on("data", (c: Buffer) => {
      // Counted while the reader holds it: a partial reply waits there for the rest.
      this.readHold?.resize(reader.buffered + c.length);
      reader.push(c);
      this.readHold?.resize(reader.buffered);
    });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (text: string) => {
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        this.stderrTail.push(line);
        opts.log?.(line);
      }
      if (this.stderrTail.length > 20) this.stderrTail = this.stderrTail.slice(-20);
    });
    this.child.stdin!.on("error", () => undefined); // EPIPE after a crash: the exit handler reports it
    this.child.on("error", (err) => this.died(new Error(`Could not start the Python interpreter '${env.python}': ${err.message}. Choose one with --python.`), ready, loaded));
    this.child.on("exit", (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = this.stderrTail.slice(-5).join("\n");
      this.died(new Error(`The Python model worker (pid ${this.child.pid}) ${how}${tail ? `; its last output:\n${tail}` : ""}`), ready, loaded);
    });
  }

  private died(err: Error, ready: { reject(e: Error): void } | undefined, loaded: boolean): void {
    if (this.deadError) return;
    this.deadError = err;
    if (!loaded) ready?.reject(err);
    this.readHold?.release();
    for (const p of this.pending.values()) {
      p.hold?.release();
      p.reject(err);
    }
    this.pending.clear();
    if (loaded && !this.closing) this.onExit?.(err);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.deadError === undefined;
  }

  /** Scores one batch. Rejects with an MlflowError for the model's errors, a plain Error if the process died. */
  predict(input: ModelInput, params?: ModelParams): Promise<ModelOutput> {
    if (this.deadError) return Promise.reject(this.deadError);
    const id = this.nextId++;
    const frame = frameBytes(encodeRequest(id, input, params));
    const hold = this.memory?.hold(frame.length * WORKER_BYTES_PER_FRAME_BYTE);
    return new Promise<ModelOutput>((resolve, reject) => {
      this.pending.set(id, { rows: input.rowCount, hold, resolve, reject });
      this.child.stdin!.write(frame);
    });
  }

  /** Ends the worker: closes its stdin (it exits at end of input), then kills it if it lingers. */
  async close(graceMs = 2000): Promise<void> {
    this.closing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** For tests: kills the process as a crash would. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.child.kill(signal);
  }
}
