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
 * @module
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface WalCheckpointerOptions {
  /** Checkpoint once the WAL file is at least this large. */
  minWalBytes?: number;
  /** How often the worker looks at the WAL's size. */
  intervalMs?: number;
}

// CommonJS, run with `eval`: no module file to locate whether ciclo runs from source, dist/ or a bundle.
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { statSync } = require("node:fs");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const wal = workerData.path + "-wal";
const tick = () => {
  let size = 0;
  try { size = statSync(wal).size; } catch { return; }
  if (size < workerData.minWalBytes) return;
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch { /* busy or locked: the next tick tries again */ }
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
  #stopped: Promise<void> | undefined;

  /** `onFailure` runs if the worker cannot start or dies: the caller turns SQLite's own checkpoints back on. */
  constructor(path: string, onFailure: () => void, opts: WalCheckpointerOptions = {}) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, driver, minWalBytes: opts.minWalBytes ?? 4 * 1024 * 1024, intervalMs: opts.intervalMs ?? 100 },
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
