/**
 * `ciclo runs compare <run> <run> [...]`: params and latest metrics of two or
 * more runs side by side, one column per run; rows whose values differ (or
 * are missing in some run) are marked with "≠" (and yellow on a terminal).
 * @module
 */
import type { Command } from "commander";
import { shortRunId } from "../../shared/short-run-id.js";
import { isSystemTag } from "../../shared/system-tag-prefixes.js";
import type { Run } from "../../shared/tracking-types.js";
import { CliContext, splitIds, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError } from "../output/cli-errors.js";
import { formatMetric } from "../output/format.js";
import type { Column } from "../output/table.js";

interface CompareRow<V> {
  key: string;
  /** One value per run, in the order the runs were given; null when the run lacks the key. */
  values: Array<V | null>;
  differs: boolean;
}

interface Comparison {
  runs: Array<{ runId: string; runName: string; experimentId: string; status: string }>;
  params: CompareRow<string>[];
  metrics: CompareRow<number>[];
  tags: CompareRow<string>[];
}

function rowsOf<V>(runs: Run[], get: (r: Run) => Array<{ key: string; value: V }>, same: (a: V, b: V) => boolean): CompareRow<V>[] {
  const keys = [...new Set(runs.flatMap((r) => get(r).map((e) => e.key)))].sort();
  return keys.map((key) => {
    const values = runs.map((r) => get(r).find((e) => e.key === key)?.value ?? null);
    const first = values[0];
    const differs = values.some((v) => v === null || first === null || !same(v, first));
    return { key, values, differs };
  });
}

const sameNumber = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Builds the comparison (exported for tests and `--json`). */
function compareRuns(runs: Run[], opts: { tags?: boolean } = {}): Comparison {
  return {
    runs: runs.map((r) => ({ runId: r.info.runId, runName: r.info.runName, experimentId: r.info.experimentId, status: r.info.status })),
    params: rowsOf(runs, (r) => r.data.params, (a, b) => a === b),
    metrics: rowsOf(runs, (r) => r.data.metrics, sameNumber),
    tags: opts.tags ? rowsOf(runs, (r) => r.data.tags.filter((t) => !isSystemTag(t.key)), (a, b) => a === b) : [],
  };
}

type Line = { section: string; key: string; cells: string[]; differs: boolean };

export function registerRunsCompare(runs: Command): void {
  withCommonOptions(runs.command("compare"))
    .description("Compare the params and latest metrics of two or more runs side by side; differences are marked ≠")
    .argument("<run-ids...>", "two or more runs")
    .option("--only-diff", "show only the rows that differ")
    .option("--tags", "also compare tags (system tags mlflow.*, ciclo.* excluded)")
    .addHelpText(
      "after",
      `
Rows whose values differ between the runs (or are missing in some) start
with "≠". Metrics are each run's latest value.

Examples:
  $ ciclo runs compare 5f3c0a... 9b1e77...
  $ ciclo runs compare 5f3c0a... 9b1e77... 0d4f12... --only-diff
  $ ciclo runs compare 5f3c0a... 9b1e77... --json | jq '.params[] | select(.differs)'`,
    )
    .action(
      cliAction("runs compare", async (ids: string[], flags: CommonFlags & { onlyDiff?: boolean; tags?: boolean }) => {
        const runIds = splitIds(ids)!;
        if (runIds.length < 2) throw new UsageError("runs compare needs at least two run ids.");
        const cli = new CliContext(flags);
        const fetched: Run[] = [];
        for (const id of runIds) fetched.push(await cli.tracking.getRun(id));
        const cmp = compareRuns(fetched, { tags: flags.tags });
        const keep = <V>(rows: CompareRow<V>[]) => (flags.onlyDiff ? rows.filter((r) => r.differs) : rows);
        if (cli.json) {
          cli.emit({ ...cmp, params: keep(cmp.params), metrics: keep(cmp.metrics), tags: keep(cmp.tags) }, () => {});
          return;
        }
        const lines: Line[] = [
          ...keep(cmp.params).map((r) => ({ section: "param", key: r.key, cells: r.values.map((v) => v ?? "-"), differs: r.differs })),
          ...keep(cmp.metrics).map((r) => ({ section: "metric", key: r.key, cells: r.values.map((v) => (v === null ? "-" : formatMetric(v))), differs: r.differs })),
          ...keep(cmp.tags).map((r) => ({ section: "tag", key: r.key, cells: r.values.map((v) => v ?? "-"), differs: r.differs })),
        ];
        const mark = (cell: string, l: Line) => (l.differs ? cli.colors.yellow(cell) : cell);
        const columns: Column<Line>[] = [
          { header: " ", value: (l) => (l.differs ? "≠" : ""), shrink: false, minWidth: 1, color: mark },
          { header: "", value: (l) => l.section, shrink: false, color: (c) => cli.colors.dim(c) },
          { header: "KEY", value: (l) => l.key },
          ...cmp.runs.map(
            (r, i): Column<Line> => ({
              header: `${r.runName || shortRunId(r.runId)} (${shortRunId(r.runId)})`,
              value: (l) => l.cells[i],
              align: "right",
              color: mark,
            }),
          ),
        ];
        cli.table(columns, lines, flags.onlyDiff ? "No differences." : "Nothing to compare: the runs have no params or metrics.");
        const differing = lines.filter((l) => l.differs).length;
        cli.note(`${differing} of ${lines.length} row(s) differ.`);
      }),
    );
}
