/**
 * Previews an artifact by its kind: images, text/JSON/YAML (the first 512 KB),
 * CSV and Parquet as tables, an MLmodel with its signature; anything else
 * offers its download. Files are fetched, never opened on the server's
 * origin (the server sends them as attachments with nosniff).
 */
import { lazy, Suspense, useEffect, useState } from "react";
import { artifactUrl, readArtifactBlob, readArtifactHead } from "../../api/artifacts-api";
import { useApi } from "../../api/use-api";
import { ErrorBoundary } from "../../components/error-boundary";
import { ErrorBanner, Loading } from "../../components/states";
import { formatBytes } from "../../format";
import { CsvPreview } from "./csv-preview";

const MlmodelView = lazy(() => import("./mlmodel-view"));
const ParquetPreview = lazy(() => import("./parquet-preview"));

const TEXT_LIMIT = 512 * 1024;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|svg|ico)$/i;
const TEXTUAL = /\.(txt|log|md|json|ya?ml|py|js|ts|sh|cfg|ini|toml|xml|html?|r|sql|ipynb|jsonl|properties|conf|env|gitignore|dockerfile)$/i;

export type PreviewKind = "image" | "mlmodel" | "csv" | "parquet" | "json" | "text";

export function previewKind(path: string): PreviewKind {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (name === "MLmodel") return "mlmodel";
  if (IMAGE.test(name)) return "image";
  if (/\.(csv|tsv)$/i.test(name)) return "csv";
  if (/\.parquet$/i.test(name)) return "parquet";
  if (/\.json$/i.test(name)) return "json";
  return "text";
}

function ImagePreview({ runId, path }: { runId: string; path: string }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    const ctl = new AbortController();
    let made: string | undefined;
    readArtifactBlob(runId, path, ctl.signal).then(
      (blob) => {
        // The server labels SVG as an image: shown through <img>, its scripts never run.
        made = URL.createObjectURL(blob);
        setUrl(made);
      },
      (e: Error) => e.name !== "AbortError" && setError(e),
    );
    return () => {
      ctl.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [runId, path]);
  if (error) return <ErrorBanner error={error} />;
  if (!url) return <Loading />;
  return (
    <div className="image-preview">
      <img src={url} alt={path} />
    </div>
  );
}

function TextPreview({ runId, path, json }: { runId: string; path: string; json: boolean }) {
  const res = useApi(async (signal) => {
    const { bytes, complete } = await readArtifactHead(runId, path, TEXT_LIMIT, signal);
    const view = new Uint8Array(bytes);
    if (!TEXTUAL.test(path) && view.subarray(0, 8192).includes(0)) return { binary: true as const };
    let text = new TextDecoder("utf-8", { fatal: false }).decode(view);
    if (json && complete) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not valid JSON: shown as it is
      }
    }
    return { binary: false as const, text, complete };
  }, [runId, path, json]);
  if (res.error) return <ErrorBanner error={res.error} />;
  if (!res.data) return <Loading />;
  if (res.data.binary) return <div className="muted preview-note">Binary file: no preview. Use Download.</div>;
  return (
    <>
      {!res.data.complete && <div className="muted small preview-note">Showing the first {formatBytes(TEXT_LIMIT)}.</div>}
      <pre className="pre text-preview" data-testid="text-preview">{res.data.text}</pre>
    </>
  );
}

export function ArtifactPreview({ runId, path, size }: { runId: string; path: string; size?: number }) {
  const kind = previewKind(path);
  return (
    <div className="preview">
      <div className="preview-head">
        <span className="mono truncate" title={path}>
          {path}
        </span>
        {size !== undefined && <span className="muted small">{formatBytes(size)}</span>}
        <a className="btn btn-small" href={artifactUrl(runId, path)} download={path.slice(path.lastIndexOf("/") + 1)}>
          Download
        </a>
      </div>
      <div className="preview-body">
        <ErrorBoundary resetKey={path} inline>
        <Suspense fallback={<Loading />}>
          {kind === "image" ? (
            <ImagePreview runId={runId} path={path} />
          ) : kind === "mlmodel" ? (
            <MlmodelView runId={runId} path={path} />
          ) : kind === "csv" ? (
            <CsvPreview runId={runId} path={path} />
          ) : kind === "parquet" ? (
            <ParquetPreview runId={runId} path={path} size={size} />
          ) : (
            <TextPreview runId={runId} path={path} json={kind === "json"} />
          )}
        </Suspense>
        </ErrorBoundary>
      </div>
    </div>
  );
}
