/**
 * log-metric and create run answered before Fastify (server/direct-routes.ts) — on the server's socket path for
 * plain keep-alive requests, on node's `request` event for the others — give the answers the Fastify routes
 * give: the same raw requests, good and hostile, sent over a socket to the app's server (the direct paths) and to
 * a second server that hands every request to Fastify's router (`app.routing`), compared byte for byte but the
 * Date header (and, for a created run, its random id). Pipelined requests, a request split over several writes,
 * a connection handed to node's stack midway and bodies over the limit answer alike too.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { directRouteStats } from "../../server/direct-routes.js";
import { AJAX, API, openTestApp, type TestApp } from "../../testing/test-app.js";

/**
 * Sends raw bytes on a new connection; resolves with every byte once `answers` answers are complete, or the socket
 * closes (a server that stays silent for 10 s is hung up on: what came so far is what the test compares).
 */
function exchange(port: number, bytes: Buffer | string | Array<Buffer | string>, answers = 1): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(10_000, () => socket.destroy());
    let got = Buffer.alloc(0);
    const complete = () => {
      const text = got.toString("latin1");
      let at = 0;
      for (let i = 0; i < answers; i++) {
        const end = text.indexOf("\r\n\r\n", at);
        if (end < 0) return false;
        // An interim answer (100 Continue) has no body and is not one of the answers counted.
        if (text.startsWith("HTTP/1.1 1", at)) {
          at = end + 4;
          i--;
          continue;
        }
        const m = /\r\ncontent-length: (\d+)/i.exec(text.slice(at, end));
        if (m === null) return false;
        at = end + 4 + Number(m[1]);
      }
      return got.length >= at;
    };
    socket.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (complete()) {
        socket.destroy();
        resolve(got.toString("utf8"));
      }
    });
    socket.on("close", () => resolve(got.toString("utf8")));
    socket.on("error", reject);
    if (!Array.isArray(bytes)) return void socket.write(bytes);
    // Parts written one event-loop turn apart (the server reads them as they come).
    const parts = [...bytes];
    const write = () => {
      socket.write(parts.shift()!);
      if (parts.length > 0) setImmediate(write);
    };
    socket.once("connect", write);
  });
}

function request(path: string, body: Buffer | string, headers: Record<string, string> = {}, version = "1.1"): Buffer {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  const all: Record<string, string> = { host: "localhost", "content-type": "application/json", "content-length": String(b.length), ...headers };
  let head = `POST ${path} HTTP/${version}\r\n`;
  for (const [k, v] of Object.entries(all)) if (v !== "") head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), b]);
}

const withoutDate = (answer: string) => answer.replace(/\r\nDate: [^\r]*/, "\r\nDate: -");

describe("direct log-metric and create run answer as the Fastify routes", () => {
  let fx: TestApp;
  let direct: number;
  let full: Server;
  let viaFastify: number;
  let exp: string;
  let run: string;
  let deleted: string;

  before(async () => {
    fx = await openTestApp();
    await fx.app.listen({ port: 0, host: "127.0.0.1" });
    direct = (fx.app.server.address() as AddressInfo).port;
    full = createServer((req, res) => fx.app.routing(req, res));
    await new Promise<void>((resolve) => full.listen(0, "127.0.0.1", resolve));
    viaFastify = (full.address() as AddressInfo).port;
    exp = await fx.createExperiment("direct-routes");
    run = await fx.createRun(exp);
    deleted = await fx.createRun(exp);
    assert.equal((await fx.post("/runs/delete", { run_id: deleted })).status, 200);
  });
  after(async () => {
    full.closeAllConnections();
    await new Promise((resolve) => full.close(resolve));
    await fx.close();
  });

  const same = async (bytes: Buffer, mask?: (answer: string) => string) => {
    const a = withoutDate(await exchange(direct, bytes));
    const b = withoutDate(await exchange(viaFastify, bytes));
    const m = mask ?? ((x: string) => x);
    assert.equal(m(a), m(b));
    return a;
  };

  test("log-metric: good and hostile bodies", async () => {
    let step = 0;
    const metric = (extra: Record<string, unknown> = {}) => JSON.stringify({ run_id: run, key: "loss", value: 0.5, timestamp: 1, step: step++, ...extra });
    const bodies: Array<Buffer | string> = [
      metric(),
      metric({ run_uuid: run }),
      metric({ value: "NaN" }),
      `{"run_id":"${run}","key":"k","value":NaN,"timestamp":1,"step":${step++}}`,
      `{"run_id":"${run}","key":"k","value":-Infinity,"timestamp":1,"step":${step++}}`,
      JSON.stringify(metric()),
      `{"run_id": `,
      "[1,2]",
      "null",
      '"just text"',
      "   ",
      "{}",
      `{"run_id":"${run}","key":"a\\u0000b","value":1,"timestamp":1}`,
      JSON.stringify({ run_id: run, key: "loss", value: "abc", timestamp: 1 }),
      JSON.stringify({ run_id: run, key: "loss", value: 1, timestamp: "x" }),
      JSON.stringify({ run_id: run, key: "loss", value: 1, timestamp: 1, step: 1.5 }),
      JSON.stringify({ run_id: run, key: "loss", value: 1, timestamp: 1, step: "7" }),
      JSON.stringify({ run_id: run, key: "loss", value: 1 }),
      JSON.stringify({ run_id: run, value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: run, key: 5, value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: run, key: "../x", value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: run, key: "k".repeat(1000), value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: run, key: "loss", value: 1, timestamp: 1, extra: { a: 1 } }),
      JSON.stringify({ run_id: run, key: "loss", value: 1e400, timestamp: 1 }),
      JSON.stringify({ run_id: run, key: "loss", value: 1, timestamp: 1, step: 2 ** 63 }),
      JSON.stringify({ run_id: "f".repeat(32), key: "loss", value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: "nope", key: "loss", value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: run, run_uuid: "other", key: "loss", value: 1, timestamp: 1 }),
      JSON.stringify({ key: "loss", value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: deleted, key: "loss", value: 1, timestamp: 1 }),
      JSON.stringify({ run_id: run, key: "loss", value: 1, timestamp: 1, model_id: "m-nope" }),
      Buffer.concat([Buffer.from(`{"run_id":"${run}","key":"`), Buffer.from([0xff, 0xfe]), Buffer.from(`","value":1,"timestamp":1}`)]),
    ];
    const stats = directRouteStats(fx.app)!;
    const before = { ...stats };
    for (const prefix of [API, AJAX]) {
      for (const body of bodies) await same(request(`${prefix}/runs/log-metric`, body));
    }
    assert.equal(stats.taken - before.taken, 2 * bodies.length);
    assert.equal(stats.onSockets - before.onSockets, 2 * bodies.length);
  });

  test("log-metric: requests the direct path leaves to Fastify answer as before", async () => {
    const body = JSON.stringify({ run_id: run, key: "other", value: 1, timestamp: 1, step: 0 });
    const path = `${API}/runs/log-metric`;
    // [request, which path takes it: the socket path, node's request event, or neither (Fastify)]
    const cases: Array<[Buffer, "socket" | "request" | "fastify"]> = [
      [request(path, body, { "content-type": "text/plain" }), "fastify"],
      [request(path, body, { "content-type": "" }), "fastify"],
      [request(path, body, { "content-type": "application/json;charset=utf-8" }), "fastify"],
      [request(path, body, { "content-type": "application/json; charset=utf-8" }), "socket"],
      [request(path, body, { origin: "http://evil.example" }), "fastify"],
      [request(path, body, { expect: "100-continue" }), "fastify"],
      [request(path, body, { connection: "close" }), "request"],
      [request(path, body, { connection: "keep-alive" }), "socket"],
      [request(path, body, {}, "1.0"), "request"],
      [request(path, body, { "x-a": "caf\u00e9" }), "request"],
      [request(path, body, { "x-a": "1", "X-A": "2" }), "request"],
      [request(`${path}?x=%00`, body), "fastify"],
      [request(`${API}//runs/log-metric`, body), "fastify"],
      [request(`${path}/`, body), "fastify"],
      [request(path, "", { "content-length": "0" }), "fastify"],
    ];
    for (const [bytes, taken] of cases) {
      const stats = directRouteStats(fx.app)!;
      const before = { ...stats };
      await same(bytes);
      const what = bytes.toString("latin1").split("\r\n\r\n")[0];
      assert.equal(stats.taken - before.taken, taken === "fastify" ? 0 : 1, what);
      assert.equal(stats.onSockets - before.onSockets, taken === "socket" ? 1 : 0, what);
    }
    // Two requests in one write: both answered, in order.
    const two = Buffer.concat([request(path, body), request(path, JSON.stringify({ run_id: "nope", key: "k", value: 1, timestamp: 1 }))]);
    const pair = async (port: number) => (await exchange(port, two, 2)).replace(/\r\nDate: [^\r]*/g, "");
    assert.equal(await pair(direct), await pair(viaFastify));
  });

  test("pipelined requests, one split over several writes, and a connection handed to node's stack midway", async () => {
    const path = `${API}/runs/log-metric`;
    const metric = (step: number, runId = run) => JSON.stringify({ run_id: runId, key: "pipe", value: step, timestamp: 1, step });
    const seq = (port: number, bytes: Buffer | Array<Buffer | string>, n: number) => exchange(port, bytes, n).then((a) => a.replace(/\r\nDate: [^\r]*/g, ""));
    const stats = directRouteStats(fx.app)!;
    // Success and each error class an answer keeps the connection for, in one write.
    let before = { ...stats };
    const four = Buffer.concat([request(path, metric(1)), request(path, '{"run_id": 5}'), request(path, metric(2, "f".repeat(32))), request(path, metric(3))]);
    assert.equal(await seq(direct, four, 4), await seq(viaFastify, four, 4));
    assert.equal(stats.onSockets - before.onSockets, 4);
    // One request in pieces: mid request line, mid header, mid body.
    const whole = request(path, metric(4)).toString("latin1");
    const parts = [whole.slice(0, 7), whole.slice(7, 40), whole.slice(40, -5), whole.slice(-5)];
    before = { ...stats };
    assert.equal(await seq(direct, parts, 1), await seq(viaFastify, parts, 1));
    assert.equal(stats.onSockets - before.onSockets, 1);
    // A request the socket path does not take hands the connection, with what follows it, to node's stack.
    const mixed = Buffer.concat([
      request(path, metric(5)),
      Buffer.from(`GET ${API}/experiments/get?experiment_id=${exp} HTTP/1.1\r\nhost: localhost\r\n\r\n`),
      request(path, metric(6)),
    ]);
    before = { ...stats };
    const a = await seq(direct, mixed, 3);
    assert.equal(stats.onSockets - before.onSockets, 1);
    assert.equal(stats.taken - before.taken, 2);
    assert.equal(a, await seq(viaFastify, mixed, 3));
    assert.match(a, /^HTTP\/1\.1 200 [^]*HTTP\/1\.1 200 [^]*HTTP\/1\.1 200 /);
    // A body that is no JSON closes the connection: what was pipelined after it is not answered.
    const broken = Buffer.concat([request(path, "{"), request(path, metric(7))]);
    const closed = await seq(direct, broken, 2);
    assert.equal(closed, await seq(viaFastify, broken, 2));
    assert.match(closed, /^HTTP\/1\.1 400 Bad Request\r\nconnection: close\r\n/);
    assert.equal(closed.indexOf("HTTP/1.1", 1), -1);
  });

  test("log-metric through the direct path is stored like any other", async () => {
    const id = await fx.createRun(exp);
    await exchange(direct, request(`${API}/runs/log-metric`, JSON.stringify({ run_id: id, key: "acc", value: 0.75, timestamp: 9, step: 3 })));
    assert.deepEqual((await fx.getRun(id)).data.metrics, [{ key: "acc", value: 0.75, timestamp: 9, step: 3 }]);
  });

  test("log-batch: good and hostile bodies", async () => {
    const points = (n: number, key = "b") => Array.from({ length: n }, (_, i) => ({ key, value: i / 3, timestamp: 1, step: i }));
    const bodies = [
      JSON.stringify({ run_id: run, metrics: points(3), params: [{ key: "p", value: "1" }], tags: [{ key: "t", value: "v" }] }),
      JSON.stringify({ run_id: run, metrics: points(1000) }),
      JSON.stringify({ run_id: run }),
      JSON.stringify({ run_id: run, metrics: [{ key: "b", value: "NaN", timestamp: 1, step: 0 }] }),
      JSON.stringify({ run_id: run, metrics: points(1001) }),
      JSON.stringify({ run_id: run, params: [{ key: "q", value: "1" }, { key: "q", value: "2" }] }),
      JSON.stringify({ run_id: run, params: [{ key: "p", value: "other" }] }),
      JSON.stringify({ run_id: run, params: [{ key: "long", value: "v".repeat(8000) }] }),
      JSON.stringify({ run_id: run, metrics: "x" }),
      JSON.stringify({ run_id: run, metrics: [{ key: "b", value: 1 }] }),
      JSON.stringify({ run_id: "f".repeat(32), metrics: points(1) }),
      JSON.stringify({ run_id: deleted, metrics: points(1) }),
      JSON.stringify({ metrics: points(1) }),
      `{"run_id":"${run}","metrics":[`,
      "[]",
      // The scanner's edges (tracking/http/log-batch-scan.ts): bodies it takes, and bodies it leaves to the full path.
      ` {"metrics" : [{"step":2,"timestamp":-0,"value":-0.0,"key":"😀"}],\n"tags":[],"params":[],"run_id":"${run}"} `,
      `{"run_id":"${run}","metrics":[{"key":"e","value":1e400,"timestamp":1,"step":999999999999999},{"key":"e","value":4.9e-324,"timestamp":1}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a\\u0000","value":1,"timestamp":1}]}`,
      `{"run_id":"${run}","metrics":[{"key":"\\u0041","value":1,"timestamp":1}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":NaN,"timestamp":1},{"key":"a","value":-Infinity,"timestamp":2}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":1,"timestamp":1.5}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":1,"timestamp":2e3,"step":9007199254740993}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":1,"timestamp":"12","step":"-3"}]}`,
      `{"run_id":"${run}","metrics":[{"key":"","value":1,"timestamp":1}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":01,"timestamp":1}]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":1,"timestamp":1,"key":"b"}]}`,
      `{"run_id":"${run}","run_id":"${deleted}","metrics":[]}`,
      `{"run_id":"${run}","metrics":[{"key":"a","value":1,"timestamp":1,"model_id":"m-1"}]}`,
      JSON.stringify(JSON.stringify({ run_id: run, metrics: points(2, "dbl") })),
      `{"run_id":"${run}","metrics":[]} x`,
      `{"run_id":"${run}","params":[{"key":"p","value":1}]}`,
    ];
    const stats = directRouteStats(fx.app)!;
    const before = { ...stats };
    for (const prefix of [API, AJAX]) {
      for (const body of bodies) await same(request(`${prefix}/runs/log-batch`, body));
    }
    assert.equal(stats.onSockets - before.onSockets, 2 * bodies.length);
  });

  test("log-batch: a body the scanner takes is stored as the full path stores it", async () => {
    const values = ["0.123456", "-0", "1e400", "4.9e-324", "0.1000000000000000055511151231257827", "123456789012345", "-7.25", "1E-7", '"NaN"', '"-Infinity"'];
    const metricsText = (runId: string) =>
      `{"run_id":"${runId}","params":[{"key":"p","value":"é"}],"tags":[{"value":"v","key":"t"}],"metrics":[` +
      values.map((v, i) => `{"value":${v},"key":"k${i % 3}","step":${i * 1_000_000_007},"timestamp":${1700000000000 + i}}`).join(",") +
      `,{"key":"nostep","timestamp":5,"value":2}]}`;
    const viaScanner = await fx.createRun(exp, { run_name: "scanned" });
    const viaFullPath = await fx.createRun(exp, { run_name: "scanned" });
    const stats = directRouteStats(fx.app)!;
    const taken = stats.onSockets;
    assert.match(await exchange(direct, request(`${API}/runs/log-batch`, metricsText(viaScanner))), /^HTTP\/1.1 200/);
    assert.equal(stats.onSockets, taken + 1);
    assert.match(await exchange(viaFastify, request(`${API}/runs/log-batch`, metricsText(viaFullPath))), /^HTTP\/1.1 200/);
    const stored = async (runId: string) => {
      const { data } = await fx.getRun(runId);
      const histories: unknown[] = [];
      for (const key of ["k0", "k1", "k2", "nostep"]) histories.push((await fx.get("/metrics/get-history", { run_id: runId, metric_key: key })).json);
      return { data, histories };
    };
    const a = await stored(viaScanner);
    assert.equal((a.histories[0] as { metrics: unknown[] }).metrics.length, 4);
    assert.deepEqual(a, await stored(viaFullPath));
  });

  test("create run: good and hostile bodies", async () => {
    // A created run's id, and what depends on it, differ between the two answers.
    const mask = (answer: string) => answer.replace(/[0-9a-f]{32}/g, "<id>");
    const bodies = [
      JSON.stringify({ experiment_id: exp, run_name: "r", start_time: 1_700_000_000_000 }),
      JSON.stringify({ experiment_id: exp, run_name: "r", start_time: 1_700_000_000_000, tags: [{ key: "t", value: "v" }], user_id: "u" }),
      JSON.stringify({ experiment_id: Number(exp), run_name: "r", start_time: 1 }),
      JSON.stringify({ experiment_id: exp, run_name: "r", start_time: "1700000000000" }),
      JSON.stringify({ experiment_id: "424242", run_name: "r", start_time: 1 }),
      JSON.stringify({ experiment_id: exp, run_name: 5 }),
      JSON.stringify({ experiment_id: exp, start_time: "soon" }),
      JSON.stringify({ experiment_id: exp, tags: "x" }),
      JSON.stringify({ experiment_id: exp, tags: [{ key: "mlflow.runName", value: "other" }], run_name: "r", start_time: 1 }),
      JSON.stringify({ experiment_id: exp, tags: [{ key: "", value: "v" }], run_name: "r", start_time: 1 }),
      JSON.stringify({ experiment_id: exp, run_name: "a\u0000b" }),
      "{",
      "[]",
    ];
    const stats = directRouteStats(fx.app)!;
    const before = { ...stats };
    for (const prefix of [API, AJAX]) {
      for (const body of bodies) await same(request(`${prefix}/runs/create`, body), mask);
    }
    assert.equal(stats.taken - before.taken, 2 * bodies.length);
    assert.equal(stats.onSockets - before.onSockets, 2 * bodies.length);
  });
});

describe("direct routes and the body limit", () => {
  let fx: TestApp;
  let direct: number;
  let full: Server;
  let viaFastify: number;
  let run: string;
  before(async () => {
    fx = await openTestApp({ bodyLimit: 200 });
    await fx.app.listen({ port: 0, host: "127.0.0.1" });
    direct = (fx.app.server.address() as AddressInfo).port;
    full = createServer((req, res) => fx.app.routing(req, res));
    await new Promise<void>((resolve) => full.listen(0, "127.0.0.1", resolve));
    viaFastify = (full.address() as AddressInfo).port;
    run = await fx.createRun(await fx.createExperiment("direct-limit"));
  });
  after(async () => {
    full.closeAllConnections();
    await new Promise((resolve) => full.close(resolve));
    await fx.close();
  });

  test("a body at the limit is taken on the socket path; one byte over goes to Fastify (413), after a taken request too", async () => {
    const path = `${API}/runs/log-metric`;
    const sized = (n: number) => {
      const base = JSON.stringify({ run_id: run, key: "k", value: 1, timestamp: 1, step: 0 });
      return base.slice(0, -1) + " ".repeat(n - base.length) + "}";
    };
    const stats = directRouteStats(fx.app)!;
    for (const [bytes, onSockets] of [
      [request(path, sized(200)), 1],
      [request(path, sized(201)), 0],
      [Buffer.concat([request(path, sized(200)), request(path, sized(201))]), 1],
    ] as const) {
      const before = stats.onSockets;
      const answers = bytes.toString("latin1").split("POST ").length - 1;
      const a = (await exchange(direct, bytes, answers)).replace(/\r\nDate: [^\r]*/g, "");
      assert.equal(a, (await exchange(viaFastify, bytes, answers)).replace(/\r\nDate: [^\r]*/g, ""));
      assert.equal(stats.onSockets - before, onSockets);
      if (answers === 1 && onSockets === 0) assert.match(a, /^HTTP\/1\.1 413 /);
    }
  });
});

describe("direct routes under the network policy and --expose-prometheus", () => {
  let fx: TestApp;
  let port: number;
  let run: string;
  before(async () => {
    fx = await openTestApp({ network: { allowedHosts: ["localhost:*", "127.0.0.1:*"] }, prometheus: true });
    await fx.app.listen({ port: 0, host: "127.0.0.1" });
    port = (fx.app.server.address() as AddressInfo).port;
    run = await fx.createRun(await fx.createExperiment("direct-policy"));
  });
  after(async () => {
    await fx.close();
  });

  test("a refused Host goes the full way (403); an allowed one is taken and counted in the request histogram", async () => {
    const body = JSON.stringify({ run_id: run, key: "m", value: 1, timestamp: 1, step: 0 });
    const stats = directRouteStats(fx.app)!;
    const before = stats.taken;
    const onSockets = stats.onSockets;
    const refused = await exchange(port, request(`${API}/runs/log-metric`, body, { host: "evil.example" }));
    assert.match(refused, /^HTTP\/1\.1 403 /);
    assert.equal(stats.taken, before);
    const answered = await exchange(port, request(`${API}/runs/log-metric`, body, { host: `127.0.0.1:${port}` }));
    assert.match(answered, /^HTTP\/1\.1 200 /);
    assert.equal(stats.taken, before + 1);
    assert.equal(stats.onSockets, onSockets + 1);
    const metrics = (await fx.request("GET", "/metrics")).text;
    assert.match(metrics, /ciclo_http_request_duration_seconds_count\{method="POST",route="\/api\/2\.0\/mlflow\/runs\/log-metric",status="200"\} 1\n/);
  });
});
