/**
 * Confidence-based performance estimation (CBPE, NannyML) for binary
 * classifiers: without labels, each prediction's probability of the positive
 * class p says how likely it is right. A row predicted positive (p ≥ the
 * threshold) is an expected p true positive and 1 − p false positive; a row
 * predicted negative an expected p false negative and 1 − p true negative.
 * The expected confusion matrix gives accuracy, precision, recall and F1.
 * It assumes calibrated probabilities (NannyML calibrates on a labelled
 * reference first; ciclo takes the model's probabilities as they are).
 * @module
 */

export interface CbpeEstimate {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** The expected confusion matrix. */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  rows: number;
}

/** Estimates from the positive class's probabilities (NaN ones skipped); undefined with none. */
export function cbpeBinary(proba: ArrayLike<number>, threshold = 0.5): CbpeEstimate | undefined {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let n = 0;
  for (let i = 0; i < proba.length; i++) {
    const p = proba[i];
    if (!(p >= 0 && p <= 1)) continue;
    n++;
    if (p >= threshold) {
      tp += p;
      fp += 1 - p;
    } else {
      fn += p;
      tn += 1 - p;
    }
  }
  if (n === 0) return undefined;
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return { accuracy: (tp + tn) / n, precision: div(tp, tp + fp), recall: div(tp, tp + fn), f1: div(2 * tp, 2 * tp + fp + fn), tp, fp, fn, tn, rows: n };
}
