/**
 * An endpoint's A/B comparison on the wire (`GET /api/ciclo/v1/endpoints/{name}/ab`):
 * per-variant operations and quality over a window, and the significance
 * test of variant B against A. Numbers a test cannot give (no variance) are null.
 * @module
 */
import Type, { type Static } from "typebox";

export const AbQueryString = Type.Object({
  /** Variant A (the control); default the deployment with the most traffic. */
  a: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** Variant B; default the one with the next most traffic. */
  b: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  /** The window: requests of the last this many seconds (default 3600). */
  window_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 366 * 86_400 })),
  /** Significance level (default 0.05). */
  alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.5 })),
  /** Labelled rows each variant needs before a verdict (default 30). */
  min_samples: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000_000 })),
  /** classification (accuracy, z-test) or regression (MAE/RMSE, Welch's t-test); default from the labels. */
  task: Type.Optional(Type.Union([Type.Literal("classification"), Type.Literal("regression")])),
  /** A regressor's per-row loss for the t-test: absolute (default) or squared error. */
  loss: Type.Optional(Type.Union([Type.Literal("absolute"), Type.Literal("squared")])),
  /** The logged prediction column (default `prediction`). */
  prediction_column: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
});
export type AbQueryString = Static<typeof AbQueryString>;

const Num = Type.Union([Type.Number(), Type.Null()]);

export const WireAbVariant = Type.Object({
  deployment: Type.String(),
  model_version: Type.String(),
  /** Live traffic share, percent. */
  traffic: Type.Number(),
  /** What the router counted in the window. */
  requests: Type.Number(),
  errors: Type.Number(),
  error_rate: Type.Number(),
  p50_ms: Type.Optional(Type.Number()),
  p99_ms: Type.Optional(Type.Number()),
  /** Answered rows in the inference log for the window (absent: no monitoring). */
  logged_rows: Type.Optional(Type.Number()),
  /** Rows with a label. */
  labelled: Type.Number(),
  accuracy: Type.Optional(Type.Number()),
  /** 1 − accuracy. */
  misclassification_rate: Type.Optional(Type.Number()),
  mean_absolute_error: Type.Optional(Type.Number()),
  root_mean_squared_error: Type.Optional(Type.Number()),
});
export type WireAbVariant = Static<typeof WireAbVariant>;

export const WireAbTest = Type.Object({
  a: Type.String(),
  b: Type.String(),
  method: Type.String(),
  /** accuracy, mean_absolute_error or mean_squared_error. */
  metric: Type.String(),
  n_a: Type.Number(),
  n_b: Type.Number(),
  statistic: Type.Optional(Num),
  p_value: Type.Optional(Num),
  /** Welch–Satterthwaite degrees of freedom (t-test). */
  df: Type.Optional(Num),
  /** The effect: metric(B) − metric(A), with its confidence interval. */
  effect: Type.Optional(Type.Object({ estimate: Type.Number(), ci_low: Num, ci_high: Num, confidence: Type.Number() })),
  /** significant, not_significant, insufficient_data, or undefined (no variance). */
  verdict: Type.String(),
  better: Type.Optional(Type.String()),
  reason: Type.String(),
});
export type WireAbTest = Static<typeof WireAbTest>;

export const WireAbReport = Type.Object({
  endpoint: Type.String(),
  window_start: Type.Number(),
  window_end: Type.Number(),
  alpha: Type.Number(),
  min_samples: Type.Number(),
  loss: Type.String(),
  /** classification or regression; absent while no row is labelled. */
  task: Type.Optional(Type.String()),
  variants: Type.Array(WireAbVariant),
  test: Type.Optional(WireAbTest),
  notes: Type.Array(Type.String()),
});
export type WireAbReport = Static<typeof WireAbReport>;
