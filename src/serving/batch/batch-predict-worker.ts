/**
 * A batch-scoring thread: loads its own copy of the model, then scores the
 * chunks the main thread posts (see batch-chunk-scorer.ts), so the main
 * thread only splits the input and writes the output.
 *
 * Out: `{type: "ready", workerSafe}` once loaded (or `{type: "failed"}`), then
 * one {@link ChunkResult} (or `{id, error}`) per chunk.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import { loadLocalModel } from "../../models/index.js";
import { scoreChunk } from "./batch-chunk-scorer.js";
import type { ChunkRequest } from "./batch-predict.js";

const port = parentPort!;

try {
  const { path, options } = workerData as { path: string; options: object };
  const model = await loadLocalModel(path, options);
  port.on("message", (req: ChunkRequest) => {
    scoreChunk(model, req).then(
      ({ transfer, ...res }) => port.postMessage(res, transfer),
      (err: Error) => port.postMessage({ id: req.id, error: `${req.where}: ${err.message}` }),
    );
  });
  port.postMessage({ type: "ready", workerSafe: model.workerSafe });
} catch (err) {
  port.postMessage({ type: "failed", message: (err as Error).message });
}
