/**
 * Batch scoring logs to monitoring (`ciclo models predict --log-to-monitor`),
 * through the CLI against a real server:
 * - a CSV scored with the linear ONNX fixture (its three columns read into one
 *   tensor) lands as the named dataset's segments, every row, filed under the
 *   model and version; a monitor on the dataset flags exactly the shifted column;
 * - a Parquet input (read as columns) feeds a second dataset, unshifted: nothing flagged,
 *   and the logged predictions are the ones written to the output file;
 * - a bad dataset name or a missing server is refused before anything is scored or written.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { decodeSegment } from "../../monitoring/inference/segment-codec.js";
import { encodeProfile } from "../../monitoring/profiles/profile-codec.js";
import { profileReference } from "../../monitoring/profiles/profiler.js";
import { InMemoryTableSource } from "../../monitoring/profiles/table-source.js";
import { runCiclo } from "../../testing/child-server.js";
import { startLiveTrackingServer, type LiveTrackingServer } from "../../testing/live-tracking-server.js";
import { linearModel } from "../../testing/model-fixtures.js";

let server: LiveTrackingServer;
let model: string;
before(async () => {
  server = await startLiveTrackingServer();
  model = await linearModel(server.dir);
});
after(async () => {
  await server?.close();
});

function normals(seed: number) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** `n` rows of (a, b, c) ~ N(0, 1), `a` moved by `shiftA`. */
function table(n: number, seed: number, shiftA: number): Array<[number, number, number]> {
  const z = normals(seed);
  return Array.from({ length: n }, () => [Math.round((z() + shiftA) * 1e6) / 1e6, Math.round(z() * 1e6) / 1e6, Math.round(z() * 1e6) / 1e6]);
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/api/ciclo/v1${path}`, { method, headers: body === undefined ? undefined : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

const env = { CICLO_TRACKING_URI: "", MLFLOW_TRACKING_URI: "" };

test("a scored CSV and Parquet file reach monitoring as named datasets; a monitor on one flags its shifted column", async () => {
  const ref = table(3000, 1, 0);
  const reference = await profileReference(new InMemoryTableSource(["a", "b", "c"].map((name, j) => ({ name, values: Float64Array.from(ref, (r) => r[j]) }))));
  const { path: refPath } = await api("POST", "/monitoring/references", { name: "linear-train", profile: JSON.parse(encodeProfile(reference)) });

  // CSV, `a` shifted by 2σ.
  const rows = table(2500, 2, 2);
  const csv = join(server.dir, "nightly.csv");
  writeFileSync(csv, `a,b,c\n${rows.map((r) => r.join(",")).join("\n")}\n`);
  const out = join(server.dir, "nightly-scores.csv");
  const r = await runCiclo(["models", "predict", "-m", model, "-i", csv, "-o", out, "--workers", "1", "--tracking-uri", server.url, "--log-to-monitor", "linear-nightly", "--json"], env);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.rows, 2500);
  assert.equal(summary.monitor.dataset, "linear-nightly");
  assert.equal(summary.monitor.rows, 2500);

  const { segments } = await api("GET", "/monitoring/segments?dataset=linear-nightly");
  assert.ok(segments.length >= 1);
  assert.equal(segments.reduce((a: number, s: { rows: number }) => a + s.rows, 0), 2500);
  assert.deepEqual([...new Set(segments.map((s: { model_name: string; model_version: string; dataset: string }) => `${s.dataset}:${s.model_name}/${s.model_version}`))], ["linear-nightly:linear/1"]);
  assert.deepEqual((await api("GET", "/monitoring/segments?dataset=other")).segments, []);

  // A monitor on the dataset: the window holds the run's rows; only `a` drifted.
  await api("POST", "/monitoring/monitors", { name: "nightly", spec: { target: { dataset: "linear-nightly" }, window_seconds: 3600, every_seconds: 86400, reference_profile: refPath } });
  const run = await api("POST", "/monitoring/monitors/nightly/run", { window_end: summary.monitor.window_end + 1, wait: true });
  assert.equal(run.rows, 2500);
  assert.deepEqual(run.points.filter((p: { flagged: boolean }) => p.flagged).map((p: { metric: string }) => p.metric), ["drift.a"]);

  // Parquet in and out, unshifted, into another dataset: its rows hold the features and the predictions written.
  const prow = table(1200, 3, 0);
  const pq = join(server.dir, "daily.parquet");
  writeFileSync(pq, new Uint8Array(parquetWriteBuffer({ columnData: ["a", "b", "c"].map((name, j) => ({ name, data: prow.map((x) => x[j]), type: "DOUBLE" as const })) })));
  const pout = join(server.dir, "daily-scores.jsonl");
  const p = await runCiclo(["models", "predict", "-m", model, "-i", pq, "-o", pout, "--workers", "1", "--tracking-uri", server.url, "--log-to-monitor", "linear-daily"], env);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /Logged 1200 rows to monitoring as dataset 'linear-daily' \(model linear version 1\)/);
  const written = readFileSync(pout, "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { variable: number }).variable);
  const daily = (await api("GET", "/monitoring/segments?dataset=linear-daily")).segments;
  const logged = [];
  for (const s of daily) {
    const bytes = new Uint8Array(readFileSync(join(server.dir, "artifacts", s.path)));
    logged.push(...(await decodeSegment(bytes)));
  }
  assert.equal(logged.length, 1200);
  logged.sort((x, y) => String(x.__request_id).localeCompare(String(y.__request_id), "en", { numeric: true }) || (x.__row as number) - (y.__row as number));
  logged.forEach((row, i) => {
    assert.equal(row.a, prow[i][0]);
    assert.equal(row.c, prow[i][2]);
    assert.ok(Math.abs((row["prediction.variable"] as number) - written[i]) < 1e-6, `row ${i}: logged ${row["prediction.variable"]}, written ${written[i]}`);
  });
  await api("POST", "/monitoring/monitors", { name: "daily", spec: { target: { dataset: "linear-daily" }, window_seconds: 3600, every_seconds: 86400, reference_profile: refPath } });
  const quiet = await api("POST", "/monitoring/monitors/daily/run", { window_end: Date.now() + 1, wait: true });
  assert.equal(quiet.rows, 1200);
  assert.deepEqual(quiet.points.filter((x: { flagged: boolean }) => x.flagged), []);
});

test("a bad dataset name or no server is refused before anything is scored", async () => {
  const csv = join(server.dir, "small.csv");
  writeFileSync(csv, "a,b,c\n1,2,3\n");
  const out = join(server.dir, "small-out.csv");
  const bad = await runCiclo(["models", "predict", "-m", model, "-i", csv, "-o", out, "--tracking-uri", server.url, "--log-to-monitor", "../etc"], env);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--log-to-monitor '\.\.\/etc': a dataset name is 1-128 letters/);
  assert.equal(existsSync(out), false);
  const none = await runCiclo(["models", "predict", "-m", model, "-i", csv, "-o", out, "--log-to-monitor", "x"], env);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /give --tracking-uri/);
  assert.equal(existsSync(out), false);
  assert.deepEqual((await api("GET", "/monitoring/segments?dataset=x")).segments, []);
  // A mistyped input path: exit 3 naming it, before the model is fetched (a models:/ URI of a model that does not
  // exist would otherwise be the error).
  const missing = await runCiclo(["models", "predict", "-m", "models:/no-such-model/1", "-i", join(server.dir, "typo.csv"), "-o", out, "--tracking-uri", server.url], env);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /The input file .*typo\.csv does not exist: give a \.csv, \.jsonl or \.parquet file with -i\./);
  assert.equal(existsSync(out), false);
});
