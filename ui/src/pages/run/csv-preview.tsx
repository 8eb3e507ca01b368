/** CSV/TSV artifacts as a table: the first 1 MB, parsed with RFC 4180 quoting, up to 500 rows. */
import { readArtifactHead } from "../../api/artifacts-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { formatCount } from "../../format";
import { DataTable } from "./data-table";

const MAX_BYTES = 1024 * 1024;
const MAX_ROWS = 500;

/** Parses CSV text into rows; a last line cut mid-way (partial read) is dropped. */
export function parseCsv(text: string, delimiter: string, complete: boolean, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  while (i < text.length && rows.length <= maxRows) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
    i++;
  }
  if (complete && (field !== "" || row.length > 0)) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export function CsvPreview({ runId, path }: { runId: string; path: string }) {
  const res = useApi(async (signal) => {
    const { bytes, complete } = await readArtifactHead(runId, path, MAX_BYTES, signal);
    const text = new TextDecoder().decode(bytes);
    return { rows: parseCsv(text, /\.tsv$/i.test(path) ? "\t" : ",", complete, MAX_ROWS + 1), complete };
  }, [runId, path]);
  if (res.error) return <ErrorBanner error={res.error} />;
  if (!res.data) return <Loading />;
  const [header = [], ...body] = res.data.rows;
  const shown = body.slice(0, MAX_ROWS);
  const more = body.length > MAX_ROWS || !res.data.complete;
  return (
    <div className="stack">
      <div className="muted small">
        {formatCount(shown.length)} rows{more ? " shown (the file has more)" : ""} · {header.length} columns
      </div>
      <DataTable columns={header} rows={shown} caption="CSV preview" />
    </div>
  );
}
