/** `ciclo gc`: purge deleted experiments, runs and logged models with their artifacts, for good. */
import type { Command } from "commander";
import type { GcReport } from "../../gc/gc-types.js";
import { CliContext, collect, splitIds, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, EXIT, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatTime, parseDuration } from "../output/format.js";

interface GcFlags extends CommonFlags {
  olderThan?: string;
  experimentIds?: string[];
  runIds?: string[];
  loggedModelIds?: string[];
  dryRun?: boolean;
}

export function registerGcCommand(program: Command): void {
  withCommonOptions(usageExitCodes(program.command("gc")))
    .description("Permanently delete experiments, runs and logged models in the deleted stage, with their artifacts")
    .option("--older-than <age>", "only what was deleted at least this long ago: 30d, 12h, 90m, 1d2h3m4s")
    .option("--experiment-ids <ids>", "only these deleted experiments (comma-separated, repeatable)", collect)
    .option("--run-ids <ids>", "only these deleted runs (comma-separated, repeatable)", collect)
    .option("--logged-model-ids <ids>", "only these deleted logged models (comma-separated, repeatable)", collect)
    .option("--dry-run", "list what would be purged; delete nothing")
    .addHelpText(
      "after",
      `
Without ids, everything in the deleted stage goes (older than --older-than).
With ids, exactly those go: each must exist, be deleted, and be old enough,
or nothing is purged (exit 1, or 3 for an unknown id).

A purged experiment takes all of its runs, logged models, datasets and
artifact folders; its name can be used again. Model versions are never
purged: a run or logged model that a registered version still reads its
files from is kept (listed as skipped) until that version is deleted.
The server does the work (it holds the database and the artifact store);
the caller needs the 'manage' permission.

Examples:
  $ ciclo gc --dry-run
  $ ciclo gc --older-than 30d
  $ ciclo gc --run-ids 5f3c0a...,9b1e77...
  $ ciclo gc --experiment-ids 12 --json`,
    )
    .action(
      cliAction("gc", async (flags: GcFlags) => {
        const cli = new CliContext(flags);
        let olderThanMs: number | undefined;
        if (flags.olderThan !== undefined) {
          olderThanMs = parseDuration(flags.olderThan);
          if (olderThanMs === undefined) throw new UsageError(`--older-than expects an age like 30d, 12h, 90m or 1d2h3m4s, got '${flags.olderThan}'.`);
        }
        const report = await cli.admin.gc({
          olderThanMs,
          experimentIds: splitIds(flags.experimentIds),
          runIds: splitIds(flags.runIds),
          loggedModelIds: splitIds(flags.loggedModelIds),
          dryRun: flags.dryRun === true,
        });
        cli.emit(report, () => printReport(cli, report));
        if (report.artifactErrors.length > 0) {
          for (const e of report.artifactErrors) process.stderr.write(`ciclo gc: could not delete ${e.uri}: ${e.message}\n`);
          process.exitCode = EXIT.FAILURE;
        }
      }),
    );
}

function printReport(cli: CliContext, r: GcReport): void {
  const verb = r.dryRun ? "Would purge" : "Purged";
  const runCount = r.runs.length + r.experiments.reduce((a, e) => a + e.runs.length, 0);
  const modelCount = r.loggedModels.length + r.experiments.reduce((a, e) => a + e.loggedModels.length, 0);
  if (r.experiments.length > 0) {
    cli.out(cli.colors.bold(`${verb} ${r.experiments.length} experiment(s):`));
    cli.table(
      [
        { header: "ID", value: (e) => e.experimentId, align: "right", shrink: false },
        { header: "NAME", value: (e) => e.name },
        { header: "DELETED", value: (e) => formatTime(e.deletedTime), shrink: false },
        { header: "RUNS", value: (e) => String(e.runs.length), align: "right", shrink: false },
        { header: "LOGGED MODELS", value: (e) => String(e.loggedModels.length), align: "right", shrink: false },
      ],
      r.experiments,
    );
  }
  if (r.runs.length > 0) {
    cli.out(cli.colors.bold(`${verb} ${r.runs.length} run(s):`));
    cli.table(
      [
        { header: "RUN ID", value: (x) => x.runId, shrink: false },
        { header: "EXPERIMENT", value: (x) => x.experimentId, align: "right", shrink: false },
        { header: "NAME", value: (x) => x.runName },
        { header: "DELETED", value: (x) => formatTime(x.deletedTime), shrink: false },
      ],
      r.runs,
    );
  }
  if (r.loggedModels.length > 0) {
    cli.out(cli.colors.bold(`${verb} ${r.loggedModels.length} logged model(s):`));
    cli.table(
      [
        { header: "MODEL ID", value: (m) => m.modelId, shrink: false },
        { header: "EXPERIMENT", value: (m) => m.experimentId, align: "right", shrink: false },
        { header: "NAME", value: (m) => m.name },
      ],
      r.loggedModels,
    );
  }
  if (r.skipped.length > 0) {
    cli.out(cli.colors.yellow(`Kept ${r.skipped.length} deleted item(s):`));
    cli.table(
      [
        { header: "KIND", value: (s) => s.kind.replace("_", " "), shrink: false },
        { header: "ID", value: (s) => s.id, shrink: false },
        { header: "REASON", value: (s) => s.reason },
      ],
      r.skipped,
    );
  }
  const summary = `${verb} ${r.experiments.length} experiment(s), ${runCount} run(s), ${modelCount} logged model(s)`;
  cli.out(r.experiments.length + runCount + modelCount === 0 ? "Nothing to purge." : `${summary}${r.dryRun ? " (dry run: nothing was deleted)" : ""}.`);
}
