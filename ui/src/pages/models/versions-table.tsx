/** A registered model's versions, newest first: stage (changeable), aliases, status, source, the run that produced it. */
import type { WireModelVersion } from "../../api/registry-api";
import { formatRelative, formatTime } from "../../format";
import { Link } from "../../router/router";
import { runPath, versionPath } from "./model-links";
import { StageControl } from "./stage-control";
import { shortRunId } from "../../../../src/shared/short-run-id";

interface Props {
  name: string;
  versions: WireModelVersion[];
  onChanged(): void;
}

export function VersionsTable({ name, versions, onChanged }: Props) {
  return (
    <div className="table-scroll">
      <table className="table versions-table" aria-label="Versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Stage</th>
            <th>Aliases</th>
            <th>Status</th>
            <th>Source</th>
            <th>Run</th>
            <th>Registered</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td className="cell-name">
                <Link to={versionPath(name, v.version)}>Version {v.version}</Link>
              </td>
              <td>
                <StageControl name={name} version={v.version} stage={v.current_stage} onChanged={onChanged} />
              </td>
              <td>
                <span className="chips">
                  {(v.aliases ?? []).map((a) => (
                    <span key={a} className="alias-chip">
                      @{a}
                    </span>
                  ))}
                </span>
              </td>
              <td>
                <span className={`badge vstatus-${v.status.toLowerCase()}`}>{v.status === "READY" ? "Ready" : v.status.replace(/_/g, " ").toLowerCase()}</span>
              </td>
              <td className="mono small source-cell" title={v.source}>
                {v.source}
              </td>
              <td>{v.run_id ? <Link to={runPath(v.run_id)} className="mono small">{shortRunId(v.run_id)}</Link> : <span className="muted">—</span>}</td>
              <td title={formatTime(v.creation_timestamp)} className="nowrap">
                {formatRelative(v.creation_timestamp)}
                {v.user_id ? <span className="muted small"> · {v.user_id}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
