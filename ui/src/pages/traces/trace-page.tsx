/**
 * One trace: its summary (status, time, execution time, run, tags) and its
 * span tree from traces.json — nesting by parent, each span's type, status
 * and duration as a bar on the trace's time axis. The selected span's inputs,
 * outputs, attributes and events (exceptions among them) show as formatted
 * JSON. Span data is only ever rendered as text nodes. Actions: delete the
 * trace (after a confirmation), add, change and remove its tags; its
 * assessments (feedback and expectations) are listed with source and rationale.
 */
import { useMemo, useState } from "react";
import { deleteTrace, deleteTraceTag, getTraceInfo, readTraceSpans, setTraceTag } from "../../api/traces-api";
import { getExperiment } from "../../api/tracking-api";
import { useApi } from "../../api/use-api";
import { Dialog } from "../../components/dialog";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { TagsEditor } from "../../components/tags-editor";
import { useAction } from "../../components/use-action";
import { formatDuration, formatTime } from "../../format";
import { Link, navigate, setSearch, useUrl } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import type { PageProps } from "../../routes";
import { AssessmentsCard, spanIdHex } from "./assessments-card";
import { buildSpanTree, type SpanNode } from "./span-tree";
import { stateBadge, traceDurationMs, traceName, traceRun, traceTime } from "./trace-format";

const json = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));
const spanMs = (ms: number | undefined) => (ms === undefined ? "—" : ms < 1 ? `${ms.toFixed(2)} ms` : formatDuration(Math.round(ms)));

export default function TracePage({ params }: PageProps) {
  const { experimentId, traceId } = params as { experimentId: string; traceId: string };
  const { search } = useUrl();
  const info = useApi((signal) => getTraceInfo(traceId, signal), [traceId]);
  const experiment = useApi((signal) => getExperiment(experimentId, signal), [experimentId]);
  const spans = useApi(
    (signal) => (info.data ? readTraceSpans(info.data.tags?.["mlflow.artifactLocation"], signal) : Promise.resolve(undefined)),
    [info.data],
  );
  const tree = useMemo(() => (spans.data ? buildSpanTree(spans.data) : undefined), [spans.data]);
  const selectedId = search.get("span") ?? tree?.nodes[0]?.id;
  const selected = tree?.nodes.find((n) => n.id === selectedId);
  const [confirming, setConfirming] = useState(false);
  const removal = useAction();
  const remove = async () => {
    if (await removal.run(() => deleteTrace(experimentId, traceId))) navigate(`/experiments/${experimentId}/traces`, { replace: true });
  };

  const t = info.data;
  const badge = t ? stateBadge(t.state) : undefined;
  const run = t ? traceRun(t) : undefined;
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <Breadcrumbs
            trail={[
              { label: "Experiments", to: "/experiments" },
              { label: experiment.data?.name ?? `Experiment ${experimentId}`, to: `/experiments/${experimentId}` },
              { label: "Traces", to: `/experiments/${experimentId}/traces` },
            ]}
            current={t ? traceName(t) || traceId : traceId}
          />
          <h1>
            {t ? traceName(t) || traceId : traceId} {badge && <span className={`badge ${badge.cls}`}>{badge.label}</span>}
          </h1>
          <div className="muted small mono">{traceId}</div>
        </div>
        {t && (
          <div className="page-actions">
            <button className="btn btn-danger" onClick={() => setConfirming(true)}>
              Delete trace
            </button>
          </div>
        )}
      </header>
      {confirming && (
        <Dialog
          title="Delete this trace?"
          submitLabel="Delete trace"
          danger
          busy={removal.busy}
          error={removal.error?.message}
          onSubmit={() => void remove()}
          onClose={() => {
            setConfirming(false);
            removal.clearError();
          }}
        >
          <p>
            The trace <span className="mono">{traceId}</span>, its tags and its {t?.assessments?.length ?? 0} assessment
            {t?.assessments?.length === 1 ? "" : "s"} are deleted. This cannot be undone.
          </p>
        </Dialog>
      )}
      {info.error && <ErrorBanner error={info.error} onRetry={info.reload} />}
      {!t && info.loading && <Loading label="Loading trace…" />}
      {t && (
        <div className="trace-cards">
        <div className="card">
          <div className="card-body">
            <table className="kv-table" aria-label="Trace">
              <tbody>
                <tr>
                  <th>Started</th>
                  <td>{formatTime(traceTime(t))}</td>
                </tr>
                <tr>
                  <th>Execution time</th>
                  <td>{formatDuration(traceDurationMs(t))}</td>
                </tr>
                {run && (
                  <tr>
                    <th>Run</th>
                    <td className="mono">
                      <Link to={`/runs/${run}`}>{run}</Link>
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </div>
          <TagsEditor
            tags={Object.entries(t.tags ?? {}).map(([key, value]) => ({ key, value }))}
            onSet={(key, value) => setTraceTag(traceId, key, value).then(info.reload)}
            onDelete={(key) => deleteTraceTag(traceId, key).then(info.reload)}
          />
        </div>
      )}
      {t && <AssessmentsCard assessments={t.assessments ?? []} spanName={(id) => tree?.nodes.find((n) => spanIdHex(n.id) === spanIdHex(id))?.name} />}
      {spans.error && <ErrorBanner error={spans.error} onRetry={spans.reload} />}
      {t && !spans.data && spans.loading && <Loading label="Loading spans…" />}
      {tree && tree.nodes.length === 0 && <EmptyState title="No spans">traces.json of this trace lists no spans.</EmptyState>}
      {tree && tree.nodes.length > 0 && (
        <div className="card trace-spans">
          <div className="span-tree" role="tree" aria-label="Spans">
            {tree.nodes.map((n) => (
              <SpanRow key={n.id} node={n} totalMs={tree.totalMs} selected={n.id === selected?.id} />
            ))}
          </div>
          <div className="span-detail">{selected && <SpanDetail node={selected} />}</div>
        </div>
      )}
    </div>
  );
}

function SpanRow({ node, totalMs, selected }: { node: SpanNode; totalMs: number; selected: boolean }) {
  const left = totalMs > 0 ? (node.offsetMs / totalMs) * 100 : 0;
  const width = totalMs > 0 && node.durationMs !== undefined ? Math.max((node.durationMs / totalMs) * 100, 0.5) : 100 - left;
  return (
    <div
      role="treeitem"
      aria-selected={selected}
      aria-level={node.depth + 1}
      aria-label={node.name}
      tabIndex={0}
      className={`span-row${selected ? " selected" : ""}`}
      onClick={() => setSearch({ span: node.id })}
      onKeyDown={(e) => e.key === "Enter" && setSearch({ span: node.id })}
    >
      <div className="span-label" style={{ paddingLeft: `${node.depth * 16 + 8}px` }}>
        <span className={`status-dot status-${node.status === "ERROR" ? "failed" : "finished"}`} aria-label={node.status} />
        <span className="span-name truncate">{node.name}</span>
        <span className="span-type">{node.type}</span>
      </div>
      <div className="span-axis">
        <div className={`span-bar${node.status === "ERROR" ? " span-bar-error" : ""}`} style={{ left: `${left}%`, width: `${width}%` }} />
      </div>
      <div className="span-ms num small">{spanMs(node.durationMs)}</div>
    </div>
  );
}

function SpanDetail({ node }: { node: SpanNode }) {
  return (
    <section aria-label={`Span ${node.name}`}>
      <h2 className="span-detail-title">
        {node.name} <span className="span-type">{node.type}</span>{" "}
        <span className={`badge ${node.status === "ERROR" ? "badge-failed" : "badge-finished"}`}>{node.status}</span>
      </h2>
      <div className="muted small">
        {spanMs(node.durationMs)}, starting at {spanMs(node.offsetMs)}
        {node.statusMessage && <> — {node.statusMessage}</>}
      </div>
      <JsonBlock title="Inputs" value={node.inputs} />
      <JsonBlock title="Outputs" value={node.outputs} />
      {Object.keys(node.attributes).length > 0 && <JsonBlock title="Attributes" value={node.attributes} />}
      {node.events.map((e, i) => {
        if (e.name !== "exception") return <JsonBlock key={i} title={`Event: ${e.name}`} value={e.attributes} />;
        // The stack trace reads as lines, not as one JSON string full of \n.
        const { "exception.stacktrace": stack, ...rest } = e.attributes;
        return (
          <div key={i}>
            <JsonBlock title="Exception" value={rest} error />
            {typeof stack === "string" && stack && (
              <pre className="pre small" aria-label="Stack trace">
                {stack}
              </pre>
            )}
          </div>
        );
      })}
    </section>
  );
}

function JsonBlock({ title, value, error }: { title: string; value: unknown; error?: boolean }) {
  return (
    <div className="span-block">
      <h3 className={error ? "span-block-error" : undefined}>{title}</h3>
      {value === undefined ? <div className="faint small">—</div> : <pre className="pre" aria-label={title}>{json(value)}</pre>}
    </div>
  );
}
