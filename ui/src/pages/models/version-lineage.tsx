/**
 * What produced a model version (`/api/ciclo/v1/model-versions/lineage`): the
 * run and its experiment, the code (commit linked to its host), the datasets,
 * the run's params and latest metrics, and the version's files to download.
 */
import type { WireModelVersionLineage } from "../../api/registry-api";
import { versionArtifactUrl } from "../../api/registry-api";
import { wireDouble } from "../../api/tracking-api";
import { StatusBadge } from "../../components/states";
import { formatBytes, formatNumber, formatTime } from "../../format";
import { Link } from "../../router/router";
import { commitUrl } from "../run/git-link";
import { runPath } from "./model-links";
import { Card } from "../../components/card";

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="detail">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function KvCard({ title, rows, numeric }: { title: string; rows: Array<[string, string | number]>; numeric?: boolean }) {
  return (
    <Card title={title} count={rows.length} body="card-body-flush card-scroll">
      {rows.length === 0 ? (
        <div className="card-empty muted">None logged.</div>
      ) : (
        <table className="table kv-table">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <td>{k}</td>
                <td className={numeric ? "num mono" : undefined}>{numeric ? formatNumber(v) : String(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function LineageRun({ lineage }: { lineage: WireModelVersionLineage }) {
  const { run, experiment, code } = lineage;
  const link = commitUrl(code.git_repo_url, code.git_commit);
  return (
    <section className="card" aria-label="Lineage">
      <div className="card-head">
        <h2>Lineage</h2>
        {run && (
          <Link to={runPath(run.run_id)} className="btn btn-small">
            Open run
          </Link>
        )}
      </div>
      {run ? (
        <dl className="details">
          <Detail label="Run">
            <Link to={runPath(run.run_id)} className="truncate">
              {run.run_name || run.run_id}
            </Link>
          </Detail>
          <Detail label="Experiment">{experiment ? <Link to={`/experiments/${experiment.experiment_id}`} className="truncate">{experiment.name}</Link> : "—"}</Detail>
          <Detail label="Run status">
            <StatusBadge status={run.status} />
          </Detail>
          <Detail label="Started">{formatTime(run.start_time)}</Detail>
          <Detail label="Git commit">
            {code.git_commit ? (
              link ? (
                <a className="mono" href={link} target="_blank" rel="noopener noreferrer" title={code.git_commit}>
                  {code.git_commit.slice(0, 10)}
                </a>
              ) : (
                <span className="mono" title={code.git_commit}>{code.git_commit.slice(0, 10)}</span>
              )
            ) : (
              "—"
            )}
          </Detail>
          <Detail label="Branch">{code.git_branch ? <span className="mono">{code.git_branch}</span> : "—"}</Detail>
          <Detail label="Source">
            <span className="mono truncate" title={code.source_name}>
              {code.source_name ?? "—"}
            </span>
          </Detail>
          <Detail label="Entry point">{code.entry_point ? <span className="mono">{code.entry_point}</span> : "—"}</Detail>
        </dl>
      ) : (
        <div className="card-body muted">This version names no run: its lineage is unknown.</div>
      )}
      {lineage.warnings.length > 0 && (
        <div className="card-body lineage-warnings">
          {lineage.warnings.map((w) => (
            <div key={w} className="banner banner-info small">
              {w}
            </div>
          ))}
        </div>
      )}
    </section>
  );
}

export function LineageData({ lineage }: { lineage: WireModelVersionLineage }) {
  const params = lineage.params.map((p) => [p.key, p.value] as [string, string]).sort((a, b) => a[0].localeCompare(b[0]));
  const metrics = lineage.metrics.map((m) => [m.key, wireDouble(m.value)] as [string, number]).sort((a, b) => a[0].localeCompare(b[0]));
  return (
    <>
      <div className="two-col">
        <KvCard title="Parameters" rows={params} />
        <KvCard title="Metrics" rows={metrics} numeric />
      </div>
      <Card title="Datasets" count={lineage.datasets.length}>
        {lineage.datasets.length === 0 ? (
          <div className="card-empty muted">The run logged no dataset.</div>
        ) : (
          <ul className="dataset-list">
            {lineage.datasets.map((d, i) => (
              <li key={`${d.name}-${d.digest}-${i}`} className="dataset">
                <div className="dataset-head">
                  <strong>{d.name}</strong>
                  {d.context && <span className="badge">{d.context}</span>}
                  <span className="mono small muted">{d.digest}</span>
                </div>
                <div className="small muted">
                  {d.source_type}
                  {d.source ? <> · <span className="mono">{d.source}</span></> : null}
                </div>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

export function VersionFiles({ name, version, lineage }: { name: string; version: string; lineage: WireModelVersionLineage }) {
  const files = lineage.artifacts.filter((a) => !a.is_dir);
  return (
    <Card
      title="Files"
      count={`${files.length}${lineage.artifacts_truncated ? "+" : ""}`}
      aside={
        <span className="mono small muted truncate" title={lineage.download_uri}>
          {lineage.download_uri}
        </span>
      }
      body="card-body-flush card-scroll"
    >
      {files.length === 0 ? (
        <div className="card-empty muted">No files found at the version's source.</div>
      ) : (
        <table className="table files-table">
          <tbody>
            {files.map((f) => (
              <tr key={f.path}>
                <td className="mono small">{f.path}</td>
                <td className="num muted small">{formatBytes(f.file_size)}</td>
                <td className="col-actions">
                  <a className="btn btn-small" href={versionArtifactUrl(name, version, f.path)} download={f.path.split("/").pop()}>
                    Download
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {lineage.artifacts_truncated && <div className="table-note muted small">Only the first 1,000 files are listed.</div>}
    </Card>
  );
}
