/**
 * Starts a pipeline run from the pipelines page: a registered project, one of
 * its pipelines, and a field per declared input (prefilled with its default;
 * the server checks types and required inputs). Opens the run once started.
 */
import { useState, type FormEvent } from "react";
import { listProjects, projectPipelines, startPipelineRun } from "../../api/pipelines-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner } from "../../components/states";
import { useAction } from "../../components/use-action";
import { navigate } from "../../router/router";

export function StartRunForm() {
  const projects = useApi((signal) => listProjects(signal), []);
  const [project, setProject] = useState("");
  const chosen = project || projects.data?.[0]?.name || "";
  const defs = useApi((signal) => (chosen ? projectPipelines(chosen, signal) : Promise.resolve([])), [chosen]);
  const [pipeline, setPipeline] = useState("");
  const def = defs.data?.find((d) => d.name === pipeline) ?? defs.data?.[0];
  const [values, setValues] = useState<Record<string, string>>({});
  const action = useAction();
  if (projects.error) return <ErrorBanner error={projects.error} onRetry={projects.reload} />;
  if (!projects.data) return null;
  if (projects.data.length === 0) {
    return <p className="muted small">Register a project to start its pipelines here: <code>ciclo pipelines register &lt;name&gt; &lt;folder or git URI&gt;</code>.</p>;
  }
  const key = (input: string) => `${chosen}/${def?.name}/${input}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!def) return;
    const inputs: Record<string, string> = {};
    for (const i of def.inputs) {
      const v = values[key(i.name)];
      if (v !== undefined && v !== "") inputs[i.name] = v;
    }
    let runId = "";
    if (await action.run(async () => void (runId = (await startPipelineRun({ project: chosen, pipeline: def.name, inputs })).run_id))) navigate(`/pipelines/runs/${runId}`);
  };
  return (
    <form className="card start-run-form" onSubmit={(e) => void submit(e)}>
      <h2>Start a run</h2>
      <div className="form-row">
        <label>
          Project
          <select className="select"
            aria-label="Project"
            value={chosen}
            onChange={(e) => {
              setProject(e.target.value);
              setPipeline("");
            }}
          >
            {projects.data.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
          </select>
        </label>
        <label>
          Pipeline
          <select className="select" aria-label="Pipeline" value={def?.name ?? ""} onChange={(e) => setPipeline(e.target.value)} disabled={!defs.data?.length}>
            {(defs.data ?? []).map((d) => <option key={d.name} value={d.name}>{d.name}</option>)}
          </select>
        </label>
      </div>
      {defs.error && <ErrorBanner error={defs.error} onRetry={defs.reload} />}
      {def && def.inputs.length > 0 && (
        <fieldset className="form-row">
          <legend className="small muted">Inputs</legend>
          {def.inputs.map((i) => (
            <label key={i.name}>
              {i.name} <span className="muted small">({i.type}{i.default === undefined ? ", required" : ""})</span>
              <input className="input"
                aria-label={`Input ${i.name}`}
                value={values[key(i.name)] ?? (i.default === undefined ? "" : String(i.default))}
                placeholder={i.description ?? ""}
                onChange={(e) => setValues({ ...values, [key(i.name)]: e.target.value })}
              />
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit" className="btn btn-primary" disabled={!def || action.busy}>Start</button>
      {action.error && <ErrorBanner error={action.error} onDismiss={action.clearError} />}
    </form>
  );
}
