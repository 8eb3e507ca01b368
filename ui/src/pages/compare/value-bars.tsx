/**
 * A metric every run logged once (accuracy at the end of training, an evaluation score) as one bar per run: as a line
 * chart it was a lone dot per run on an x axis from −1 to 1, and runs with equal values hid each other's dots. Bars
 * start at zero (or at the lowest value when some are negative) so their lengths compare; each says its value.
 */
import { formatNumber } from "../../format";
import type { RunSeries } from "./compare-chart";

export interface ValueBar {
  id: string;
  label: string;
  color: string;
  value: number;
  /** Where the bar starts and ends, as fractions of the track. */
  from: number;
  to: number;
}

/** The bars when every run has at most one finite value of the metric (and one has a value); otherwise undefined. */
export function valueBars(series: RunSeries[], hidden: Set<string>): ValueBar[] | undefined {
  const shown: Array<{ s: RunSeries; value: number }> = [];
  for (const s of series) {
    const finite = s.ys.filter((y) => Number.isFinite(y));
    if (finite.length > 1) return undefined;
    if (finite.length === 1 && !hidden.has(s.id)) shown.push({ s, value: finite[0]! });
  }
  if (shown.length === 0) return undefined;
  const lo = Math.min(0, ...shown.map((b) => b.value));
  const hi = Math.max(0, ...shown.map((b) => b.value));
  const span = hi - lo || 1;
  const zero = (0 - lo) / span;
  return shown.map(({ s, value }) => {
    const at = (value - lo) / span;
    return { id: s.id, label: s.label, color: s.color, value, from: Math.min(zero, at), to: Math.max(zero, at) };
  });
}

export function ValueBars({ bars, metric, focusId, onHover }: { bars: ValueBar[]; metric: string; focusId?: string; onHover?(id: string | undefined): void }) {
  return (
    <div className="value-bars" role="list" aria-label={`${metric}: one value per run`}>
      {bars.map((b) => (
        <div
          key={b.id}
          role="listitem"
          className={`value-bar${focusId && focusId !== b.id ? " dimmed" : ""}`}
          data-run={b.id}
          onMouseEnter={() => onHover?.(b.id)}
          onMouseLeave={() => onHover?.(undefined)}
        >
          <span className="value-bar-label truncate" title={b.label}>{b.label}</span>
          <span className="value-bar-track">
            <span className="value-bar-fill" style={{ left: `${b.from * 100}%`, width: `${Math.max((b.to - b.from) * 100, 0.5)}%`, background: b.color }} />
          </span>
          <span className="value-bar-value">{formatNumber(b.value)}</span>
        </div>
      ))}
    </div>
  );
}
