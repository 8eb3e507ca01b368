/**
 * The state behind the fluent API: one {@link Ciclo} object holds the
 * tracking URI, the active experiment and the stack of active runs. fluent.ts
 * exports MLflow-style functions over a default instance; `new Ciclo({
 * trackingUri })` gives an independent one (tests, two servers in one process).
 *
 * Logging calls (`logMetric`, `logParam`, `setTag`, `logInput`) are buffered
 * and return at once; they never throw — problems go to `onError` and to the
 * reports of `flush()` / `endRun()` (see run-logger.ts).
 * @module
 */
import { PARENT_RUN_ID_TAG, RUN_NAME_TAG, SOURCE_NAME_TAG, SOURCE_TYPE_TAG, USER_TAG, DATASET_CONTEXT_TAG } from "../shared/system-tags.js";
import type { ModelVersion } from "../shared/registry-types.js";
import type { Experiment, Metric, Run, RunStatus } from "../shared/tracking-types.js";
import type { Tag } from "../shared/types.js";
import { ArtifactClient } from "./artifact-client.js";
import type { FileInfo } from "./artifact-stores.js";
import { createContextCapture } from "./context-capture.js";
import type { CicloOptions, ContextCapture, DatasetSpec, SearchRunsFluentOptions, StartRunOptions } from "./fluent-options.js";
import { isTransientError } from "./http-client.js";
import { LoggingError, warnOnError, type FlushReport } from "./logging-errors.js";
import { RunLogger, type RunLoggerOptions } from "./run-logger.js";
import { getOrCreateExperiment, openRun, type RunPlan, type StartContext } from "./run-starter.js";
import { currentUser, experimentFromEnv, offlineDirFromEnv, offlineFromEnv, runIdFromEnv, sourceName, trackingUriFromEnv } from "./sdk-config.js";
import type { ArtifactSource } from "./model-uri.js";
import { RegistryClient, type RegisterModelOptions } from "./registry-client.js";
import { startSystemMetrics, type SystemMetricsMonitor } from "./system-metrics.js";
import { TrackingClient, toTagList, type TagsInput } from "./tracking-client.js";

export type { CicloOptions, ContextCapture, DatasetSpec, SearchRunsFluentOptions, StartRunOptions } from "./fluent-options.js";

export class ActiveRun {
  constructor(
    readonly runId: string,
    readonly experimentId: string | null,
    readonly runName: string,
    readonly parentRunId: string | undefined,
    readonly logger: RunLogger,
    /** Set when the run was opened in the spool (the logger learns its target a tick later). */
    private readonly startedOffline = false,
  ) {}

  /** The system-metrics sampler of this run, when on. */
  systemMetrics: SystemMetricsMonitor | undefined;

  /** True when the run is written to the offline spool. */
  get offline(): boolean {
    return this.startedOffline || this.logger.offline;
  }
}

const withActiveRuns = new Set<Ciclo>();
let exitHookInstalled = false;

export class Ciclo {
  private trackingUri: string;
  private cachedClient: TrackingClient | undefined;
  private experiment: { experimentId?: string; name?: string };
  private readonly runs: ActiveRun[] = [];
  private envRunId: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly offline: boolean;
  private readonly capture: ContextCapture | undefined;
  private cachedArtifacts: ArtifactClient | undefined;
  private cachedRegistry: RegistryClient | undefined;

  constructor(private readonly opts: CicloOptions = {}) {
    this.env = opts.env ?? process.env;
    const captureOff = /^(0|false|off)$/i.test(this.env.CICLO_CONTEXT_CAPTURE ?? "");
    this.capture = opts.contextCapture === false ? undefined : (opts.contextCapture ?? (captureOff ? undefined : createContextCapture()));
    this.trackingUri = opts.trackingUri ?? trackingUriFromEnv(this.env);
    this.offline = opts.offline ?? offlineFromEnv(this.env);
    this.experiment = experimentFromEnv(this.env);
    this.envRunId = runIdFromEnv(this.env);
  }

  setTrackingUri(uri: string): void {
    this.trackingUri = uri;
    this.cachedClient = this.cachedArtifacts = this.cachedRegistry = undefined;
  }

  getTrackingUri(): string {
    return this.trackingUri;
  }

  /** The typed REST client for this tracking URI. */
  get client(): TrackingClient {
    const o = this.opts;
    return (this.cachedClient ??= new TrackingClient({
      trackingUri: this.trackingUri,
      token: o.token,
      username: o.username,
      password: o.password,
      timeoutMs: o.timeoutMs,
      retry: o.retry,
      onRetry: o.onRetry,
      env: this.env,
    }));
  }

  /** Artifact uploads and downloads over this client (see artifact-client.ts). */
  get artifacts(): ArtifactClient {
    return (this.cachedArtifacts ??= new ArtifactClient(this.client, { ...this.opts.artifacts, env: this.env }));
  }

  /** The model registry over this client. */
  get registry(): RegistryClient {
    return (this.cachedRegistry ??= new RegistryClient(this.client.http));
  }

  /**
   * Makes the named experiment active, creating it when absent (MLflow's
   * `set_experiment`). Offline — or when the server stays unreachable, which
   * is reported to onError, not thrown — only the name is kept (`experimentId`
   * is ""): runs then resolve it when they start, or carry it to `ciclo sync`.
   */
  async setExperiment(name: string): Promise<Experiment> {
    const byNameOnly = (): Experiment => {
      this.experiment = { name };
      return { experimentId: "", name, artifactLocation: "", lifecycleStage: "active", creationTime: 0, lastUpdateTime: 0, tags: [] };
    };
    if (this.offline) return byNameOnly();
    try {
      const exp = await getOrCreateExperiment(this.client, name);
      this.experiment = { experimentId: exp.experimentId, name: exp.name };
      return exp;
    } catch (err) {
      if (!isTransientError(err) || this.opts.offlineFallback === false) throw err;
      this.reportError(new LoggingError(`${(err as Error).message}. Experiment '${name}' will be resolved when a run starts (or by \`ciclo sync\`).`,
        "offline-fallback", undefined, undefined, { cause: err }));
      return byNameOnly();
    }
  }

  /** Starts (or, with CICLO_RUN_ID / MLFLOW_RUN_ID set, joins) a run and makes it active. */
  async startRun(opts: StartRunOptions = {}): Promise<ActiveRun> {
    const parent = this.runs.at(-1);
    if (parent && !opts.nested) {
      throw new Error(`Run ${parent.runId} is already active. End it with endRun(), or start a child run with startRun({ nested: true }).`);
    }
    let joinRunId = opts.runId;
    if (!joinRunId && !parent && this.envRunId) {
      joinRunId = this.envRunId;
      this.envRunId = undefined; // MLflow compat: only the first run joins the environment's run
    }
    const capture = opts.captureContext === false ? undefined : this.capture;
    const plan = await this.plan(opts, joinRunId, parent, capture);
    const loggerOpts: RunLoggerOptions = { ...this.opts, offlineDir: this.opts.offlineDir ?? offlineDirFromEnv(this.env) };
    const ctx: StartContext = {
      client: () => this.client,
      offline: this.offline,
      offlineFallback: this.opts.offlineFallback !== false,
      offlineDir: loggerOpts.offlineDir!,
    };
    const opened = await openRun(ctx, plan);
    const logger = new RunLogger(opened.target, loggerOpts);
    const t = opened.target;
    const runId = t.mode === "online" ? t.run.runId : (t.spool.manifest.runId ?? t.spool.manifest.id);
    const runName = t.mode === "online" ? t.run.runName : t.spool.manifest.runName;
    const experimentId = t.mode === "online" ? t.run.experimentId : t.spool.manifest.experimentId;
    const run = new ActiveRun(runId, experimentId, runName, parent?.runId, logger, t.mode === "offline");
    this.runs.push(run);
    this.watchExit();
    if (opened.fallbackError) {
      this.reportError(new LoggingError(
        `${(opened.fallbackError as Error).message}. Run ${runId} is spooled to ${t.mode === "offline" ? t.spool.dir : "?"}; upload it later with \`ciclo sync\`.`,
        "offline-fallback", runId, undefined, { cause: opened.fallbackError }));
    }
    if (capture?.afterStart) {
      try {
        await capture.afterStart(run, this);
      } catch (err) {
        this.reportError(new LoggingError(`Context capture failed: ${(err as Error).message}`, "failed", runId, undefined, { cause: err }));
      }
    }
    run.systemMetrics = startSystemMetrics(opts.systemMetrics ?? this.opts.systemMetrics, this.env, logger);
    return run;
  }

  /** The innermost active run, if any. */
  activeRun(): ActiveRun | undefined {
    return this.runs.at(-1);
  }

  logMetric(key: string, value: number, step?: number, timestamp?: number): void {
    const run = this.runs[this.runs.length - 1];
    if (run) run.logger.logMetric(key, value, step, timestamp);
    else this.noRun("logMetric");
  }

  logMetrics(values: Record<string, number>, step?: number, timestamp?: number): void {
    const run = this.runs.at(-1);
    if (run) run.logger.logMetrics(values, step, timestamp);
    else this.noRun("logMetrics");
  }

  logParam(key: string, value: unknown): void {
    const run = this.runs.at(-1);
    if (run) run.logger.logParam(key, value);
    else this.noRun("logParam");
  }

  logParams(params: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(params)) this.logParam(k, v);
  }

  setTag(key: string, value: unknown): void {
    const run = this.runs.at(-1);
    if (run) run.logger.setTag(key, value);
    else this.noRun("setTag");
  }

  setTags(tags: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(tags)) this.setTag(k, v);
  }

  /** Records a dataset the run used; `context` ("training", "validation"...) becomes `mlflow.data.context`. */
  logInput(dataset: DatasetSpec, context?: string, tags?: TagsInput): void {
    const run = this.runs.at(-1);
    if (!run) return this.noRun("logInput");
    const json = (v: string | object | undefined) => (v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v));
    const inputTags: Tag[] = toTagList(tags);
    if (context) inputTags.push({ key: DATASET_CONTEXT_TAG, value: context });
    run.logger.logInputs([{
      tags: inputTags,
      dataset: {
        name: dataset.name,
        digest: dataset.digest,
        sourceType: dataset.sourceType,
        source: json(dataset.source)!,
        schema: json(dataset.schema) ?? null,
        profile: json(dataset.profile) ?? null,
      },
    }]);
  }

  // ── artifacts and registry: awaited calls that throw (MLflow raises too) ──

  /** Uploads a file to the active run as `<artifactPath>/<name>`, streamed (in parts from 500 MB). */
  async logArtifact(localPath: string, artifactPath?: string): Promise<string> {
    return this.artifacts.logArtifact(this.artifactRun("logArtifact"), localPath, artifactPath);
  }

  /** Uploads a folder's files to the active run under `artifactPath`, several at once. */
  async logArtifacts(localDir: string, artifactPath?: string): Promise<string[]> {
    return this.artifacts.logArtifacts(this.artifactRun("logArtifacts"), localDir, artifactPath);
  }

  async logText(text: string, artifactFile: string): Promise<string> {
    return this.artifacts.logText(this.artifactRun("logText"), text, artifactFile);
  }

  /** JSON, or YAML for `.yaml`/`.yml` names. */
  async logDict(obj: unknown, artifactFile: string): Promise<string> {
    return this.artifacts.logDict(this.artifactRun("logDict"), obj, artifactFile);
  }

  /** PNG bytes, or the path of an image file. */
  async logImage(image: Uint8Array | string, artifactFile: string): Promise<string> {
    return this.artifacts.logImage(this.artifactRun("logImage"), image, artifactFile);
  }

  async logFigure(png: Uint8Array, artifactFile: string): Promise<string> {
    return this.artifacts.logFigure(this.artifactRun("logFigure"), png, artifactFile);
  }

  /** Files of a run (default: the active one) under `path`. */
  async listArtifacts(runId?: string, path?: string): Promise<FileInfo[]> {
    return this.artifacts.listArtifacts(runId ?? this.artifactRun("listArtifacts"), path);
  }

  /** Downloads a `runs:/`, `models:/`, `mlflow-artifacts:/`, `file:`/`s3:` URI or `{ runId, path }` into `destDir`; resolves with the local path. */
  async downloadArtifacts(source: ArtifactSource, destDir: string): Promise<string> {
    return this.artifacts.downloadArtifacts(source, destDir);
  }

  /** MLflow's `register_model`: a new version of `name` (created if absent) from `modelUri`, once READY. */
  async registerModel(modelUri: string, name: string, opts?: RegisterModelOptions): Promise<ModelVersion> {
    return this.registry.registerModel(modelUri, name, opts);
  }

  private artifactRun(call: string): string {
    const run = this.runs.at(-1);
    if (!run) throw new Error(`${call}: no active run; call \`await startRun()\` first.`);
    if (run.offline) throw new Error(`${call}: run ${run.runId} is offline (spooled); artifacts need the server. Log them once it is reachable.`);
    return run.runId;
  }

  /** Flushes the innermost run and ends it (default FINISHED). Never throws: problems are in the report. */
  async endRun(status: RunStatus = "FINISHED"): Promise<FlushReport> {
    const run = this.runs.pop();
    if (this.runs.length === 0) withActiveRuns.delete(this);
    if (!run) return { errors: [], offline: false };
    run.systemMetrics?.stop();
    return run.logger.end(status);
  }

  /** Sends everything buffered by the active runs. Never throws. */
  async flush(): Promise<FlushReport> {
    const reports = await Promise.all(this.runs.map((r) => r.logger.flush()));
    const top = reports.at(-1);
    return { errors: reports.flatMap((r) => r.errors), offline: top?.offline ?? false, spoolDir: top?.spoolDir };
  }

  /** Runs of the given (default: the active) experiments, across pages, up to `maxResults` (default 1,000). */
  async searchRuns(opts: SearchRunsFluentOptions = {}): Promise<Run[]> {
    await this.flush(); // read what this process logged
    let ids = opts.experimentIds ?? [];
    for (const name of opts.experimentNames ?? []) {
      const exp = await this.client.findExperimentByName(name);
      if (exp) ids = [...ids, exp.experimentId];
    }
    if (ids.length === 0 && !opts.experimentNames) ids = [await this.currentExperimentId()];
    if (ids.length === 0) return [];
    return this.client.searchAllRuns({
      experimentIds: ids,
      filter: opts.filter,
      orderBy: opts.orderBy,
      viewType: opts.viewType,
      limit: opts.maxResults ?? 1000,
    });
  }

  /** Every point of a metric of a run, in step order (flushes this process's buffer first). */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const run = this.runs.find((r) => r.runId === runId);
    if (run) await run.logger.flush();
    return this.client.getAllMetricHistory(runId, key);
  }

  private async currentExperimentId(): Promise<string> {
    if (this.experiment.experimentId) return this.experiment.experimentId;
    if (this.experiment.name) return (await this.setExperiment(this.experiment.name)).experimentId;
    return "0";
  }

  private async plan(opts: StartRunOptions, joinRunId: string | undefined, parent: ActiveRun | undefined, capture: ContextCapture | undefined): Promise<RunPlan> {
    const user = currentUser(this.env);
    const userTags = toTagList(opts.tags);
    const extra: Tag[] = [];
    if (parent) extra.push({ key: PARENT_RUN_ID_TAG, value: parent.runId });
    if (opts.description) extra.push({ key: "mlflow.note.content", value: opts.description });
    if (opts.runName) extra.push({ key: RUN_NAME_TAG, value: opts.runName });
    let captured: Tag[] = [];
    if (!joinRunId && capture?.tags) {
      try {
        captured = toTagList(await capture.tags());
      } catch (err) {
        this.reportError(new LoggingError(`Context capture failed: ${(err as Error).message}`, "failed", undefined, undefined, { cause: err }));
      }
    }
    const system: Tag[] = [
      { key: USER_TAG, value: user },
      { key: SOURCE_NAME_TAG, value: sourceName() },
      { key: SOURCE_TYPE_TAG, value: "LOCAL" },
    ];
    // Later wins: the user's tags override captured ones, which override the defaults.
    const merged = new Map<string, string>();
    for (const t of [...system, ...captured, ...userTags, ...extra]) merged.set(t.key, t.value);
    const experimentId = opts.experimentId ?? this.experiment.experimentId;
    return {
      joinRunId,
      experimentId,
      experimentName: experimentId ? undefined : this.experiment.name,
      runName: opts.runName,
      tags: [...merged].map(([key, value]) => ({ key, value })),
      joinTags: [...userTags, ...extra],
      userId: user,
      startTime: Date.now(),
    };
  }

  private noRun(call: string): void {
    this.reportError(new LoggingError(`${call}: no active run; call \`await startRun()\` first. The value is dropped.`, "invalid", undefined));
  }

  private reportError(err: LoggingError): void {
    try {
      (this.opts.onError ?? warnOnError)(err);
    } catch {
      // A throwing hook must not break the caller.
    }
  }

  /** MLflow compat: runs still active when the process ends are ended FINISHED (its atexit hook). */
  private watchExit(): void {
    withActiveRuns.add(this);
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.on("beforeExit", () => {
      for (const c of [...withActiveRuns]) {
        withActiveRuns.delete(c);
        void (async () => {
          while (c.activeRun()) await c.endRun("FINISHED");
        })();
      }
    });
  }
}
