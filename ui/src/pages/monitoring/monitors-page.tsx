/**
 * Monitors (`/monitoring`): what each one watches, when it last ran, and its
 * page (`/monitoring/:name`) — the server-rendered report (drift heatmap,
 * distributions, performance, latency and errors, alert history), the same
 * file `ciclo monitor report` writes.
 */
import { listMonitors, reportUrl, type WireMonitor } from "../../api/monitoring-api";
import { useApi } from "../../api/use-api";
import { DriftChart } from "./drift-chart";
import { ReportFrame } from "./report-frame";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import type { PageProps } from "../../routes";

function target(m: WireMonitor): string {
  const t = m.spec.target;
  return [t.model_name, t.model_version ? `v${t.model_version}` : t.model_alias ? `@${t.model_alias}` : "", t.endpoint ? `on ${t.endpoint}${t.deployment ? `/${t.deployment}` : ""}` : ""].filter(Boolean).join(" ");
}

export function MonitorsPage() {
  const res = useApi((signal) => listMonitors(signal), []);
  const monitors = res.data?.monitors ?? [];
  return (
    <div className="page monitors-page">
      <header className="page-header">
        <div>
          <h1>Monitoring</h1>
          <div className="muted small page-sub">Monitors: drift, performance and operations of deployed models, with their alerts.</div>
        </div>
      </header>
      {res.error && <ErrorBanner error={res.error} onRetry={res.reload} />}
      {res.loading && !res.data && <Loading />}
      {res.data && monitors.length === 0 && <EmptyState title="No monitors yet">Create one from a spec file with <code>ciclo monitor create fraud-drift.json</code> (or POST /api/ciclo/v1/monitoring/monitors); docs/monitoring.md shows the spec.</EmptyState>}
      {monitors.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>Monitor</th>
              <th>Target</th>
              <th>Window</th>
              <th>Last window end</th>
              <th>Alert rules</th>
            </tr>
          </thead>
          <tbody>
            {monitors.map((m) => (
              <tr key={m.monitor_id}>
                <td>
                  <Link to={`/monitoring/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                </td>
                <td>{target(m)}</td>
                <td>{m.spec.window_seconds} s</td>
                <td>{m.last_window_end ? formatTime(m.last_window_end) : "—"}</td>
                <td>{(m.spec.alerts ?? []).map((a) => a.name).join(", ") || <span className="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export default MonitorsPage;

export function MonitorPage({ params }: PageProps) {
  const name = params.name;
  return (
    <div className="page monitor-page">
      <header className="page-header">
        <div>
          <h1>Monitor {name}</h1>
          <div className="muted small page-sub">
            <Link to="/monitoring">All monitors</Link> · <a href={reportUrl(name)} download={`${name}-report.html`}>Download the report</a>
          </div>
        </div>
      </header>
      <DriftChart monitor={name} />
      <ReportFrame title={`Monitor ${name}`} src={`${reportUrl(name)}?embedded=true`} />
    </div>
  );
}
