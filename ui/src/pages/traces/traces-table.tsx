/**
 * Traces as a table (time, name, status, execution time, request and response
 * previews, source run, tags), each linking to its trace page: the
 * experiment's Traces page and a run's Traces tab share it.
 */
import type { WireTraceInfo } from "../../api/traces-api";
import { formatDuration, formatTime, formatTimeShort } from "../../format";
import { Link } from "../../router/router";
import { stateBadge, traceDurationMs, traceName, traceRun, traceTime, truncate, userTags } from "./trace-format";
import { shortRunId } from "../../../../src/shared/short-run-id";

/** A trace's page, under `experimentId` (the trace's own experiment when absent). */
export function tracePath(t: WireTraceInfo, experimentId?: string): string {
  const exp = experimentId ?? t.trace_location?.mlflow_experiment?.experiment_id ?? "";
  return `/experiments/${exp}/traces/${encodeURIComponent(t.trace_id)}`;
}

export function TracesTable({ traces, experimentId }: { traces: WireTraceInfo[]; experimentId?: string }) {
  return (
    <div className="table-card">
      <table className="table traces-table" aria-label="Traces">
        <thead>
          <tr>
            <th>Time</th>
            <th>Name</th>
            <th>Status</th>
            <th className="num">Execution time</th>
            <th>Request</th>
            <th>Response</th>
            <th>Run</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody>
          {traces.map((t) => {
            const badge = stateBadge(t.state);
            const run = traceRun(t);
            return (
              <tr key={t.trace_id}>
                <td title={formatTime(traceTime(t))}>
                  <Link to={`${tracePath(t, experimentId)}`}>{formatTimeShort(traceTime(t))}</Link>
                </td>
                <td className="cell-name">
                  <Link to={`${tracePath(t, experimentId)}`}>{traceName(t) || t.trace_id}</Link>
                </td>
                <td>
                  <span className={`badge ${badge.cls}`}>{badge.label}</span>
                </td>
                <td className="num">{formatDuration(traceDurationMs(t))}</td>
                <td className="mono small trace-preview" title={t.request_preview ?? ""}>
                  {truncate(t.request_preview, 60)}
                </td>
                <td className="mono small trace-preview" title={t.response_preview ?? ""}>
                  {truncate(t.response_preview, 60)}
                </td>
                <td className="mono small">{run ? <Link to={`/runs/${run}`}>{shortRunId(run)}</Link> : <span className="faint">—</span>}</td>
                <td>
                  <span className="chips">
                    {userTags(t).map(([k, v]) => (
                      <span key={k} className="chip" title={`${k}: ${v}`}>
                        {truncate(`${k}: ${v}`, 32)}
                      </span>
                    ))}
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
