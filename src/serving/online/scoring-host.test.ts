/**
 * DNS rebinding against a scoring server on a developer's machine
 * (`ciclo models serve`, loopback by default): a web page re-pointing its own
 * name at 127.0.0.1 sends that name as Host. Bound to loopback, the server
 * answers only Hosts naming this machine or a private address, as
 * `ciclo server` and `ciclo gateway` do; health probes answer any Host.
 * A real scoring server on a loopback port with a real js_function model.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { slowModel } from "../../testing/model-fixtures.js";
import { tempDir } from "../../testing/temp-dir.js";
import { resolveModelSource } from "../model-source.js";
import { scoringOptions } from "./scoring-options.js";
import { startScoringServer, type ScoringServer } from "./scoring-server.js";

const dir = tempDir("ciclo-scoring-host-");
let s: ScoringServer;

before(async () => {
  const model = await slowModel(dir.path);
  s = await startScoringServer(scoringOptions({ port: 0, workers: 1, modelName: "slow", modelUri: model }), await resolveModelSource(model), () => undefined);
  await s.ready;
});
after(async () => {
  await s?.drain();
  dir.remove();
});

function send(method: string, path: string, host: string, body?: string): Promise<{ status: number; text: string }> {
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { host, "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve({ status: res.statusCode!, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("bound to loopback, a Host that is not this machine's gets 403 and no prediction; probes answer any Host", async () => {
  const body = JSON.stringify({ dataframe_split: { columns: ["x"], data: [[2]] } });
  for (const [method, path, b] of [["POST", "/invocations", body], ["GET", "/metrics"], ["GET", "/v2/models/slow"]] as const) {
    const r = await send(method, path, "evil.example", b);
    assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
    assert.deepEqual(JSON.parse(r.text), { error_code: "PERMISSION_DENIED", message: "Invalid Host header - possible DNS rebinding attack detected" });
  }
  const mine = await send("POST", "/invocations", `127.0.0.1:${new URL(s.url).port}`, body);
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(JSON.parse(mine.text), { predictions: [4] });
  assert.equal((await send("GET", "/ping", "evil.example")).status, 200);
  assert.equal((await send("GET", "/health", "evil.example")).status, 200);
});
