/**
 * A run's artifacts: a folder tree (each folder listed when opened) and a
 * preview of the selected file with its download. The selected path is in the
 * URL.
 */
import { useState } from "react";
import { listArtifacts, type FileInfo } from "../../api/artifacts-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatBytes } from "../../format";
import { setSearch, useUrl } from "../../router/router";
import { ArtifactPreview } from "./artifact-preview";

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

function Folder({ runId, path, depth, selected, onSelect }: { runId: string; path: string | undefined; depth: number; selected: string; onSelect(f: FileInfo): void }) {
  const files = useApi((signal) => listArtifacts(runId, path, signal), [runId, path]);
  if (files.error) return <ErrorBanner error={files.error} onRetry={files.reload} />;
  if (!files.data) return <div className="tree-loading muted small" style={{ paddingLeft: 12 + depth * 16 }}>Loading…</div>;
  if (files.data.length === 0 && depth === 0) return null;
  return (
    <ul className="tree" role={depth === 0 ? "tree" : "group"} aria-label={depth === 0 ? "Artifacts" : undefined}>
      {files.data.map((f) => (
        <TreeItem key={f.path} runId={runId} file={f} depth={depth} selected={selected} onSelect={onSelect} />
      ))}
    </ul>
  );
}

function TreeItem({ runId, file, depth, selected, onSelect }: { runId: string; file: FileInfo; depth: number; selected: string; onSelect(f: FileInfo): void }) {
  const [open, setOpen] = useState(selected.startsWith(`${file.path}/`));
  const active = selected === file.path;
  return (
    <li role="treeitem" aria-expanded={file.is_dir ? open : undefined} aria-selected={active}>
      <button
        className={`tree-row${active ? " active" : ""}`}
        style={{ paddingLeft: 12 + depth * 16 }}
        onClick={() => {
          if (file.is_dir) setOpen((o) => !o);
          onSelect(file);
        }}
        title={file.path}
      >
        <span className="tree-icon" aria-hidden="true">
          {file.is_dir ? (open ? "▾" : "▸") : "·"}
        </span>
        <span className="truncate">{baseName(file.path)}</span>
        {!file.is_dir && <span className="tree-size muted small">{formatBytes(file.file_size)}</span>}
      </button>
      {file.is_dir && open && <Folder runId={runId} path={file.path} depth={depth + 1} selected={selected} onSelect={onSelect} />}
    </li>
  );
}

export function ArtifactBrowser({ runId }: { runId: string }) {
  const { search } = useUrl();
  const selected = search.get("path") ?? "";
  const [sizes, setSizes] = useState<Record<string, number | undefined>>({});
  const root = useApi((signal) => listArtifacts(runId, undefined, signal), [runId]);
  const select = (f: FileInfo) => {
    setSizes((s) => ({ ...s, [f.path]: f.file_size }));
    setSearch({ path: f.path, dir: f.is_dir ? "1" : undefined });
  };
  if (root.error) return <ErrorBanner error={root.error} onRetry={root.reload} />;
  if (!root.data) return <Loading label="Listing artifacts…" />;
  if (root.data.length === 0) return <EmptyState title="No artifacts">Files the run logs (models, plots, reports) appear here.</EmptyState>;
  const isDir = search.get("dir") === "1";
  return (
    <div className="artifacts card">
      <div className="artifact-tree">
        <Folder runId={runId} path={undefined} depth={0} selected={selected} onSelect={select} />
      </div>
      <div className="artifact-pane">
        {selected && !isDir ? (
          <ArtifactPreview key={selected} runId={runId} path={selected} size={sizes[selected]} />
        ) : (
          <div className="artifact-hint muted">{selected ? `Folder ${selected}` : "Select a file to preview it."}</div>
        )}
      </div>
    </div>
  );
}
