/**
 * `npm run bench:import-mlflow`: how long `ciclo import-mlflow` takes for a
 * realistic MLflow store — 10,000 runs × 100 metric points (10 params, 5 tags
 * and a 1 KiB artifact each) in MLflow's own SQLite schema, written by
 * bench/tools/make-mlflow-store.py with the real MLflow (the shared oracle) —
 * into a new ciclo store on SQLite (and PostgreSQL with --postgres), artifacts
 * copied. Prints the figures and writes bench/results/import-mlflow.json.
 *
 *   npm run bench:import-mlflow
 *   npm run bench:import-mlflow -- --runs 2000 --points 1000 --postgres
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findOracle } from "../src/mlflow-import/testing/mlflow-oracle.js";
import { runCiclo } from "../src/testing/child-server.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const RUNS = arg("--runs", 10_000);
const POINTS = arg("--points", 100);

const tmp = tempDir("ciclo-bench-import-");
try {
  const oracle = await findOracle(tmp.path);
  if (!oracle) throw new Error("the real MLflow is needed to write the source store");
  const db = join(tmp.path, "mlflow.db");
  const art = join(tmp.path, "mlartifacts");
  let t = performance.now();
  execFileSync("/usr/bin/python3", [new URL("./tools/make-mlflow-store.py", import.meta.url).pathname, db, art, String(RUNS), String(POINTS)], { env: oracle.env("2.10"), stdio: "inherit" });
  console.log(`source: ${RUNS} runs × ${POINTS} points written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const results: Record<string, unknown> = { runs: RUNS, points: POINTS };
  const targets: Array<[string, string]> = [["sqlite", `sqlite:///${join(tmp.path, "ciclo.db")}`]];
  if (args.includes("--postgres")) targets.push(["postgres", (await createTestDatabase()).uri]);
  for (const [name, uri] of targets) {
    t = performance.now();
    const res = await runCiclo(["import-mlflow", `sqlite:///${db}`, "--backend-store-uri", uri, "--artifacts-source", art, "--artifacts-destination", join(tmp.path, `art-${name}`), "--json"]);
    const seconds = (performance.now() - t) / 1000;
    if (res.code !== 0) throw new Error(res.stderr);
    const summary = JSON.parse(res.stdout) as { metricPoints: number; artifacts: { files: number }; phaseSeconds: Record<string, number> };
    t = performance.now();
    const again = await runCiclo(["import-mlflow", `sqlite:///${db}`, "--backend-store-uri", uri, "--artifacts-source", art, "--artifacts-destination", join(tmp.path, `art-${name}`), "--json"]);
    const rerun = (performance.now() - t) / 1000;
    if (again.code !== 0) throw new Error(again.stderr);
    const phases = summary.phaseSeconds;
    results[name] = { seconds, runsPerSecond: RUNS / seconds, pointsPerSecond: summary.metricPoints / seconds, artifactFiles: summary.artifacts.files, secondRunSeconds: rerun, phases };
    console.log(
      `${name}: ${seconds.toFixed(1)} s (${Math.round(RUNS / seconds)} runs/s, ${Math.round(summary.metricPoints / seconds)} points/s, ${summary.artifacts.files} files); ` +
        `runs phase ${phases.runs.toFixed(1)} s, artifacts phase ${phases.artifacts.toFixed(1)} s; second run (no-op) ${rerun.toFixed(1)} s`,
    );
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/import-mlflow.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  tmp.remove();
}
