/**
 * `ciclo models serve` as a child process, stopped with SIGTERM while requests
 * are in flight: it stops accepting connections, lets the running request
 * and a request still uploading its body finish (answered with
 * `Connection: close`), then exits 0.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { spawnCiclo } from "../../testing/child-server.js";
import { slowModel } from "../../testing/model-fixtures.js";
import { metricValue } from "../../testing/scoring-app-kit.js";
import { tempDir } from "../../testing/temp-dir.js";
import { waitFor } from "../../testing/wait-for.js";

const tmp = tempDir("ciclo-scoring-drain-");
let modelDir: string;
before(async () => {
  modelDir = await slowModel(tmp.path);
});
after(() => tmp.remove());

test("SIGTERM drains: in-flight requests finish, new connections are refused, exit code 0", async () => {
  const proc = spawnCiclo(["models", "serve", "-m", modelDir, "-p", "0", "--workers", "1", "--drain-seconds", "20", "--model-name", "slow"]);
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<[string, (l: Record<string, unknown>) => void]> = [];
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on("line", (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    logs.push(line);
    for (const w of waiters.filter(([m]) => m === line.msg)) w[1](line);
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const waitLog = (msg: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = logs.find((l) => l.msg === msg);
      if (seen) return resolve(seen);
      waiters.push([msg, resolve]);
      void exited.then((c) => reject(new Error(`exited (${c}) before '${msg}': ${stderr}`)));
    });
  try {
    const url = String((await waitLog("ciclo scoring server ready")).url);
    const { port } = new URL(url);
    const body = JSON.stringify({ dataframe_records: [{ x: 21 }], params: { busy_ms: 1500 } });
    const running = fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body });
    // The server is another process: its /metrics is the only way to see the first request reach the model.
    const metric = async (name: string) => metricValue(await (await fetch(`${url}/metrics`)).text(), name, { model: "slow" });
    await waitFor(() => metric("ciclo_serving_batch_size_count"), (n) => n === 1, { intervalMs: 5, timeoutMs: 30_000, what: "the first request in a batch" });
    // A second request whose body is still on its way when SIGTERM arrives.
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const small = JSON.stringify({ dataframe_records: [{ x: 4 }] });
    socket.write(`POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${small.length}\r\n\r\n`);
    let raw = "";
    socket.on("data", (d) => (raw += d.toString()));
    const socketClosed = new Promise((r) => socket.once("close", r));
    await waitFor(() => metric("ciclo_serving_requests_in_flight"), (n) => n === 2, { intervalMs: 5, timeoutMs: 30_000, what: "two requests in flight" });

    proc.kill("SIGTERM");
    await waitLog("ciclo scoring server draining");
    await assert.rejects(fetch(`${url}/ping`), "new connections are refused while draining");
    socket.write(small);
    await socketClosed;
    assert.match(raw, /^HTTP\/1\.1 200/);
    assert.match(raw, /connection: close/i);
    assert.match(raw, /\{"predictions":\[8\]\}/);
    const r = await running;
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { predictions: [42] });
    assert.equal(await exited, 0, stderr);
    assert.equal((await waitLog("ciclo scoring server stopped")).drained, true);
  } finally {
    proc.kill("SIGKILL");
  }
});
