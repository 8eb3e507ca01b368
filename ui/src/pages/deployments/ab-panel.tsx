/**
 * The endpoint page's A/B card: the two compared deployments' requests,
 * errors, latency and (with labels) accuracy or MAE/RMSE over the last hour,
 * and the significance test's p-value, effect with its interval, sample
 * sizes and verdict. Refreshed every 10 s (it reads the inference log).
 */
import { endpointAb, type WireAbReport, type WireAbVariant } from "../../api/deployments-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner } from "../../components/states";
import { usePolling } from "./use-polling";

const fmt = (x: number | null | undefined, digits = 4) => (x === undefined || x === null ? "–" : Number(x.toPrecision(digits)).toString());
const pct = (x: number | undefined) => (x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);

function quality(r: WireAbReport, v: WireAbVariant): string {
  if (v.accuracy !== undefined) return `accuracy ${pct(v.accuracy)}`;
  if (v.mean_absolute_error !== undefined) return `MAE ${fmt(v.mean_absolute_error)} · RMSE ${fmt(v.root_mean_squared_error)}`;
  return r.task ? "–" : "no labels yet";
}

export function AbPanel({ name }: { name: string }) {
  const tick = usePolling(10_000);
  const ab = useApi((signal) => endpointAb(name, signal), [name, tick]);
  if (ab.error && !ab.data) return <ErrorBanner error={ab.error} onRetry={ab.reload} />;
  const r = ab.data;
  if (!r) return <div className="muted">Loading A/B comparison…</div>;
  const t = r.test;
  const compared = t ? r.variants.filter((v) => v.deployment === t.a || v.deployment === t.b) : r.variants.slice(0, 2);
  return (
    <div className="ab-panel" aria-label="A/B comparison">
      <table className="table">
        <thead>
          <tr><th>Variant</th><th>Version</th><th>Traffic</th><th>Requests</th><th>Errors</th><th>p50</th><th>p99</th><th>Labelled</th><th>Quality</th></tr>
        </thead>
        <tbody>
          {compared.map((v) => (
            <tr key={v.deployment}>
              <td><strong>{t ? (v.deployment === t.a ? "A " : "B ") : ""}{v.deployment}</strong></td>
              <td>v{v.model_version}</td>
              <td className="num">{v.traffic} %</td>
              <td className="num">{v.requests}</td>
              <td className={`num ${v.errors > 0 ? "bad" : ""}`}>{v.errors} ({pct(v.error_rate)})</td>
              <td className="num">{v.p50_ms !== undefined ? `${v.p50_ms.toFixed(1)} ms` : "–"}</td>
              <td className="num">{v.p99_ms !== undefined ? `${v.p99_ms.toFixed(1)} ms` : "–"}</td>
              <td className="num">{v.labelled}</td>
              <td>{quality(r, v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {t && (
        <div className="ab-test">
          <div>
            <strong>{t.method}</strong> on {t.metric.replace(/_/g, " ")} · n = {t.n_a} / {t.n_b} · alpha {r.alpha}
          </div>
          {t.effect && (
            <div className="small">
              p-value <strong data-testid="ab-p-value">{fmt(t.p_value)}</strong> · statistic {fmt(t.statistic)} · effect B − A {fmt(t.effect.estimate)}, {Math.round(t.effect.confidence * 100)} % CI [{fmt(t.effect.ci_low)}, {fmt(t.effect.ci_high)}]
            </div>
          )}
          <div className={t.verdict === "significant" ? "good" : "muted"} data-testid="ab-verdict">
            {t.verdict === "significant" ? `Significant: ${t.better} is better` : t.verdict === "not_significant" ? "No significant difference" : t.verdict === "insufficient_data" ? "Not enough labelled data for a verdict" : "Undefined (no variance)"}
          </div>
          <div className="small muted">{t.reason}</div>
        </div>
      )}
      {r.notes.map((n) => (
        <div key={n} className="small muted">{n}</div>
      ))}
    </div>
  );
}
