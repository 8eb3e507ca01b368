/**
 * What tracing costs the router (issue 14, item 6: zero cost when not
 * configured). One `ciclo models serve` replica of the linear-regressor ONNX
 * fixture (child process, tracing off) answers; in this process the same
 * one-row request goes (a) straight to the replica, (b) through an
 * EndpointRouter without tracing (the OpenTelemetry SDK not loaded) and
 * (c) through one exporting to an OTLP/HTTP receiver (in this process, the
 * test helper) — sequential requests, alternating blocks of 200 so a loaded
 * machine's drift hits all three alike. p50 of each and the router's added
 * time with and without tracing.
 * Usage: node --import tsx bench/router-tracing.ts [--requests 4000]
 * Results: printed, and written to bench/results/router-tracing.json.
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
import { EndpointRouter } from "../src/deployments/router/endpoint-router.js";
import { saveModel } from "../src/models/model-package-writer.js";
import { loadTracing } from "../src/telemetry/tracing.js";
import { OtlpReceiver } from "../src/testing/otlp-receiver.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "4000" } } });
const BIN = fileURLToPath(new URL("../bin/ciclo.js", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../src/models/fixtures/linear-regressor.onnx", import.meta.url));
const BODY = Buffer.from('{"inputs": [[1.323, -1.364, 1.921]]}');
const HEADERS = { "content-type": "application/json" };

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "ciclo-bench-tracing-"));
  const model = join(dir, "linear");
  await saveModel(model, FIXTURE);
  const proc = spawn(process.execPath, [BIN, "models", "serve", "-m", model, "-p", "0", "--workers", "1"], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, CICLO_FROM_SOURCE: "1" } });
  const receiver = await OtlpReceiver.start();
  try {
    const replica = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on("line", (l) => {
        const j = JSON.parse(l) as { msg?: string; url?: string };
        if (j.msg === "ciclo scoring server ready" && j.url) resolve(j.url);
      });
      proc.once("exit", (c) => reject(new Error(`ciclo models serve exited (${c})`)));
    });
    const table = [{ name: "bench", deployments: [{ name: "main", modelName: "linear", modelVersion: "1", weight: 100, mirror: 0, urls: [replica] }] }];
    const plain = new EndpointRouter({ connections: 1 });
    plain.setTable(table);
    const tracing = await loadTracing({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: "bench-router" });
    const traced = new EndpointRouter({ connections: 1, tracing });
    traced.setTable(table);
    const direct = new Pool(replica, { connections: 1 });

    const viaDirect = async () => {
      const res = await direct.request({ path: "/invocations", method: "POST", headers: HEADERS, body: BODY });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`direct: HTTP ${res.statusCode}`);
    };
    const via = (router: EndpointRouter) => async () => {
      const res = await router.invoke({ endpoint: "bench", path: "/invocations", method: "POST", headers: HEADERS, body: BODY });
      if (res.status !== 200) throw new Error(`router: HTTP ${res.status}`);
    };
    const block = async (fn: () => Promise<void>, n: number, out?: number[]) => {
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await fn();
        out?.push(performance.now() - t0);
      }
    };
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (const fn of [viaDirect, via(plain), via(traced)]) await block(fn, 500); // warm-up
    const n = Number(values.requests);
    for (let done = 0; done < n; done += 200) {
      await block(viaDirect, 200, a);
      await block(via(plain), 200, b);
      await block(via(traced), 200, c);
    }
    await tracing!.shutdown();
    const result = {
      date: new Date().toISOString(),
      requestsEach: a.length,
      p50DirectMs: p50(a),
      p50RouterMs: p50(b),
      p50RouterTracedMs: p50(c),
      addedWithoutTracingMs: p50(b) - p50(a),
      addedWithTracingMs: p50(c) - p50(a),
      tracingCostMs: p50(c) - p50(b),
      spansReceived: receiver.spans.length,
    };
    await plain.close();
    await traced.close();
    await direct.close();
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(fileURLToPath(new URL("./results/", import.meta.url)), { recursive: true });
    writeFileSync(fileURLToPath(new URL("./results/router-tracing.json", import.meta.url)), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    proc.kill("SIGTERM");
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
