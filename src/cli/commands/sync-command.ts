/** `ciclo sync`: uploads runs logged offline (or spooled while the server was unreachable). */
import type { Command } from "commander";
import { findSpools, readSpoolRecords } from "../../sdk/offline-spool.js";
import { syncOfflineRuns, type SyncedRun } from "../../sdk/offline-sync.js";
import { offlineDirFromEnv, trackingUriFromEnv } from "../../sdk/sdk-config.js";
import { TrackingClient } from "../../sdk/tracking-client.js";
import { createProgressBar } from "../output/progress-bar.js";

interface SyncFlags {
  trackingUri?: string;
  json?: boolean;
  dryRun?: boolean;
}

export function registerSyncCommand(program: Command): void {
  program
    .command("sync")
    .description("Upload offline runs (CICLO_MODE=offline, or spooled while the server was unreachable) to a tracking server")
    .argument("[folder]", "a spool root or one run's spool folder (default: $CICLO_OFFLINE_DIR or ./ciclo-data/offline)")
    .option("--tracking-uri <uri>", "server to upload to (default: $CICLO_TRACKING_URI, $MLFLOW_TRACKING_URI, http://127.0.0.1:5000)")
    .option("--json", "print the result as JSON on stdout")
    .option("--dry-run", "list the offline runs and their sync state; upload nothing")
    .addHelpText(
      "after",
      `
Runs are uploaded oldest first (parents before their nested runs): each run is
created (or the server run it came from is joined), its params, metrics and tags
are replayed in the order they were logged, then its end status is set.
Progress is saved in each run's manifest.json: an interrupted sync resumes where
it stopped, and syncing twice uploads nothing twice.

Exit codes: 0 all uploaded; 1 something failed (details on stderr; run it again
to resume).

Examples:
  $ CICLO_MODE=offline node train.js          # logs to ./ciclo-data/offline/<run-id>/
  $ ciclo sync
  $ ciclo sync ./ciclo-data/offline --tracking-uri http://ciclo.internal:5000
  $ ciclo sync ./ciclo-data/offline/local-3f2a9c... # one run
  $ ciclo sync --dry-run
  $ ciclo sync --json | jq '.[].runId'`,
    )
    .action(async (folder: string | undefined, flags: SyncFlags) => {
      const dir = folder ?? offlineDirFromEnv();
      if (flags.dryRun) return listSpools(dir, flags.json === true);
      const trackingUri = flags.trackingUri ?? trackingUriFromEnv();
      const client = new TrackingClient({ trackingUri });
      const bar = createProgressBar();
      let results: SyncedRun[];
      try {
        results = await syncOfflineRuns(dir, {
          client,
          onProgress: (e) => bar.update(e.recordsDone, e.recordsTotal, `run ${e.runIndex}/${e.runCount} ${e.runName}`),
        });
      } catch (err) {
        bar.stop();
        throw new Error(`${(err as Error).message}\nProgress is saved; run \`ciclo sync\` again to resume.`);
      }
      bar.stop();
      if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else report(results, dir, trackingUri, (line) => console.log(line));
      if (results.some((r) => r.recordsFailed > 0)) process.exitCode = 1;
    });
}

function report(results: SyncedRun[], dir: string, trackingUri: string, log: (line: string) => void): void {
  if (results.length === 0) {
    log(`No offline runs in ${dir}.`);
    return;
  }
  let records = 0;
  for (const r of results) {
    records += r.recordsSent;
    if (r.alreadySynced) log(`= ${r.runName} (${r.spoolId}): already synced as run ${r.runId}`);
    else log(`${r.recordsFailed > 0 ? "!" : "✓"} ${r.runName} (${r.spoolId}) → run ${r.runId}: ${r.recordsSent} record(s), ${r.status}`);
    for (const e of r.errors) log(`    ${e}`);
  }
  const uploaded = results.filter((r) => !r.alreadySynced).length;
  log(`Synced ${uploaded} run(s), ${records} record(s) to ${trackingUri}; ${results.length - uploaded} already synced.`);
}

function listSpools(dir: string, json: boolean): void {
  const rows = findSpools(dir).map((s) => {
    const m = s.manifest;
    const total = readSpoolRecords(s.dir).records.length;
    const done = m.sync?.recordsDone ?? 0;
    const state = !m.sync ? "not synced" : done >= total && (m.sync.ended || m.status === "RUNNING") ? "synced" : `partly synced (${done}/${total})`;
    return { id: m.id, dir: s.dir, experiment: m.experimentName ?? m.experimentId, runName: m.runName, status: m.status, records: total, counts: m.counts, state, runId: m.sync?.runId ?? m.runId };
  });
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    console.log(`No offline runs in ${dir}.`);
    return;
  }
  for (const r of rows) {
    console.log(`${r.id}  ${r.runName}  experiment=${r.experiment ?? "Default"}  ${r.status}  ${r.counts.metrics} metric(s) ${r.counts.params} param(s)  ${r.state}`);
  }
}
