/** `ciclo export <dir>` and `ciclo import <dir>`: back up and restore experiments through the API. */
import { readdir } from "node:fs/promises";
import type { Command } from "commander";
import { redactUri } from "../../store/open-store.js";
import { createByteProgress, type ByteProgress } from "../output/byte-progress.js";
import { CliContext, collect, splitIds, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, UsageError, usageExitCodes } from "../output/cli-errors.js";
import { formatBytes } from "../output/format.js";
import { createProgressBar } from "../output/progress-bar.js";
import { exportExperiments, type TransferProgress } from "../transfer/exporter.js";
import { importExport } from "../transfer/importer.js";

/** One bar: runs done of runs in all, with the artifact bytes moved in the label. */
function transferProgress(verb: string): { progress: TransferProgress; bytes: ByteProgress; stop(): void } {
  const bar = createProgressBar();
  let expected = 0;
  let label = "";
  let runs: [number, number] = [0, 0];
  const draw = () => bar.update(runs[0], runs[1], `runs  ${label}${expected > 0 ? `  (${formatBytes(bytes.done)} of ${formatBytes(expected)})` : ""}`);
  // Bytes are counted here but drawn in the runs bar's label (one line on the terminal).
  const bytes = createByteProgress(0, "", { update: () => draw(), log: (l) => bar.log(l), stop: () => {} });
  return {
    progress: {
      onRun(done, total, l) {
        runs = [done, total];
        label = `${verb} ${l}`;
        draw();
      },
      onBytesExpected(n) {
        expected += n;
        draw();
      },
      log: (line) => bar.log(line),
    },
    bytes,
    stop: () => bar.stop(),
  };
}

export function registerTransferCommands(program: Command): void {
  withCommonOptions(usageExitCodes(program.command("export")))
    .description("Export experiments with their runs, metric histories, dataset inputs and artifacts to a folder (a backup)")
    .argument("<dir>", "an empty or new folder")
    .option("--experiment-ids <ids>", "experiments to export (comma-separated, repeatable; default: all active ones)", collect)
    .option("--include-deleted", "also export deleted runs (and, without --experiment-ids, deleted experiments)")
    .addHelpText(
      "after",
      `
The folder holds manifest.json (format version, counts), experiments.jsonl,
runs.jsonl, metrics.jsonl (full histories) and artifacts/<run_id>/; see
docs/cli.md. Everything is read through the REST API, so any ciclo (or
MLflow) server can be exported. 'ciclo import' reads it back.

Examples:
  $ ciclo export ./backup-2025-06-01
  $ ciclo export ./fraud --experiment-ids 3,7 --tracking-uri http://old:5000
  $ ciclo export ./all --include-deleted --json | jq .counts`,
    )
    .action(
      cliAction("export", async (dir: string, flags: CommonFlags & { experimentIds?: string[]; includeDeleted?: boolean }) => {
        const cli = new CliContext(flags);
        const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? [] : Promise.reject(err)));
        if (entries.length > 0) throw new UsageError(`'${dir}' is not empty; export into a new or empty folder.`);
        const t = transferProgress("exporting");
        let manifest;
        try {
          manifest = await exportExperiments({
            tracking: cli.tracking,
            artifacts: cli.artifacts({ onBytes: (n) => t.bytes.add(n) }),
            dir,
            experimentIds: splitIds(flags.experimentIds),
            includeDeleted: flags.includeDeleted === true,
            source: redactUri(cli.trackingUri),
            ...t.progress,
          });
        } finally {
          t.stop();
        }
        const c = manifest.counts;
        cli.emit(manifest, () =>
          cli.out(
            `Exported ${c.experiments} experiment(s), ${c.runs} run(s), ${c.params} param(s), ${c.metricPoints} metric point(s) ` +
              `of ${c.metrics} metric(s), ${c.datasetInputs} dataset input(s), ${c.artifactFiles} artifact file(s) (${formatBytes(c.artifactBytes)}) to ${dir}.`,
          ),
        );
      }),
    );

  withCommonOptions(usageExitCodes(program.command("import")))
    .description("Import a folder written by 'ciclo export' into a server; importing again skips what is already there")
    .argument("<dir>", "the export folder")
    .addHelpText(
      "after",
      `
Experiments are matched by name (created when missing). Each imported run is
tagged ciclo.import.source_run_id (its id in the export) and, once complete,
ciclo.import.imported_at: a second import skips complete runs and resumes an
interrupted one. A run the target already holds itself (same run id: an
export of this very server) is already there too and is left untouched, so
restoring a server's own backup into it changes nothing. Runs get new ids on
the target; times, statuses, params, tags, metric histories, dataset inputs
and artifacts are the exported ones.

Exit codes: 0 imported (or nothing left to import); 1 failed (run it again to
resume); 2 usage; 3 not found.

Examples:
  $ ciclo import ./backup-2025-06-01 --tracking-uri http://new-server:5000
  $ ciclo import ./fraud --json | jq .runs`,
    )
    .action(
      cliAction("import", async (dir: string, flags: CommonFlags) => {
        const cli = new CliContext(flags);
        const t = transferProgress("importing");
        let result;
        try {
          result = await importExport({ tracking: cli.tracking, artifacts: cli.artifacts({ onBytes: (n) => t.bytes.add(n) }), dir, ...t.progress });
        } finally {
          t.stop();
        }
        const r = result;
        cli.emit(
          { unchanged: r.unchanged, experiments: r.experiments, runs: r.runs, metricPoints: r.metricPoints, artifactFiles: r.artifactFiles, runIds: r.runIds, experimentIds: r.experimentIds },
          () =>
            cli.out(
              r.unchanged
                ? `Nothing to import: all ${r.runs.skipped} run(s) and ${r.experiments.reused} experiment(s) of '${dir}' are already there; nothing was changed.`
                : `Imported ${r.runs.imported} run(s) (${r.runs.resumed} resumed, ${r.runs.skipped} already there) into ` +
                    `${r.experiments.created + r.experiments.reused} experiment(s) (${r.experiments.created} created): ` +
                    `${r.metricPoints} metric point(s), ${r.artifactFiles} artifact file(s).`,
            ),
        );
      }),
    );
}
