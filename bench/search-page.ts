/**
 * The 1,000-run search page of `npm run bench` (issue 2's ≤ 15 ms case), alone and alternated between builds:
 * each build (a checkout with a server build: its `bin/ciclo.js`) gets its own database, seeded once over HTTP
 * by that build (an older build refuses a database a newer one migrated) with the benchmark's two experiments of
 * 1,000 runs — MLflow's benchmark shape (1 param, 1 metric, 5 tags) and a wider one (5 params, 5 metrics, 7
 * tags) — and then, round after round (A B, B A, …), the build is started on its database and each page is asked
 * for sequentially: p50 / p95 / min over the samples after a warm-up, and the CPU each request cost the server
 * process and, on PostgreSQL, the database's backends (/proc): the figures other load on a shared machine
 * distorts least.
 *
 *   node --import tsx bench/search-page.ts                                   # this checkout's build, SQLite
 *   node --import tsx bench/search-page.ts --backend postgres --server before=/tmp/old --server after=. --rounds 4
 *
 * Options: `--server label=DIR` (repeatable; default this checkout), `--backend sqlite|postgres`, `--rounds N`
 * (default 2), `--samples N` (default 100), `--warmup N` (default 20), `--cases 1k,1k-wide` (default both),
 * `--keep` (leave the PostgreSQL databases in place and print their URIs, to look at plans afterwards).
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { createTestDatabase, type PgDatabase } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { seedRunsOverHttp, type HttpRunShape } from "./lib/http-seed.js";
import { postForBytes, postJson } from "./lib/latency.js";
import { PgCpu } from "./lib/pg-cpu.js";
import { processCpuSeconds } from "./lib/proc-cpu.js";

const args = process.argv.slice(2);
const opt = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const backend = opt("--backend", "sqlite") as "sqlite" | "postgres";
const ROUNDS = Number(opt("--rounds", "2"));
const SAMPLES = Number(opt("--samples", "100"));
const WARMUP = Number(opt("--warmup", "20"));
const servers = args
  .flatMap((a, i) => (a === "--server" ? [args[i + 1]] : []))
  .map((s) => ({ label: s.slice(0, s.indexOf("=")), dir: resolve(s.slice(s.indexOf("=") + 1)) }));
if (servers.length === 0) servers.push({ label: "this", dir: resolve(".") });

interface Shape extends HttpRunShape {
  name: string;
}
const SHAPES: Shape[] = [
  { name: "1k", params: 1, metrics: 1, tags: 1 },
  { name: "1k-wide", params: 5, metrics: 5, tags: 3 },
];
const shapes = SHAPES.filter((s) => opt("--cases", "1k,1k-wide").split(",").includes(s.name));
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

async function start(dir: string, uri: string, artifacts: string): Promise<{ url: string; proc: ChildProcess }> {
  const serverArgs = ["server", "--port", "0", "--backend-store-uri", uri, "--artifacts-destination", artifacts, "--log-level", "info"];
  const proc = spawn(join(dir, "bin", "ciclo.js"), serverArgs, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CICLO_FROM_SOURCE: "0" } });
  const url = await new Promise<string>((ok, fail) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      try {
        const j = JSON.parse(line) as { msg?: string; url?: string };
        if (j.msg === "ciclo server listening" && j.url) ok(j.url);
      } catch {
        /* not a log line */
      }
    });
    proc.once("exit", (code) => fail(new Error(`${dir}: server exited with ${code} before listening`)));
  });
  return { url, proc };
}

const stop = (proc: ChildProcess) =>
  new Promise<void>((done) => {
    proc.once("exit", () => done());
    proc.kill("SIGTERM");
  });

interface Store {
  uri: string;
  artifacts: string;
  experiments?: string[];
  pg?: PgDatabase;
}

interface Row {
  server: string;
  round: number;
  shape: string;
  p50: number;
  p95: number;
  min: number;
  serverMs: number;
  pgMs?: number;
  bytes: number;
  load: string;
}

const dir = tempDir("ciclo-search-page-");
const stores = new Map<string, Store>();
const rows: Row[] = [];
try {
  for (const s of servers) {
    const pg = backend === "postgres" ? await createTestDatabase() : undefined;
    const uri = pg ? pg.uri : `sqlite:///${join(dir.path, `${s.label}.db`)}`;
    stores.set(s.label, { uri, artifacts: join(dir.path, `${s.label}-artifacts`), pg });
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of round % 2 === 1 ? servers : [...servers].reverse()) {
      const store = stores.get(s.label)!;
      const { url, proc } = await start(s.dir, store.uri, store.artifacts);
      const api = `${url}/api/2.0/mlflow`;
      const pgCpu = store.pg ? await PgCpu.open(store.uri) : undefined;
      try {
        if (!store.experiments) {
          store.experiments = [];
          for (const shape of shapes) store.experiments.push(await seedRunsOverHttp(api, `search-${shape.name}`, shape));
        }
        for (const [i, shape] of shapes.entries()) {
          const body = { experiment_ids: [store.experiments[i]], max_results: 1000 };
          const check = (await postJson(`${api}/runs/search`, body)) as { runs: unknown[] };
          if (check.runs.length !== 1000) throw new Error(`${s.label}: expected 1000 runs, got ${check.runs.length}`);
          let bytes = 0;
          for (let w = 0; w < WARMUP; w++) bytes = await postForBytes(`${api}/runs/search`, body);
          const times: number[] = [];
          const cpu0 = processCpuSeconds(proc.pid!);
          await pgCpu?.begin();
          for (let k = 0; k < SAMPLES; k++) {
            const t = performance.now();
            await postForBytes(`${api}/runs/search`, body);
            times.push(performance.now() - t);
          }
          const serverMs = ((processCpuSeconds(proc.pid!) - cpu0) * 1000) / SAMPLES;
          const pgMs = pgCpu ? ((await pgCpu.end()).backends * 1000) / SAMPLES : undefined;
          times.sort((a, b) => a - b);
          const row: Row = { server: s.label, round, shape: shape.name, p50: times[Math.floor(SAMPLES / 2)], p95: times[Math.floor(SAMPLES * 0.95)], min: times[0], serverMs, pgMs, bytes, load: load() };
          rows.push(row);
          process.stderr.write(
            `${s.label.padEnd(10)} round ${round} ${shape.name.padEnd(8)} p50 ${row.p50.toFixed(1)} ms  p95 ${row.p95.toFixed(1)}  min ${row.min.toFixed(1)}  ` +
              `server CPU ${serverMs.toFixed(1)} ms/request${pgMs === undefined ? "" : `  PostgreSQL ${pgMs.toFixed(1)}`}  (${(bytes / 1e6).toFixed(2)} MB, load ${row.load})\n`,
          );
        }
      } finally {
        await pgCpu?.close();
        await stop(proc);
      }
    }
  }
} finally {
  for (const [label, s] of stores) {
    if (args.includes("--keep") && s.pg) console.log(`kept ${label}: ${s.uri}`);
    else await s.pg?.drop();
  }
  dir.remove();
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n| ${backend} | ${servers.map((s) => s.label).join(" | ")} |\n|---|${servers.map(() => "---").join("|")}|`);
for (const shape of shapes) {
  const cell = (pick: (r: Row) => number | undefined) => (label: string) => {
    const xs = rows.filter((r) => r.server === label && r.shape === shape.name).map(pick);
    return xs.map((x) => (x === undefined ? "–" : x.toFixed(1))).join(" / ") + ` (median ${xs[0] === undefined ? "–" : med(xs as number[]).toFixed(1)})`;
  };
  console.log(`| ${shape.name} p50 ms, each round | ${servers.map((s) => cell((r) => r.p50)(s.label)).join(" | ")} |`);
  console.log(`| ${shape.name} server CPU ms/request | ${servers.map((s) => cell((r) => r.serverMs)(s.label)).join(" | ")} |`);
  if (backend === "postgres") console.log(`| ${shape.name} PostgreSQL CPU ms/request | ${servers.map((s) => cell((r) => r.pgMs)(s.label)).join(" | ")} |`);
}
