/**
 * `npm run bench:sweeps`: does TPE find better values than random search at
 * equal budgets? Branin (2-D) and Hartmann-6 (6-D), minimised, each sampler
 * given 50 and 100 trials, over 30 seeds (0–29). Trials run through the real
 * sweep loop (SweepRunner, in-process objective functions, an in-memory
 * tracker), one at a time, as a sequential Hyperopt or Optuna study would.
 *
 * Prints, per function and budget, each sampler's mean best value with its
 * standard error, the known optimum, the paired gap (random − TPE) and how
 * many seeds TPE won; writes bench/results/sweeps.json. Exits 1 if TPE's
 * mean best is not below random's anywhere (the claim the docs make).
 * `--seeds=N` changes the number of seeds. `--reference` also runs Optuna's
 * TPESampler and RandomSampler (defaults) on the same functions, budgets and
 * seeds through bench/tools/optuna-sweeps.py (Debian's python3-optuna, 3.1 on
 * bookworm), for the reference figure measured the same way.
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FunctionTrialExecutor } from "../src/pipelines/sweeps/function-trial-executor.js";
import type { SamplerName } from "../src/pipelines/sweeps/sampler.js";
import { SweepRunner } from "../src/pipelines/sweeps/sweep-runner.js";
import { MemorySweepTracker } from "../src/pipelines/sweeps/sweep-tracker.js";
import { BRANIN, HARTMANN6, type TestFunction } from "../src/pipelines/sweeps/test-functions.js";

const arg = process.argv.find((a) => a.startsWith("--seeds="));
const SEEDS = arg ? Number(arg.split("=")[1]) : 30;
const BUDGETS = [50, 100];
const SAMPLERS: SamplerName[] = ["tpe", "random"];

async function bestValue(fn: TestFunction, sampler: SamplerName, trials: number, seed: number): Promise<number> {
  const tracker = new MemorySweepTracker();
  const executor = new FunctionTrialExecutor((p) => fn.f(p), { sink: tracker, metric: "value" });
  const config = { space: fn.space, metric: "value", direction: "min" as const, sampler, seed, maxTrials: trials, maxParallel: 1 };
  const result = await new SweepRunner({ config, tracker, executor }).run();
  return result.summary.best!.value;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const stderr = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) / xs.length);
};
const f4 = (v: number) => v.toFixed(4);

interface Row {
  fn: string;
  optimum: number;
  trials: number;
  tpe: { mean: number; se: number; ms: number };
  random: { mean: number; se: number; ms: number };
  gap: { mean: number; se: number };
  tpeWins: number;
}

const rows: Row[] = [];
let failed = false;
console.log(`Sweep samplers, minimising, ${SEEDS} seeds (mean best value ± standard error; lower is better)\n`);
console.log("| function | optimum | trials | TPE | random | random − TPE (paired) | TPE better on |");
console.log("|---|---|---|---|---|---|---|");
for (const fn of [BRANIN, HARTMANN6]) {
  for (const trials of BUDGETS) {
    const best: Record<string, number[]> = { tpe: [], random: [] };
    const ms: Record<string, number> = { tpe: 0, random: 0 };
    for (let seed = 0; seed < SEEDS; seed++) {
      for (const s of SAMPLERS) {
        const t0 = performance.now();
        best[s].push(await bestValue(fn, s, trials, seed));
        ms[s] += performance.now() - t0;
      }
    }
    const gaps = best.random.map((r, i) => r - best.tpe[i]);
    const row: Row = {
      fn: fn.name,
      optimum: fn.optimum,
      trials,
      tpe: { mean: mean(best.tpe), se: stderr(best.tpe), ms: ms.tpe / SEEDS },
      random: { mean: mean(best.random), se: stderr(best.random), ms: ms.random / SEEDS },
      gap: { mean: mean(gaps), se: stderr(gaps) },
      tpeWins: gaps.filter((g) => g > 0).length,
    };
    rows.push(row);
    if (!(row.tpe.mean < row.random.mean)) failed = true;
    console.log(
      `| ${fn.name} | ${fn.optimum} | ${trials} | ${f4(row.tpe.mean)} ± ${f4(row.tpe.se)} | ${f4(row.random.mean)} ± ${f4(row.random.se)} | ${f4(row.gap.mean)} ± ${f4(row.gap.se)} | ${row.tpeWins}/${SEEDS} seeds |`,
    );
  }
}
console.log(`\nTime per sweep (mean): ${rows.map((r) => `${r.fn}/${r.trials}: TPE ${r.tpe.ms.toFixed(0)} ms, random ${r.random.ms.toFixed(0)} ms`).join("; ")}`);
let reference: unknown;
if (process.argv.includes("--reference")) {
  const script = new URL("./tools/optuna-sweeps.py", import.meta.url).pathname;
  try {
    const ref = JSON.parse(execFileSync("/usr/bin/python3", [script, String(SEEDS)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as {
      optuna: string;
      rows: Array<{ fn: string; trials: number; tpe: { mean: number; se: number }; random: { mean: number; se: number } }>;
    };
    reference = ref;
    console.log(`\nReference: Optuna ${ref.optuna} (TPESampler and RandomSampler, defaults), same functions, budgets and seeds\n`);
    console.log("| function | trials | Optuna TPE | Optuna random |");
    console.log("|---|---|---|---|");
    for (const r of ref.rows) console.log(`| ${r.fn} | ${r.trials} | ${f4(r.tpe.mean)} ± ${f4(r.tpe.se)} | ${f4(r.random.mean)} ± ${f4(r.random.se)} |`);
  } catch (err) {
    console.log(`\nReference skipped: Optuna is not importable by /usr/bin/python3 (apt-get install python3-optuna): ${(err as Error).message.split("\n")[0]}`);
  }
}
const dir = new URL("./results/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "sweeps.json"), `${JSON.stringify({ seeds: SEEDS, node: process.version, at: new Date().toISOString(), rows, reference }, null, 2)}\n`);
if (failed) {
  console.error("TPE's mean best value is not below random search's for every function and budget.");
  process.exitCode = 1;
}
