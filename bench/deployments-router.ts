/**
 * Router overhead (issue 14 budget: ≤ 0.5 ms added at p50, ≥ 80 % of direct
 * throughput). One `ciclo server` (child process, from source) runs an
 * endpoint with one deployment of the linear-regressor ONNX fixture (one
 * `ciclo models serve` replica it supervises). The same one-row request goes
 * (a) straight to the replica and (b) through the server's router at
 * `/endpoints/bench/invocations`:
 * - p50 latency: sequential requests over one keep-alive connection,
 *   alternating blocks of 200 so drift hits both equally;
 * - throughput: `wrk -t1 -c64` for `--seconds` each, with the CPU time each
 *   process spent over the run (utime + stime from /proc/<pid>/stat, all its
 *   threads; wrk's own as a waited child) divided by the requests answered:
 *   the router's CPU per request is the figure that does not depend on how
 *   the two cores are shared (through the gateway, the server's CPU too: it
 *   ingests and writes the gateway's inference log), and the main thread's
 *   share of it (the rest is V8's GC and compiler threads and libuv's); the server's and the gateway's
 *   CPU while idle (the median second of ten, after the latency phase) is subtracted as "net"; and the replica's mean
 *   batch size over the run (requests per model batch, from its /metrics).
 * `--model-ms N` deploys a js_function model that keeps its inference thread
 * busy N ms per row (a CPU loop; batching does not share it) instead of the
 * ONNX fixture: the model server's work is then the bottleneck, as it is for
 * most real models.
 * `--monitor-sample-rate` is passed to the server (monitoring logs every
 * routed request by default).
 * `--rounds N` repeats the throughput windows N times — direct, a settle
 * pause (the replica posts what it logged of the direct traffic to the
 * server), routed, gateway — and gives each round's ratios from its own
 * adjacent windows, then the median round: on a machine whose speed drifts
 * from minute to minute the ratio of adjacent windows is the steadier figure.
 * `--cpu-prof-dir <dir>` starts the server and the gateway with `--cpu-prof` (one .cpuprofile each, written when
 * they stop). They run with `--max-semi-space-size=32`, as the `ciclo` bin starts them (`--semi-space <MB>`; 0: V8's
 * default).
 * Usage: npm run bench:deployments [-- --seconds 10 --requests 4000 --model-ms 2 --monitor-sample-rate 0.01 --rounds 5]
 * Results: printed, and written to bench/results/deployments-router.json.
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { saveModel } from "../src/models/model-package-writer.js";
import { ArtifactClient } from "../src/sdk/artifact-client.js";
import { DeploymentsClient } from "../src/sdk/deployments-client.js";
import { runWrk, wrkAvailable } from "./lib/wrk.js";
import { xyJsModel } from "../src/testing/model-fixtures.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    requests: { type: "string", default: "4000" },
    connections: { type: "string", default: "64" },
    "model-ms": { type: "string", default: "0" },
    "monitor-sample-rate": { type: "string" },
    rounds: { type: "string", default: "1" },
    "cpu-prof-dir": { type: "string" },
    "semi-space": { type: "string", default: "32" },
  },
});
const MODEL_MS = Number(values["model-ms"]);
/** `--cpu-prof-dir <dir>`: the server and the gateway write V8 CPU profiles there when they stop. */
const PROF = values["cpu-prof-dir"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof-dir"]] : [];
/**
 * V8's young generation for the server and the gateway, as users run them: bin/ciclo.js's shebang, `npm start` and
 * the server image pass `--max-semi-space-size=32`, which spawning `node bin/ciclo.js` skips (`--semi-space 0`: V8's
 * default).
 */
const NODE_ARGS = [...(Number(values["semi-space"]) > 0 ? [`--max-semi-space-size=${Number(values["semi-space"])}`] : []), ...PROF];
const BIN = fileURLToPath(new URL("../bin/ciclo.js", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../src/models/fixtures/linear-regressor.onnx", import.meta.url));
const WRK_SCRIPT = MODEL_MS > 0 ? "serving-x-one-row.lua" : "serving-one-row.lua";
const BODY = MODEL_MS > 0 ? '{"dataframe_records": [{"x": 1.5}]}' : '{"inputs": [[1.323, -1.364, 1.921]]}';

const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU time (user + system, all threads) a process has used, ms; `mainThread`: its main thread's alone. */
function cpuMs(pid: number, mainThread = false): number {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

/** CPU time of this process's children that have exited and been waited for (wrk, once it returns), ms. */
function waitedChildrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[13]) + Number(f[14])) * 1000) / TICKS;
}

/**
 * A process's CPU while nothing is sent to it, ms per second: the median of ten one-second windows (`seconds`: each
 * second's, in order, to show what the first ones held).
 */
async function idleCpu(pid: number): Promise<{ median: number; seconds: number[] }> {
  const seconds: number[] = [];
  for (let i = 0; i < 10; i++) {
    const c0 = cpuMs(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    seconds.push(Number((((cpuMs(pid) - c0) * 1000) / (performance.now() - t0)).toFixed(1)));
  }
  const sorted = [...seconds].sort((a, b) => a - b);
  return { median: (sorted[4] + sorted[5]) / 2, seconds };
}

/** The replica's model batches so far: requests batched and batches (`ciclo_serving_batch_size` sum and count). */
async function batches(replica: string): Promise<{ requests: number; batches: number }> {
  const text = await (await fetch(`${replica}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  return { requests: read("ciclo_serving_batch_size_sum"), batches: read("ciclo_serving_batch_size_count") };
}

/** A wrk run with the CPU each process spent during it (wrk's own too), per request answered (ms), and the replica's mean batch. */
async function measured(opts: Parameters<typeof runWrk>[0], pids: Record<string, number>, replica: string) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  const beforeMain = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid, true)]));
  const b0 = await batches(replica);
  const wrk0 = waitedChildrenCpuMs();
  const load = loadavg()[0];
  const r = await runWrk(opts);
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Number(((cpuMs(pid) - before[k]) / r.requests).toFixed(4))]));
  // The main thread's share: the rest is V8's helper threads (parallel scavenges, concurrent marking, compiles) and libuv's.
  const mainThreadCpuMsPerRequest = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Number(((cpuMs(pid, true) - beforeMain[k]) / r.requests).toFixed(4))]));
  cpu.wrk = Number(((waitedChildrenCpuMs() - wrk0) / r.requests).toFixed(4));
  const b1 = await batches(replica);
  const replicaMeanBatch = Number(((b1.requests - b0.requests) / (b1.batches - b0.batches)).toFixed(1));
  return { ...r, cpuMsPerRequest: cpu, mainThreadCpuMsPerRequest, replicaMeanBatch, loadAverage1m: load };
}

const BUSY_MODULE = `// Bench model: answers 2x per row after keeping its thread busy busy_ms per row.
export function load(context) {
  return { busyMs: Number(context.modelConfig.busy_ms) };
}
export function predict(input, params, state) {
  const x = input.columns.find((c) => c.name === "x").values;
  const end = performance.now() + state.busyMs * x.length;
  while (performance.now() < end) {
    // busy
  }
  return Array.from(x, (v) => v * 2);
}
`;

/** A js_function model that spends `ms` of CPU per row. */
function busyModel(parent: string, ms: number): Promise<string> {
  return xyJsModel(parent, "busy", BUSY_MODULE, { busy_ms: ms });
}

/** `ciclo gateway` reading its routes from `server`. */
async function startGateway(server: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [...NODE_ARGS, BIN, "gateway", "--tracking-uri", server, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CICLO_FROM_SOURCE: "1" } });
  const pid = proc.pid!;
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      const j = JSON.parse(l) as { msg?: string; url?: string };
      if (j.msg === "ciclo gateway listening" && j.url) resolve(j.url);
    });
    proc.once("exit", (c) => reject(new Error(`ciclo gateway exited (${c})`)));
  });
  return { url, pid, stop: () => new Promise<void>((r) => (proc.once("exit", () => r()), proc.kill("SIGTERM"))) };
}

async function startServer(dir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const rate = values["monitor-sample-rate"] ? ["--monitor-sample-rate", values["monitor-sample-rate"]] : [];
  const proc = spawn(process.execPath, [...NODE_ARGS, BIN, "server", "--port", "0", "--backend-store-uri", `sqlite:///${join(dir, "ciclo.db")}`, "--artifacts-destination", join(dir, "artifacts"), "--log-level", "info", ...rate], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CICLO_FROM_SOURCE: "1" },
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      try {
        const j = JSON.parse(l) as { msg?: string; url?: string };
        if (j.msg === "ciclo server listening" && j.url) resolve(j.url);
      } catch {
        /* not JSON */
      }
    });
    proc.once("exit", (c) => reject(new Error(`ciclo server exited (${c})`)));
  });
  return { url, pid: proc.pid!, stop: () => new Promise<void>((r) => (proc.once("exit", () => r()), proc.kill("SIGTERM"))) };
}

/** Latencies (ms) of `n` sequential requests over one keep-alive connection. */
async function sequential(pool: Pool, path: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await pool.request({ path, method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode}`);
    out.push(performance.now() - t0);
  }
  return out;
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ciclo-bench-deploy-"));
  mkdirSync(join(dir, "artifacts"));
  const server = await startServer(dir);
  try {
    const model = MODEL_MS > 0 ? await busyModel(dir, MODEL_MS) : join(dir, "linear");
    if (MODEL_MS === 0) await saveModel(model, FIXTURE);
    const artifacts = new ArtifactClient({ trackingUri: server.url });
    const run = await artifacts.tracking.createRun({ experimentId: "0" });
    await artifacts.logArtifacts(run.info.runId, model, "model");
    await artifacts.registry.registerModel(`runs:/${run.info.runId}/model`, "linear");
    const d = new DeploymentsClient({ trackingUri: server.url });
    await d.createEndpoint({ name: "bench" });
    await d.createDeployment("bench", { name: "main", model_uri: "models:/linear/1" });
    let replica: string | undefined;
    let replicaPid = 0;
    for (let i = 0; i < 1200 && !replica; i++) {
      const e = await d.getEndpoint("bench");
      const ready = e.deployments[0].health?.replicas.find((r) => r.state === "ready");
      replica = ready?.url;
      replicaPid = ready?.pid ?? 0;
      if (!replica) await new Promise((r) => setTimeout(r, 100)); // waiting for the model server to load
    }
    if (!replica) throw new Error("the deployment never became ready");
    const direct = new Pool(replica, { connections: 1 });
    const routed = new Pool(server.url, { connections: 1 });
    const n = Number(values.requests);
    await sequential(direct, "/invocations", 500);
    await sequential(routed, "/endpoints/bench/invocations", 500);
    const a: number[] = [];
    const b: number[] = [];
    for (let done = 0; done < n; done += 200) {
      a.push(...(await sequential(direct, "/invocations", 200)));
      b.push(...(await sequential(routed, "/endpoints/bench/invocations", 200)));
    }
    await direct.close();
    await routed.close();
    const result: Record<string, unknown> = {
      date: new Date().toISOString(),
      model: MODEL_MS > 0 ? `js_function, ${MODEL_MS} ms busy per row` : "linear-regressor ONNX",
      monitorSampleRate: values["monitor-sample-rate"] ?? "1",
      semiSpaceMb: Number(values["semi-space"]) || "V8 default",
      loadAverage1mAtEnd: undefined as number | undefined,
      p50DirectMs: p50(a),
      p50RoutedMs: p50(b),
      p50AddedMs: p50(b) - p50(a),
    };
    if (wrkAvailable()) {
      const opts = { script: WRK_SCRIPT, threads: 1, connections: Number(values.connections), seconds: Number(values.seconds) };
      // The server's own background work (jobs polling, health checks, timers) while idle, to subtract from the routed run.
      // The median second of ten: the first seconds after the latency phase also hold its inference log's work (the
      // replica's posts of the direct requests, the recorder's segment of the routed ones), which is not background.
      const idleServer = await idleCpu(server.pid);
      const idleServerCpuMsPerSecond = idleServer.median;
      result.idleServerCpuMsEachSecond = idleServer.seconds;
      const gateway = await startGateway(server.url);
      try {
        const gp = new Pool(gateway.url, { connections: 1 });
        await sequential(gp, "/endpoints/bench/invocations", 500);
        const g = await sequential(gp, "/endpoints/bench/invocations", n);
        await gp.close();
        result.gatewayP50Ms = p50(g);
        // The gateway's own background work while idle (route table refreshes, timers), to subtract as the server's is.
        const idleGatewayCpuMsPerSecond = (await idleCpu(gateway.pid)).median;
        const rounds: Array<Record<string, unknown>> = [];
        for (let round = 0; round < Math.max(1, Number(values.rounds)); round++) {
          // Direct first, then a pause: requests sent straight to the replica are logged by the replica itself, which
          // posts them to the server's monitoring API for a second or two afterwards; that work would land in the
          // routed window's server CPU. The same pause before a later round's direct window: the gateway posts what
          // it routed for a second or two after its window, and the server's work on it would slow the direct one.
          if (round > 0) await new Promise((r) => setTimeout(r, 3000));
          const wd = await measured({ ...opts, url: `${replica}/invocations` }, { replica: replicaPid }, replica);
          await new Promise((r) => setTimeout(r, 3000));
          const wr = await measured({ ...opts, url: `${server.url}/endpoints/bench/invocations` }, { server: server.pid, replica: replicaPid }, replica);
          const wg = await measured({ ...opts, url: `${gateway.url}/endpoints/bench/invocations` }, { gateway: gateway.pid, server: server.pid, replica: replicaPid }, replica);
          rounds.push(roundResult(wd, wr, wg, idleServerCpuMsPerSecond, idleGatewayCpuMsPerSecond, opts.seconds));
          console.error(`[bench] round ${round + 1}: direct ${Math.round(wd.requestsPerSec)} req/s, server ${(100 * (wr.requestsPerSec / wd.requestsPerSec)).toFixed(1)} %, gateway ${(100 * (wg.requestsPerSec / wd.requestsPerSec)).toFixed(1)} % (load ${loadavg()[0].toFixed(2)})`);
        }
        // The median round by the server's ratio gives the top-level figures; every round is kept.
        const sorted = [...rounds].sort((x, y) => (x.throughputRatio as number) - (y.throughputRatio as number));
        Object.assign(result, sorted[Math.floor((sorted.length - 1) / 2)]);
        if (rounds.length > 1) {
          const med = (k: string) => {
            const v = rounds.map((r) => r[k] as number).sort((x, y) => x - y);
            return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
          };
          Object.assign(result, {
            medianThroughputRatio: med("throughputRatio"),
            medianGatewayThroughputRatio: med("gatewayThroughputRatio"),
            minThroughputRatio: sorted[0].throughputRatio,
            rounds,
          });
        }
      } finally {
        await gateway.stop();
      }
    } else {
      result.wrk = "not installed: throughput not measured";
    }
    result.loadAverage1mAtEnd = loadavg()[0];
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(fileURLToPath(new URL("./results/", import.meta.url)), { recursive: true });
    writeFileSync(fileURLToPath(new URL(MODEL_MS > 0 ? "./results/deployments-router-model-bound.json" : "./results/deployments-router.json", import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Window = Awaited<ReturnType<typeof measured>>;

/** One round's figures: the routed and gateway windows against the direct window just before them. */
function roundResult(wd: Window, wr: Window, wg: Window, idleServerCpuMsPerSecond: number, idleGatewayCpuMsPerSecond: number, seconds: number): Record<string, unknown> {
  return {
    directRps: wd.requestsPerSec,
    directP99Ms: wd.latencyP99Ms,
    directErrors: wd.errors,
    directCpuMsPerRequest: wd.cpuMsPerRequest,
    directReplicaMeanBatch: wd.replicaMeanBatch,
    routedRps: wr.requestsPerSec,
    routedP99Ms: wr.latencyP99Ms,
    routedErrors: wr.errors,
    routedCpuMsPerRequest: wr.cpuMsPerRequest,
    routedMainThreadCpuMsPerRequest: wr.mainThreadCpuMsPerRequest,
    routedReplicaMeanBatch: wr.replicaMeanBatch,
    idleServerCpuMsPerSecond,
    routedServerCpuMsPerRequestNet: Number((wr.cpuMsPerRequest.server - (idleServerCpuMsPerSecond * seconds) / wr.requests).toFixed(4)),
    throughputRatio: wr.requestsPerSec / wd.requestsPerSec,
    loadAverages1m: { direct: wd.loadAverage1m, routed: wr.loadAverage1m },
    gatewayRps: wg.requestsPerSec,
    gatewayP99Ms: wg.latencyP99Ms,
    gatewayErrors: wg.errors,
    gatewayCpuMsPerRequest: wg.cpuMsPerRequest,
    gatewayMainThreadCpuMsPerRequest: wg.mainThreadCpuMsPerRequest,
    idleGatewayCpuMsPerSecond,
    gatewayCpuMsPerRequestNet: Number((wg.cpuMsPerRequest.gateway - (idleGatewayCpuMsPerSecond * seconds) / wg.requests).toFixed(4)),
    gatewayReplicaMeanBatch: wg.replicaMeanBatch,
    gatewayThroughputRatio: wg.requestsPerSec / wd.requestsPerSec,
  };
}

await main();
