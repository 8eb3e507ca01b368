/**
 * What the router saw per deployment, in memory: request and error counts,
 * recent latencies (a ring with their times, for p50/p99 over a window),
 * recent error messages, and the prediction divergence of mirrored answers.
 * Rollout analysis reads a window of it ("since this step began"); the
 * health view reads all of it.
 * @module
 */

const RING = 8192;

export interface StatsWindow {
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Mean absolute prediction difference from the primary, over compared requests (undefined: none compared). */
  divergence?: number;
  compared: number;
}

function quantile(sorted: number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export class DeploymentStats {
  requests = 0;
  errors = 0;
  private readonly lat = new Float64Array(RING);
  private readonly latAt = new Float64Array(RING);
  private readonly failed = new Uint8Array(RING);
  private n = 0;
  private readonly divs: Array<{ at: number; value: number }> = [];
  readonly recentErrors: string[] = [];

  record(ms: number, error: boolean, message?: string, at = Date.now()): void {
    this.requests++;
    const i = this.n++ % RING;
    this.lat[i] = ms;
    this.latAt[i] = at;
    this.failed[i] = error ? 1 : 0;
    if (error) {
      this.errors++;
      if (message) {
        this.recentErrors.push(`${new Date(at).toISOString()} ${message.slice(0, 300)}`);
        if (this.recentErrors.length > 20) this.recentErrors.shift();
      }
    }
  }

  divergence(value: number, at = Date.now()): void {
    this.divs.push({ at, value });
    if (this.divs.length > RING) this.divs.shift();
  }

  /** Requests since `since` (epoch ms; the ring holds the last 8,192). */
  window(since = 0): StatsWindow {
    const lats: number[] = [];
    let errors = 0;
    for (let k = 0; k < Math.min(this.n, RING); k++) {
      if (this.latAt[k] < since) continue;
      lats.push(this.lat[k]);
      errors += this.failed[k];
    }
    lats.sort((a, b) => a - b);
    const divs = this.divs.filter((d) => d.at >= since);
    return {
      requests: lats.length,
      errors,
      errorRate: lats.length === 0 ? 0 : errors / lats.length,
      p50Ms: quantile(lats, 0.5),
      p99Ms: quantile(lats, 0.99),
      divergence: divs.length === 0 ? undefined : divs.reduce((a, d) => a + d.value, 0) / divs.length,
      compared: divs.length,
    };
  }
}

/** Numbers in a JSON answer, in order (predictions of any shape flatten to a list). */
function numbers(v: unknown, out: number[]): void {
  if (typeof v === "number") out.push(v);
  else if (typeof v === "boolean") out.push(v ? 1 : 0);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) numbers(x, out);
}

/**
 * Mean absolute difference of two answers' predictions (MLflow's
 * `predictions` or the v2 protocol's `outputs[].data`); 1 per differing
 * non-numeric item; undefined when either is not JSON.
 */
export function predictionDivergence(a: Buffer, b: Buffer): number | undefined {
  let x: unknown;
  let y: unknown;
  try {
    x = JSON.parse(a.toString("utf8"));
    y = JSON.parse(b.toString("utf8"));
  } catch {
    return undefined;
  }
  const pick = (v: unknown) => {
    const o = v as { predictions?: unknown; outputs?: Array<{ data?: unknown }> };
    return o?.predictions ?? o?.outputs?.map((t) => t.data) ?? v;
  };
  const xs: number[] = [];
  const ys: number[] = [];
  numbers(pick(x), xs);
  numbers(pick(y), ys);
  if (xs.length === 0 && ys.length === 0) return JSON.stringify(pick(x)) === JSON.stringify(pick(y)) ? 0 : 1;
  if (xs.length !== ys.length) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += Math.abs(xs[i] - ys[i]);
  return sum / xs.length;
}
