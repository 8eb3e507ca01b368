/**
 * `ciclo monitor`: drift between two files without a server, reference
 * profiles to keep instead of the data, and merging window profiles; the
 * commands that need a server are in monitor-server-commands.ts.
 * @module
 */
import type { Command } from "commander";
import type { DriftReport } from "../../monitoring/drift/drift-report.js";
import type { StatTestId } from "../../monitoring/drift/stat-tests.js";
import type { ProfileProgress } from "../../monitoring/profiles/profiler.js";
import { collect } from "../output/cli-context.js";
import { createColors } from "../output/colors.js";
import { cliAction, usageExitCodes, UsageError } from "../output/cli-errors.js";
import { printJson } from "../output/json-output.js";
import { renderTable } from "../output/table.js";
import { createProgressBar } from "../output/progress-bar.js";
import { registerServerCommands } from "./monitor-server-commands.js";

/** Exit code of `monitor drift --fail-on-drift` when the dataset drifts (1–3 are taken: failure, usage, not found). */
export const EXIT_DRIFT = 4;

const TEST_IDS = ["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi", "kl_div", "hellinger"];

interface DriftFlags {
  reference?: string;
  referenceProfile?: string;
  current: string;
  json?: boolean;
  test?: string[];
  threshold?: string[];
  driftShare?: string;
  chunkThresholds?: boolean;
  columns?: string;
  failOnDrift?: boolean;
  progress?: boolean;
}

function parseShare(text: string, what: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0) throw new UsageError(`${what} must be a non-negative number, got '${text}'.`);
  return v;
}

function progressReporter(enabled: boolean): { onProgress?: (p: ProfileProgress) => void; stop(): void } {
  if (!enabled) return { stop() {} };
  const bar = createProgressBar();
  const label = { scan: "reading the reference (layout)", count: "profiling" };
  return {
    onProgress: (p) => bar.update(p.rowsDone, p.rowsTotal ?? p.rowsDone, `rows, ${label[p.phase]}`),
    stop: () => bar.stop(),
  };
}

const fmt = (v: number | null): string => (v === null ? "n/a" : Math.abs(v) !== 0 && Math.abs(v) < 1e-4 ? v.toExponential(3) : String(Number(v.toPrecision(6))));

function printReport(r: DriftReport): void {
  const colors = createColors(process.stdout);
  const width = process.stdout.isTTY ? process.stdout.columns || 80 : undefined;
  type Row = DriftReport["columns"][number];
  process.stdout.write(
    `${renderTable<Row>(
      [
        { header: "COLUMN", value: (c) => c.column },
        { header: "TYPE", value: (c) => c.type, shrink: false },
        { header: "TEST", value: (c) => c.test, shrink: false },
        { header: "SCORE", value: (c) => fmt(c.score) + (c.method === "estimate" ? "~" : ""), align: "right", shrink: false },
        { header: "THRESHOLD", value: (c) => fmt(c.threshold) + (c.thresholdFrom === "reference-chunks" ? "*" : ""), align: "right", shrink: false },
        { header: "DRIFT", value: (c) => (c.drifted ? "yes" : "no"), shrink: false, color: (cell, c) => (c.drifted ? colors.red(cell) : colors.green(cell)) },
      ],
      r.columns,
      { width, colors },
    )}`,
  );
  for (const s of r.skipped) process.stderr.write(`ciclo monitor drift: column '${s.column}' not tested: ${s.reason}\n`);
  const d = r.dataset;
  const verdict = d.drifted ? colors.red("Dataset drift detected") : colors.green("No dataset drift");
  process.stdout.write(`\n${verdict}: ${d.driftedColumns} of ${d.columns} columns drifted (share ${fmt(d.share)}, threshold ${fmt(d.threshold)}).\n`);
  if (r.columns.some((c) => c.method === "estimate")) process.stdout.write(colors.dim("~ estimated from the profiles' cells (see docs/monitoring.md)\n"));
}

function parseTests(pairs: string[] | undefined): Record<string, StatTestId> {
  const out: Record<string, StatTestId> = {};
  for (const p of pairs ?? []) {
    const at = p.lastIndexOf("=");
    const test = p.slice(at + 1);
    if (at <= 0 || !TEST_IDS.includes(test)) throw new UsageError(`--test expects column=test with test one of ${TEST_IDS.join(", ")}; got '${p}'.`);
    out[p.slice(0, at)] = test as StatTestId;
  }
  return out;
}

function parseThresholds(items: string[] | undefined): { all?: number; byColumn: Record<string, number> } {
  const byColumn: Record<string, number> = {};
  let all: number | undefined;
  for (const t of items ?? []) {
    const at = t.lastIndexOf("=");
    if (at < 0) all = parseShare(t, "--threshold");
    else byColumn[t.slice(0, at)] = parseShare(t.slice(at + 1), `--threshold for '${t.slice(0, at)}'`);
  }
  return { all, byColumn };
}

export function registerMonitorCommand(program: Command): void {
  const monitor = usageExitCodes(program.command("monitor").description("Monitoring: data drift between files, reference profiles; monitors on a server (report, reference, labels, run)"));

  monitor
    .command("drift")
    .description("Drift between a reference (file or stored profile) and current data, per column and for the dataset")
    .option("--reference <file>", "reference data (.csv or .parquet)")
    .option("--reference-profile <profile.json>", "a stored reference profile (from `ciclo monitor profile`) instead of the data")
    .requiredOption("--current <file>", "current data (.csv or .parquet)")
    .option("--json", "print {dataset, columns} as JSON on stdout")
    .option("--test <column=test>", `test for a column: ${TEST_IDS.join(", ")} (repeatable; default: Evidently's choice)`, collect)
    .option("--threshold <[column=]value>", "threshold for a column, or for all columns without one (repeatable)", collect)
    .option("--drift-share <share>", "share of drifted columns at which the dataset drifts", "0.5")
    .option("--chunk-thresholds", "derive distance thresholds from the reference's chunks (mean + 3σ; needs a profile made with --chunks)")
    .option("--columns <a,b,...>", "test only these columns")
    .option("--fail-on-drift", `exit with ${EXIT_DRIFT} when the dataset drifts (for CI)`)
    .option("--no-progress", "no progress bar on stderr")
    .addHelpText(
      "after",
      `
Per column: the test (Evidently's default unless --test: up to 1,000 reference
values K-S for numeric, chi-square or Z for categorical or few values, drift at
p < 0.05; more: Wasserstein distance normed by the reference's std and
Jensen-Shannon distance, drift at ≥ 0.1), its score, the threshold and the
verdict; the dataset drifts when the share of drifted columns reaches
--drift-share. See docs/monitoring.md.

Exit codes: 0 done (drift or not); ${EXIT_DRIFT} the dataset drifted and --fail-on-drift
was given; 1 an error (unreadable file, missing column); 2 usage.

Examples:
  $ ciclo monitor drift --reference train.parquet --current last-hour.parquet
  $ ciclo monitor drift --reference-profile ref.json --current today.csv --json
  $ ciclo monitor drift --reference ref.csv --current cur.csv --test age=psi --threshold age=0.2 --fail-on-drift`,
    )
    .action(
      cliAction("monitor drift", async (flags: DriftFlags) => {
        if (!flags.reference === !flags.referenceProfile) throw new UsageError("Give --reference <file> or --reference-profile <profile.json> (one of them).");
        const tests = parseTests(flags.test);
        const thresholds = parseThresholds(flags.threshold);
        const driftShare = parseShare(flags.driftShare ?? "0.5", "--drift-share");
        const { driftFiles } = await import("../../monitoring/drift-files.js");
        const progress = progressReporter(flags.progress !== false);
        let result;
        try {
          result = await driftFiles(
            { reference: flags.reference, referenceProfile: flags.referenceProfile, current: flags.current },
            {
              tests,
              thresholds: thresholds.byColumn,
              threshold: thresholds.all,
              driftShare,
              chunkThresholds: flags.chunkThresholds === true,
              columns: flags.columns?.split(",").map((c) => c.trim()).filter(Boolean),
              onProgress: progress.onProgress,
            },
          );
        } finally {
          progress.stop();
        }
        if (flags.json) {
          const { driftReportJson } = await import("../../monitoring/drift/drift-report.js");
          printJson(driftReportJson(result.report));
          for (const s of result.report.skipped) process.stderr.write(`ciclo monitor drift: column '${s.column}' not tested: ${s.reason}\n`);
        } else printReport(result.report);
        if (flags.failOnDrift && result.report.dataset.drifted) process.exitCode = EXIT_DRIFT;
      }),
    );

  monitor
    .command("profile <file>")
    .description("Profile a data file: a reference profile to keep, or a window's profile against one")
    .requiredOption("-o, --output <profile.json>", "where to write the profile")
    .option("--reference-profile <profile.json>", "count the file into this reference's layout (a window's profile, mergeable)")
    .option("--chunks <n>", "also profile n consecutive chunks of a reference (for --chunk-thresholds)")
    .option("--no-progress", "no progress bar on stderr")
    .addHelpText(
      "after",
      `
A reference profile keeps, per column: counts, missing values, moments, the
distinct values while there are at most 1,024, cells fixed on the reference
(quantile edges, or its distinct values) with their counts, and category
frequencies. Windows profiled against it merge with \`ciclo monitor merge\`.

Examples:
  $ ciclo monitor profile train.parquet -o ref.json --chunks 10
  $ ciclo monitor profile hour-13.parquet --reference-profile ref.json -o h13.json`,
    )
    .action(
      cliAction("monitor profile", async (file: string, flags: { output: string; referenceProfile?: string; chunks?: string; progress?: boolean }) => {
        const chunks = flags.chunks === undefined ? undefined : Number(flags.chunks);
        if (chunks !== undefined && (!Number.isInteger(chunks) || chunks < 2 || chunks > 1000)) throw new UsageError(`--chunks must be an integer from 2 to 1000, got '${flags.chunks}'.`);
        const m = await import("../../monitoring/drift-files.js");
        const progress = progressReporter(flags.progress !== false);
        let profile;
        try {
          profile = flags.referenceProfile
            ? await m.profileWindowFile(file, await m.loadProfile(flags.referenceProfile), { onProgress: progress.onProgress })
            : await m.profileReferenceFile(file, { onProgress: progress.onProgress, chunks });
        } finally {
          progress.stop();
        }
        await m.saveProfile(flags.output, profile);
        process.stderr.write(`Profiled ${profile.rows} rows × ${profile.columns.length} columns → ${flags.output}\n`);
      }),
    );

  monitor
    .command("merge <profiles...>")
    .description("Merge window profiles of one reference layout (e.g. 24 hours into a day)")
    .requiredOption("-o, --output <profile.json>", "where to write the merged profile")
    .addHelpText("after", `\nExample:\n  $ ciclo monitor merge h00.json h01.json h02.json -o day.json`)
    .action(
      cliAction("monitor merge", async (files: string[], flags: { output: string }) => {
        const m = await import("../../monitoring/drift-files.js");
        const { mergeProfiles } = await import("../../monitoring/profiles/profile-merge.js");
        const merged = mergeProfiles(await Promise.all(files.map((f) => m.loadProfile(f))));
        await m.saveProfile(flags.output, merged);
        process.stderr.write(`Merged ${files.length} profiles (${merged.rows} rows) → ${flags.output}\n`);
      }),
    );

  registerServerCommands(monitor);
}
