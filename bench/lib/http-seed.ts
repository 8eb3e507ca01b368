/**
 * Seeds runs through a running server's REST API, as the MLflow client writes them: create run with the
 * client's source tags, then one log-batch of the run's metrics, params and tags. For benchmarks that compare
 * builds, each on its own database (an older build refuses a database a newer one migrated), so the data must
 * come through the build itself.
 * @module
 */
import { postJson } from "./latency.js";

/** Entries per run: keys m0…, p0…, t0…. One of each is MLflow's benchmark shape (with the 3 source tags and the run name: 5 tags). */
export interface HttpRunShape {
  params: number;
  metrics: number;
  tags: number;
}

/** A new experiment `name` with `count` runs of `shape` (deterministic values), written 16 at a time; answers its id. */
export async function seedRunsOverHttp(api: string, name: string, shape: HttpRunShape, count = 1000): Promise<string> {
  const exp = ((await postJson(`${api}/experiments/create`, { name })) as { experiment_id: string }).experiment_id;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const ts = 1_700_000_000_000 + i;
      const run = (await postJson(`${api}/runs/create`, {
        experiment_id: exp,
        run_name: `run-${i}`,
        start_time: ts,
        tags: [
          { key: "mlflow.user", value: "bench" },
          { key: "mlflow.source.name", value: "train.py" },
          { key: "mlflow.source.type", value: "LOCAL" },
        ],
      })) as { run: { info: { run_id: string } } };
      await postJson(`${api}/runs/log-batch`, {
        run_id: run.run.info.run_id,
        metrics: Array.from({ length: shape.metrics }, (_, k) => ({ key: `m${k}`, value: ((i + 7 * k) % 97) / 97, timestamp: ts, step: 0 })),
        params: Array.from({ length: shape.params }, (_, k) => ({ key: `p${k}`, value: `v${(i + k) % 10}` })),
        tags: Array.from({ length: shape.tags }, (_, k) => ({ key: `t${k}`, value: `tag-${(i + k) % 5}` })),
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return exp;
}
