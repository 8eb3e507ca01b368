/**
 * `npm run bench:replicas`: write throughput of 1, 2 and 3 `ciclo server` replicas (the built dist/) on one
 * PostgreSQL database behind Debian's HAProxy (docs/server.md's configuration), with the wrk scripts of
 * bench:writes: log-metric spread over 32 runs (32 connections) and create run (16 connections). A fresh
 * database per replica count.
 *
 *   npm run bench:replicas [-- --seconds 6 --max 3]
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../src/testing/free-port.js";
import { startHaproxy, haproxyUnavailable } from "../src/testing/haproxy.js";
import { createTestDatabase } from "../src/testing/postgres-fixture.js";
import { tempDir } from "../src/testing/temp-dir.js";
import { openStores } from "../src/store/open-stores.js";
import { postJson } from "./lib/latency.js";
import { startBenchServer, type BenchServer } from "./lib/server-process.js";
import { runWrk, wrkAvailable } from "./lib/wrk.js";

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const SECONDS = opt("--seconds", 6);
const MAX = opt("--max", 3);

function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

const why = (await haproxyUnavailable()) ?? (wrkAvailable() ? undefined : "wrk not found (apt-get install wrk)");
if (why) throw new Error(why);

const rows: Array<{ replicas: number; logMetric: number; logMetricP99: number; createRun: number; createRunP99: number }> = [];
for (let n = 1; n <= MAX; n++) {
  const dir = tempDir("ciclo-bench-replicas-");
  const pg = await createTestDatabase();
  const servers: BenchServer[] = [];
  try {
    await (await openStores(pg.uri, { defaultArtifactRoot: "mlflow-artifacts:/" })).tracking.close(); // migrated once
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      ports.push(port);
      servers.push(await startBenchServer(pg.uri, join(dir.path, "artifacts"), ["--port", String(port)]));
    }
    const lb = await startHaproxy(dir.path, await freePort(), ports);
    try {
      const api = `${lb.url}/api/2.0/mlflow`;
      const runs: string[] = [];
      for (let i = 0; i < 32; i++) {
        runs.push(((await postJson(`${api}/runs/create`, { experiment_id: "0", run_name: `r${i}` })) as { run: { info: { run_id: string } } }).run.info.run_id);
      }
      const lm = () => runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds: SECONDS, timeoutSeconds: 30, env: { RUN_IDS: runs.join(",") } });
      const cr = () => runWrk({ url: `${api}/runs/create`, script: "create-run.lua", threads: 1, connections: 16, seconds: SECONDS, timeoutSeconds: 30 });
      await runWrk({ url: `${api}/runs/log-metric`, script: "log-metric.lua", threads: 1, connections: 32, seconds: 2, timeoutSeconds: 30, env: { RUN_IDS: runs.join(",") } });
      const a = await lm();
      const b = await cr();
      log(`${n} replica(s): log-metric over 32 runs ${Math.round(a.requestsPerSec)} calls/s (p99 ${a.latencyP99Ms} ms, errors ${a.errors}); create run ${Math.round(b.requestsPerSec)} runs/s (p99 ${b.latencyP99Ms} ms, errors ${b.errors})`);
      rows.push({ replicas: n, logMetric: a.requestsPerSec, logMetricP99: a.latencyP99Ms, createRun: b.requestsPerSec, createRunP99: b.latencyP99Ms });
    } finally {
      await lb.stop();
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await pg.drop();
    dir.remove();
  }
}
console.log("\n| replicas | log-metric over 32 runs, 32 connections | create run, 16 connections |\n|---|---|---|");
for (const r of rows) console.log(`| ${r.replicas} | ${Math.round(r.logMetric).toLocaleString("en-US")} calls/s (p99 ${r.logMetricP99} ms) | ${Math.round(r.createRun).toLocaleString("en-US")} runs/s (p99 ${r.createRunP99} ms) |`);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/replicas.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, rows }, null, 2) + "\n");
