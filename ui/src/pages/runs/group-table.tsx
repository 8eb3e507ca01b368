/**
 * Runs grouped on a param, tag or attribute, with the mean, min and max of
 * each metric column per group (Aim's best feature), aggregated by the server
 * in SQL: the browser never loads the runs. A group's row opens its runs.
 */
import { groupRuns, type RunScope } from "../../api/ciclo-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatCount, formatNumber } from "../../format";
import type { ColumnDef } from "./run-columns";

interface Props {
  scope: RunScope;
  groupBy: string;
  metricColumns: ColumnDef[];
  onOpenGroup(value: string | null): void;
}

export function GroupTable({ scope, groupBy, metricColumns, onOpenGroup }: Props) {
  const metricKeys = metricColumns.map((c) => c.key);
  const res = useApi((signal) => groupRuns({ ...scope, group_by: groupBy, metric_keys: metricKeys, max_groups: 500 }, signal), [JSON.stringify(scope), groupBy, metricKeys.join("\u0000")]);
  if (res.error) return <ErrorBanner error={res.error} onRetry={res.reload} />;
  if (!res.data) return <Loading label="Grouping runs…" />;
  if (res.data.groups.length === 0) return <EmptyState title="No runs to group" />;
  const label = groupBy.slice(groupBy.indexOf(".") + 1);
  return (
    <div className="table-card table-scroll">
      <table className="table group-table" aria-label={`Runs grouped by ${groupBy}`}>
        <thead>
          <tr>
            <th>{label}</th>
            <th className="num">Runs</th>
            {metricColumns.map((c) => (
              <th key={c.id} className="num" title={`${c.key}: mean (min – max) of the latest values`}>
                {c.key}
                <div className="th-sub">mean (min – max)</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {res.data.groups.map((g) => {
            const by = new Map(g.metrics.map((m) => [m.key, m]));
            return (
              <tr key={g.value ?? "\u0000"} className="clickable" onClick={() => onOpenGroup(g.value)}>
                <td className="cell-name">
                  <button className="link-button" onClick={() => onOpenGroup(g.value)}>
                    {g.value ?? <span className="muted">(not set)</span>}
                  </button>
                </td>
                <td className="num">{formatCount(g.run_count)}</td>
                {metricColumns.map((c) => {
                  const m = by.get(c.key);
                  return (
                    <td key={c.id} className="num" title={m ? `${m.count} runs with a value` : undefined}>
                      {m ? (
                        <>
                          <strong>{formatNumber(m.mean)}</strong>
                          <span className="muted small"> ({formatNumber(m.min)} – {formatNumber(m.max)})</span>
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
      {res.data.truncated && <div className="muted small table-note">Showing the 500 largest groups.</div>}
    </div>
  );
}
