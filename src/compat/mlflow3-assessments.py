"""MLflow 3 assessments and trace-run links through the real client against a ciclo server (argv[1]).

Logs feedback (with a rationale, an error, on a span) and expectations (a scalar
and a list), reads one back, updates both kinds, overrides a feedback and
deletes the override; logs feedback while a trace is active (it travels with
StartTraceV3); links a trace to a run and finds it with search_traces(run_id=);
checks the errors the server answers. The last line printed is a JSON summary
that mlflow3-assessments.test.ts checks.
"""
import json
import sys

import mlflow
from mlflow import MlflowClient
from mlflow.entities import AssessmentSource, AssessmentSourceType, Expectation, Feedback
from mlflow.exceptions import MlflowException

mlflow.set_tracking_uri(sys.argv[1])
exp_id = mlflow.set_experiment("assessments-tour").experiment_id
client = MlflowClient()


@mlflow.trace(name="answer")
def answer(q):
    with mlflow.start_span(name="retrieve") as span:
        span.set_outputs(["doc"])
    return "42"


@mlflow.trace(name="judged")
def judged(q):
    # Logged while the trace is active: the client keeps it in memory and sends it with the trace.
    mlflow.log_feedback(trace_id=mlflow.get_active_trace_id(), name="inline", value=True)
    return q


def error_code(fn):
    try:
        fn()
        return "no error"
    except MlflowException as e:
        return e.error_code


answer("q")
tid = mlflow.get_last_active_trace_id()
span_id = [s for s in mlflow.get_trace(tid).data.spans if s.name == "retrieve"][0].span_id

judge = AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id="judge-model")
human = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="reviewer@example.com")
fb = mlflow.log_feedback(trace_id=tid, name="relevance", value=0.6, source=judge, rationale="partly", metadata={"round": 1})
fb_err = mlflow.log_feedback(trace_id=tid, name="safety", error=ValueError("judge timed out"), source=judge)
fb_span = mlflow.log_feedback(trace_id=tid, name="recall", value={"hits": 2, "docs": ["a", "b"]}, span_id=span_id)
ex_scalar = mlflow.log_expectation(trace_id=tid, name="expected_answer", value="42", source=human)
ex_list = mlflow.log_expectation(trace_id=tid, name="expected_docs", value=["doc", {"id": 7}], source=human)

got = mlflow.get_assessment(tid, fb.assessment_id)
updated_ex = mlflow.update_assessment(tid, ex_scalar.assessment_id, Expectation(name="expected_answer", value="forty-two"))
updated_fb = mlflow.update_assessment(tid, fb_span.assessment_id, Feedback(name="recall", value={"hits": 3}, rationale="re-judged", metadata={"v": "2"}))
override = mlflow.override_feedback(trace_id=tid, assessment_id=fb.assessment_id, value=0.9, rationale="fully answers", source=human)
overridden = mlflow.get_assessment(tid, fb.assessment_id)
info = mlflow.get_trace(tid).info
by_id = {a.assessment_id: a for a in info.assessments}
mlflow.delete_assessment(tid, override.assessment_id)
restored = mlflow.get_assessment(tid, fb.assessment_id)
after_delete = [a.assessment_id for a in mlflow.get_trace(tid).info.assessments]

judged("hi")
inline = mlflow.get_trace(mlflow.get_last_active_trace_id()).info.assessments

# Trace-run links: a trace logged outside the run is found by search_traces(run_id=...) once linked.
with mlflow.start_run() as run:
    answer("in run")
    t_in_run = mlflow.get_last_active_trace_id()
client.link_traces_to_run([tid], run.info.run_id)
of_run = sorted(mlflow.search_traces(experiment_ids=[exp_id], run_id=run.info.run_id)["trace_id"])

# MLflow 2's trace routes, through the 3.3 client's own V2 code: StartTrace, EndTrace, GetTraceInfo, SearchTraces.
# (GetTraceInfo at MLflow 2's path, `/traces/{id}/info`: the 3.3 client's own fallback asks `/traces/{id}`, which no
# MLflow server answers to a GET.)
from mlflow.entities.trace_status import TraceStatus  # noqa: E402
from mlflow.protos.service_pb2 import GetTraceInfo, SearchTraces  # noqa: E402
from mlflow.utils.proto_json_utils import message_to_json  # noqa: E402

store = client._tracking_client.store
v2 = store.deprecated_start_trace_v2(experiment_id=exp_id, timestamp_ms=1_700_000_000_000, request_metadata={"m": "1"}, tags={"mlflow.traceName": "legacy"})
v2_end = store.deprecated_end_trace_v2(request_id=v2.request_id, timestamp_ms=1_700_000_000_300, status=TraceStatus.OK, request_metadata={"m2": "2"}, tags={"t": "x"})
v2_get = store._call_endpoint(GetTraceInfo, message_to_json(GetTraceInfo(request_id=v2.request_id)), endpoint=f"/api/2.0/mlflow/traces/{v2.request_id}/info").trace_info
v2_search = store._call_endpoint(SearchTraces, message_to_json(SearchTraces(experiment_ids=[exp_id], filter="tags.t = 'x'", max_results=10)))
v2_through_v3 = store.get_trace_info(v2.request_id)  # GetTraceInfoV3 (no spans were uploaded for it)

print(
    json.dumps(
        {
            "mlflow": mlflow.__version__,
            "logged": {
                "ids": all(a.assessment_id.startswith("a-") for a in [fb, fb_err, fb_span, ex_scalar, ex_list]),
                "get": [got.name, got.value, got.rationale, got.source.source_type, got.source.source_id, got.metadata, got.valid],
                "error": [by_id[fb_err.assessment_id].error.error_code, by_id[fb_err.assessment_id].error.error_message, by_id[fb_err.assessment_id].value],
                "span": [by_id[fb_span.assessment_id].span_id == span_id],
                "expectations": [by_id[ex_list.assessment_id].value, by_id[ex_scalar.assessment_id].source.source_type],
            },
            "update": {
                "expectation": [updated_ex.value, mlflow.get_assessment(tid, ex_scalar.assessment_id).value],
                "feedback": [updated_fb.value, updated_fb.rationale, mlflow.get_assessment(tid, fb_span.assessment_id).metadata],
            },
            "override": {
                "new": [override.value, override.overrides == fb.assessment_id, override.valid],
                "old_valid": [overridden.valid, restored.valid],
                "in_trace_info": len(info.assessments),
                "after_delete": len(after_delete),
            },
            "inline": [(a.name, a.value) for a in inline],
            "link": of_run == sorted([tid, t_in_run]),
            "v2": {
                "start": [len(v2.request_id), v2.status.value, v2.tags["mlflow.traceName"], v2.tags["mlflow.artifactLocation"].endswith(f"/traces/{v2.request_id}/artifacts")],
                "end": [v2_end.execution_time_ms, v2_end.status.value, v2_end.request_metadata, v2_end.tags["t"]],
                "get": [v2_get.request_id == v2.request_id, v2_get.execution_time_ms],
                "search": [t.request_id == v2.request_id for t in v2_search.traces],
                "v3": [v2_through_v3.state.value, v2_through_v3.execution_duration],
            },
            "errors": {
                "unknown_trace": error_code(lambda: mlflow.log_feedback(trace_id="tr-00000000000000000000000000000000", name="x", value=1)),
                "unknown_assessment": error_code(lambda: mlflow.get_assessment(tid, "a-missing")),
                "wrong_kind": error_code(lambda: mlflow.update_assessment(tid, ex_list.assessment_id, Feedback(name="x", value=1))),
                "link_unknown_run": error_code(lambda: client.link_traces_to_run([tid], "0" * 32)),
                "delete_again": error_code(lambda: mlflow.delete_assessment(tid, override.assessment_id)),
            },
        }
    )
)
