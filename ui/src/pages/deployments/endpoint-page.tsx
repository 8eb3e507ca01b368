/**
 * One endpoint (`/deployments/<name>`), live (refreshed every 2 s): its
 * traffic split and mirrors, each deployment's health — ready replicas,
 * restarts, requests, errors, p50/p99, recent errors, every replica's state —
 * its rollouts with their last analysis, the A/B comparison of two
 * deployments (ab-panel.tsx), and the audit history.
 */
import { endpointHistory, endpointRollouts, getEndpoint, type WireDeployment, type WireEndpoint } from "../../api/deployments-api";
import { useApi } from "../../api/use-api";
import { historyChange } from "../../../../src/shared/wire/deployments-history";
import { ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { AbPanel } from "./ab-panel";
import { usePolling } from "./use-polling";
import "./deployments.css";

const COLORS = ["#2f6fde", "#1f9d6b", "#d08a16", "#9a4fd6", "#d64f6b", "#4fa8d6"];

function TrafficBar({ e }: { e: WireEndpoint }) {
  const live = e.deployments.filter((d) => (e.traffic[d.name] ?? 0) > 0);
  return (
    <div className="traffic" aria-label="Traffic split">
      <div className="traffic-bar">
        {live.map((d) => (
          <div key={d.name} className="traffic-seg" style={{ width: `${e.traffic[d.name]}%`, background: COLORS[e.deployments.indexOf(d) % COLORS.length] }} title={`${d.name}: ${e.traffic[d.name]} %`}>
            {d.name} {e.traffic[d.name]}%
          </div>
        ))}
        {live.length === 0 && <div className="muted">No live traffic</div>}
      </div>
      {Object.entries(e.mirror_traffic).filter(([, v]) => v > 0).length > 0 && (
        <div className="small muted">
          Mirrored: {Object.entries(e.mirror_traffic).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v} %`).join(", ")} (answers discarded, compared with the primary's)
        </div>
      )}
    </div>
  );
}

function Health({ d, color }: { d: WireDeployment; color: string }) {
  const h = d.health;
  const ok = h && h.ready_replicas === h.desired_replicas;
  return (
    <tr>
      <td>
        <span className="swatch" style={{ background: color }} /> <strong>{d.name}</strong>
      </td>
      <td>
        <Link to={`/models/${encodeURIComponent(d.model_name)}/versions/${d.model_version}`}>
          {d.model_name} v{d.model_version}
        </Link>
        {d.follow_alias && <span className="badge">@{d.follow_alias}</span>}
      </td>
      <td className={ok ? "good" : "bad"}>{h ? `${h.ready_replicas}/${h.desired_replicas} ready` : "-"}</td>
      <td className="num">{h?.restarts ?? 0}</td>
      <td className="num">{h?.requests ?? 0}</td>
      <td className={`num ${h && h.errors > 0 ? "bad" : ""}`}>{h?.errors ?? 0}</td>
      <td className="num">{h?.p50_ms !== undefined ? `${h.p50_ms.toFixed(1)} ms` : "-"}</td>
      <td className="num">{h?.p99_ms !== undefined ? `${h.p99_ms.toFixed(1)} ms` : "-"}</td>
      <td className="small">
        {h?.replicas.map((r) => (
          <div key={r.index}>
            #{r.index} {r.name ? `${r.name} ` : ""}
            {r.state}
            {r.pid ? ` · pid ${r.pid}` : ""}
            {r.last_exit ? ` · last exit ${r.last_exit}` : ""}
          </div>
        ))}
        {h?.events?.slice(-3).map((m) => (
          <div key={m} className="bad">
            {m}
          </div>
        ))}
        {h?.recent_errors.slice(-3).map((m) => (
          <div key={m} className="bad">
            {m}
          </div>
        ))}
      </td>
    </tr>
  );
}

export default function EndpointPage({ params }: PageProps) {
  const { name } = params;
  const tick = usePolling(2000);
  const ep = useApi((signal) => getEndpoint(name, signal), [name, tick]);
  const rollouts = useApi((signal) => endpointRollouts(name, signal), [name, tick]);
  const history = useApi((signal) => endpointHistory(name, signal), [name, tick]);
  const crumbs = <Breadcrumbs trail={[{ label: "Endpoints", to: "/deployments" }]} current={name} />;
  if (ep.error && !ep.data) {
    return (
      <div className="page">
        {crumbs}
        <ErrorBanner error={ep.error} onRetry={ep.reload} />
      </div>
    );
  }
  if (!ep.data) return <div className="page"><Loading label="Loading endpoint…" /></div>;
  const e = ep.data;
  return (
    <div className="page endpoint-page">
      <header className="page-header">
        <div>
          {crumbs}
          <h1>{e.name}</h1>
          <div className="muted small">
            {e.description || "No description"} · <code>POST /endpoints/{e.name}/invocations</code> · strategy {e.strategy.kind}
            {e.strategy.kind === "canary" ? ` ${e.strategy.steps?.join(" → ")} %` : ""}
            {e.sticky_header ? ` · sticky by ${e.sticky_header}` : ""}
          </div>
        </div>
      </header>
      <section className="card">
        <div className="card-head"><h2>Traffic</h2></div>
        <div className="card-body"><TrafficBar e={e} /></div>
      </section>
      <section className="card">
        <div className="card-head"><h2>Deployments</h2><span className="muted small">live, every 2 s</span></div>
        <div className="card-body">
          <table className="table deployments-table">
            <thead>
              <tr><th>Deployment</th><th>Model</th><th>Health</th><th>Restarts</th><th>Requests</th><th>Errors</th><th>p50</th><th>p99</th><th>Replicas</th></tr>
            </thead>
            <tbody>
              {e.deployments.map((d, i) => <Health key={d.name} d={d} color={COLORS[i % COLORS.length]} />)}
            </tbody>
          </table>
        </div>
      </section>
      {e.deployments.length >= 2 && (
        <section className="card">
          <div className="card-head"><h2>A/B</h2><span className="muted small">last hour · <code>ciclo endpoints ab {e.name}</code></span></div>
          <div className="card-body"><AbPanel name={e.name} /></div>
        </section>
      )}
      <section className="card">
        <div className="card-head"><h2>Rollouts</h2></div>
        <div className="card-body">
          {(rollouts.data ?? []).length === 0 ? (
            <div className="muted">No rollouts yet.</div>
          ) : (
            <table className="table">
              <thead><tr><th>#</th><th>From → to</th><th>State</th><th>Step</th><th>Why</th><th>Started</th></tr></thead>
              <tbody>
                {rollouts.data!.map((r) => (
                  <tr key={r.rollout_id}>
                    <td>{r.rollout_id}</td>
                    <td>{r.stable} → {r.candidate}</td>
                    <td className={r.state === "rolled_back" || r.state === "aborted" ? "bad" : r.state === "succeeded" ? "good" : ""}>{r.state.replace("_", " ")}</td>
                    <td>{r.step < 0 ? (r.step === -1 ? "shadow" : "waiting") : `${r.strategy.steps?.[r.step] ?? 100} %`}</td>
                    <td className="small">{r.reason}</td>
                    <td className="small">{formatTime(r.started_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </section>
      <section className="card">
        <div className="card-head"><h2>History</h2></div>
        <div className="card-body">
          <ul className="history">
            {(history.data ?? []).map((h) => (
              <li key={h.id}>
                <span className="muted small">{formatTime(h.timestamp)}</span> <strong>{h.action}</strong>
                {h.deployment ? ` ${h.deployment}` : ""} by {h.actor ?? "anonymous"}
                {historyChange(h) ? <span className="history-change"> · {historyChange(h)}</span> : null}
                {h.reason ? <span className="muted"> — {h.reason}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      </section>
    </div>
  );
}
