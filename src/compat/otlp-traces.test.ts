/**
 * OpenTelemetry into ciclo: a real OpenTelemetry SDK (sdk-trace-base) with
 * its real OTLP exporters — protobuf (exporter-trace-otlp-proto) and JSON
 * (exporter-trace-otlp-http) — sends spans to a real ciclo server's
 * `/v1/traces` on loopback, one span a request (SimpleSpanProcessor), so one
 * trace arrives in several requests; then the real MLflow 3.3 client reads
 * them back (get_trace, search_traces: otlp-traces.py beside this file); and MLflow 3.3's own OTLP sender
 * (its REST store's `log_spans`) sends a trace recorded elsewhere, read back span for span.
 * Skips the MLflow half with the reason when the oracle cannot run (fails
 * under CICLO_REQUIRE_ALL=1).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { context, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { startLiveTrackingServer, type LiveTrackingServer } from "../testing/live-tracking-server.js";
import { runMlflowScript } from "../testing/mlflow-script.js";

const SCRIPT = fileURLToPath(new URL("./otlp-traces.py", import.meta.url));

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

function provider(exporter: ProtoExporter | JsonExporter): BasicTracerProvider {
  return new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
}

/** An agent-like trace: a root with MLflow's input/output attributes, a retriever and a generator with an event. */
function agentTrace(tracer: Tracer): string {
  const root = tracer.startSpan("agent", {
    attributes: { "mlflow.spanInputs": JSON.stringify({ question: "six times seven?" }), "mlflow.spanType": JSON.stringify("AGENT") },
  });
  const inRoot = trace.setSpan(context.active(), root);
  const retrieve = tracer.startSpan("retrieve", { attributes: { "http.method": "GET", top_k: 2, tags: ["a", "b"] } }, inRoot);
  retrieve.end();
  const generate = tracer.startSpan("generate", {}, inRoot);
  generate.addEvent("token", { n: 1 });
  generate.end();
  root.setAttribute("mlflow.spanOutputs", JSON.stringify("42"));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return `tr-${root.spanContext().traceId}`;
}

describe("an OpenTelemetry SDK's OTLP exporters into ciclo's /v1/traces, read back by the MLflow 3.3 client", () => {
  let server: LiveTrackingServer;
  let exp: string;
  before(async () => {
    server = await startLiveTrackingServer();
    exp = String((await post(server.url, "/api/2.0/mlflow/experiments/create", { name: "otel" })).experiment_id);
  });
  after(async () => server?.close());

  test("protobuf and JSON exports become MLflow traces with their spans, state, timing and previews", { timeout: 300_000 }, async (t) => {
    const headers = { "x-mlflow-experiment-id": exp };
    // The exporters give up after 10 s by default: on a loaded shared machine, a request may take longer.
    const proto = provider(new ProtoExporter({ url: `${server.url}/v1/traces`, headers, timeoutMillis: 120_000 }));
    const okId = agentTrace(proto.getTracer("otlp-test"));
    await proto.forceFlush();
    await proto.shutdown();

    const json = provider(new JsonExporter({ url: `${server.url}/v1/traces`, headers, timeoutMillis: 120_000 }));
    const failing = json.getTracer("otlp-test").startSpan("tool");
    failing.setStatus({ code: SpanStatusCode.ERROR, message: "tool failed" });
    failing.end();
    const errId = `tr-${failing.spanContext().traceId}`;
    await json.forceFlush();
    await json.shutdown();

    // The trace infos through ciclo's own V3 route: three requests made one trace.
    const info = (await (await fetch(`${server.url}/api/3.0/mlflow/traces/${okId}`)).json()) as { trace: { trace_info: Record<string, unknown> } };
    const ti = info.trace.trace_info;
    assert.equal(ti.state, "OK");
    assert.equal(ti.request_preview, JSON.stringify({ question: "six times seven?" }));
    assert.equal(ti.response_preview, JSON.stringify("42"));
    assert.equal((ti.tags as Record<string, string>)["mlflow.traceName"], "agent");
    assert.equal((ti.tags as Record<string, string>)["mlflow.artifactLocation"], `mlflow-artifacts:/${exp}/traces/${okId}/artifacts`);

    const r = await runMlflowScript(t, server, SCRIPT, { args: [exp, okId, errId] });
    if (!r) return;
    const { duration_ms, root_duration_ms, span_times_ns, ...ok } = r.ok;
    t.diagnostic(`span times (ns): ${JSON.stringify(span_times_ns)}; trace duration ${duration_ms} ms`);
    assert.equal(duration_ms, root_duration_ms);
    assert.deepEqual(ok, {
      state: "OK",
      names: ["agent", "generate", "retrieve"],
      parents: { agent: null, generate: "agent", retrieve: "agent" },
      root_inputs: { question: "six times seven?" },
      root_outputs: "42",
      root_type: "AGENT",
      http_method: "GET",
      top_k: 2,
      tags: ["a", "b"],
      event: ["token"],
      trace_id_attr: okId,
      request_preview: JSON.stringify({ question: "six times seven?" }),
      trace_name: "agent",
      request_time_is_root_start: true,
    });
    assert.deepEqual(r.error, { state: "ERROR", span_status: "ERROR", status_message: "tool failed" });
    assert.deepEqual(r.search, { errors: [errId], count: 2, spans_loaded: [3, 1] });
    // MLflow's own OTLP sender (the REST store's log_spans): its spans come back exactly as recorded.
    assert.deepEqual(r.mlflow_sender, { same_spans: true, state: "OK", request_preview: '{"x": 41}', trace_name: "pipeline" });
  });
});
