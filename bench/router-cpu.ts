/**
 * The router's own CPU per request, in-process (no Fastify, no client→router
 * HTTP hop): an `EndpointRouter` forwards `--requests` one-row scoring
 * requests, `--concurrency` at a time, to an upstream in a child process (a
 * bare `node:http` server answering a fixed prediction, so the upstream costs
 * this process nothing), with monitoring's feed attached to a sink that only
 * counts (the feed's queueing and conversion are on the router's event loop;
 * the Parquet encoding behind a real sink is not). CPU is `process.cpuUsage()`
 * of this process over the run, divided by the requests: the steady figure on a
 * loaded machine. Rounds alternate with nothing else changing.
 * `--http fast|node`: the router behind an HTTP server in this process instead
 * (`fast`: node:http with the router's fast path installed, as `ciclo gateway`
 * and `ciclo server` run it; `node`: node:http's request handler only, the
 * fast path's fallback), driven by `wrk -t1 -c64` from outside for
 * `--seconds` per round: the CPU per request then includes accepting and
 * answering the client's requests.
 * Usage: node --import tsx bench/router-cpu.ts [--requests 20000 --concurrency 32 --rounds 5] [--http fast --seconds 5]
 * @module
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { EndpointRouter } from "../src/deployments/router/endpoint-router.js";
import { installFastPath } from "../src/deployments/router/fast-path.js";
import { RouterInferenceFeed } from "../src/deployments/router/inference-feed.js";
import { runWrk, wrkAvailable } from "./lib/wrk.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    http: { type: "string" },
    seconds: { type: "string", default: "5" },
  },
});
const BODY = Buffer.from('{"inputs": [[1.323, -1.364, 1.921]]}');

const UPSTREAM = `
const http = require("node:http");
const answer = Buffer.from('{"predictions": [[2.5]]}');
const s = http.createServer({ keepAliveTimeout: 60000 }, (req, res) => {
  req.on("data", () => {});
  req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": answer.length }).end(answer));
});
s.listen(0, "127.0.0.1", () => process.stdout.write(String(s.address().port) + "\\n"));
`;

async function main(): Promise<void> {
  const child = spawn(process.execPath, ["-e", UPSTREAM], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve) => child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim())));
  let logged = 0;
  const feed = new RouterInferenceFeed({ record: () => void logged++ });
  const router = new EndpointRouter({ feed });
  router.setTable([{ name: "bench", deployments: [{ name: "main", modelName: "m", modelVersion: "1", weight: 100, mirror: 0, urls: [`http://127.0.0.1:${port}`] }] }]);
  if (values.http) {
    await overHttp(router, values.http === "fast");
    await router.close();
    child.kill();
    return;
  }
  const n = Number(values.requests);
  const c = Number(values.concurrency);
  const one = async () => {
    const r = await router.invoke({ endpoint: "bench", path: "/invocations", method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${String(r.body)}`);
  };
  const run = async (total: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: c }, async () => {
      while (next++ < total) await one();
    }));
  };
  await run(2000); // warm-up
  const rounds: Array<{ cpuUsPerRequest: number; wallUsPerRequest: number; loadAverage1m: number }> = [];
  for (let i = 0; i < Number(values.rounds); i++) {
    const load = loadavg()[0];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(n);
    const cpu = process.cpuUsage(cpu0);
    rounds.push({ cpuUsPerRequest: Number(((cpu.user + cpu.system) / n).toFixed(2)), wallUsPerRequest: Number((((performance.now() - t0) * 1000) / n).toFixed(2)), loadAverage1m: load });
  }
  await router.close();
  child.kill();
  const sorted = rounds.map((r) => r.cpuUsPerRequest).sort((a, b) => a - b);
  console.log(JSON.stringify({ date: new Date().toISOString(), requests: n, concurrency: c, logged, rounds, medianCpuUsPerRequest: sorted[Math.floor(sorted.length / 2)] }, null, 2));
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => resolve(chunks.length === 0 ? undefined : Buffer.concat(chunks)));
  });
}

/** The router behind node:http in this process, with or without the fast path; wrk drives it. */
async function overHttp(router: EndpointRouter, fast: boolean): Promise<void> {
  if (!wrkAvailable()) throw new Error("--http needs wrk");
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const url = req.url ?? "/";
    const name = "bench";
    void readBody(req)
      .then((body) => router.invoke({ endpoint: name, path: url.slice(`/endpoints/${name}`.length), method: req.method ?? "GET", headers: req.headers, body }))
      .then((r) => res.writeHead(r.status, r.headers).end(r.body));
  });
  const fp = fast ? installFastPath(server, router, { bodyLimit: 64 * 1024 * 1024 }) : undefined;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/endpoints/bench/invocations`;
  const opts = { url, script: "serving-one-row.lua", threads: 1, connections: 64, seconds: Number(values.seconds) };
  await runWrk({ ...opts, seconds: 2 }); // warm-up
  const rounds: Array<{ cpuUsPerRequest: number; requestsPerSec: number; errors: number; loadAverage1m: number }> = [];
  for (let i = 0; i < Number(values.rounds); i++) {
    const load = loadavg()[0];
    const cpu0 = process.cpuUsage();
    const r = await runWrk(opts);
    const cpu = process.cpuUsage(cpu0);
    rounds.push({ cpuUsPerRequest: Number(((cpu.user + cpu.system) / r.requests).toFixed(2)), requestsPerSec: r.requestsPerSec, errors: r.errors, loadAverage1m: load });
  }
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  const sorted = rounds.map((r) => r.cpuUsPerRequest).sort((a, b) => a - b);
  console.log(JSON.stringify({ date: new Date().toISOString(), http: fast ? "fast path" : "node:http handler", fastPath: fp?.stats, rounds, medianCpuUsPerRequest: sorted[Math.floor(sorted.length / 2)] }, null, 2));
}

await main();
