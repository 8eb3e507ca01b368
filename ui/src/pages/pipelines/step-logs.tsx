/** One step's log lines, fetched incrementally (after the last seq seen) while the run goes on. */
import { useEffect, useRef, useState } from "react";
import { pipelineRunLogs, type WireLogLine } from "../../api/pipelines-api";
import { ErrorBanner } from "../../components/states";

export function StepLogs({ runId, stepId, tick }: { runId: string; stepId: string; tick: number }) {
  const [lines, setLines] = useState<WireLogLine[]>([]);
  const [error, setError] = useState<Error>();
  const seq = useRef(0);
  useEffect(() => {
    seq.current = 0;
    setLines([]);
  }, [runId, stepId]);
  useEffect(() => {
    const ctl = new AbortController();
    pipelineRunLogs(runId, stepId, seq.current, ctl.signal).then(
      (r) => {
        if (ctl.signal.aborted || r.lines.length === 0) return;
        seq.current = r.next_seq;
        setLines((old) => [...old, ...r.lines]);
        setError(undefined);
      },
      (e: Error) => !ctl.signal.aborted && e.name !== "AbortError" && setError(e),
    );
    return () => ctl.abort();
  }, [runId, stepId, tick]);
  return (
    <div className="step-logs" data-step={stepId}>
      {error && <ErrorBanner error={error} />}
      {lines.length === 0 ? (
        <p className="muted small">No log lines yet.</p>
      ) : (
        <pre>
          {lines.map((l) => (
            <div key={l.seq} className={`log-line log-${l.stream}`}>
              {l.attempt > 1 ? `[try ${l.attempt}] ` : ""}
              {l.line}
            </div>
          ))}
        </pre>
      )}
    </div>
  );
}
