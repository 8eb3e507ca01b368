/**
 * An inference thread: loads its own copy of the model (one warm ONNX session
 * per thread — sessions cannot cross threads), then scores the batches the
 * HTTP thread posts, one at a time.
 *
 * Messages in: `{type: "batch", id, jobs}`; `{type: "collect"}` (collect garbage now). Out: `{type: "ready", info}` once
 * loaded, `{type: "failed", message}` if loading fails, and
 * `{type: "done", id, results, stats}` per batch.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadLocalModel } from "../../models/index.js";
import { BatchRunner } from "./batch-runner.js";
import { describeModel, type InferenceWorkerData } from "./inference-executor.js";
import type { ScoringJob } from "./scoring-job.js";

const data = workerData as InferenceWorkerData;
const port = parentPort!;

try {
  const model = await loadLocalModel(data.reload.path, data.reload.options);
  const runner = new BatchRunner(model, data.context);
  port.on("message", (msg: { type: string; id: number; jobs: ScoringJob[] }) => {
    if (msg.type === "close") {
      void model.close().finally(() => port.close());
      return;
    }
    if (msg.type === "collect") {
      // The server's memory is past its ceiling (measured-memory.ts): collect this thread's garbage now.
      (globalThis as { gc?: () => void }).gc?.();
      return;
    }
    void runner.run(msg.jobs).then(
      ({ results, stats }) => port.postMessage({ type: "done", id: msg.id, results, stats }),
      (err: Error) => port.postMessage({ type: "done", id: msg.id, error: err.message }),
    );
  });
  port.postMessage({ type: "ready", info: await describeModel(model) });
} catch (err) {
  port.postMessage({ type: "failed", message: (err as Error).message });
}
