/**
 * The pipelines page's triggers: the list (with who made each: a person, or
 * a project's ciclo.yaml), a form to create one (a push webhook, a cron
 * schedule or a registry event; a webhook's secret and URL are shown once),
 * and delete, confirmed by a second click.
 */
import { useState, type FormEvent } from "react";
import { createTrigger, deleteTrigger, listTriggers, type WireTrigger } from "../../api/pipelines-api";
import { useApi } from "../../api/use-api";
import { ErrorBanner, Loading } from "../../components/states";
import { useAction } from "../../components/use-action";
import { formatTime } from "../../format";

const KINDS = ["github", "gitlab", "azure", "cron", "registry"];
const EVENTS = ["version_created", "alias_set", "stage_transitioned"];

export function TriggersCard() {
  const triggers = useApi((signal) => listTriggers(signal), []);
  const [confirming, setConfirming] = useState<string>();
  const del = useAction();
  const remove = async (t: WireTrigger) => {
    if (confirming !== t.trigger_id) return setConfirming(t.trigger_id);
    setConfirming(undefined);
    if (await del.run(() => deleteTrigger(t.trigger_id))) triggers.reload();
  };
  return (
    <section className="triggers-card">
      <h2>Triggers</h2>
      {triggers.error ? (
        <ErrorBanner error={triggers.error} onRetry={triggers.reload} />
      ) : !triggers.data ? (
        <Loading />
      ) : triggers.data.length === 0 ? (
        <p className="muted small">No triggers: runs start by hand (here, the CLI, the API) or from monitoring alerts. Add one below, or declare them under a pipeline's <code>on:</code> in ciclo.yaml (docs/pipelines-triggers.md).</p>
      ) : (
        <table className="table triggers-table">
          <thead><tr><th>Trigger</th><th>Kind</th><th>Pipeline</th><th>When</th><th>Made by</th><th /></tr></thead>
          <tbody>
            {triggers.data.map((t) => (
              <tr key={t.trigger_id} data-trigger={t.name}>
                <td>{t.name}</td>
                <td>{t.kind}</td>
                <td>{t.pipeline}</td>
                <td className="small">{whenText(t.kind, t.config, t.next_fire_at)}</td>
                <td className="small">{t.created_by ?? ""}</td>
                <td>
                  <button type="button" className="btn btn-danger btn-small" disabled={del.busy} onClick={() => void remove(t)}>
                    {confirming === t.trigger_id ? "Confirm delete" : "Delete"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {del.error && <ErrorBanner error={del.error} onDismiss={del.clearError} />}
      <TriggerForm onCreated={triggers.reload} />
    </section>
  );
}

function TriggerForm({ onCreated }: { onCreated(): void }) {
  const [f, setF] = useState<Record<string, string>>({ kind: "cron", event: "version_created", timezone: "UTC" });
  const [made, setMade] = useState<{ name: string; secret?: string; path?: string }>();
  const action = useAction();
  const set = (k: string) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const field = (k: string, label: string, placeholder = "") => (
    <label>
      {label}
      <input className="input" aria-label={label} value={f[k] ?? ""} placeholder={placeholder} onChange={set(k)} />
    </label>
  );
  const config = (): Record<string, unknown> => {
    const opt = (k: string) => (f[k]?.trim() ? { [k]: f[k].trim() } : {});
    if (f.kind === "cron") return { cron: f.cron ?? "", ...opt("timezone") };
    if (f.kind === "registry") return { model: f.model ?? "", event: f.event, ...(f.event === "alias_set" ? opt("alias") : {}), ...(f.event === "stage_transitioned" ? opt("stage") : {}) };
    const branches = (f.branches ?? "").split(",").map((b) => b.trim()).filter(Boolean);
    return { ...(branches.length > 0 && { branches }), ...opt("repository") };
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let out: Awaited<ReturnType<typeof createTrigger>> | undefined;
    const ok = await action.run(async () => {
      out = await createTrigger({ name: f.name ?? "", kind: f.kind, project: f.project ?? "", pipeline: f.pipeline ?? "", config: config() });
    });
    if (ok && out) {
      setMade({ name: out.trigger.name, secret: out.secret, path: out.trigger.webhook_path });
      onCreated();
    }
  };
  return (
    <form className="card trigger-form" onSubmit={(e) => void submit(e)}>
      <h3>New trigger</h3>
      <div className="form-row">
        {field("name", "Name", "nightly-retrain")}
        <label>
          Kind
          <select className="select" aria-label="Kind" value={f.kind} onChange={set("kind")}>
            {KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </label>
        {field("project", "Project", "registered name, folder or git URI")}
        {field("pipeline", "Pipeline")}
      </div>
      <div className="form-row">
        {f.kind === "cron" && (
          <>
            {field("cron", "Cron", "0 3 * * *")}
            {field("timezone", "Time zone")}
          </>
        )}
        {f.kind === "registry" && (
          <>
            {field("model", "Registered model")}
            <label>
              Event
              <select className="select" aria-label="Event" value={f.event} onChange={set("event")}>
                {EVENTS.map((k) => <option key={k} value={k}>{k.replace("_", " ")}</option>)}
              </select>
            </label>
            {f.event === "alias_set" && field("alias", "Alias (any when empty)")}
            {f.event === "stage_transitioned" && field("stage", "Stage (any when empty)")}
          </>
        )}
        {KINDS.slice(0, 3).includes(f.kind) && (
          <>
            {field("branches", "Branches", "main, release/*")}
            {field("repository", "Repository", "org/repo")}
          </>
        )}
      </div>
      <button type="submit" className="btn btn-primary" disabled={action.busy}>Create trigger</button>
      {action.error && <ErrorBanner error={action.error} onDismiss={action.clearError} />}
      {made && (
        <div className="trigger-made small" data-trigger={made.name}>
          Created {made.name}.
          {made.path && <div>Webhook URL: <code>{`${window.location.origin}${made.path}`}</code></div>}
          {made.secret && <div>Secret (shown once): <code className="trigger-secret">{made.secret}</code></div>}
        </div>
      )}
    </form>
  );
}

export function whenText(kind: string, c: Record<string, unknown>, next?: number): string {
  if (kind === "cron") return `${String(c.cron)} (${String(c.timezone ?? "UTC")}), next ${formatTime(next)}`;
  if (kind === "registry") return `${String(c.event).replace("_", " ")} of ${String(c.model)}${c.alias ? ` @${String(c.alias)}` : ""}${c.stage ? ` → ${String(c.stage)}` : ""}`;
  const branches = Array.isArray(c.branches) ? (c.branches as string[]).join(", ") : "any branch";
  return `push to ${branches}${c.repository ? ` of ${String(c.repository)}` : ""}`;
}
