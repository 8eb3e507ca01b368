/**
 * The fluent API, MLflow's shape in TypeScript:
 *
 * ```ts
 * import { setExperiment, startRun, logParam, logMetric, endRun } from "ciclo";
 * await setExperiment("mnist");
 * await startRun({ runName: "baseline" });
 * logParam("lr", 0.01);
 * for (let step = 0; step < 100; step++) logMetric("loss", loss(step), step);
 * const report = await endRun(); // flushes; report.errors lists anything dropped
 * ```
 *
 * These functions act on one default {@link Ciclo} (created on first use from
 * the environment); `new Ciclo({...})` gives an independent instance with the
 * same methods.
 * @module
 */
import type { ModelVersion } from "../shared/registry-types.js";
import type { Experiment, Metric, Run, RunStatus } from "../shared/tracking-types.js";
import type { FileInfo } from "./artifact-stores.js";
import type { FlushReport } from "./logging-errors.js";
import { Ciclo, type ActiveRun, type CicloOptions, type DatasetSpec, type SearchRunsFluentOptions, type StartRunOptions } from "./fluent-session.js";
import type { ArtifactSource } from "./model-uri.js";
import type { RegisterModelOptions } from "./registry-client.js";
import type { TagsInput } from "./tracking-client.js";

let defaultCiclo: Ciclo | undefined;

/** The default instance behind the module-level functions. */
export function getCiclo(): Ciclo {
  return (defaultCiclo ??= new Ciclo());
}

/**
 * Replaces the default instance (e.g. to set offline mode, an error hook or
 * batch sizes before the first run). Runs active on the old one are left as they are.
 */
export function configure(opts: CicloOptions): Ciclo {
  defaultCiclo = new Ciclo(opts);
  return defaultCiclo;
}

export function setTrackingUri(uri: string): void {
  getCiclo().setTrackingUri(uri);
}

export function getTrackingUri(): string {
  return getCiclo().getTrackingUri();
}

export function setExperiment(name: string): Promise<Experiment> {
  return getCiclo().setExperiment(name);
}

export function startRun(opts?: StartRunOptions): Promise<ActiveRun> {
  return getCiclo().startRun(opts);
}

export function activeRun(): ActiveRun | undefined {
  return getCiclo().activeRun();
}

export function logMetric(key: string, value: number, step?: number, timestamp?: number): void {
  getCiclo().logMetric(key, value, step, timestamp);
}

export function logMetrics(values: Record<string, number>, step?: number, timestamp?: number): void {
  getCiclo().logMetrics(values, step, timestamp);
}

export function logParam(key: string, value: unknown): void {
  getCiclo().logParam(key, value);
}

export function logParams(params: Record<string, unknown>): void {
  getCiclo().logParams(params);
}

export function setTag(key: string, value: unknown): void {
  getCiclo().setTag(key, value);
}

export function setTags(tags: Record<string, unknown>): void {
  getCiclo().setTags(tags);
}

export function logInput(dataset: DatasetSpec, context?: string, tags?: TagsInput): void {
  getCiclo().logInput(dataset, context, tags);
}

export function endRun(status?: RunStatus): Promise<FlushReport> {
  return getCiclo().endRun(status);
}

export function flush(): Promise<FlushReport> {
  return getCiclo().flush();
}

export function searchRuns(opts?: SearchRunsFluentOptions): Promise<Run[]> {
  return getCiclo().searchRuns(opts);
}

export function getMetricHistory(runId: string, key: string): Promise<Metric[]> {
  return getCiclo().getMetricHistory(runId, key);
}

// ── artifacts and registry (awaited; they throw on failure, as MLflow's do) ──

export function logArtifact(localPath: string, artifactPath?: string): Promise<string> {
  return getCiclo().logArtifact(localPath, artifactPath);
}

export function logArtifacts(localDir: string, artifactPath?: string): Promise<string[]> {
  return getCiclo().logArtifacts(localDir, artifactPath);
}

export function logText(text: string, artifactFile: string): Promise<string> {
  return getCiclo().logText(text, artifactFile);
}

export function logDict(obj: unknown, artifactFile: string): Promise<string> {
  return getCiclo().logDict(obj, artifactFile);
}

export function logImage(image: Uint8Array | string, artifactFile: string): Promise<string> {
  return getCiclo().logImage(image, artifactFile);
}

export function logFigure(png: Uint8Array, artifactFile: string): Promise<string> {
  return getCiclo().logFigure(png, artifactFile);
}

export function listArtifacts(runId?: string, path?: string): Promise<FileInfo[]> {
  return getCiclo().listArtifacts(runId, path);
}

export function downloadArtifacts(source: ArtifactSource, destDir: string): Promise<string> {
  return getCiclo().downloadArtifacts(source, destDir);
}

export function registerModel(modelUri: string, name: string, opts?: RegisterModelOptions): Promise<ModelVersion> {
  return getCiclo().registerModel(modelUri, name, opts);
}
