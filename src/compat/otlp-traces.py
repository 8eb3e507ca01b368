"""Reads back, with the real MLflow 3.3 client, the traces an OpenTelemetry SDK exported to ciclo's /v1/traces
(otlp-traces.test.ts). argv: tracking URI, experiment id, then the MLflow trace ids. Prints one JSON line."""
import json
import sys
import tempfile

import mlflow

uri, exp_id, ok_id, err_id = sys.argv[1:5]

# MLflow's own OTLP sender: the 3.3 REST store's log_spans posts a trace's spans to /v1/traces in protobuf. A trace
# recorded first in a local file store (before the tracer is set up for ciclo) is sent to ciclo that way at the end,
# then read back from ciclo.
mlflow.set_tracking_uri("file://" + tempfile.mkdtemp() + "/mlruns")  # a folder the file store makes, with experiment 0


@mlflow.trace(span_type="CHAIN")
def pipeline(x):
    with mlflow.start_span("llm", span_type="LLM") as s:
        s.set_inputs({"prompt": f"add one to {x}"})
        s.set_outputs({"tokens": [1, 2]})
        s.set_attribute("temperature", 0.5)
    return x + 1


pipeline(41)
local = mlflow.get_trace(mlflow.get_last_active_trace_id())

mlflow.set_tracking_uri(uri)
client = mlflow.MlflowClient()

ok = mlflow.get_trace(ok_id)
spans = {s.name: s for s in ok.data.spans}
by_id = {s.span_id: s for s in ok.data.spans}
root = spans["agent"]
out = {
    "mlflow": mlflow.__version__,
    "ok": {
        "state": str(ok.info.state.value if hasattr(ok.info.state, "value") else ok.info.state),
        "names": sorted(spans),
        "parents": {n: (by_id[s.parent_id].name if s.parent_id else None) for n, s in spans.items()},
        "root_inputs": root.inputs,
        "root_outputs": root.outputs,
        "root_type": root.span_type,
        "http_method": spans["retrieve"].get_attribute("http.method"),
        "top_k": spans["retrieve"].get_attribute("top_k"),
        "tags": spans["retrieve"].get_attribute("tags"),
        "event": [e.name for e in spans["generate"].events],
        "trace_id_attr": root.trace_id,
        "request_preview": ok.info.request_preview,
        "trace_name": ok.info.tags.get("mlflow.traceName"),
        "duration_ms": ok.info.execution_duration,
        # MLflow's log_spans rule: the latest end and the earliest start of all the trace's spans, each in whole ms.
        "root_duration_ms": max(s.end_time_ns for s in ok.data.spans) // 1_000_000
        - min(s.start_time_ns for s in ok.data.spans) // 1_000_000,
        "span_times_ns": [[s.name, s.start_time_ns, s.end_time_ns] for s in ok.data.spans],
        "request_time_is_root_start": ok.info.request_time == root.start_time_ns // 1_000_000,
    },
}
err = mlflow.get_trace(err_id)
out["error"] = {
    "state": str(err.info.state.value if hasattr(err.info.state, "value") else err.info.state),
    "span_status": err.data.spans[0].status.status_code.value if hasattr(err.data.spans[0].status.status_code, "value") else str(err.data.spans[0].status.status_code),
    "status_message": err.data.spans[0].status.description,
}
df = mlflow.search_traces(experiment_ids=[exp_id], filter_string="trace.status = 'ERROR'")
all_df = mlflow.search_traces(experiment_ids=[exp_id], order_by=["timestamp_ms ASC"])
out["search"] = {
    "errors": list(df["trace_id"]) if "trace_id" in df.columns else list(df["request_id"]),
    "count": len(all_df),
    "spans_loaded": [len(x) for x in all_df["spans"]],
}
mlflow.MlflowClient()._tracking_client.store.log_spans(exp_id, local.data.spans)
sent = mlflow.get_trace(local.info.trace_id)


def view(t):
    return sorted(
        (s.name, s.span_type, s.inputs, s.outputs, s.get_attribute("temperature"), s.parent_id, s.status.status_code.value, s.start_time_ns, s.end_time_ns)
        for s in t.data.spans
    )


out["mlflow_sender"] = {
    "same_spans": view(sent) == view(local),
    "state": str(sent.info.state.value if hasattr(sent.info.state, "value") else sent.info.state),
    "request_preview": sent.info.request_preview,
    "trace_name": sent.info.tags.get("mlflow.traceName"),
}
print(json.dumps(out))
