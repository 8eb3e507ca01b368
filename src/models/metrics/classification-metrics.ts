/**
 * Classifier metrics with scikit-learn's definitions (zero_division = 0),
 * named as MLflow's default evaluator logs them:
 *
 * - `accuracy_score`;
 * - `precision_score` / `recall_score` / `f1_score`: the positive class for a
 *   binary problem, the support-weighted average otherwise (MLflow's choice);
 * - `precision_macro`, `…_weighted`, and per class `precision_class_<label>` etc.;
 * - `log_loss` (probabilities clipped to [eps, 1−eps] and rows renormalised, as sklearn 1.2);
 * - `roc_auc`: binary AUC, or one-vs-rest macro average for several classes
 *   (`roc_auc_score(multi_class="ovr")`), and `roc_auc_class_<label>`.
 * @module
 */

export type Label = string | number;

const EPS = 2.220446049250313e-16;

export interface ConfusionMatrix {
  /** Sorted labels: the union of true and predicted labels. */
  labels: Label[];
  /** matrix[i][j] = examples of true label i predicted as label j. */
  matrix: number[][];
}

function compareLabels(a: Label, b: Label): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function sortedLabels(...lists: ArrayLike<Label>[]): Label[] {
  const set = new Set<Label>();
  for (const l of lists) for (let i = 0; i < l.length; i++) set.add(l[i]);
  return [...set].sort(compareLabels);
}

function confusionMatrix(yTrue: ArrayLike<Label>, yPred: ArrayLike<Label>, labels = sortedLabels(yTrue, yPred)): ConfusionMatrix {
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[index.get(yTrue[i])!][index.get(yPred[i])!]++;
  return { labels, matrix };
}

/** A label as part of a metric key (MLflow keys allow alphanumerics, `_ - . / ` and spaces). */
function labelKey(label: Label): string {
  return String(label).replace(/[^A-Za-z0-9_.\-/ ]/g, "_");
}

const div = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * AUC of scores for a binary target: the Mann–Whitney statistic with ties
 * counted half, which equals sklearn's trapezoidal ROC AUC. Positive and
 * negative scores are sorted apart (native typed-array sorts) and merged.
 */
function binaryRocAuc(positive: ArrayLike<boolean | number>, score: ArrayLike<number>): number {
  const n = score.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) pos++;
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN; // sklearn raises: only one class present
  const p = new Float64Array(pos);
  const q = new Float64Array(neg);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (positive[i]) p[a++] = score[i];
    else q[b++] = score[i];
  }
  p.sort();
  q.sort();
  // For each positive: negatives strictly below count 1, equal ones 1/2.
  let u = 0;
  let below = 0;
  let upTo = 0;
  for (let i = 0; i < pos; i++) {
    const s = p[i];
    while (below < neg && q[below] < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < neg && q[upTo] <= s) upTo++;
    u += below + (upTo - below) / 2;
  }
  return u / (pos * neg);
}

export interface ClassifierInputs {
  yTrue: Label[];
  yPred: Label[];
  /** Row-major probabilities, `classes.length` per row, when the model gives them. */
  proba?: ArrayLike<number>;
  /** The class of each probability column. */
  classes?: Label[];
  /** The positive class of a binary problem (default: the larger label, sklearn's pos_label=1 for 0/1). */
  positiveLabel?: Label;
}

export function classifierMetrics(inp: ClassifierInputs): { metrics: Record<string, number>; confusion: ConfusionMatrix } {
  const { yTrue, yPred } = inp;
  const n = yTrue.length;
  if (n === 0) throw new Error("classifier metrics need at least one example");
  if (yPred.length !== n) throw new Error(`classifier metrics: ${n} targets but ${yPred.length} predictions`);
  const confusion = confusionMatrix(yTrue, yPred);
  const { labels, matrix } = confusion;
  const m: Record<string, number> = { example_count: n };
  let correct = 0;
  labels.forEach((_, i) => (correct += matrix[i][i]));
  m.accuracy_score = correct / n;

  const per = labels.map((label, i) => {
    const tp = matrix[i][i];
    let fp = 0;
    let fn = 0;
    labels.forEach((__, j) => {
      if (j !== i) {
        fp += matrix[j][i];
        fn += matrix[i][j];
      }
    });
    return { label, support: tp + fn, precision: div(tp, tp + fp), recall: div(tp, tp + fn), f1: div(2 * tp, 2 * tp + fp + fn) };
  });
  for (const p of per) {
    const k = labelKey(p.label);
    m[`precision_class_${k}`] = p.precision;
    m[`recall_class_${k}`] = p.recall;
    m[`f1_class_${k}`] = p.f1;
  }
  for (const name of ["precision", "recall", "f1"] as const) {
    m[`${name}_macro`] = per.reduce((s, p) => s + p[name], 0) / per.length;
    m[`${name}_weighted`] = per.reduce((s, p) => s + p[name] * p.support, 0) / n;
  }
  const binary = labels.length <= 2 && sortedLabels(yTrue).length <= 2;
  const positive = inp.positiveLabel ?? labels[labels.length - 1];
  const pos = per.find((p) => p.label === positive);
  for (const name of ["precision", "recall", "f1"] as const) {
    m[`${name}_score`] = binary ? (pos?.[name] ?? 0) : m[`${name}_weighted`];
  }

  if (inp.proba && inp.classes) {
    const k = inp.classes.length;
    const col = new Map(inp.classes.map((c, j) => [c, j]));
    let loss = 0;
    let lossOk = true;
    for (let r = 0; r < n; r++) {
      const j = col.get(yTrue[r]);
      if (j === undefined) {
        lossOk = false;
        break;
      }
      let rowSum = 0;
      for (let c = 0; c < k; c++) rowSum += Math.min(Math.max(inp.proba[r * k + c], EPS), 1 - EPS);
      const p = Math.min(Math.max(inp.proba[r * k + j], EPS), 1 - EPS) / rowSum;
      loss -= Math.log(p);
    }
    if (lossOk) m.log_loss = loss / n;
    const isPos = new Uint8Array(n);
    const score = new Float64Array(n);
    const aucs = inp.classes.map((c, j) => {
      for (let r = 0; r < n; r++) {
        isPos[r] = yTrue[r] === c ? 1 : 0;
        score[r] = inp.proba![r * k + j];
      }
      return binaryRocAuc(isPos, score);
    });
    inp.classes.forEach((c, j) => {
      if (!Number.isNaN(aucs[j])) m[`roc_auc_class_${labelKey(c)}`] = aucs[j];
    });
    if (k === 2) {
      const j = col.get(positive) ?? 1;
      if (!Number.isNaN(aucs[j])) m.roc_auc = aucs[j];
    } else if (aucs.every((a) => !Number.isNaN(a))) {
      m.roc_auc = aucs.reduce((s, a) => s + a, 0) / k;
    }
  }
  return { metrics: m, confusion };
}
