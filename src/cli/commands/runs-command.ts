/** `ciclo runs list|describe|delete|restore` (and `compare`, in runs-compare.ts). */
import { Option, type Command } from "commander";
import { isSystemTag, SYSTEM_TAG_PREFIXES } from "../../shared/system-tag-prefixes.js";
import type { Run } from "../../shared/tracking-types.js";
import { CliContext, collect, parsePositiveInt, splitIds, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatDuration, formatMetric, formatTime } from "../output/format.js";
import { renderFields, type Column } from "../output/table.js";
import { parseView } from "./experiments-command.js";
import { registerRunsCompare } from "./runs-compare.js";

interface ListFlags extends CommonFlags {
  experiment?: string[];
  filter?: string;
  orderBy?: string[];
  view?: string;
  maxResults?: string;
  metric?: string[];
  param?: string[];
}

function statusColor(cli: CliContext) {
  return (cell: string, r: Run) => {
    const s = r.info.status;
    return s === "FINISHED" ? cli.colors.green(cell) : s === "FAILED" || s === "KILLED" ? cli.colors.red(cell) : s === "RUNNING" ? cli.colors.cyan(cell) : cell;
  };
}

function runColumns(cli: CliContext, metrics: string[], params: string[]): Column<Run>[] {
  const latest = (r: Run, k: string) => r.data.metrics.find((m) => m.key === k)?.value;
  return [
    { header: "RUN ID", value: (r) => r.info.runId, shrink: false },
    { header: "NAME", value: (r) => r.info.runName },
    { header: "STATUS", value: (r) => r.info.status, shrink: false, color: statusColor(cli) },
    { header: "STARTED", value: (r) => formatTime(r.info.startTime), shrink: false },
    {
      header: "DURATION",
      value: (r) => (r.info.startTime === null ? "-" : formatDuration((r.info.endTime ?? Date.now()) - r.info.startTime)),
      align: "right",
      shrink: false,
    },
    ...params.map((k): Column<Run> => ({ header: k, value: (r) => r.data.params.find((p) => p.key === k)?.value ?? "" })),
    ...metrics.map((k): Column<Run> => ({ header: k, value: (r) => formatMetric(latest(r, k)), align: "right", shrink: false })),
  ];
}

export function registerRunsCommand(program: Command): void {
  const runs = usageExitCodes(program.command("runs").description("List, describe, compare, delete and restore runs"));

  withCommonOptions(runs.command("list"))
    .description("List the runs of one or more experiments, newest first")
    .requiredOption("-e, --experiment <experiment>", "experiment id or name (repeatable)", collect)
    .option("--filter <filter>", "MLflow search filter, e.g. \"metrics.acc > 0.9 and params.lr = '0.01'\"")
    .option("--order-by <clause>", "e.g. 'metrics.acc DESC' (repeatable; default start_time DESC)", collect)
    .option("--view <view>", "active, deleted or all", "active")
    .option("--max-results <n>", "list at most n runs", "100")
    .option("--metric <key>", "add a column with this metric's latest value (repeatable)", collect)
    .option("--param <key>", "add a column with this param (repeatable)", collect)
    .addHelpText(
      "after",
      `
Examples:
  $ ciclo runs list -e fraud-detection
  $ ciclo runs list -e 3 --filter "metrics.auc > 0.9" --order-by "metrics.auc DESC" --metric auc --param lr
  $ ciclo runs list -e 3 -e 4 --view deleted
  $ ciclo runs list -e 3 --json | jq -r '.[].info.runId'`,
    )
    .action(
      cliAction("runs list", async (flags: ListFlags) => {
        const cli = new CliContext(flags);
        const limit = parsePositiveInt(flags.maxResults, "--max-results")!;
        const viewType = parseView(flags.view);
        const experimentIds: string[] = [];
        for (const ref of flags.experiment ?? []) experimentIds.push((await cli.experiment(ref)).experimentId);
        const found = await cli.tracking.searchAllRuns({ experimentIds, filter: flags.filter, orderBy: flags.orderBy, viewType, limit });
        cli.emit(found, () => cli.table(runColumns(cli, flags.metric ?? [], flags.param ?? []), found, "No runs."));
      }),
    );

  withCommonOptions(runs.command("describe"))
    .description("Show a run: info, params, latest metrics, tags and dataset inputs")
    .argument("<run-id>", "the run")
    .option("--system-tags", `also show system tags (${SYSTEM_TAG_PREFIXES.map((p) => `${p}*`).join(", ")})`)
    .addOption(new Option("--all-tags", "the same as --system-tags").hideHelp())
    .addHelpText(
      "after",
      "\nExamples:\n  $ ciclo runs describe 5f3c0a...\n  $ ciclo runs describe 5f3c0a... --system-tags\n  $ ciclo runs describe 5f3c0a... --json | jq '.data.params'",
    )
    .action(
      cliAction("runs describe", async (runId: string, flags: CommonFlags & { systemTags?: boolean; allTags?: boolean }) => {
        const cli = new CliContext(flags);
        const run = await cli.tracking.getRun(runId);
        cli.emit(run, () => describeRun(cli, run, flags.systemTags === true || flags.allTags === true));
      }),
    );

  for (const [verb, past] of [
    ["delete", "Deleted"],
    ["restore", "Restored"],
  ] as const) {
    withCommonOptions(runs.command(verb))
      .description(verb === "delete" ? "Delete runs (restorable until `ciclo gc` purges them)" : "Restore deleted runs")
      .argument("<run-ids...>", "runs (also comma-separated)")
      .addHelpText("after", `\nExamples:\n  $ ciclo runs ${verb} 5f3c0a...\n  $ ciclo runs ${verb} 5f3c0a... 9b1e77...`)
      .action(
        cliAction(`runs ${verb}`, async (ids: string[], flags: CommonFlags) => {
          const cli = new CliContext(flags);
          const runIds = splitIds(ids)!;
          if (runIds.length === 0) throw new UsageError("No run id given.");
          for (const id of runIds) {
            if (verb === "delete") await cli.tracking.deleteRun(id);
            else await cli.tracking.restoreRun(id);
            if (!cli.json) cli.out(`${past} run ${id}.`);
          }
          if (cli.json) cli.emit({ runIds, lifecycleStage: verb === "delete" ? "deleted" : "active" }, () => {});
        }),
      );
  }

  registerRunsCompare(runs);
}

function describeRun(cli: CliContext, run: Run, allTags: boolean): void {
  const i = run.info;
  const fields: Array<[string, string]> = [
    ["run id", i.runId],
    ["name", i.runName],
    ["experiment", i.experimentId],
    ["status", i.status],
    ["lifecycle", i.lifecycleStage],
    ["user", i.userId],
    ["started", formatTime(i.startTime)],
    ["ended", formatTime(i.endTime)],
    ["duration", i.startTime === null ? "-" : formatDuration((i.endTime ?? Date.now()) - i.startTime)],
    ["artifact uri", i.artifactUri],
  ];
  cli.out(renderFields(fields, cli.colors));
  const section = (title: string) => cli.out(`\n${cli.colors.bold(title)}`);
  section(`Params (${run.data.params.length})`);
  cli.table([{ header: "KEY", value: (p) => p.key }, { header: "VALUE", value: (p) => p.value }], run.data.params);
  section(`Metrics (${run.data.metrics.length}, latest values)`);
  cli.table(
    [
      { header: "KEY", value: (m) => m.key },
      { header: "VALUE", value: (m) => formatMetric(m.value), align: "right", shrink: false },
      { header: "STEP", value: (m) => String(m.step), align: "right", shrink: false },
      { header: "TIME", value: (m) => formatTime(m.timestamp), shrink: false },
    ],
    run.data.metrics,
  );
  const tags = run.data.tags.filter((t) => allTags || !isSystemTag(t.key));
  const hidden = run.data.tags.length - tags.length;
  section(`Tags (${tags.length}${hidden > 0 ? `; ${hidden} system tag(s) hidden, see --system-tags` : ""})`);
  cli.table([{ header: "KEY", value: (t) => t.key }, { header: "VALUE", value: (t) => t.value }], tags);
  const inputs = run.inputs.datasetInputs;
  if (inputs.length > 0) {
    section(`Dataset inputs (${inputs.length})`);
    cli.table(
      [
        { header: "NAME", value: (d) => d.dataset.name },
        { header: "DIGEST", value: (d) => d.dataset.digest, shrink: false },
        { header: "CONTEXT", value: (d) => d.tags.find((t) => t.key === "mlflow.data.context")?.value ?? "" },
        { header: "SOURCE", value: (d) => `${d.dataset.sourceType}: ${d.dataset.source}` },
      ],
      inputs,
    );
  }
}
