/**
 * The drift tests ciclo offers, named by Evidently's ids, with Evidently's
 * default thresholds, allowed column types and verdict rules: p-value tests
 * drift when p < threshold (K-S: p ≤ threshold), distances when
 * score ≥ threshold. And Evidently's default choice of test for a column.
 * @module
 */

export type StatTestId = "ks" | "chisquare" | "z" | "wasserstein" | "jensenshannon" | "psi" | "kl_div" | "hellinger";
export type ColumnKind = "num" | "cat";

export interface StatTest {
  id: StatTestId;
  /** Evidently's display name. */
  name: string;
  kind: "p_value" | "distance";
  defaultThreshold: number;
  /** Column types the test may be chosen for explicitly (the default choice may use it more widely, as Evidently does). */
  types: readonly ColumnKind[];
}

export const STAT_TESTS: Readonly<Record<StatTestId, StatTest>> = {
  ks: { id: "ks", name: "K-S p_value", kind: "p_value", defaultThreshold: 0.05, types: ["num"] },
  chisquare: { id: "chisquare", name: "chi-square p_value", kind: "p_value", defaultThreshold: 0.05, types: ["cat"] },
  z: { id: "z", name: "Z-test p_value", kind: "p_value", defaultThreshold: 0.05, types: ["cat"] },
  wasserstein: { id: "wasserstein", name: "Wasserstein distance (normed)", kind: "distance", defaultThreshold: 0.1, types: ["num"] },
  jensenshannon: { id: "jensenshannon", name: "Jensen-Shannon distance", kind: "distance", defaultThreshold: 0.1, types: ["num", "cat"] },
  psi: { id: "psi", name: "PSI", kind: "distance", defaultThreshold: 0.1, types: ["num", "cat"] },
  kl_div: { id: "kl_div", name: "Kullback-Leibler divergence", kind: "distance", defaultThreshold: 0.1, types: ["num", "cat"] },
  hellinger: { id: "hellinger", name: "Hellinger distance", kind: "distance", defaultThreshold: 0.1, types: ["num", "cat"] },
};

export function isStatTestId(id: string): id is StatTestId {
  return Object.prototype.hasOwnProperty.call(STAT_TESTS, id);
}

/** Evidently's verdict rule for a score against a threshold. A NaN score never drifts. */
export function isDrifted(test: StatTestId, score: number, threshold: number): boolean {
  if (Number.isNaN(score)) return false;
  if (test === "ks") return score <= threshold;
  if (STAT_TESTS[test].kind === "p_value") return score < threshold;
  return score >= threshold;
}

/** Above this many reference values Evidently switches from p-value tests to distances. */
export const SMALL_REFERENCE_ROWS = 1000;
/** At most this many distinct values (reference and current pooled) make a column "low-cardinality". */
export const FEW_VALUES = 5;

/**
 * Evidently's default test (`_get_default_stattest`): by column type, the
 * number of reference values (missing ones dropped) and the number of distinct
 * values in reference and current together (`undefined`: more than any cap).
 */
export function defaultStatTest(kind: ColumnKind, nRef: number, nUnique: number | undefined): StatTestId {
  const few = nUnique !== undefined && nUnique <= FEW_VALUES;
  if (nRef <= SMALL_REFERENCE_ROWS) {
    if (kind === "num" && !few) return "ks";
    return nUnique !== undefined && nUnique <= 2 ? "z" : "chisquare";
  }
  if (kind === "num" && !few) return "wasserstein";
  return "jensenshannon";
}
