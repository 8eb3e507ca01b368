/**
 * `sweep()`: a hyperparameter search over a function in this process, every
 * trial a child run of one sweep run on the tracking server — Optuna's
 * `study.optimize(objective)` with ciclo's tracking, samplers (TPE, random,
 * grid) and early stopping. For a project's entry point run as processes,
 * use `ciclo sweep`.
 *
 * ```ts
 * import { sweep } from "ciclo";
 * const { summary } = await sweep({
 *   space: "lr: { loguniform: [1.0e-4, 0.1] }\ndepth: { randint: [2, 8] }",
 *   metric: "val_loss",
 *   trials: 40,
 *   objective: async (params, trial) => {
 *     for (let epoch = 1; epoch <= 10; epoch++) await trial.report(epoch, evaluate(params, epoch));
 *     return evaluate(params, 10);
 *   },
 * });
 * ```
 * @module
 */
import { FunctionTrialExecutor, type Objective } from "../pipelines/sweeps/function-trial-executor.js";
import { randomSeed } from "../pipelines/sweeps/rng.js";
import type { Direction, SamplerName } from "../pipelines/sweeps/sampler.js";
import type { SearchSpace } from "../pipelines/sweeps/search-space.js";
import { parseSearchSpace } from "../pipelines/sweeps/search-space-parser.js";
import type { EarlyStopConfig, SweepConfig } from "../pipelines/sweeps/sweep-config.js";
import { SweepRunner, type SweepEvent, type SweepResult } from "../pipelines/sweeps/sweep-runner.js";
import { TrackingSweepTracker } from "./tracking-sweep-tracker.js";
import { ArtifactClient } from "./artifact-client.js";
import { getOrCreateExperiment } from "./run-starter.js";
import { experimentFromEnv, trackingUriFromEnv } from "./sdk-config.js";
import { TrackingClient } from "./tracking-client.js";

export interface SweepOptions {
  /** The search space: the space-file syntax as YAML or JSON text, or a parsed space. */
  space: string | SearchSpace;
  /** Returns the trial's objective; `trial.report(step, value)` feeds early stopping. */
  objective: Objective;
  /** The objective's metric key on each trial's run (default `objective`). */
  metric?: string;
  /** Default `min`. */
  mode?: Direction;
  /** Default 20. */
  trials?: number;
  /** Trials running at once (default 1; useful when the objective awaits I/O or workers). */
  parallel?: number;
  /** Default `tpe`. */
  sampler?: SamplerName;
  /** Default: random (recorded on the sweep run). */
  seed?: number;
  earlyStop?: EarlyStopConfig;
  /** No trial starts after this long (ms). */
  timeoutMs?: number;
  experimentName?: string;
  experimentId?: string;
  runName?: string;
  /** Default: $CICLO_TRACKING_URI, $MLFLOW_TRACKING_URI, http://127.0.0.1:5000. */
  trackingUri?: string;
  /** Aborting interrupts the sweep (running trials are told to stop). */
  signal?: AbortSignal;
  onEvent?(event: SweepEvent): void;
}

export type SweepRunResult = SweepResult & { sweepRunId: string; experimentId: string };

export async function sweep(opts: SweepOptions): Promise<SweepRunResult> {
  const space = typeof opts.space === "string" ? parseSearchSpace(opts.space, "space") : opts.space;
  const client = new TrackingClient({ trackingUri: opts.trackingUri ?? trackingUriFromEnv() });
  const artifacts = new ArtifactClient(client);
  const fromEnv = experimentFromEnv();
  const name = opts.experimentName ?? fromEnv.name;
  const experimentId = opts.experimentId ?? (name ? (await getOrCreateExperiment(client, name)).experimentId : (fromEnv.experimentId ?? "0"));
  const config: SweepConfig = {
    space,
    metric: opts.metric ?? "objective",
    direction: opts.mode ?? "min",
    sampler: opts.sampler ?? "tpe",
    seed: opts.seed ?? randomSeed(),
    maxTrials: opts.trials ?? 20,
    maxParallel: opts.parallel ?? 1,
    timeoutMs: opts.timeoutMs,
    earlyStop: opts.earlyStop,
  };
  const tracker = await TrackingSweepTracker.create(client, artifacts, { experimentId, runName: opts.runName, config });
  const executor = new FunctionTrialExecutor(opts.objective, { sink: tracker, metric: config.metric });
  const result = await new SweepRunner({ config, tracker, executor, signal: opts.signal, onEvent: opts.onEvent }).run();
  return { ...result, sweepRunId: tracker.sweepRunId, experimentId: tracker.experimentId };
}
