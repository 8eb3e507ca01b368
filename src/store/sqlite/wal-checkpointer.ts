/**
 * WAL checkpoints on a worker thread, for the server's SQLite database.
 *
 * With SQLite's automatic checkpoints, the write that pushes the WAL past
 * 1,000 pages copies them into the database file and syncs it — on the event
 * loop, inside a request. Under a steady write load against a database that
 * already holds millions of rows that was a quarter of log-batch's time. Here
 * the server's connection never checkpoints (`wal_autocheckpoint = 0`); a
 * worker with its own connection runs PASSIVE checkpoints (they never block
 * the writer) whenever the WAL has grown past a few megabytes, and SQLite
 * rewinds the WAL once a checkpoint has caught up. `journal_size_limit` on the
 * server's connection truncates the file after a burst.
 *
 * Under writes that never pause a PASSIVE checkpoint never catches up: SQLite
 * rewinds the WAL only when a write transaction begins after a checkpoint has
 * copied every frame, and the writer appends frames while the worker copies.
 * So when a worker checkpoint leaves more than `maxWalBytes` of frames in the
 * WAL, the worker pauses and raises a flag in shared memory; the writer sees
 * it before its next transaction ({@link WalCheckpointer.finishIfAsked}, one
 * load per group: no stat, and no message, which a writer whose groups follow
 * each other in microtasks would not read) and runs one PASSIVE checkpoint on
 * its own connection. Nothing is appended meanwhile, so it copies every frame
 * left (mostly what arrived during the worker's copy) and the transaction that
 * follows rewinds the WAL. The worker resumes once the flag is down.
 * @module
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface WalCheckpointerOptions {
  /** Checkpoint once the WAL file is at least this large. */
  minWalBytes?: number;
  /** How often the worker looks at the WAL's size. */
  intervalMs?: number;
  /**
   * Frames left in the WAL after a worker checkpoint beyond which the writer finishes the checkpoint before
   * its next transaction, so the WAL is rewound (default: 4 × `minWalBytes`, 16 MB).
   */
  maxWalBytes?: number;
}

// CommonJS, run with `eval`: no module file to locate whether ciclo runs from source, dist/ or a bundle.
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { statSync } = require("node:fs");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const wal = workerData.path + "-wal";
// Bytes per WAL frame: a page and its 24-byte header.
const frameBytes = db.pragma("page_size", { simple: true }) + 24;
// 1: the writer is asked to finish a checkpoint. This thread stays out of its way (its checkpoint would make
// the writer's find the checkpoint lock taken) for up to 10 ticks, then goes on with its own: a writer that
// begins no transaction must not leave the WAL uncheckpointed.
const ask = new Int32Array(workerData.ask);
let waited = 0;
const tick = () => {
  if (Atomics.load(ask, 0) !== 0 && ++waited < 10) return;
  waited = 0;
  let size = 0;
  try { size = statSync(wal).size; } catch { return; }
  if (size < workerData.minWalBytes) return;
  let res;
  try { res = db.pragma("wal_checkpoint(PASSIVE)")[0]; } catch { return; /* busy or locked: the next tick tries again */ }
  // log: the frames in the WAL since it was last rewound.
  if (res) Atomics.store(ask, 0, res.log * frameBytes > workerData.maxWalBytes ? 1 : 0);
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage("stopped");
  parentPort.close();
});
parentPort.postMessage("ready");
`;

export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;
  /** Shared with the worker: 1 while it asks the writer to finish a checkpoint. */
  readonly #ask = new Int32Array(new SharedArrayBuffer(4));
  #stopped: Promise<void> | undefined;

  /** `onFailure` runs if the worker cannot start or dies: the caller turns SQLite's own checkpoints back on. */
  constructor(path: string, onFailure: () => void, opts: WalCheckpointerOptions = {}) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const minWalBytes = opts.minWalBytes ?? 4 * 1024 * 1024;
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path,
        driver,
        minWalBytes,
        intervalMs: opts.intervalMs ?? 100,
        maxWalBytes: opts.maxWalBytes ?? 4 * minWalBytes,
        ask: this.#ask.buffer,
      },
    });
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.once("message", () => resolve());
      this.#worker.once("error", reject);
    });
    // Running, it must not keep a process alive that has nothing else to do.
    this.#ready.then(() => this.#worker.unref(), () => undefined);
    // A failed checkpointer must not take the server down, nor leave the WAL to grow.
    this.#ready.catch(() => onFailure());
    this.#worker.once("exit", () => {
      if (!this.#stopped) onFailure();
    });
  }

  /**
   * Called by the writer before each transaction, on its connection with nothing in flight: when the worker
   * has asked, runs `checkpoint` (a PASSIVE checkpoint of that connection) and lets the worker go on.
   */
  finishIfAsked(checkpoint: () => void): void {
    if (Atomics.load(this.#ask, 0) === 0) return;
    try {
      checkpoint();
    } finally {
      Atomics.store(this.#ask, 0, 0);
    }
  }

  /** Resolves once the worker has opened the database (tests wait for it). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Closes the worker's connection before the server's, so the server's close is the last and cleans up the WAL. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      try {
        await this.#ready;
      } catch {
        return;
      }
      const exited = new Promise<void>((resolve) => this.#worker.once("exit", () => resolve()));
      this.#worker.ref();
      this.#worker.postMessage("stop");
      await exited;
    })();
    return this.#stopped;
  }
}
