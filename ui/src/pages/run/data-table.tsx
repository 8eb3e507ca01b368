/** A plain preview table (CSV, Parquet, signatures): header row, a capped number of rows, cells clipped. */
export function DataTable({ columns, rows, caption }: { columns: string[]; rows: unknown[][]; caption?: string }) {
  return (
    <div className="table-scroll data-table-wrap">
      <table className="table data-table" aria-label={caption ?? "Data preview"}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {columns.map((_, j) => (
                <td key={j} className={typeof r[j] === "number" || typeof r[j] === "bigint" ? "num" : undefined}>
                  {cellText(r[j])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") {
    try {
      return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
    } catch {
      return String(v);
    }
  }
  const s = String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
