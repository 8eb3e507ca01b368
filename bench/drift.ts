/**
 * `npm run bench:drift [-- --rows N] [--no-evidently] [--workers N]`: the
 * monitoring benchmark (issue 16, item 7). On N rows × 50 columns (default
 * 1,000,000; 40 numeric, 10 categorical), each phase in its own process:
 * the reference profile; the current profile and its drift against the
 * stored reference profile, from Parquet (column-parallel, decode included)
 * and from CSV (one thread); a month of hourly windows merged (720 merges);
 * and Evidently's DataDriftPreset on the same data in the same run.
 * Results go to stdout and bench/results/drift.json.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchData, DRIFTED } from "./drift-data.js";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const rows = Number(opt("rows", "1000000"));
const workers = opt("workers", "");
const evidently = !argv.includes("--no-evidently");

function phase(args: string[], env: Record<string, string> = {}): Record<string, any> {
  const out = execFileSync(process.execPath, ["--import", "tsx", "bench/drift-phase.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, ...(workers ? { BENCH_WORKERS: workers } : {}), ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const t = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
console.log(`drift benchmark: ${rows.toLocaleString("en")} rows × 50 columns (40 numeric, 10 categorical)`);
const data = await benchData(rows);
const refProfile = join(data.dir, "ref-profile.json");
const results: Record<string, unknown> = { rows, date: new Date().toISOString() };

const ref = phase(["reference", data.ref, refProfile]);
const cpuOf = (r: Record<string, any>) => `(CPU ${t(r.cpuMs)}; the phase alone ${t(r.phaseCpuMs)})`;
console.log(`reference profile, Parquet (2 passes, workers):   ${t(ref.ms)} ${cpuOf(ref)}  peak RSS ${Math.round(ref.maxRssMB)} MB  profile ${(ref.bytes / 1e6).toFixed(1)} MB`);
const best = (args: string[], env: Record<string, string> = {}, runs = 3): Record<string, any> => {
  const all = Array.from({ length: runs }, () => phase(args, env));
  return { ...all.reduce((a, b) => (b.ms < a.ms ? b : a)), runs: all.map((r) => Math.round(r.ms)) };
};
const cur = best(["drift", refProfile, data.cur]);
console.log(`current profile + drift, Parquet (workers):       ${t(cur.ms)} ${cpuOf(cur)}  peak RSS ${Math.round(cur.maxRssMB)} MB  (runs: ${cur.runs.join(", ")} ms)`);
const one = best(["drift", refProfile, data.cur], { BENCH_WORKERS: "1" }, 1);
console.log(`current profile + drift, Parquet (one thread):    ${t(one.ms)} ${cpuOf(one)}  peak RSS ${Math.round(one.maxRssMB)} MB`);
const csv = best(["drift", refProfile, data.curCsv], {}, 1);
console.log(`current profile + drift, CSV (one thread):        ${t(csv.ms)} ${cpuOf(csv)}  peak RSS ${Math.round(csv.maxRssMB)} MB`);
const merge = phase(["merge", refProfile, String(rows), "720"]);
console.log(`720 hourly windows: merged in ${t(merge.mergeMs)} (${(merge.mergeMs / 719).toFixed(2)} ms per merge), drift of the month ${t(merge.driftMs)}; profiling the windows took ${t(merge.profileMs)}`);
const found = [...cur.drifted].sort();
console.log(`drifted columns found: ${found.join(", ")} (generated: ${DRIFTED.join(", ")})`);
const loadavg = (await import("node:os")).loadavg();
console.log(`load average during the run: ${loadavg.map((l) => l.toFixed(1)).join(", ")} (2 cores)`);
Object.assign(results, { loadavg, reference: { ms: ref.ms, cpuMs: ref.cpuMs, maxRssMB: ref.maxRssMB, bytes: ref.bytes }, current: { ms: cur.ms, cpuMs: cur.cpuMs, phaseCpuMs: cur.phaseCpuMs, runs: cur.runs, maxRssMB: cur.maxRssMB, dataset: cur.dataset, drifted: found }, oneThread: { ms: one.ms, cpuMs: one.cpuMs, phaseCpuMs: one.phaseCpuMs, maxRssMB: one.maxRssMB }, csv: { ms: csv.ms, cpuMs: csv.cpuMs, maxRssMB: csv.maxRssMB }, merge: { windows: merge.windows, mergeMs: merge.mergeMs, driftMs: merge.driftMs, profileMs: merge.profileMs, drifted: merge.drifted } });

if (evidently) {
  const shared = spawnSync("bash", ["scripts/find-shared.sh"], { encoding: "utf8" });
  const home = process.env.CICLO_EVIDENTLY_PATH || (shared.status === 0 ? `${shared.stdout.trim()}/oracles/evidently` : "");
  const script = `
import json, sys, time, resource, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from evidently.report import Report
from evidently.metric_preset import DataDriftPreset
t0 = time.time(); ref = pd.read_csv(sys.argv[1]); cur = pd.read_csv(sys.argv[2]); load = time.time() - t0
t1 = time.time(); c1 = time.process_time(); r = Report(metrics=[DataDriftPreset()]); r.run(reference_data=ref, current_data=cur); d = r.as_dict()["metrics"][1]["result"]; run = time.time() - t1; cpu = time.process_time() - c1
print(json.dumps({"loadS": load, "runS": run, "cpuS": cpu, "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "columns": {k: {"test": v["stattest_name"], "score": v["drift_score"], "drifted": v["drift_detected"]} for k, v in d["drift_by_columns"].items()}}))`;
  const r = spawnSync("/usr/bin/python3", ["-c", script, data.refCsv, data.curCsv], {
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: `${home}:${home}/pydeps`, DO_NOT_TRACK: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) console.log(`Evidently failed: ${r.stderr.split("\n").slice(-3).join(" ")}`);
  else {
    const e = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const agree = cur.columns.filter((c: { column: string; drifted: boolean }) => e.columns[c.column]?.drifted === c.drifted).length;
    const maxDiff = Math.max(...cur.columns.map((c: { column: string; score: number }) => Math.abs(c.score - e.columns[c.column].score)));
    const cpu = e.cpuS ? ` (CPU ${t(e.cpuS * 1000)})` : "";
    console.log(`Evidently DataDriftPreset (same data, one process): ${t(e.runS * 1000)}${cpu}  peak RSS ${Math.round(e.maxRssMB)} MB  (+ ${t(e.loadS * 1000)} pandas CSV load)`);
    console.log(`verdicts agree on ${agree} of ${cur.columns.length} columns; largest score difference ${maxDiff.toExponential(2)}`);
    results.evidently = { runS: e.runS, cpuS: e.cpuS, loadS: e.loadS, maxRssMB: e.maxRssMB, agree, maxScoreDiff: maxDiff };
  }
}
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/drift.json", JSON.stringify(results, null, 2) + "\n");
