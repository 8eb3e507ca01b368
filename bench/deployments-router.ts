/**
 * Router overhead (issue 14 budget: ≤ 0.5 ms added at p50, ≥ 80 % of direct
 * throughput). One `ciclo server` (child process, from source) runs an
 * endpoint with one deployment of the linear-regressor ONNX fixture (one
 * `ciclo models serve` replica it supervises). The same one-row request goes
 * (a) straight to the replica and (b) through the server's router at
 * `/endpoints/bench/invocations`:
 * - p50 latency: sequential requests over one keep-alive connection,
 *   alternating blocks of 200 so drift hits both equally;
 * - throughput: `wrk -t1 -c64` for `--seconds` each.
 * Usage: npm run bench:deployments [-- --seconds 10 --requests 4000]
 * Results: printed, and written to bench/results/deployments-router.json.
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" }, requests: { type: "string", default: "4000" }, connections: { type: "string", default: "64" } } });
const BIN = fileURLToPath(new URL("../bin/ciclo.js", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../src/models/fixtures/linear-regressor.onnx", import.meta.url));
const BODY = '{"inputs": [[1.323, -1.364, 1.921]]}';

/** `ciclo gateway` reading its routes from `server`. */
async function startGateway(server: string): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [BIN, "gateway", "--tracking-uri", server, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CICLO_FROM_SOURCE: "1" } });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      const j = JSON.parse(l) as { msg?: string; url?: string };
      if (j.msg === "ciclo gateway listening" && j.url) resolve(j.url);
    });
    proc.once("exit", (c) => reject(new Error(`ciclo gateway exited (${c})`)));
  });
  return { url, stop: () => new Promise<void>((r) => (proc.once("exit", () => r()), proc.kill("SIGTERM"))) };
}

async function startServer(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [BIN, "server", "--port", "0", "--backend-store-uri", `sqlite:///${join(dir, "ciclo.db")}`, "--artifacts-destination", join(dir, "artifacts"), "--log-level", "info"], {
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
  return { url, stop: () => new Promise<void>((r) => (proc.once("exit", () => r()), proc.kill("SIGTERM"))) };
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
    const model = join(dir, "linear");
    await saveModel(model, FIXTURE);
    const artifacts = new ArtifactClient({ trackingUri: server.url });
    const run = await artifacts.tracking.createRun({ experimentId: "0" });
    await artifacts.logArtifacts(run.info.runId, model, "model");
    await artifacts.registry.registerModel(`runs:/${run.info.runId}/model`, "linear");
    const d = new DeploymentsClient({ trackingUri: server.url });
    await d.createEndpoint({ name: "bench" });
    await d.createDeployment("bench", { name: "main", model_uri: "models:/linear/1" });
    let replica: string | undefined;
    for (let i = 0; i < 1200 && !replica; i++) {
      const e = await d.getEndpoint("bench");
      replica = e.deployments[0].health?.replicas.find((r) => r.state === "ready")?.url;
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
      p50DirectMs: p50(a),
      p50RoutedMs: p50(b),
      p50AddedMs: p50(b) - p50(a),
    };
    if (wrkAvailable()) {
      const opts = { script: "serving-one-row.lua", threads: 1, connections: Number(values.connections), seconds: Number(values.seconds) };
      const wd = await runWrk({ ...opts, url: `${replica}/invocations` });
      const wr = await runWrk({ ...opts, url: `${server.url}/endpoints/bench/invocations` });
      Object.assign(result, { directRps: wd.requestsPerSec, directP99Ms: wd.latencyP99Ms, routedRps: wr.requestsPerSec, routedP99Ms: wr.latencyP99Ms, routedErrors: wr.errors, throughputRatio: wr.requestsPerSec / wd.requestsPerSec });
      const gateway = await startGateway(server.url);
      try {
        const gp = new Pool(gateway.url, { connections: 1 });
        await sequential(gp, "/endpoints/bench/invocations", 500);
        const g = await sequential(gp, "/endpoints/bench/invocations", n);
        await gp.close();
        const wg = await runWrk({ ...opts, url: `${gateway.url}/endpoints/bench/invocations` });
        Object.assign(result, { gatewayP50Ms: p50(g), gatewayRps: wg.requestsPerSec, gatewayP99Ms: wg.latencyP99Ms, gatewayErrors: wg.errors, gatewayThroughputRatio: wg.requestsPerSec / wd.requestsPerSec });
      } finally {
        await gateway.stop();
      }
    } else {
      result.wrk = "not installed: throughput not measured";
    }
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(fileURLToPath(new URL("./results/", import.meta.url)), { recursive: true });
    writeFileSync(fileURLToPath(new URL("./results/deployments-router.json", import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
