/**
 * What `ciclo gateway`'s inference log costs its process per routed request
 * (issue 14), as the router produces records: each one made fresh (a UUID,
 * the request body a slice of a new socket-sized buffer, a new response
 * buffer), pushed, and the log flushed every 5,000 records (250 ms at
 * 20,000 req/s) to a sink that only counts. CPU is `process.cpuUsage()`
 * (all threads, so V8's GC helpers count) of the push loop minus the same
 * loop without the log, per record: GC of what the log keeps between posts
 * is in it (bench/gateway-log-cpu.ts keeps every record alive for the whole
 * run, so it cannot show that).
 * `--posts N` also times the post of one 650 KB batch (5,000 one-row records)
 * to an HTTP server in a child process, N times, with `fetch` and with a
 * kept-alive `node:http` agent, turns alternating: this process's CPU per post.
 * Usage: node --max-semi-space-size=32 --import tsx bench/gateway-log-push.ts [--records 200000 --turns 7 --posts 300]
 * @module
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { gatewayInferenceLog } from "../src/cli/commands/gateway-inference-log.js";
import type { RoutedInference } from "../src/deployments/router/inference-feed.js";

const { values } = parseArgs({ options: { records: { type: "string", default: "200000" }, turns: { type: "string", default: "7" }, posts: { type: "string", default: "0" } } });
const N = Number(values.records);
const BATCH = 5000;
const REQUEST = '{"inputs": [[1.323, -1.364, 1.921]]}';
const HEAD = "POST /endpoints/bench/invocations HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\r\n";
let kept = 0;

const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

function routed(i: number): RoutedInference {
  const chunk = Buffer.from(HEAD + REQUEST);
  return { requestId: randomUUID(), time: Date.now(), modelName: "linear", modelVersion: "1", endpoint: "bench", deployment: "main", status: 200, latencyMs: 0.41, request: chunk.subarray(HEAD.length), response: Buffer.from(`{"predictions": [[0.123${i % 10}]]}`) };
}

/** CPU µs per record of the loop, with or without the log. */
async function loop(withLog: boolean): Promise<number> {
  const log = gatewayInferenceLog({ trackingUri: "http://127.0.0.1:1", flushIntervalMs: 3_600_000, sink: { write: async (b) => void (kept += b.length) } });
  const feed = log.feed as typeof log.feed & { flush(): Promise<void> };
  const t = cpuUs();
  for (let i = 0; i < N; i++) {
    const r = routed(i);
    if (withLog) feed.push(r);
    else kept += r.request!.length;
    if (i % BATCH === BATCH - 1) await feed.flush();
  }
  await log.close();
  return (cpuUs() - t) / N;
}

async function posts(n: number): Promise<void> {
  const child = spawn(process.execPath, ["-e", `require("node:http").createServer((q, s) => { q.resume(); q.on("end", () => s.writeHead(200, { "content-type": "application/json" }).end('{"accepted":5000}')); }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((r) => child.stdout!.once("data", (d) => r(Number(String(d).trim()))));
  const url = `http://127.0.0.1:${port}/api/ciclo/v1/monitoring/inference/batch`;
  const body = Buffer.alloc(650_000, 7);
  const headers = { "content-type": "application/vnd.ciclo.inference-batch" };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const viaFetch = async () => {
    const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(30_000) });
    await res.arrayBuffer();
  };
  const viaHttp = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: "POST", agent, timeout: 30_000, headers: { ...headers, "content-length": body.length } }, (res) => {
        res.on("data", () => undefined);
        res.once("end", () => resolve());
      });
      req.once("error", reject);
      req.end(body);
    });
  try {
    for (let turn = 0; turn < 4; turn++) {
      for (const [name, post] of [["fetch", viaFetch], ["node:http", viaHttp]] as const) {
        const t = cpuUs();
        for (let i = 0; i < n; i++) await post();
        console.log(`[bench] post of 650 KB, ${name}: ${((cpuUs() - t) / n).toFixed(0)} µs CPU (load ${loadavg()[0].toFixed(2)})`);
      }
    }
  } finally {
    agent.destroy();
    child.kill();
  }
}

const rows: string[] = [];
for (let turn = 0; turn < Number(values.turns); turn++) {
  const without = await loop(false);
  const withLog = await loop(true);
  rows.push((withLog - without).toFixed(3));
}
console.log(`[bench] the gateway's log: ${rows.join(" ")} µs CPU per record (load ${loadavg()[0].toFixed(2)})`);
if (Number(values.posts) > 0) await posts(Number(values.posts));
