/**
 * Regressor metrics with scikit-learn's definitions, named as MLflow's default
 * evaluator logs them (`mlflow/models/evaluation/default_evaluator.py`).
 * @module
 */

/** numpy's float64 machine epsilon: sklearn's floor for |y| in MAPE. */
const EPS = 2.220446049250313e-16;

export interface RegressorMetrics {
  example_count: number;
  mean_absolute_error: number;
  mean_squared_error: number;
  root_mean_squared_error: number;
  sum_on_target: number;
  mean_on_target: number;
  r2_score: number;
  max_error: number;
  mean_absolute_percentage_error: number;
}

export function regressorMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressorMetrics {
  const n = yTrue.length;
  if (n === 0) throw new Error("regressor metrics need at least one example");
  if (yPred.length !== n) throw new Error(`regressor metrics: ${n} targets but ${yPred.length} predictions`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += yTrue[i];
  const mean = sum / n;
  let abs = 0;
  let sq = 0;
  let max = 0;
  let pct = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const e = yTrue[i] - yPred[i];
    const a = Math.abs(e);
    abs += a;
    sq += e * e;
    if (a > max) max = a;
    pct += a / Math.max(Math.abs(yTrue[i]), EPS);
    const d = yTrue[i] - mean;
    tot += d * d;
  }
  // sklearn's force_finite: a constant target gives 1 for a perfect fit, else 0.
  const r2 = tot === 0 ? (sq === 0 ? 1 : 0) : 1 - sq / tot;
  return {
    example_count: n,
    mean_absolute_error: abs / n,
    mean_squared_error: sq / n,
    root_mean_squared_error: Math.sqrt(sq / n),
    sum_on_target: sum,
    mean_on_target: mean,
    r2_score: r2,
    max_error: max,
    mean_absolute_percentage_error: pct / n,
  };
}
