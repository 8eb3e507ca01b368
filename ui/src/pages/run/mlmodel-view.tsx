/** An MLmodel file: flavors, the signature's inputs and outputs as tables, and the raw YAML. */
import { parse } from "yaml";
import { readArtifactHead } from "../../api/artifacts-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { DataTable } from "./data-table";
import { PARAM_COLUMNS, paramRows, SCHEMA_COLUMNS, schemaRows } from "./signature-rows";

interface MlModel {
  artifact_path?: string;
  flavors?: Record<string, Record<string, unknown>>;
  signature?: { inputs?: string; outputs?: string; params?: string };
  model_uuid?: string;
  utc_time_created?: string;
  run_id?: string;
}

export default function MlmodelView({ runId, path }: { runId: string; path: string }) {
  const res = useApi(async (signal) => new TextDecoder().decode((await readArtifactHead(runId, path, 256 * 1024, signal)).bytes), [runId, path]);
  if (res.error) return <ErrorBanner error={res.error} />;
  if (res.data === undefined) return <Loading />;
  return <MlmodelBody text={res.data} />;
}

/** An MLmodel's text shown as flavors, signature tables and the raw YAML (the registry's version page uses it too). */
export function MlmodelBody({ text }: { text: string }) {
  let model: MlModel | undefined;
  try {
    model = parse(text) as MlModel;
  } catch {
    model = undefined;
  }
  const inputs = schemaRows(model?.signature?.inputs);
  const outputs = schemaRows(model?.signature?.outputs);
  const params = paramRows(model?.signature?.params);
  return (
    <div className="stack mlmodel">
      {model?.flavors && (
        <div>
          <h3 className="section-title">Flavors</h3>
          <div className="chips">
            {Object.entries(model.flavors).map(([name, f]) => (
              <span key={name} className="chip" title={JSON.stringify(f)}>
                {name}
                {typeof f?.loader_module === "string" ? <span className="muted"> · {f.loader_module}</span> : null}
              </span>
            ))}
          </div>
        </div>
      )}
      <div>
        <h3 className="section-title">Signature</h3>
        {inputs || outputs ? (
          <div className="two-col">
            <div>
              <div className="muted small">Inputs</div>
              {inputs ? <DataTable columns={SCHEMA_COLUMNS} rows={inputs} caption="Signature inputs" /> : <div className="muted small">none</div>}
            </div>
            <div>
              <div className="muted small">Outputs</div>
              {outputs ? <DataTable columns={SCHEMA_COLUMNS} rows={outputs} caption="Signature outputs" /> : <div className="muted small">none</div>}
            </div>
          </div>
        ) : (
          <div className="muted small">This model has no signature.</div>
        )}
        {params && (
          <div className="signature-params">
            <div className="muted small">Inference params</div>
            <DataTable columns={PARAM_COLUMNS} rows={params} caption="Signature params" />
          </div>
        )}
      </div>
      <details>
        <summary className="small">MLmodel (YAML)</summary>
        <pre className="pre">{text}</pre>
      </details>
    </div>
  );
}
