/**
 * The on-disk format of `ciclo export` (read by `ciclo import`), version 1:
 *
 * ```
 * <dir>/manifest.json      format, versions, time, source, counts; written last
 * <dir>/experiments.jsonl  one experiment per line
 * <dir>/runs.jsonl         one run per line: info, params, tags, dataset inputs, artifact list
 * <dir>/metrics.jsonl      metric histories: one line per run, key and up to 10,000 points
 * <dir>/artifacts/<run_id>/…  each run's files, as they were in its artifact root
 * ```
 *
 * JSON lines so that a file of millions of metric points is written and read
 * a line at a time. Non-finite metric values are the strings "NaN",
 * "Infinity", "-Infinity" (as on MLflow's wire). Ids are the source server's.
 * @module
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { DatasetInput, Experiment, Param, RunInfo } from "../../shared/tracking-types.js";
import type { Tag } from "../../shared/types.js";

export const FORMAT = "ciclo-export";
export const FORMAT_VERSION = 1;
export const FILES = {
  manifest: "manifest.json",
  experiments: "experiments.jsonl",
  runs: "runs.jsonl",
  metrics: "metrics.jsonl",
  artifacts: "artifacts",
} as const;
/** Points per metrics.jsonl line. */
export const POINTS_PER_LINE = 10_000;

/** Tags ciclo import sets on what it creates (the source's ids), for idempotent re-imports. */
export const SOURCE_EXPERIMENT_TAG = "ciclo.import.source_experiment_id";
export const SOURCE_RUN_TAG = "ciclo.import.source_run_id";
/** Set once a run's import finished; a run with the source tag but without this one is resumed. */
export const IMPORTED_AT_TAG = "ciclo.import.imported_at";
/**
 * Every run an imported run descends from, nearest first, space-separated: its source run, the run that one was
 * imported from, and so on back to the first (A → B → C: C's run names B's and A's). A re-import through any path
 * recognises the run by any of them.
 */
export const ORIGIN_RUNS_TAG = "ciclo.import.origin_run_ids";
/** Origins kept per run: 100 ids of 32 characters fit MLflow's 8,000-character tag value. */
const MAX_ORIGINS = 100;

/** The runs a run was imported from, nearest first (its origins tag; a run imported by an older ciclo: its source tag). */
export function originsOf(tags: readonly Tag[]): string[] {
  const listed = tags.find((t) => t.key === ORIGIN_RUNS_TAG)?.value;
  if (listed) return listed.split(" ").filter((x) => x !== "");
  const source = tags.find((t) => t.key === SOURCE_RUN_TAG)?.value;
  return source ? [source] : [];
}

/** The origins tag's value for a run imported from `runId` (whose own tags are `tags`). */
export function originsValue(runId: string, tags: readonly Tag[]): string {
  return [...new Set([runId, ...originsOf(tags)])].slice(0, MAX_ORIGINS).join(" ");
}

export interface ExportCounts {
  experiments: number;
  runs: number;
  params: number;
  tags: number;
  metrics: number;
  metricPoints: number;
  datasetInputs: number;
  artifactFiles: number;
  artifactBytes: number;
}

export interface Manifest {
  format: typeof FORMAT;
  formatVersion: number;
  cicloVersion: string;
  /** ISO 8601. */
  exportedAt: string;
  /** The source server (credentials removed). */
  source: string;
  includeDeleted: boolean;
  counts: ExportCounts;
}

export type ExportedExperiment = Pick<Experiment, "experimentId" | "name" | "artifactLocation" | "lifecycleStage" | "creationTime" | "lastUpdateTime" | "tags"> & {
  /**
   * The ids its runs are known by: each run's own and its origins (ORIGIN_RUNS_TAG). Import matches the experiment
   * with these before it reads runs.jsonl, so that file is read once. Exports of older ciclo versions lack it.
   */
  runIdentities?: string[];
};

export interface ExportedArtifact {
  /** Relative to the run's artifact root. */
  path: string;
  size: number;
  sha256: string;
}

export interface ExportedRun {
  info: RunInfo;
  params: Param[];
  tags: Tag[];
  datasetInputs: DatasetInput[];
  /** Keys of the run's metrics (their histories are in metrics.jsonl). */
  metricKeys: string[];
  metricPoints: number;
  artifacts: ExportedArtifact[];
}

/** [step, timestamp, value, modelId?, datasetName?, datasetDigest?] — trailing links left out when absent. */
export type PointTuple = [number, number, number | string, ...Array<string | null>];

export interface MetricLine {
  runId: string;
  key: string;
  points: PointTuple[];
}

export function encodeValue(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

export function decodeValue(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`Invalid metric value '${v}' in the export.`);
  return n;
}

/** Appends JSON lines to a file, waiting when the disk is slower than the source. */
export class JsonLinesWriter {
  private readonly out: WriteStream;
  constructor(path: string) {
    this.out = createWriteStream(path, { flags: "wx" });
  }

  async write(value: unknown): Promise<void> {
    if (!this.out.write(`${JSON.stringify(value)}\n`)) await once(this.out, "drain");
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, "finish");
  }
}

/** Reads a JSON-lines file a line at a time. */
export async function* readJsonLines<T>(path: string): AsyncGenerator<T> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    try {
      yield JSON.parse(line) as T;
    } catch {
      throw new Error(`${path}:${n}: not valid JSON`);
    }
  }
}
