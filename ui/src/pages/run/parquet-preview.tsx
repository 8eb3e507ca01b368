/**
 * Parquet artifacts as a table, read in the browser with hyparquet through
 * HTTP range requests: the footer, then only the first rows' pages — a large
 * file is never downloaded whole for a preview.
 */
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer } from "hyparquet";
import { readArtifactRange } from "../../api/artifacts-api";
import { request } from "../../api/http";
import { artifactUrl } from "../../api/artifacts-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { formatCount } from "../../format";
import { DataTable } from "./data-table";

const MAX_ROWS = 200;

async function sizeOf(runId: string, path: string, signal: AbortSignal): Promise<number> {
  const res = await request(artifactUrl(runId, path), { method: "HEAD", signal });
  return Number(res.headers.get("content-length"));
}

export default function ParquetPreview({ runId, path, size }: { runId: string; path: string; size?: number }) {
  const res = useApi(async (signal) => {
    const byteLength = size ?? (await sizeOf(runId, path, signal));
    const file: AsyncBuffer = { byteLength, slice: (start, end) => readArtifactRange(runId, path, start, end ?? byteLength, signal) };
    const metadata = await parquetMetadataAsync(file);
    const schema = parquetSchema(metadata);
    const columns = schema.children.map((c) => c.element.name);
    const types = schema.children.map((c) => c.element.logical_type?.type ?? c.element.converted_type ?? c.element.type ?? "");
    // Snappy is built into hyparquet; the other codecs (zstd, gzip, brotli, lz4) load only when a file uses them.
    const codecs = new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    const needsMore = [...codecs].some((c) => c !== undefined && c !== "SNAPPY" && c !== "UNCOMPRESSED");
    const compressors = needsMore ? (await import("hyparquet-compressors")).compressors : undefined;
    const objects = (await parquetReadObjects({ file, metadata, rowEnd: MAX_ROWS, compressors })) as Array<Record<string, unknown>>;
    return { columns, types, rows: objects.map((o) => columns.map((c) => o[c])), total: Number(metadata.num_rows) };
  }, [runId, path, size]);
  if (res.error) return <ErrorBanner error={`Cannot read this Parquet file: ${res.error.message}`} />;
  if (!res.data) return <Loading label="Reading Parquet…" />;
  const d = res.data;
  return (
    <div className="stack">
      <div className="muted small">
        {formatCount(d.total)} rows · {d.columns.length} columns{d.total > d.rows.length ? ` · first ${d.rows.length} shown` : ""}
      </div>
      <DataTable columns={d.columns.map((c, i) => (d.types[i] ? `${c} (${String(d.types[i]).toLowerCase()})` : c))} rows={d.rows} caption="Parquet preview" />
    </div>
  );
}
