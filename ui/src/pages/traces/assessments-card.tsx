/**
 * A trace's assessments: feedback (a judgement by a human, an LLM judge or
 * code, with its rationale or the error that kept it from a value) and
 * expectations (ground truth), oldest first. An overridden feedback stays,
 * marked as such, under the one that replaced it. Values render as text.
 */
import type { WireAssessment } from "../../api/traces-api";
import { formatTime } from "../../format";
import { Card } from "../../components/card";

/** An expectation's value arrives as `value` or as JSON text (`serialized_value`). */
export function assessmentValue(a: WireAssessment): unknown {
  if (a.feedback) return a.feedback.value;
  const sv = a.expectation?.serialized_value;
  if (sv) {
    try {
      return JSON.parse(sv.value);
    } catch {
      return sv.value;
    }
  }
  return a.expectation?.value;
}

/**
 * traces.json names a span by its 8 bytes in base64 (protobuf JSON); an assessment names it by 16 hex digits
 * (the client's `span.span_id`). Both spellings of a span id, for matching one to the other.
 */
export function spanIdHex(id: string): string {
  if (/^[0-9a-f]{16}$/i.test(id)) return id.toLowerCase();
  try {
    return Array.from(atob(id), (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  } catch {
    return id;
  }
}

const text = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
const SOURCE_LABELS: Record<string, string> = { HUMAN: "Human", LLM_JUDGE: "LLM judge", CODE: "Code", SOURCE_TYPE_UNSPECIFIED: "Unspecified" };

export function AssessmentsCard({ assessments, spanName }: { assessments: WireAssessment[]; spanName(id: string): string | undefined }) {
  const feedback = assessments.filter((a) => a.feedback).length;
  return (
    <Card
      title="Assessments"
      count={assessments.length}
      aside={
        <span className="muted small">
          {feedback} feedback, {assessments.length - feedback} expectation{assessments.length - feedback === 1 ? "" : "s"}
        </span>
      }
    >
      {assessments.length === 0 ? (
        <div className="card-empty muted">
          No feedback or expectations yet: <span className="mono">mlflow.log_feedback(trace_id=…)</span> or{" "}
          <span className="mono">mlflow.log_expectation(trace_id=…)</span> adds them.
        </div>
      ) : (
        <table className="table assessments-table" aria-label="Assessments">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Value</th>
              <th>Source</th>
              <th>Rationale</th>
              <th>Logged</th>
            </tr>
          </thead>
          <tbody>
            {assessments.map((a) => {
              const error = a.feedback?.error;
              const span = a.span_id ? (spanName(a.span_id) ?? a.span_id) : undefined;
              return (
                <tr key={a.assessment_id} className={a.valid ? undefined : "row-overridden"} aria-label={`Assessment ${a.assessment_name}`}>
                  <td className="cell-name">
                    {a.assessment_name}
                    {span && <div className="muted small">on span {span}</div>}
                  </td>
                  <td>
                    <span className={`badge ${a.feedback ? "badge-finished" : "badge-running"}`}>{a.feedback ? "Feedback" : "Expectation"}</span>
                    {!a.valid && <span className="badge badge-deleted" title="A later feedback overrides this one">Overridden</span>}
                    {a.overrides && <div className="muted small">overrides an earlier one</div>}
                  </td>
                  <td className="mono small assessment-value">
                    {error && !text(assessmentValue(a)) ? (
                      <span className="span-block-error" title={error.stack_trace ?? ""}>
                        {[error.error_code, error.error_message].filter(Boolean).join(": ") || "error"}
                      </span>
                    ) : (
                      text(assessmentValue(a))
                    )}
                  </td>
                  <td>
                    {SOURCE_LABELS[a.source.source_type] ?? a.source.source_type}
                    {a.source.source_id && <div className="muted small">{a.source.source_id}</div>}
                  </td>
                  <td className="small assessment-rationale">{a.rationale ?? <span className="faint">—</span>}</td>
                  <td className="small" title={`Updated ${formatTime(Date.parse(a.last_update_time))}`}>
                    {formatTime(Date.parse(a.create_time))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}
