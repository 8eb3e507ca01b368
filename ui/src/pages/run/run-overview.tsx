/** The run's overview: details, description, params, latest metrics, tags and datasets. */
import { useEffect, useMemo, useState } from "react";
import { deleteRunTag, setRunTag, wireDouble, type WireRun } from "../../api/tracking-api";
import { TagsEditor } from "../../components/tags-editor";
import { formatDuration, formatNumber, formatTime } from "../../format";
import { setSearch } from "../../router/router";
import { commitUrl } from "./git-link";
import { RunDatasets } from "./run-datasets";
import { RunModelsCard } from "./run-models";
import { NOTE_TAG, RunDescription } from "./run-description";
import { Card } from "../../components/card";

const tag = (run: WireRun, key: string) => run.data.tags?.find((t) => t.key === key)?.value;

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="detail">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function FilteredTable({ title, rows, numeric, onRowClick, empty }: { title: string; rows: Array<[string, string | number]>; numeric?: boolean; onRowClick?: (key: string) => void; empty: string }) {
  const [q, setQ] = useState("");
  const shown = useMemo(() => {
    const n = q.toLowerCase();
    return rows.filter(([k]) => k.toLowerCase().includes(n));
  }, [rows, q]);
  const LIMIT = 200;
  return (
    <Card
      title={title}
      count={rows.length}
      aside={rows.length > 8 && <input className="input input-small" type="search" placeholder="Filter" aria-label={`Filter ${title.toLowerCase()}`} value={q} onChange={(e) => setQ(e.target.value)} />}
      body="card-body-flush card-scroll"
    >
      {rows.length === 0 ? (
        <div className="card-empty muted">{empty}</div>
      ) : (
        <table className="table kv-table">
          <tbody>
            {shown.slice(0, LIMIT).map(([k, v]) => (
              <tr key={k} className={onRowClick ? "clickable" : undefined} onClick={onRowClick ? () => onRowClick(k) : undefined}>
                <td>{k}</td>
                <td className={numeric ? "num mono" : undefined}>{numeric ? formatNumber(v) : String(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown.length > LIMIT && <div className="table-note muted small">{shown.length - LIMIT} more: filter to narrow.</div>}
    </Card>
  );
}

export function RunOverview({ run, onChanged }: { run: WireRun; onChanged(): void }) {
  useEffect(() => {
    requestAnimationFrame(() => performance.mark("ciclo:run-visible"));
  }, []);
  const i = run.info;
  const duration = i.start_time !== undefined && i.end_time !== undefined ? i.end_time - i.start_time : undefined;
  const commit = tag(run, "mlflow.source.git.commit");
  const repo = tag(run, "mlflow.source.git.repoURL") ?? tag(run, "mlflow.gitRepoURL");
  const link = commitUrl(repo, commit);
  const source = tag(run, "mlflow.source.name");
  const params = useMemo(() => (run.data.params ?? []).map((p) => [p.key, p.value] as [string, string]).sort((a, b) => a[0].localeCompare(b[0])), [run]);
  const metrics = useMemo(() => (run.data.metrics ?? []).map((m) => [m.key, wireDouble(m.value)] as [string, number]).sort((a, b) => a[0].localeCompare(b[0])), [run]);

  return (
    <div className="run-overview">
      <section className="card" aria-label="Details">
        <dl className="details">
          <Detail label="Status">{i.status.charAt(0) + i.status.slice(1).toLowerCase()}</Detail>
          <Detail label="Started">{formatTime(i.start_time)}</Detail>
          <Detail label="Duration">{i.status === "RUNNING" && duration === undefined ? "running" : formatDuration(duration)}</Detail>
          <Detail label="User">{i.user_id || tag(run, "mlflow.user") || "—"}</Detail>
          <Detail label="Source">
            <span className="mono truncate" title={source}>
              {source ?? "—"}
            </span>
          </Detail>
          <Detail label="Git commit">
            {commit ? (
              link ? (
                <a className="mono" href={link} target="_blank" rel="noopener noreferrer">
                  {commit.slice(0, 10)}
                </a>
              ) : (
                <span className="mono">{commit.slice(0, 10)}</span>
              )
            ) : (
              "—"
            )}
          </Detail>
          <Detail label="Run ID">
            <span className="mono">{i.run_id}</span>
          </Detail>
          <Detail label="Artifact URI">
            <span className="mono truncate" title={i.artifact_uri}>
              {i.artifact_uri ?? "—"}
            </span>
          </Detail>
        </dl>
      </section>
      <RunDescription run={run} onChanged={onChanged} />
      <RunModelsCard runId={i.run_id} />
      <div className="two-col">
        <FilteredTable title="Parameters" rows={params} empty="No parameters logged." />
        <FilteredTable title="Metrics" rows={metrics} numeric empty="No metrics logged." onRowClick={(k) => setSearch({ tab: "charts", mq: k })} />
      </div>
      <div className="two-col">
        <TagsEditor
          tags={run.data.tags ?? []}
          hidden={[NOTE_TAG]}
          onSet={async (k, v) => {
            await setRunTag(i.run_id, k, v);
            onChanged();
          }}
          onDelete={async (k) => {
            await deleteRunTag(i.run_id, k);
            onChanged();
          }}
        />
        <RunDatasets run={run} />
      </div>
    </div>
  );
}
