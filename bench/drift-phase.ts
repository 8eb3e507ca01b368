/**
 * One measured phase of the drift benchmark, in its own process so its peak
 * RSS is its own. Uses the built code (dist/): worker threads then start
 * without compiling TypeScript. Prints {ms, maxRssMB, ...} as JSON.
 */
import { readFileSync } from "node:fs";

const [phase, ...args] = process.argv.slice(2);
const m = await import(new URL("../dist/monitoring/drift-files.js", import.meta.url).href);
const workers = Number(process.env.BENCH_WORKERS ?? "0") || undefined;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let extra: Record<string, unknown> = {};
if (phase === "reference") {
  const [data, out] = args;
  const profile = await m.profileReferenceFile(data, { workers });
  await m.saveProfile(out, profile);
  extra = { bytes: JSON.stringify(profile).length };
} else if (phase === "drift") {
  const [refProfile, data] = args;
  const { report } = await m.driftFiles({ referenceProfile: refProfile, current: data }, { workers });
  extra = { drifted: report.columns.filter((c: { drifted: boolean }) => c.drifted).map((c: { column: string }) => c.column), dataset: report.dataset, columns: report.columns };
} else if (phase === "merge") {
  const [refProfile, rows, hours] = args;
  const { mergeProfiles } = await import(new URL("../dist/monitoring/profiles/profile-merge.js", import.meta.url).href);
  const { profileWindow } = await import(new URL("../dist/monitoring/profiles/profiler.js", import.meta.url).href);
  const { InMemoryTableSource } = await import(new URL("../dist/monitoring/profiles/table-source.js", import.meta.url).href);
  const { driftReport } = await import(new URL("../dist/monitoring/drift/drift-report.js", import.meta.url).href);
  const { benchColumns } = await import("./drift-data.js");
  const reference = await m.loadProfile(refProfile);
  // A month of hourly windows of the current data's kind, each profiled on its own against the reference.
  const per = Math.ceil(Number(rows) / Number(hours));
  const windows: unknown[] = [];
  const tProfile = performance.now();
  for (let h = 0; h < Number(hours); h++) windows.push(await profileWindow(new InMemoryTableSource(benchColumns(per, true, 1000 + h)), reference));
  const profileMs = performance.now() - tProfile;
  const t1 = performance.now();
  // Hours into days, days into the month: 720 windows merged.
  const days: unknown[] = [];
  for (let d = 0; d < windows.length; d += 24) days.push(mergeProfiles(windows.slice(d, d + 24)));
  const acc = mergeProfiles(days);
  const mergeMs = performance.now() - t1;
  const t2 = performance.now();
  const report = driftReport(reference, acc);
  const driftMs = performance.now() - t2;
  extra = { windows: windows.length, profileMs, mergeMs, driftMs, mergedRows: (acc as { rows: number }).rows, drifted: report.columns.filter((c: { drifted: boolean }) => c.drifted).map((c: { column: string }) => c.column) };
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage();
// CPU time of all threads: less sensitive than wall time to other work on a shared machine. cpuMs is
// the whole process's (Node's start and the imports included); phaseCpuMs the phase's alone, as ms is.
const phaseCpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ phase, ms, cpuMs: (cpu.user + cpu.system) / 1000, phaseCpuMs: (phaseCpu.user + phaseCpu.system) / 1000, maxRssMB: peakRssMB(), ...extra }));

/**
 * This process's own peak RSS. getrusage's maxRSS is no good here: Linux
 * carries the parent's high-water mark into a child over fork and exec, so
 * every phase reported the runner's peak (the generated data). /proc's VmHWM
 * belongs to this process's memory alone.
 */
function peakRssMB(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}
