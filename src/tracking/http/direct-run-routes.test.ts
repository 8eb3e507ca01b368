/**
 * log-metric and create run answered before Fastify (server/direct-routes.ts) give the answers the Fastify
 * routes give: the same raw requests, good and hostile, sent over a socket to the app's server (the direct path)
 * and to a second server that hands every request to Fastify's router (`app.routing`), compared byte for byte
 * but the Date header (and, for a created run, its random id).
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
function exchange(port: number, bytes: Buffer | string, answers = 1): Promise<string> {
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
    socket.write(bytes);
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
    const before = directRouteStats(fx.app)!.taken;
    for (const prefix of [API, AJAX]) {
      for (const body of bodies) await same(request(`${prefix}/runs/log-metric`, body));
    }
    assert.equal(directRouteStats(fx.app)!.taken - before, 2 * bodies.length);
  });

  test("log-metric: requests the direct path leaves to Fastify answer as before", async () => {
    const body = JSON.stringify({ run_id: run, key: "other", value: 1, timestamp: 1, step: 0 });
    const path = `${API}/runs/log-metric`;
    // [request, whether the direct path takes it]
    const cases: Array<[Buffer, boolean]> = [
      [request(path, body, { "content-type": "text/plain" }), false],
      [request(path, body, { "content-type": "" }), false],
      [request(path, body, { "content-type": "application/json;charset=utf-8" }), false],
      [request(path, body, { "content-type": "application/json; charset=utf-8" }), true],
      [request(path, body, { origin: "http://evil.example" }), false],
      [request(path, body, { expect: "100-continue" }), false],
      [request(path, body, { connection: "close" }), true],
      [request(path, body, {}, "1.0"), true],
      [request(`${path}?x=%00`, body), false],
      [request(`${API}//runs/log-metric`, body), false],
      [request(`${path}/`, body), false],
      [request(path, "", { "content-length": "0" }), false],
    ];
    for (const [bytes, taken] of cases) {
      const before = directRouteStats(fx.app)!.taken;
      await same(bytes);
      assert.equal(directRouteStats(fx.app)!.taken - before, taken ? 1 : 0, bytes.toString("latin1").split("\r\n\r\n")[0]);
    }
    // Two requests in one write: both answered, in order.
    const two = Buffer.concat([request(path, body), request(path, JSON.stringify({ run_id: "nope", key: "k", value: 1, timestamp: 1 }))]);
    const pair = async (port: number) => (await exchange(port, two, 2)).replace(/\r\nDate: [^\r]*/g, "");
    assert.equal(await pair(direct), await pair(viaFastify));
  });

  test("log-metric through the direct path is stored like any other", async () => {
    const id = await fx.createRun(exp);
    await exchange(direct, request(`${API}/runs/log-metric`, JSON.stringify({ run_id: id, key: "acc", value: 0.75, timestamp: 9, step: 3 })));
    assert.deepEqual((await fx.getRun(id)).data.metrics, [{ key: "acc", value: 0.75, timestamp: 9, step: 3 }]);
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
    const before = directRouteStats(fx.app)!.taken;
    for (const prefix of [API, AJAX]) {
      for (const body of bodies) await same(request(`${prefix}/runs/create`, body), mask);
    }
    assert.equal(directRouteStats(fx.app)!.taken - before, 2 * bodies.length);
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
    const refused = await exchange(port, request(`${API}/runs/log-metric`, body, { host: "evil.example" }));
    assert.match(refused, /^HTTP\/1\.1 403 /);
    assert.equal(stats.taken, before);
    const answered = await exchange(port, request(`${API}/runs/log-metric`, body, { host: `127.0.0.1:${port}` }));
    assert.match(answered, /^HTTP\/1\.1 200 /);
    assert.equal(stats.taken, before + 1);
    const metrics = (await fx.request("GET", "/metrics")).text;
    assert.match(metrics, /ciclo_http_request_duration_seconds_count\{method="POST",route="\/api\/2\.0\/mlflow\/runs\/log-metric",status="200"\} 1\n/);
  });
});
