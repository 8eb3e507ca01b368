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
 * Usage: node --import tsx bench/router-cpu.ts [--requests 20000 --concurrency 32 --rounds 5]
 * @module
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { EndpointRouter } from "../src/deployments/router/endpoint-router.js";
import { RouterInferenceFeed } from "../src/deployments/router/inference-feed.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "20000" }, concurrency: { type: "string", default: "32" }, rounds: { type: "string", default: "5" } } });
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

await main();
