/**
 * A sweep on a tracking server, through the SDK: the sweep is a run, each
 * trial a child run carrying its sampled params, its metrics (logged by the
 * trial itself) and how it ended. Everything resume needs is read back from
 * those runs: the settings (sweep/config.json), and the trials with their
 * params, states, objectives and curves.
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArtifactClient } from "./artifact-client.js";
import type { TrackingClient } from "./tracking-client.js";
import { PARENT_RUN_ID_TAG } from "../shared/system-tags.js";
import type { Run } from "../shared/tracking-types.js";
import type { CurvePoint } from "../pipelines/sweeps/early-stopping.js";
import type { TrialRecord, TrialState } from "../pipelines/sweeps/sampler.js";
import { allParams, parseValue, type ParamValues } from "../pipelines/sweeps/search-space.js";
import { configFromJson, configToJson, type SweepConfig } from "../pipelines/sweeps/sweep-config.js";
import type { SweepSummary } from "../pipelines/sweeps/sweep-summary.js";
import { CONFIG_ARTIFACT, SUMMARY_ARTIFACT, SWEEP_TAGS, trialsFilter } from "../pipelines/sweeps/sweep-tags.js";
import type { ResumedTrial, SweepTracker, TrialEnd } from "../pipelines/sweeps/sweep-tracker.js";
import type { PreparedTrial } from "../pipelines/sweeps/trial-executor.js";

const TAG_LIMIT = 8000;
const tagsOf = (r: Run) => Object.fromEntries(r.data.tags.map((t) => [t.key, t.value]));

export interface TrackingSweepTrackerOptions {
  client: TrackingClient;
  artifacts: ArtifactClient;
  sweepRunId: string;
  experimentId: string;
  config: SweepConfig;
}

export class TrackingSweepTracker implements SweepTracker {
  private readonly client: TrackingClient;
  readonly sweepRunId: string;
  readonly experimentId: string;
  readonly config: SweepConfig;
  /** Runs after a trial's run is created and its params logged (project sweeps record the code state there). */
  afterTrialCreated?: (runId: string) => Promise<void>;

  constructor(private readonly opts: TrackingSweepTrackerOptions) {
    this.client = opts.client;
    this.sweepRunId = opts.sweepRunId;
    this.experimentId = opts.experimentId;
    this.config = opts.config;
  }

  /** Creates the sweep's run: settings as params, tags and an artifact. */
  static async create(
    client: TrackingClient,
    artifacts: ArtifactClient,
    opts: { experimentId: string; runName?: string; config: SweepConfig; tags?: Record<string, string> },
  ): Promise<TrackingSweepTracker> {
    const { config } = opts;
    const json = configToJson(config);
    const run = await client.createRun({
      experimentId: opts.experimentId,
      runName: opts.runName,
      tags: {
        ...opts.tags,
        [SWEEP_TAGS.role]: "sweep",
        [SWEEP_TAGS.state]: "running",
        [SWEEP_TAGS.objective]: config.metric,
        [SWEEP_TAGS.direction]: config.direction,
        ...(json.length <= TAG_LIMIT ? { [SWEEP_TAGS.config]: json } : {}),
      },
    });
    const params: Record<string, string> = {
      sampler: config.sampler,
      metric: config.metric,
      mode: config.direction,
      trials: String(config.maxTrials),
      parallel: String(config.maxParallel),
      seed: String(config.seed),
      early_stop: config.earlyStop?.rule ?? "none",
    };
    if (config.project) params.entry_point = config.project.entryPoint;
    if (config.timeoutMs !== undefined) params.timeout_s = String(config.timeoutMs / 1000);
    await client.logBatch(run.info.runId, { params: Object.entries(params).map(([key, value]) => ({ key, value })) });
    await artifacts.logText(run.info.runId, json, CONFIG_ARTIFACT);
    return new TrackingSweepTracker({ client, artifacts, sweepRunId: run.info.runId, experimentId: run.info.experimentId, config });
  }

  /** Re-opens a sweep run for `--resume`: its recorded settings, and the run marked running again. */
  static async open(client: TrackingClient, artifacts: ArtifactClient, sweepRunId: string): Promise<TrackingSweepTracker> {
    const run = await client.getRun(sweepRunId);
    const tags = tagsOf(run);
    if (tags[SWEEP_TAGS.role] !== "sweep") throw new Error(`Run ${sweepRunId} is not a sweep (it has no ${SWEEP_TAGS.role}=sweep tag).`);
    let json = tags[SWEEP_TAGS.config];
    const dir = mkdtempSync(join(tmpdir(), "ciclo-sweep-"));
    try {
      const path = await artifacts.downloadArtifacts({ runId: sweepRunId, path: CONFIG_ARTIFACT }, dir);
      json = readFileSync(path, "utf8");
    } catch (err) {
      if (!json) throw new Error(`The settings of sweep ${sweepRunId} are not readable: ${(err as Error).message}`, { cause: err });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const config = configFromJson(json);
    await client.updateRun(sweepRunId, { status: "RUNNING" });
    await client.setTag(sweepRunId, SWEEP_TAGS.state, "running");
    return new TrackingSweepTracker({ client, artifacts, sweepRunId, experimentId: run.info.experimentId, config });
  }

  async createTrial(number: number, prepared: PreparedTrial): Promise<string> {
    const run = await this.client.createRun({
      experimentId: this.experimentId,
      runName: `trial-${number}`,
      tags: {
        ...prepared.tags,
        [PARENT_RUN_ID_TAG]: this.sweepRunId,
        [SWEEP_TAGS.role]: "trial",
        [SWEEP_TAGS.sweepId]: this.sweepRunId,
        [SWEEP_TAGS.trial]: String(number),
      },
    });
    const params = Object.entries(prepared.params).map(([key, value]) => ({ key, value }));
    if (params.length > 0) await this.client.logBatch(run.info.runId, { params });
    await this.afterTrialCreated?.(run.info.runId);
    return run.info.runId;
  }

  async logIntermediate(runId: string, key: string, point: CurvePoint): Promise<void> {
    await this.client.logMetric(runId, key, point.value, { step: point.step });
  }

  async logObjective(runId: string, key: string, value: number): Promise<void> {
    await this.client.logMetric(runId, key, value);
  }

  async readCurve(runId: string, key: string, afterStep: number): Promise<CurvePoint[]> {
    const history = await this.client.getAllMetricHistory(runId, key);
    return history
      .filter((m) => m.step > afterStep)
      .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
      .map((m) => ({ step: m.step, value: m.value }));
  }

  async readObjective(runId: string, key: string): Promise<number | undefined> {
    const run = await this.client.getRun(runId);
    return run.data.metrics.find((m) => m.key === key)?.value;
  }

  async endTrial(runId: string, end: TrialEnd): Promise<void> {
    const tags: Record<string, string> = { [SWEEP_TAGS.state]: end.record.state };
    if (end.reason) tags[SWEEP_TAGS.reason] = end.reason.slice(0, TAG_LIMIT);
    await this.client.logBatch(runId, { tags });
    await this.client.setTerminated(runId, end.status);
  }

  async progress(done: number, best: TrialRecord | undefined): Promise<void> {
    if (!best || best.value === undefined) return;
    await this.client.logBatch(this.sweepRunId, {
      metrics: [{ key: `best_${this.config.metric}`, value: best.value, step: done }],
    });
  }

  async loadTrials(curves: boolean): Promise<ResumedTrial[]> {
    const runs = await this.client.searchAllRuns({ experimentIds: [this.experimentId], filter: trialsFilter(this.sweepRunId), limit: 100_000 });
    const params = allParams(this.config.space);
    const out: ResumedTrial[] = [];
    for (const run of runs) {
      const tags = tagsOf(run);
      const number = Number(tags[SWEEP_TAGS.trial]);
      if (!Number.isSafeInteger(number) || number < 0) continue;
      let state = tags[SWEEP_TAGS.state] as TrialState | undefined;
      if (!state || !["complete", "pruned", "failed", "interrupted"].includes(state)) {
        // The sweep died while this trial ran (SIGKILL, a crash): it is run again.
        state = "interrupted";
        await this.client.logBatch(run.info.runId, { tags: { [SWEEP_TAGS.state]: state, [SWEEP_TAGS.reason]: "the sweep stopped while the trial ran" } });
        if (run.info.status === "RUNNING") await this.client.setTerminated(run.info.runId, "KILLED");
      }
      const recorded = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
      const values: ParamValues = {};
      for (const p of params) {
        if (recorded[p.name] === undefined) continue;
        const v = parseValue(p.dist, recorded[p.name]);
        if (v !== undefined) values[p.name] = v;
      }
      const record: TrialRecord = { number, params: values, state };
      if (state === "complete") record.value = run.data.metrics.find((m) => m.key === this.config.metric)?.value;
      const key = this.config.intermediateMetric ?? this.config.metric;
      const curve = curves || state === "pruned" ? await this.readCurve(run.info.runId, key, -Infinity) : [];
      const last = curve.at(-1);
      if (last) {
        record.lastStep = last.step;
        record.lastValue = last.value;
      }
      out.push({ record, runId: run.info.runId, curve: curves ? curve : [] });
    }
    return out.sort((a, b) => a.record.number - b.record.number);
  }

  async finish(summary: SweepSummary, status: "FINISHED" | "FAILED" | "KILLED"): Promise<void> {
    const tags: Record<string, string> = {
      [SWEEP_TAGS.state]: status === "FINISHED" ? "finished" : status === "KILLED" ? "interrupted" : "failed",
    };
    if (summary.best) {
      if (summary.best.runId) tags[SWEEP_TAGS.bestRunId] = summary.best.runId;
      tags[SWEEP_TAGS.bestTrial] = String(summary.best.number);
      tags[SWEEP_TAGS.bestValue] = String(summary.best.value);
    }
    const imp = JSON.stringify(summary.importances.map((i) => ({ param: i.param, importance: Number(i.importance.toFixed(4)) })));
    if (summary.importances.length > 0 && imp.length <= TAG_LIMIT) tags[SWEEP_TAGS.importances] = imp;
    await this.client.logBatch(this.sweepRunId, { tags });
    await this.opts.artifacts.logDict(this.sweepRunId, summary, SUMMARY_ARTIFACT);
    await this.client.setTerminated(this.sweepRunId, status);
  }
}
