"""MLflow 3 tracing through the real client against a ciclo server (argv[1]).

Traces nested functions, a span with inputs/outputs/attributes, a failing
function and a trace inside a run; reads them back with get_trace and
search_traces (filters, order_by, pages, run_id), sets and deletes a tag,
deletes traces by id and by time; links a trace to the active logged model.
Asserts as it goes; the last line printed is
a JSON summary that mlflow3-traces.test.ts checks.
"""
import json
import sys
import time

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

url = sys.argv[1]
mlflow.set_tracking_uri(url)
exp_id = mlflow.set_experiment("traces-tour").experiment_id
client = MlflowClient()


@mlflow.trace
def add(a, b):
    return a + b


@mlflow.trace(name="pipeline", attributes={"team": "tour"})
def pipeline(x):
    with mlflow.start_span(name="retrieve", span_type="RETRIEVER") as span:
        span.set_inputs({"query": x})
        span.set_outputs({"docs": ["a", "b"]})
        span.set_attribute("top_k", 2)
    return add(x, 1)


@mlflow.trace
def boom(x):
    raise ValueError(f"bad input {x}")


assert pipeline(41) == 42
t_ok = mlflow.get_last_active_trace_id()
try:
    boom(7)
except ValueError:
    pass
t_err = mlflow.get_last_active_trace_id()
with mlflow.start_run() as run:
    pipeline(1)
    t_run = mlflow.get_last_active_trace_id()
run_id = run.info.run_id

# get_trace: the info from the server, the spans from traces.json in the artifact store.
trace = mlflow.get_trace(t_ok)
assert trace is not None, "get_trace found nothing: the trace or its spans were not stored"
spans = {s.name: s for s in trace.data.spans}
root = spans["pipeline"]
retrieve = spans["retrieve"]
assert retrieve.parent_id == root.span_id
assert spans["add"].parent_id == root.span_id
location = trace.info.tags["mlflow.artifactLocation"]
assert location.endswith(f"/traces/{t_ok}/artifacts"), location

err = mlflow.get_trace(t_err)
err_span = err.data.spans[0]
exception_events = [e for e in err_span.events if e.name == "exception"]

in_run = mlflow.get_trace(t_run)


def ids(df):
    return list(df["trace_id"])


by_status = mlflow.search_traces(experiment_ids=[exp_id], filter_string="trace.status = 'ERROR'")
oldest_first = mlflow.search_traces(experiment_ids=[exp_id], order_by=["timestamp_ms ASC"])
by_name = mlflow.search_traces(experiment_ids=[exp_id], filter_string="tags.`mlflow.traceName` = 'pipeline'", order_by=["timestamp_ms DESC"])
of_run = mlflow.search_traces(experiment_ids=[exp_id], run_id=run_id)
by_metadata = mlflow.search_traces(experiment_ids=[exp_id], filter_string=f"request_metadata.`mlflow.sourceRun` = '{run_id}'")
slow_or_fast = mlflow.search_traces(experiment_ids=[exp_id], filter_string="trace.execution_time_ms >= 0 AND trace.timestamp_ms > 0")

# MlflowClient.search_traces pages through the Trace objects.
page1 = client.search_traces(experiment_ids=[exp_id], max_results=2, order_by=["timestamp_ms ASC"])
page2 = client.search_traces(experiment_ids=[exp_id], max_results=2, order_by=["timestamp_ms ASC"], page_token=page1.token)

client.set_trace_tag(t_ok, "topic", "math")
tagged = mlflow.search_traces(experiment_ids=[exp_id], filter_string="tags.topic = 'math'")
client.delete_trace_tag(t_ok, "topic")
untagged = mlflow.search_traces(experiment_ids=[exp_id], filter_string="tags.topic = 'math'")
try:
    client.delete_trace_tag(t_ok, "topic")
    missing_tag = "no error"
except MlflowException as e:
    missing_tag = e.error_code

deleted_by_id = client.delete_traces(exp_id, trace_ids=[t_err])
# The oldest remaining one (t_ok) goes.
deleted_by_time = client.delete_traces(exp_id, max_timestamp_millis=int(time.time() * 1000) + 60_000, max_traces=1)
left = ids(mlflow.search_traces(experiment_ids=[exp_id]))
try:
    client.get_trace(t_err)
    gone = "still there"
except MlflowException as e:
    gone = e.error_code

# A logged model as the active model: its traces carry mlflow.modelId and search_traces(model_id=...) finds them.
mlflow.set_experiment("traces-tour-models")
model = mlflow.set_active_model(name="agent")
add(2, 3)
t_model = mlflow.get_last_active_trace_id()
model_link = {
    "metadata": mlflow.get_trace(t_model).info.trace_metadata.get("mlflow.modelId") == model.model_id,
    "search": ids(mlflow.search_traces(model_id=model.model_id)) == [t_model],
}

print(
    json.dumps(
        {
            "mlflow": mlflow.__version__,
            "ok": {
                "state": trace.info.state.value,
                "spans": sorted(spans),
                "retrieve": {
                    "inputs": retrieve.inputs,
                    "outputs": retrieve.outputs,
                    "top_k": retrieve.get_attribute("top_k"),
                    "type": retrieve.span_type,
                },
                "root": {"inputs": root.inputs, "outputs": root.outputs, "team": root.get_attribute("team")},
                "request_preview": json.loads(trace.info.request_preview),
                "artifact_location_ok": location.endswith(f"/traces/{t_ok}/artifacts"),
            },
            "error": {
                "state": err.info.state.value,
                "span_status": err_span.status.status_code.value,
                "exception": exception_events[0].attributes.get("exception.message") if exception_events else None,
            },
            "run": {"source_run": in_run.info.trace_metadata.get("mlflow.sourceRun") == run_id},
            "search": {
                "by_status": ids(by_status) == [t_err],
                "oldest_first": ids(oldest_first) == [t_ok, t_err, t_run],
                "by_name": ids(by_name) == [t_run, t_ok],
                "of_run": ids(of_run) == [t_run],
                "by_metadata": ids(by_metadata) == [t_run],
                "all_match": len(slow_or_fast),
                "has_spans_column": "spans" in by_status.columns and len(by_status["spans"][0]) == 1,
                "pages": [[t.info.trace_id for t in page1] == [t_ok, t_err], [t.info.trace_id for t in page2] == [t_run], page2.token],
            },
            "tags": {"tagged": ids(tagged) == [t_ok], "untagged": len(untagged), "missing_tag": missing_tag},
            "model": model_link,
            "delete": {"by_id": deleted_by_id, "by_time": deleted_by_time, "left": left == [t_run], "gone": gone},
        }
    )
)
