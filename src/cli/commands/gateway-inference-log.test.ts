/**
 * The gateway's inference log: what the router's feed takes becomes records
 * filed under each one's own model, version, endpoint and deployment, with
 * the bodies as the text received (not parsed and re-serialised) and the
 * time the request arrived; a sink that refuses a batch counts it dropped
 * and reports it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gatewayInferenceLog } from "./gateway-inference-log.js";

test("records carry their own model and deployment, bodies as text; a refused batch is dropped and reported", async () => {
  const posted: string[] = [];
  const errors: Array<[string, number]> = [];
  const log = gatewayInferenceLog({
    trackingUri: "http://127.0.0.1:1",
    flushIntervalMs: 60_000,
    sink: { write: async (lines) => void posted.push(lines), close: async () => undefined },
    onError: (err, n) => void errors.push([(err as Error).message, n]),
  });
  const base = { time: 1_700_000_000_000, endpoint: "fraud", status: 200, latencyMs: 1.23456 };
  log.feed.push({ ...base, requestId: "a", modelName: "scorer", modelVersion: "2", deployment: "blue", request: Buffer.from('{"inputs": [[1, 2]]}'), response: Buffer.from('{"predictions": [3]}') });
  log.feed.push({ ...base, requestId: "b", modelName: "scorer", modelVersion: "3", deployment: "green", status: 503, request: Buffer.from("x,y\n1,2\n"), response: '{"error_code": "TEMPORARILY_UNAVAILABLE"}' });
  log.feed.drain();
  await log.close();
  const lines = posted.join("").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.map((l) => [l.request_id, l.model, l.version, l.endpoint, l.deployment, l.status, l.ts, l.latency_ms]),
    [
      ["a", "scorer", "2", "fraud", "blue", 200, base.time, 1.235],
      ["b", "scorer", "3", "fraud", "green", 503, base.time, 1.235],
    ],
  );
  // The bodies as received: the monitoring API takes text, and the server parses it once, for the segment's rows.
  assert.deepEqual([lines[0].request, lines[0].response, lines[1].request], ['{"inputs": [[1, 2]]}', '{"predictions": [3]}', "x,y\n1,2\n"]);

  const failing = gatewayInferenceLog({
    trackingUri: "http://127.0.0.1:1",
    flushIntervalMs: 60_000,
    sink: { write: () => Promise.reject(new Error("the monitoring API answered 403")), close: async () => undefined },
    onError: (err, n) => void errors.push([(err as Error).message, n]),
  });
  failing.feed.push({ ...base, requestId: "c", modelName: "scorer", modelVersion: "2", deployment: "blue", request: undefined, response: "" });
  failing.feed.drain();
  await failing.close();
  assert.equal(failing.dropped, 1);
  assert.deepEqual(errors, [["the monitoring API answered 403", 1]]);
});
