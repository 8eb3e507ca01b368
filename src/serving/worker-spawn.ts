/**
 * Starts a worker thread from a module next to the caller, whatever form the
 * code is running in: `.ts` in a source checkout (the thread registers tsx
 * itself — on Node 20 loader hooks, whether from `--import tsx` or from
 * bin/ciclo.js's `register()`, do not reach worker threads), `.js` once built,
 * `.mjs` in the Docker bundle.
 * @module
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** `callerUrl`: the caller's `import.meta.url` (in the Docker bundle, the bundle's: its workers sit beside it). */
export function spawnModuleWorker(callerUrl: string, baseName: string, workerData: unknown): Worker {
  const ext = extname(fileURLToPath(callerUrl));
  const url = new URL(`./${baseName}${ext}`, callerUrl);
  if (ext === ".ts") {
    const api = import.meta.resolve("tsx/esm/api");
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(url, { workerData });
}
