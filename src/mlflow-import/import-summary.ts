/** What `ciclo import-mlflow` did (printed at the end, or as JSON with --json). */

export interface KindCounts {
  /** Written by this run of the import. */
  imported: number;
  /** There already (imported before): left as they are. */
  alreadyThere: number;
}

export interface ImportSummary {
  source: string;
  sourceKind: "sql" | "file";
  /** MLflow's alembic revision (SQL stores). */
  revision: string | null;
  dryRun: boolean;
  experiments: KindCounts;
  runs: KindCounts;
  loggedModels: KindCounts;
  registeredModels: KindCounts;
  modelVersions: { imported: number; deletedLeftOut: number };
  metricPoints: number;
  artifacts: { mode: "copied" | "in place"; roots: number; alreadyThere: number; files: number; bytes: number; filesAlreadyThere: number };
  /** File-store experiments whose ids could not be kept (source id → ciclo id). */
  renumberedExperiments: Record<string, number>;
  /** Anything left out or odd, one line each. */
  warnings: string[];
  seconds: number;
  /** Seconds per phase (experiments, logged models, runs, registered models, artifacts). */
  phaseSeconds: Record<string, number>;
}

export function emptySummary(source: string, sourceKind: "sql" | "file", revision: string | null, dryRun: boolean, inPlace: boolean): ImportSummary {
  const k = (): KindCounts => ({ imported: 0, alreadyThere: 0 });
  return {
    source,
    sourceKind,
    revision,
    dryRun,
    experiments: k(),
    runs: k(),
    loggedModels: k(),
    registeredModels: k(),
    modelVersions: { imported: 0, deletedLeftOut: 0 },
    metricPoints: 0,
    artifacts: { mode: inPlace ? "in place" : "copied", roots: 0, alreadyThere: 0, files: 0, bytes: 0, filesAlreadyThere: 0 },
    renumberedExperiments: {},
    warnings: [],
    seconds: 0,
    phaseSeconds: {},
  };
}

/** The human-readable summary, a few lines. */
export function formatSummary(s: ImportSummary, formatBytes: (n: number) => string): string[] {
  const verb = s.dryRun ? "would import" : "imported";
  const kind = (name: string, c: KindCounts) => `${name}: ${c.imported} ${verb}${c.alreadyThere ? `, ${c.alreadyThere} already there` : ""}`;
  const lines = [
    `${s.dryRun ? "Dry run: nothing written. " : ""}From ${s.source}${s.revision ? ` (MLflow schema ${s.revision})` : s.sourceKind === "file" ? " (file store)" : ""}:`,
    `  ${kind("experiments", s.experiments)}`,
    `  ${kind("runs", s.runs)}; ${s.metricPoints} metric points`,
    `  ${kind("logged models", s.loggedModels)}`,
    `  ${kind("registered models", s.registeredModels)}; ${s.modelVersions.imported} versions${s.modelVersions.deletedLeftOut ? ` (${s.modelVersions.deletedLeftOut} deleted versions left out)` : ""}`,
    s.artifacts.mode === "in place"
      ? "  artifacts: referenced in place (not copied)"
      : `  artifacts: ${s.artifacts.roots} roots, ${s.artifacts.files} files, ${formatBytes(s.artifacts.bytes)} copied` +
        (s.artifacts.alreadyThere || s.artifacts.filesAlreadyThere ? ` (${s.artifacts.alreadyThere} roots and ${s.artifacts.filesAlreadyThere} files already there)` : ""),
  ];
  const renumbered = Object.entries(s.renumberedExperiments);
  if (renumbered.length > 0) lines.push(`  new experiment ids (file-store ids do not fit): ${renumbered.map(([a, b]) => `${a} → ${b}`).join(", ")}`);
  for (const w of s.warnings.slice(0, 20)) lines.push(`  note: ${w}`);
  if (s.warnings.length > 20) lines.push(`  … and ${s.warnings.length - 20} more notes (--json lists them all)`);
  lines.push(`  in ${s.seconds.toFixed(1)} s`);
  return lines;
}
