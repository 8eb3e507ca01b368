/**
 * `POST /monitoring/inference/batch`, the binary batches `ciclo gateway`
 * posts: through a real server on a loopback port, the gateway's own log
 * posts a batch and the segment holds the same rows the JSON ingest would
 * give; malformed or hostile batches are refused whole with an MLflow-format
 * 400 and leave nothing behind (no event recorded, no segment written).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe } from "node:test";
import { gatewayInferenceLog } from "../../cli/commands/gateway-inference-log.js";
import { encodeInferenceBatch, INFERENCE_BATCH_TYPE, type BatchRecord, type BatchSource } from "../../shared/node/inference-batch.js";
import { backendTests } from "../../testing/backend-tests.js";
import { testAppOn, type TestApp } from "../../testing/test-app.js";
import { decodeSegment } from "../inference/segment-codec.js";

const CICLO = "/api/ciclo/v1";
const T = Date.UTC(2026, 2, 1);

function source(over: Partial<BatchSource> = {}): BatchSource {
  return { modelName: "batched", modelVersion: "3", endpoint: "fraud", deployment: "blue", sampleRate: 1, ...over };
}

function record(id: string, over: Partial<BatchRecord> = {}): BatchRecord {
  return { source: source(), requestId: id, time: T, latencyMs: 2.5, status: 200, request: Buffer.from('{"inputs": [[1.5, 2]]}'), response: '{"predictions": [7]}', ...over };
}

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`binary inference batches on ${backend}`, () => {
    let fx: TestApp;
    let url = "";
    const it = backendTests({
      ...testAppOn(backend),
      async ready(f) {
        fx = f;
        await fx.app.listen({ port: 0, host: "127.0.0.1" });
        url = `http://127.0.0.1:${(fx.app.server.address() as AddressInfo).port}`;
      },
    });

    const post = async (body: Buffer | string, type = INFERENCE_BATCH_TYPE) => {
      const res = await fetch(`${url}${CICLO}/monitoring/inference/batch`, { method: "POST", headers: { "content-type": type }, body });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const flush = async () => {
      const res = await fetch(`${url}${CICLO}/monitoring/inference/flush`, { method: "POST" });
      assert.equal(res.status, 200);
      return ((await res.json()) as { segments: Array<Record<string, unknown>> }).segments;
    };

    it("the gateway's log posts batches; the segment holds what the JSON ingest gives", async () => {
      const log = gatewayInferenceLog({ trackingUri: url, flushIntervalMs: 60_000, onError: (err) => assert.fail(String(err)) });
      const base = { time: T, endpoint: "fraud", modelName: "batched", modelVersion: "3", deployment: "blue", latencyMs: 2.5 };
      log.feed.push({ ...base, requestId: "r1", status: 200, request: Buffer.from('{"dataframe_records": [{"x": 1.5, "y": 2}, {"x": 3, "y": 4}]}'), response: Buffer.from('{"predictions": [7, 8]}') });
      log.feed.push({ ...base, requestId: "r2", status: 503, request: undefined, response: '{"error_code": "TEMPORARILY_UNAVAILABLE"}' });
      await log.close();
      assert.equal(log.dropped, 0);
      const segs = await flush();
      assert.equal(segs.length, 1);
      const s = segs[0];
      assert.deepEqual([s.model_name, s.model_version, s.endpoint, s.deployment, s.rows, s.requests, s.errors, s.sample_rate], ["batched", "3", "fraud", "blue", 3, 2, 1, 1]);
      const rows = await decodeSegment(readFileSync(join(fx.artifactsDir, s.path as string)));
      assert.deepEqual(
        rows.map((r) => [r.__request_id, r.__row, r.__time, r.__status, r.__latency_ms, r.x, r.y, r.prediction]),
        [
          ["r1", 0, T, 200, 2.5, 1.5, 2, 7],
          ["r1", 1, T, 200, 2.5, 3, 4, 8],
          ["r2", 0, T, 503, 2.5, null, null, null],
        ],
      );
    });

    it("malformed and hostile batches: 400 INVALID_PARAMETER_VALUE, nothing recorded", async () => {
      const good = encodeInferenceBatch([record("g1"), record("g2")]);
      const withCount = (n: number) => {
        const b = Buffer.from(good);
        // magic 4, sources 2, the source (2 + 7 + 2 + 1 + 2 + 5 + 2 + 4 + 8 = 33 bytes), then the count.
        b.writeUInt32LE(n, 4 + 2 + 33);
        return b;
      };
      const cases: Array<[string, Buffer | string, string?]> = [
        ["empty", Buffer.alloc(0)],
        ["wrong magic", Buffer.concat([Buffer.from("XIB\x01"), good.subarray(4)])],
        ["truncated inside a body", good.subarray(0, good.length - 3)],
        ["trailing bytes", Buffer.concat([good, Buffer.from([0])])],
        ["a count the bytes cannot hold", withCount(0xffffffff)],
        ["a count past the limit", withCount(100_001)],
        ["one record more than sent", withCount(3)],
        ["no source", Buffer.from([0x43, 0x49, 0x42, 0x01, 0, 0, 0, 0, 0, 0])],
        ["a source index out of range", (() => {
          const b = Buffer.from(encodeInferenceBatch([record("x")]));
          // The first record starts after the count: its first field is the source index.
          b.writeUInt16LE(7, 4 + 2 + 33 + 4);
          return b;
        })()],
        ["status 42", encodeInferenceBatch([record("x", { status: 42 })])],
        ["a negative latency", encodeInferenceBatch([record("x", { latencyMs: -1 })])],
        ["a NaN time", encodeInferenceBatch([record("x", { time: NaN })])],
        ["a sample rate of 0", encodeInferenceBatch([record("x", { source: source({ sampleRate: 0 }) })])],
        ["a model version of 65 characters", encodeInferenceBatch([record("x", { source: source({ modelVersion: "v".repeat(65) }) })])],
        ["an empty model name", encodeInferenceBatch([record("x", { source: source({ modelName: "" }) })])],
        ["a request id of 257 characters", encodeInferenceBatch([record("x", { requestId: "r".repeat(257) })])],
        ["a good batch after a bad one, in one body", Buffer.concat([good, good])],
        ["JSON at the batch route", JSON.stringify({ records: [{ model_name: "batched", model_version: "3", status: 200, latency_ms: 1 }] }), "application/json"],
      ];
      const before = await fx.snapshot(["monitoring_segments"]);
      for (const [why, body, type] of cases) {
        const r = await post(body, type);
        assert.equal(r.status, 400, `${why}: ${JSON.stringify(r.json)}`);
        assert.equal(r.json.error_code, "INVALID_PARAMETER_VALUE", why);
        assert.equal(typeof r.json.message, "string", why);
      }
      assert.deepEqual(await flush(), [], "a refused batch recorded events");
      assert.deepEqual(await fx.snapshot(["monitoring_segments"]), before);
      // The same bytes, well-formed, are taken.
      const ok = await post(good);
      assert.deepEqual([ok.status, ok.json.accepted], [200, 2]);
      assert.equal((await flush()).length, 1);
    });
  });
}
