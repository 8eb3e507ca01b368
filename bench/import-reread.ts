/**
 * `npm run bench:import-reread`: what reading runs.jsonl once saves `ciclo import`. A SQLite server gets R runs
 * (100 params and 30 tags each), which are exported; the backup is then imported back into the same server — every
 * run is already there, so the import reads the files and lists the target's runs and writes nothing, the case where
 * the reading shows most. Two forms of the same backup, alternated: as this ciclo writes it (experiments.jsonl
 * carries each experiment's run identities, runs.jsonl is read once) and as an older ciclo wrote it (no identities:
 * runs.jsonl is read a first time for them, as every import did before). Reports this process's CPU time and wall
 * time per import (the importer runs here; the server runs in this process too, so its CPU counts as well).
 *
 *   npm run bench:import-reread [-- --runs=3000 --rounds=3]
 * @module
 */
import { cpSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { exportExperiments } from "../src/cli/transfer/exporter.js";
import { importExport } from "../src/cli/transfer/importer.js";
import { FILES } from "../src/cli/transfer/export-format.js";
import { serverModules } from "../src/modules.js";
import { ArtifactClient } from "../src/sdk/artifact-client.js";
import { TrackingClient } from "../src/sdk/tracking-client.js";
import { resolveServerConfig } from "../src/server/config.js";
import { startServer } from "../src/server/main.js";
import { tempDir } from "../src/testing/temp-dir.js";

const arg = (name: string, dflt: number) => Number(new RegExp(`^--${name}=(\\d+)$`).exec(process.argv.find((a) => a.startsWith(`--${name}=`)) ?? "")?.[1] ?? dflt);
const RUNS = arg("runs", 3000);
const ROUNDS = arg("rounds", 3);

const dir = tempDir("ciclo-bench-import-");
const server = await startServer(
  resolveServerConfig({ backendStoreUri: `sqlite:///${join(dir.path, "ciclo.db")}`, artifactsDestination: join(dir.path, "art"), host: "127.0.0.1", port: 0, logLevel: "silent" }),
  { modules: serverModules() },
);
try {
  const tracking = new TrackingClient({ trackingUri: server.url, env: {} });
  const artifacts = new ArtifactClient(tracking, { env: {} });
  const exp = await tracking.createExperiment("bench-import");
  for (let i = 0; i < RUNS; i++) {
    const run = await tracking.createRun({ experimentId: exp, runName: `r${i}`, startTime: 1_700_000_000_000 + i });
    await tracking.logBatch(run.info.runId, {
      params: Array.from({ length: 100 }, (_, k) => ({ key: `param_${k}`, value: `value-${i}-${k}-${"x".repeat(20)}` })),
      tags: Array.from({ length: 30 }, (_, k) => ({ key: `tag_${k}`, value: `t-${i}-${k}` })),
    });
  }
  const current = join(dir.path, "backup");
  await exportExperiments({ tracking, artifacts, dir: current, source: server.url, includeDeleted: false });
  // The same backup as an older ciclo wrote it: experiments.jsonl without the run identities.
  const older = join(dir.path, "backup-older");
  cpSync(current, older, { recursive: true });
  const expFile = join(older, FILES.experiments);
  const lines = readFileSync(expFile, "utf8").trimEnd().split("\n").map((l) => {
    const { runIdentities: _, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return JSON.stringify(rest);
  });
  writeFileSync(expFile, `${lines.join("\n")}\n`);
  const runsBytes = statSync(join(current, FILES.runs)).size;

  const measure = async (backup: string) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await importExport({ tracking, artifacts, dir: backup });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (!r.unchanged || r.runs.skipped !== RUNS) throw new Error(`expected nothing to import: ${JSON.stringify(r.runs)}`);
    return { wallMs: wall, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  await measure(current); // warm-up: V8 compiles the paths both forms share
  const results: Record<string, Array<{ wallMs: number; cpuMs: number }>> = { once: [], twice: [] };
  for (let i = 0; i < ROUNDS; i++) {
    results.once.push(await measure(current));
    results.twice.push(await measure(older));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`runs: ${RUNS}, runs.jsonl: ${(runsBytes / 1e6).toFixed(1)} MB, rounds: ${ROUNDS} (alternated), load average: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const [k, xs] of Object.entries(results)) {
    console.log(`runs.jsonl read ${k}: median cpu ${median(xs.map((x) => x.cpuMs)).toFixed(0)} ms, wall ${median(xs.map((x) => x.wallMs)).toFixed(0)} ms; cpu each: ${xs.map((x) => x.cpuMs.toFixed(0)).join(", ")}`);
  }
} finally {
  await server.close();
  dir.remove();
}
