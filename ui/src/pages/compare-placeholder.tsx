/** Where the runs table's Compare button leads until the Compare page lands: lists the chosen runs. */
import { decodeList, Link, useUrl } from "../router/router";
import { EmptyState } from "../components/states";

export default function ComparePlaceholder() {
  const runs = decodeList(useUrl().search.get("runs"));
  return (
    <div className="page">
      <header className="page-header">
        <h1>Compare runs</h1>
      </header>
      {runs.length === 0 ? (
        <EmptyState title="No runs to compare">Select runs in a runs table, then press Compare.</EmptyState>
      ) : (
        <EmptyState title={`${runs.length} runs selected`}>
          <ul className="plain-list">
            {runs.map((r) => (
              <li key={r}>
                <Link to={`/runs/${encodeURIComponent(r)}`} className="mono">
                  {r}
                </Link>
              </li>
            ))}
          </ul>
        </EmptyState>
      )}
    </div>
  );
}
