/** The datasets a run used (`runs/log-inputs`): name, digest, source, context and schema. */
import type { WireRun } from "../../api/tracking-api";
import { Card } from "../../components/card";

export function RunDatasets({ run }: { run: WireRun }) {
  const inputs = run.inputs.dataset_inputs ?? [];
  return (
    <Card title="Datasets" count={inputs.length}>
      {inputs.length === 0 ? (
        <div className="card-empty muted">No datasets logged.</div>
      ) : (
        <ul className="dataset-list">
          {inputs.map((d, i) => {
            const context = d.tags?.find((t) => t.key === "mlflow.data.context")?.value;
            return (
              <li key={`${d.dataset.name}-${d.dataset.digest}-${i}`} className="dataset">
                <div className="dataset-head">
                  <strong>{d.dataset.name}</strong>
                  {context && <span className="badge">{context}</span>}
                  <span className="mono small muted">{d.dataset.digest}</span>
                </div>
                <div className="small muted">
                  {d.dataset.source_type}
                  {d.dataset.source ? <> · <span className="mono">{d.dataset.source}</span></> : null}
                </div>
                {d.dataset.schema && (
                  <details>
                    <summary className="small">Schema</summary>
                    <pre className="pre small">{prettyJson(d.dataset.schema)}</pre>
                  </details>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
