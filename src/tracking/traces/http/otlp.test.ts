/**
 * `POST /v1/traces` over HTTP (the app `ciclo server` builds, on SQLite, with
 * its artifact store): spans of one trace over several requests merged into
 * one trace, a span sent again replacing its first version, nanosecond times
 * kept exact; JSON and gzip; hostile input (no header, unknown experiment,
 * wrong type, malformed or truncated protobuf, bad ids, deep nesting, a body
 * or a gzip bomb past the limit, a trace of another experiment) refused in
 * MLflow's error format with nothing written; EDIT on the header's experiment
 * with authentication on.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ADMIN, openAuthTestApp, type AuthTestApp } from "../../../auth/http/auth-test-app.js";
import { assertError, ok, openTestApp, type TestApp } from "../../../testing/test-app.js";
import { TRACE_TABLES, V3 } from "./trace-test-fixture.js";

const LEN = WireType.LengthDelimited;

interface TestSpan {
  traceId: string;
  spanId: string;
  parent?: string;
  name: string;
  start: bigint;
  end?: bigint;
  attributes?: Record<string, string | number>;
  status?: number;
}

/** An ExportTraceServiceRequest, written field by field (the field numbers of opentelemetry-proto). */
function encode(spans: TestSpan[], attributeValue?: (w: BinaryWriter) => void): Buffer {
  const w = new BinaryWriter();
  w.tag(1, LEN).fork().tag(2, LEN).fork();
  for (const s of spans) {
    w.tag(2, LEN).fork();
    w.tag(1, LEN).bytes(Buffer.from(s.traceId, "hex"));
    w.tag(2, LEN).bytes(Buffer.from(s.spanId, "hex"));
    if (s.parent) w.tag(4, LEN).bytes(Buffer.from(s.parent, "hex"));
    w.tag(5, LEN).string(s.name);
    w.tag(7, WireType.Bit64).fixed64(s.start);
    if (s.end !== undefined) w.tag(8, WireType.Bit64).fixed64(s.end);
    for (const [k, v] of Object.entries(s.attributes ?? {})) {
      w.tag(9, LEN).fork().tag(1, LEN).string(k).tag(2, LEN).fork();
      if (typeof v === "string") w.tag(1, LEN).string(v);
      else w.tag(3, WireType.Varint).int64(v);
      w.join().join();
    }
    if (attributeValue) {
      w.tag(9, LEN).fork().tag(1, LEN).string("nested").tag(2, LEN).fork();
      attributeValue(w);
      w.join().join();
    }
    if (s.status !== undefined) w.tag(15, LEN).fork().tag(3, WireType.Varint).int32(s.status).join();
    w.join();
  }
  w.join().join();
  return Buffer.from(w.finish());
}

const TRACE = "5b8aa5a2d2c872e8321cf37308d69df2";
const ROOT = "051581bf3cb55c13";
const CHILD = "5fb397be34d26b51";
/** Past 2^53 nanoseconds: a JSON number would round these. */
const T0 = 1_765_000_000_123_456_789n;

describe("OTLP /v1/traces", () => {
  let fx: TestApp;
  before(async () => {
    fx = await openTestApp();
  });
  after(async () => fx.close());

  const send = (exp: string | undefined, body: Buffer | string, headers: Record<string, string> = {}) =>
    fx.request("POST", "/v1/traces", body, { "content-type": "application/x-protobuf", ...(exp === undefined ? {} : { "x-mlflow-experiment-id": exp }), ...headers });
  const info = async (id: string) => ok(await fx.call("GET", `/traces/${id}`, undefined, { prefix: V3 })).trace.trace_info;
  const spansFile = (exp: string, id: string) => readFileSync(join(fx.artifactsDir, exp, "traces", id, "artifacts", "traces.json"), "utf8");

  test("one trace over several requests: merged spans, state from the root, timing, previews; a span sent again replaces its first version", async () => {
    const exp = await fx.createExperiment();
    const child: TestSpan = { traceId: TRACE, spanId: CHILD, parent: ROOT, name: "retrieve", start: T0 + 1_000_000n, end: T0 + 3_000_000n, attributes: { top_k: 2, "http.method": "GET" } };
    const r1 = await send(exp, encode([child]));
    assert.equal(r1.status, 200, r1.text);
    assert.match(String(r1.headers["content-type"]), /^application\/x-protobuf/);
    assert.equal(r1.raw.length, 0);
    const id = `tr-${TRACE}`;
    const first = await info(id);
    assert.equal(first.state, "IN_PROGRESS");
    assert.equal(first.tags["mlflow.artifactLocation"], `mlflow-artifacts:/${exp}/traces/${id}/artifacts`);
    assert.equal(first.tags["mlflow.traceName"], undefined);

    const root: TestSpan = { traceId: TRACE, spanId: ROOT, name: "agent", start: T0, end: T0 + 5_000_000n, status: 2, attributes: { "mlflow.spanInputs": '{"q": 1}', "mlflow.spanOutputs": "x".repeat(1500) } };
    assert.equal((await send(exp, encode([root]))).status, 200);
    const second = await info(id);
    assert.equal(second.state, "ERROR");
    assert.equal(second.execution_duration, "0.005s");
    assert.equal(second.request_time, new Date(Number(T0 / 1_000_000n)).toISOString());
    assert.equal(second.request_preview, '{"q": 1}');
    assert.equal(second.response_preview, `${"x".repeat(997)}...`);
    assert.equal(second.tags["mlflow.traceName"], "agent");
    // The first request's span kept byte for byte: its nanoseconds exact after the merge.
    const doc = spansFile(exp, id);
    assert.ok(doc.includes(`"start_time_unix_nano":${T0 + 1_000_000n},`), doc.slice(0, 400));
    assert.ok(doc.includes(`"start_time_unix_nano":${T0},`));
    const parsed = JSON.parse(doc) as { spans: { name: string; attributes: Record<string, string>; status: { code: string } }[] };
    assert.deepEqual(parsed.spans.map((s) => s.name), ["agent", "retrieve"]);
    assert.equal(parsed.spans[1].attributes.top_k, "2");
    assert.equal(parsed.spans[1].attributes["http.method"], "GET");
    assert.equal(parsed.spans[1].attributes["mlflow.traceRequestId"], JSON.stringify(id));
    assert.equal(parsed.spans[0].status.code, "STATUS_CODE_ERROR");

    // The child again, renamed: replaced, not added. A final state stays.
    assert.equal((await send(exp, encode([{ ...child, name: "retrieve-2", status: 1 }]))).status, 200);
    assert.deepEqual((JSON.parse(spansFile(exp, id)) as { spans: { name: string }[] }).spans.map((s) => s.name), ["agent", "retrieve-2"]);
    assert.equal((await info(id)).state, "ERROR");
  });

  test("spans of one trace in concurrent requests all end in it", async () => {
    const exp = await fx.createExperiment();
    const trace = "c0ffee00c0ffee00c0ffee00c0ffee00";
    const ids = Array.from({ length: 24 }, (_, i) => (0x1000 + i).toString(16).padStart(16, "0"));
    const replies = await Promise.all(ids.map((spanId, i) => send(exp, encode([{ traceId: trace, spanId, parent: ROOT, name: `s${i}`, start: T0 + BigInt(i), end: T0 + 100n }]))));
    assert.deepEqual(replies.map((r) => r.status), ids.map(() => 200));
    const names = (JSON.parse(spansFile(exp, `tr-${trace}`)) as { spans: { name: string }[] }).spans.map((s) => s.name);
    assert.deepEqual(names.sort(), ids.map((_, i) => `s${i}`).sort());
  });

  test("a trace whose spans would pass 64 MiB is refused, its file left as it was", async () => {
    const exp = await fx.createExperiment();
    const trace = "babe0000babe0000babe0000babe0000";
    assert.equal((await send(exp, encode([{ traceId: trace, spanId: ROOT, name: "root", start: T0, end: T0 + 5n }]))).status, 200);
    const file = join(fx.artifactsDir, exp, "traces", `tr-${trace}`, "artifacts", "traces.json");
    truncateSync(file, 64 * 1024 * 1024 + 1); // sparse: no 64 MiB written
    assertError(await send(exp, encode([{ traceId: trace, spanId: CHILD, parent: ROOT, name: "more", start: T0, end: T0 + 1n }])), 400, "INVALID_PARAMETER_VALUE", /would take 67108865 bytes; a trace's spans may take at most 67108864/);
    assert.equal(statSync(file).size, 64 * 1024 * 1024 + 1);
  });

  test("JSON encoding, gzip-compressed: hex ids, string nanoseconds; answered with {}", async () => {
    const exp = await fx.createExperiment();
    const body = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", name: "tool", startTimeUnixNano: "1765000000000000000", endTimeUnixNano: "1765000000250000000", status: { code: 1 }, attributes: [{ key: "n", value: { intValue: "3" } }, { key: "ok", value: { boolValue: true } }] }] }] }],
    };
    const r = await send(exp, gzipSync(JSON.stringify(body)), { "content-type": "application/json", "content-encoding": "gzip" });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, "{}");
    const got = await info("tr-0af7651916cd43dd8448eb211c80319c");
    assert.equal(got.state, "OK");
    assert.equal(got.execution_duration, "0.250s");
    const attrs = (JSON.parse(spansFile(exp, "tr-0af7651916cd43dd8448eb211c80319c")) as { spans: { attributes: Record<string, string> }[] }).spans[0].attributes;
    assert.equal(attrs.n, "3");
    assert.equal(attrs.ok, "true");
  });

  test("hostile input: MLflow's error, its status, nothing written", async () => {
    const exp = await fx.createExperiment();
    const other = await fx.createExperiment();
    const taken = "7a0c5e3cd8b9d4a3a3a0bd3fd6d34f9e";
    assert.equal((await send(other, encode([{ traceId: taken, spanId: ROOT, name: "theirs", start: T0, end: T0 + 1n }]))).status, 200);
    const deleted = await fx.createExperiment();
    ok(await fx.call("POST", "/experiments/delete", { experiment_id: deleted }));
    const span: TestSpan = { traceId: "11111111111111111111111111111111", spanId: ROOT, name: "s", start: T0, end: T0 + 10n };
    const good = encode([span]);
    const before = await fx.snapshot(TRACE_TABLES);

    assertError(await send(undefined, good), 400, "INVALID_PARAMETER_VALUE", /Missing header 'x-mlflow-experiment-id'/);
    assertError(await send("999999", good), 404, "RESOURCE_DOES_NOT_EXIST", /No Experiment with id=999999 exists/);
    assertError(await send(deleted, good), 400, "INVALID_PARAMETER_VALUE", /must be in the 'active' state/);
    assertError(await send(exp, "hello", { "content-type": "text/plain" }), 400, "INVALID_PARAMETER_VALUE", /Invalid Content-Type: text\/plain\. Expected: application\/x-protobuf or application\/json/);
    assertError(await fx.request("POST", "/v1/traces", undefined, { "x-mlflow-experiment-id": exp }), 400, "INVALID_PARAMETER_VALUE", /Invalid Content-Type: none/);
    assertError(await send(exp, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])), 400, "INVALID_PARAMETER_VALUE", /Invalid OpenTelemetry protobuf format/);
    assertError(await send(exp, good.subarray(0, good.length - 3)), 400, "INVALID_PARAMETER_VALUE", /Invalid OpenTelemetry protobuf format/);
    assertError(await send(exp, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), 400, "INVALID_PARAMETER_VALUE", /Invalid OpenTelemetry protobuf format/);
    assertError(await send(exp, encode([{ ...span, traceId: "0011223344556677" }])), 400, "INVALID_PARAMETER_VALUE", /a trace id is 16 bytes/);
    assertError(await send(exp, encode([{ ...span, spanId: "0000000000000000" }])), 400, "INVALID_PARAMETER_VALUE", /a span id is 8 bytes, not all zero/);
    assertError(await send(exp, encode([{ ...span, end: T0 - 1n }])), 400, "INVALID_PARAMETER_VALUE", /ends .* before it starts/);
    assertError(await send(exp, encode([{ ...span, start: 0n }])), 400, "INVALID_PARAMETER_VALUE", /no start_time_unix_nano/);
    const deep = (w: BinaryWriter, n: number): void => {
      if (n === 0) return void w.tag(1, LEN).string("bottom");
      w.tag(5, LEN).fork().tag(1, LEN).fork();
      deep(w, n - 1);
      w.join().join();
    };
    assertError(await send(exp, encode([span], (w) => deep(w, 40))), 400, "INVALID_PARAMETER_VALUE", /nest deeper than 32/);
    assertError(await send(exp, "{\"resourceSpans\": 3}", { "content-type": "application/json" }), 400, "INVALID_PARAMETER_VALUE", /Invalid OpenTelemetry JSON: resourceSpans must be an array/);
    assertError(await send(exp, "{not json", { "content-type": "application/json" }), 400, "INVALID_PARAMETER_VALUE", /Invalid OpenTelemetry JSON/);
    assertError(await send(exp, good, { "content-encoding": "br" }), 400, "INVALID_PARAMETER_VALUE", /Unsupported Content-Encoding 'br'/);
    assertError(await send(exp, good, { "content-encoding": "gzip" }), 400, "INVALID_PARAMETER_VALUE", /not valid gzip/);
    assertError(await send(exp, Buffer.alloc(16 * 1024 * 1024 + 1)), 413, "INVALID_PARAMETER_VALUE", /too large/);
    assertError(await send(exp, gzipSync(Buffer.alloc(17 * 1024 * 1024)), { "content-encoding": "gzip" }), 413, "INVALID_PARAMETER_VALUE", /too large/);
    // A trace of another experiment, alone or beside a good one: refused whole, the good one not written either.
    const theirs = encode([{ traceId: taken, spanId: CHILD, parent: ROOT, name: "mine", start: T0, end: T0 + 1n }]);
    assertError(await send(exp, theirs), 400, "RESOURCE_ALREADY_EXISTS", new RegExp(`tr-${taken}' already exists in another experiment; its spans cannot be logged to experiment ${exp}\\.$`));
    assertError(await send(exp, encode([span, { traceId: taken, spanId: CHILD, name: "mine", start: T0 }])), 400, "RESOURCE_ALREADY_EXISTS");
    assert.deepEqual(await fx.snapshot(TRACE_TABLES), before);
  });
});

describe("OTLP /v1/traces with authentication on", () => {
  let fx: AuthTestApp;
  before(async () => {
    fx = await openAuthTestApp({ defaultPermission: "NO_PERMISSIONS" });
  });
  after(async () => fx.close());

  test("EDIT on the header's experiment: none hides it, READ is refused, EDIT logs", async () => {
    const alice = await fx.addUser("alice");
    const exp = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/create", { name: "otel-auth" })).experiment_id as string;
    const body = encode([{ traceId: TRACE, spanId: ROOT, name: "agent", start: T0, end: T0 + 1n }]);
    const asBytes = (who: typeof alice | undefined) =>
      fx.request("POST", "/v1/traces", body, { "content-type": "application/x-protobuf", "x-mlflow-experiment-id": exp, ...(who ? { authorization: `Basic ${Buffer.from(`${who.username}:${who.password}`).toString("base64")}` } : {}) });
    assert.equal((await asBytes(undefined)).status, 401);
    assertError(await asBytes(alice), 404, "RESOURCE_DOES_NOT_EXIST", `No Experiment with id=${exp} exists`);
    assert.equal((await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/permissions/create", { experiment_id: exp, username: "alice", permission: "READ" })).status, 200);
    assertError(await asBytes(alice), 403, "PERMISSION_DENIED");
    assert.equal((await fx.as(ADMIN, "PATCH", "/api/2.0/mlflow/experiments/permissions/update", { experiment_id: exp, username: "alice", permission: "EDIT" })).status, 200);
    assert.equal((await asBytes(alice)).status, 200);
    assert.equal(ok(await fx.as(alice, "GET", `${V3}/traces/tr-${TRACE}`)).trace.trace_info.state, "OK");
    // Spans of a trace in an experiment alice cannot see, sent to her own: refused, the trace untouched.
    const hidden = ok(await fx.as(ADMIN, "POST", "/api/2.0/mlflow/experiments/create", { name: "otel-hidden" })).experiment_id as string;
    const theirs = "9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e";
    const adminSend = await fx.request("POST", "/v1/traces", encode([{ traceId: theirs, spanId: ROOT, name: "secret", start: T0, end: T0 + 1n }]), {
      "content-type": "application/x-protobuf",
      "x-mlflow-experiment-id": hidden,
      authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString("base64")}`,
    });
    assert.equal(adminSend.status, 200, adminSend.text);
    const before = await fx.snapshot(["trace_info", "trace_tags"]);
    const intrude = await fx.request("POST", "/v1/traces", encode([{ traceId: theirs, spanId: CHILD, parent: ROOT, name: "mine", start: T0, end: T0 + 1n }]), {
      "content-type": "application/x-protobuf",
      "x-mlflow-experiment-id": exp,
      authorization: `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString("base64")}`,
    });
    assertError(intrude, 400, "RESOURCE_ALREADY_EXISTS", /another experiment/);
    assert.ok(!intrude.text.includes(`experiment ${hidden}`), intrude.text);
    assert.deepEqual(await fx.snapshot(["trace_info", "trace_tags"]), before);
  });
});
