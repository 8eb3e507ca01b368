/** Managed endpoints (`/deployments`): each with its traffic and how many replicas are ready, live. */
import { listEndpoints } from "../../api/deployments-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import { usePolling } from "./use-polling";
import "./deployments.css";

export default function EndpointsPage() {
  const tick = usePolling(5000);
  const list = useApi((signal) => listEndpoints(signal), [tick]);
  if (list.error && !list.data) return <div className="page"><ErrorBanner error={list.error} onRetry={list.reload} /></div>;
  if (!list.data) return <div className="page"><Loading /></div>;
  return (
    <div className="page">
      <header className="page-header"><h1>Endpoints</h1></header>
      {list.data.length === 0 ? (
        <EmptyState title="No endpoints yet">Create one with <code>ciclo endpoints create &lt;name&gt;</code>.</EmptyState>
      ) : (
        <table className="table">
          <thead><tr><th>Endpoint</th><th>Traffic</th><th>Ready</th><th>Updated</th></tr></thead>
          <tbody>
            {list.data.map((e) => (
              <tr key={e.name}>
                <td><Link to={`/deployments/${encodeURIComponent(e.name)}`}>{e.name}</Link></td>
                <td>{Object.entries(e.traffic).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v} %`).join(", ") || "-"}</td>
                <td>{e.deployments.map((d) => `${d.name} ${d.health?.ready_replicas ?? 0}/${d.replicas}`).join(", ")}</td>
                <td className="small">{formatTime(e.last_updated_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
