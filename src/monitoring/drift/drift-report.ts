/**
 * A drift report between a reference profile and a current one: each column's
 * type and test chosen as Evidently's DataDriftPreset chooses them (overridable
 * per column), its score, threshold and verdict, and the dataset verdict
 * (drift when the share of drifted columns ≥ 0.5). Optionally, thresholds of
 * distance tests are derived from the reference's own chunks (NannyML: mean +
 * 3σ of the chunks' scores against the whole reference).
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import type { CategoricalColumnProfile, ColumnProfile, DatasetProfile, NumericColumnProfile } from "../profiles/profile-types.js";
import { keyedFromCategorical, keyedFromNumeric, keyedScore, NumericView, numericScore, type ScoreResult } from "./column-drift.js";
import { defaultStatTest, isDrifted, STAT_TESTS, type ColumnKind, type StatTestId } from "./stat-tests.js";

export interface DriftOptions {
  /** Test per column, by Evidently id. */
  tests?: Record<string, StatTestId>;
  /** Threshold per column. */
  thresholds?: Record<string, number>;
  /** Threshold for every column without its own. */
  threshold?: number;
  /** Share of drifted columns at which the dataset drifts (default 0.5). */
  driftShare?: number;
  /** Thresholds of distance tests from the reference's chunks (mean + 3σ); needs a profile made with chunks. */
  chunkThresholds?: boolean;
  /** Only these columns (default: every column of the reference). */
  columns?: string[];
}

export interface ColumnDrift {
  column: string;
  type: ColumnKind;
  test: StatTestId;
  /** The p-value or distance; null when the test is undefined for the data (e.g. chi-square on one category). */
  score: number | null;
  threshold: number;
  drifted: boolean;
  method: ScoreResult["method"];
  errorBound?: number;
  thresholdFrom: "default" | "given" | "reference-chunks";
}

export interface DriftReport {
  dataset: { drifted: boolean; share: number; threshold: number; driftedColumns: number; columns: number };
  columns: ColumnDrift[];
  /** Columns not tested, with why (Evidently would stop with an error on each). */
  skipped: Array<{ column: string; reason: string }>;
}

export const DEFAULT_DRIFT_SHARE = 0.5;

/** Evidently's type for a column (legacy `process_columns` + `recognize_column_type_`), or a reason to skip it. */
function columnKind(ref: ColumnProfile, cur: ColumnProfile, refTarget: ColumnProfile | undefined, unionUnique: number | undefined): ColumnKind | string {
  if (ref.name === "datetime") return "the 'datetime' column is Evidently's time index";
  const numeric = ref.kind === "num";
  const refUnique = ref.kind === "num" ? ref.values?.length : ref.categories.length;
  if (ref.name === "target") return numeric && (refUnique === undefined || refUnique >= 5) ? "num" : "cat";
  if (ref.name === "prediction") {
    const task = refTarget ? (refTarget.kind === "num" && (refTarget.values?.length ?? Infinity) >= 5 ? "regression" : "classification") : undefined;
    const reg = task === "regression" || (numeric && task !== "classification" && (unionUnique === undefined || unionUnique > 5));
    if (reg) return "num";
    if (numeric && ref.dtype !== "int" && cur.kind === "num") {
      const lo = Math.min(ref.min ?? 0, cur.min ?? 0);
      const hi = Math.max(ref.max ?? 0, cur.max ?? 0);
      if (lo >= 0 && hi <= 1) return "num";
    }
    return "cat";
  }
  return numeric ? "num" : "cat";
}

function unionUniqueOf(r: ColumnProfile, c: ColumnProfile): number | undefined {
  if (r.kind === "num" && c.kind === "num") {
    if (!r.values || !c.values) return undefined;
    return new Set([...r.values.map((v) => v[0]), ...c.values.map((v) => v[0])]).size;
  }
  if (r.kind === "cat" && c.kind === "cat") {
    if (r.other > 0 || c.other > 0) return undefined;
    return new Set([...r.categories.map((v) => v[0]), ...c.categories.map((v) => v[0])]).size;
  }
  return undefined;
}

function score(test: StatTestId, kind: ColumnKind, r: ColumnProfile, c: ColumnProfile): ScoreResult {
  if (r.kind === "cat") {
    const k = keyedFromCategorical(r, c as CategoricalColumnProfile);
    return { score: keyedScore(test, k), method: k.exact ? "exact" : "estimate" };
  }
  const rv = new NumericView(r);
  const cv = new NumericView(c as NumericColumnProfile);
  if (kind === "cat") {
    const k = keyedFromNumeric(rv, cv);
    return { score: keyedScore(test, k), method: k.exact ? "exact" : "estimate" };
  }
  return numericScore(test, rv, cv);
}

function finiteCount(p: ColumnProfile): number {
  return p.kind === "num" ? p.n : p.count - p.missing;
}

/** NannyML's rule on the reference's chunks: mean + 3·σ of their scores against the whole reference. */
function chunkThreshold(reference: DatasetProfile, index: number, test: StatTestId, kind: ColumnKind): number | undefined {
  const scores: number[] = [];
  for (const chunk of reference.chunks ?? []) {
    const c = chunk.columns[index];
    if (finiteCount(c) === 0) continue;
    const s = score(test, kind, reference.columns[index], c).score;
    if (Number.isFinite(s)) scores.push(s);
  }
  if (scores.length < 2) return undefined;
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const sd = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
  return mean + 3 * sd;
}

export function driftReport(reference: DatasetProfile, current: DatasetProfile, opts: DriftOptions = {}): DriftReport {
  if (reference.layoutId !== current.layoutId) {
    throw new InvalidParameterValueError("The current profile was not counted against this reference's layout: profile the current data with the reference profile.");
  }
  if (opts.chunkThresholds && !reference.chunks?.length) {
    throw new InvalidParameterValueError("Thresholds from reference chunks need a reference profile made with chunks (ciclo monitor profile --chunks N).");
  }
  const wanted = opts.columns ? new Set(opts.columns) : undefined;
  for (const name of [...Object.keys(opts.tests ?? {}), ...Object.keys(opts.thresholds ?? {}), ...(opts.columns ?? [])]) {
    if (!reference.columns.some((c) => c.name === name)) throw new InvalidParameterValueError(`Unknown column '${name}': the reference has no such column.`);
  }
  const refTarget = reference.columns.find((c) => c.name === "target");
  const columns: ColumnDrift[] = [];
  const skipped: DriftReport["skipped"] = [];
  reference.columns.forEach((r, index) => {
    if (wanted && !wanted.has(r.name)) return;
    const c = current.columns[index];
    if (c.kind === "num" && c.invalid > 0) return void skipped.push({ column: r.name, reason: `${c.invalid} non-numeric values in the current data of a numeric column` });
    if (finiteCount(r) === 0) return void skipped.push({ column: r.name, reason: "no values in the reference (all missing)" });
    if (finiteCount(c) === 0) return void skipped.push({ column: r.name, reason: "no values in the current data (all missing)" });
    const unionUnique = unionUniqueOf(r, c);
    const kind = columnKind(r, c, refTarget, unionUnique);
    if (kind !== "num" && kind !== "cat") return void skipped.push({ column: r.name, reason: kind });
    const given = opts.tests?.[r.name];
    if (given && !STAT_TESTS[given].types.includes(kind)) {
      throw new InvalidParameterValueError(`Test '${given}' does not apply to ${kind === "num" ? "numeric" : "categorical"} column '${r.name}' (it takes ${STAT_TESTS[given].types.join(", ")}).`);
    }
    const test = given ?? defaultStatTest(kind, finiteCount(r), unionUnique);
    const result = score(test, kind, r, c);
    let threshold = opts.thresholds?.[r.name] ?? opts.threshold;
    let thresholdFrom: ColumnDrift["thresholdFrom"] = threshold === undefined ? "default" : "given";
    if (threshold === undefined && opts.chunkThresholds && STAT_TESTS[test].kind === "distance") {
      threshold = chunkThreshold(reference, index, test, kind);
      if (threshold !== undefined) thresholdFrom = "reference-chunks";
    }
    threshold ??= STAT_TESTS[test].defaultThreshold;
    columns.push({
      column: r.name,
      type: kind,
      test,
      score: Number.isNaN(result.score) ? null : result.score,
      threshold,
      drifted: isDrifted(test, result.score, threshold),
      method: result.method,
      ...(result.errorBound !== undefined && result.errorBound > 0 ? { errorBound: result.errorBound } : {}),
      thresholdFrom,
    });
  });
  const driftShare = opts.driftShare ?? DEFAULT_DRIFT_SHARE;
  const drifted = columns.filter((c) => c.drifted).length;
  const share = columns.length > 0 ? drifted / columns.length : 0;
  return {
    dataset: { drifted: columns.length > 0 && share >= driftShare, share, threshold: driftShare, driftedColumns: drifted, columns: columns.length },
    columns,
    skipped,
  };
}

/** The report in the CLI's `--json` shape (Evidently's names for tests). */
export function driftReportJson(r: DriftReport): unknown {
  return {
    dataset: { drifted: r.dataset.drifted, share: r.dataset.share, threshold: r.dataset.threshold },
    columns: r.columns.map((c) => ({ column: c.column, type: c.type, test: c.test, score: c.score, threshold: c.threshold, drifted: c.drifted })),
  };
}
