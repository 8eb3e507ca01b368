/**
 * The audit history of a registered model (`/api/ciclo/v1/registered-models/history`):
 * every change, newest first, as a sentence with who and when — aliases
 * moved, stages transitioned, tags and descriptions changed, versions created
 * and deleted. Older events page in on demand.
 */
import { useEffect, useState, type ReactNode } from "react";
import { modelHistory, type WireRegistryEvent } from "../../api/registry-api";
import { ErrorBanner, Loading } from "../../components/states";
import { formatRelative, formatTime } from "../../format";
import { Link } from "../../router/router";
import { versionPath } from "./model-links";

const clip = (s: string | null, n = 80) => (s === null ? "" : s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A readable sentence for one event. */
export function describeEvent(e: WireRegistryEvent, vlink: (v: string) => ReactNode = (v) => `version ${v}`): { icon: string; text: ReactNode } {
  const v = e.version;
  const V = v === null ? null : vlink(v);
  const code = (s: string | null) => <code>{clip(s)}</code>;
  switch (`${e.entity}:${e.action}`) {
    case "registered_model:created":
      return { icon: "+", text: <>Model created</> };
    case "registered_model:renamed":
      return { icon: "✎", text: <>Renamed from {code(e.from)} to {code(e.to)}</> };
    case "registered_model:updated":
      return { icon: "✎", text: e.to ? <>Description {e.from ? "changed" : "added"}: <span className="muted">{clip(e.to)}</span></> : <>Description removed</> };
    case "registered_model:deleted":
      return { icon: "✕", text: <>Model deleted</> };
    case "model_version:created":
      return { icon: "+", text: <>{V} created from {code(e.to)}</> };
    case "model_version:deleted":
      return { icon: "✕", text: <>Version {v} deleted</> };
    case "model_version:transitioned":
      return { icon: "⇄", text: <>{V} moved from stage <strong>{e.from ?? "None"}</strong> to <strong>{e.to}</strong></> };
    case "model_version:updated":
      return { icon: "✎", text: <>{V} description {e.to ? "changed" : "removed"}{e.to ? <>: <span className="muted">{clip(e.to)}</span></> : null}</> };
    case "registered_model_tag:set":
    case "model_version_tag:set": {
      const on = e.entity === "model_version_tag" ? <> on {V}</> : null;
      return { icon: "#", text: e.from === null ? <>Tag {code(e.key)} set to {code(e.to)}{on}</> : <>Tag {code(e.key)} changed from {code(e.from)} to {code(e.to)}{on}</> };
    }
    case "registered_model_tag:deleted":
    case "model_version_tag:deleted":
      return { icon: "#", text: <>Tag {code(e.key)} deleted{e.entity === "model_version_tag" ? <> from {V}</> : null} (was {code(e.from)})</> };
    case "registered_model_alias:set":
      return {
        icon: "@",
        text: e.from === null ? <>Alias <strong>@{e.key}</strong> set to {vlink(e.to ?? "")}</> : <>Alias <strong>@{e.key}</strong> moved from {vlink(e.from)} to {vlink(e.to ?? "")}</>,
      };
    case "registered_model_alias:deleted":
      return { icon: "@", text: <>Alias <strong>@{e.key}</strong> removed (was {vlink(e.from ?? "")})</> };
  }
  return { icon: "•", text: <>{e.entity.replace(/_/g, " ")} {e.action}{e.key ? <> {code(e.key)}</> : null}</> };
}

export function HistoryTimeline({ name, reloadKey }: { name: string; reloadKey: number }) {
  const [events, setEvents] = useState<WireRegistryEvent[]>();
  const [next, setNext] = useState<string>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const ctl = new AbortController();
    modelHistory(name, undefined, ctl.signal).then(
      (p) => {
        setEvents(p.items);
        setNext(p.nextPageToken);
        setError(undefined);
      },
      (e: Error) => e.name !== "AbortError" && setError(e),
    );
    return () => ctl.abort();
  }, [name, reloadKey]);
  const more = async () => {
    setBusy(true);
    try {
      const p = await modelHistory(name, next);
      setEvents((ev) => [...(ev ?? []), ...p.items]);
      setNext(p.nextPageToken);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const vlink = (v: string) => <Link to={versionPath(name, v)}>version {v}</Link>;
  return (
    <section className="card" aria-label="History">
      <div className="card-head">
        <h2>History</h2>
        <span className="muted small">every change, newest first</span>
      </div>
      <div className="card-body">
        {error && <ErrorBanner error={error} />}
        {!events ? (
          !error && <Loading />
        ) : events.length === 0 ? (
          <div className="muted">No changes recorded.</div>
        ) : (
          <ol className="timeline" aria-label="Model history">
            {events.map((e) => {
              const d = describeEvent(e, vlink);
              return (
                <li key={e.event_id} className={`timeline-item ev-${e.entity}`} data-entity={e.entity} data-action={e.action}>
                  <span className="timeline-icon" aria-hidden="true">
                    {d.icon}
                  </span>
                  <div className="timeline-body">
                    <div className="timeline-text">{d.text}</div>
                    <div className="timeline-meta small muted">
                      <span title={formatTime(e.timestamp)}>{formatRelative(e.timestamp)}</span>
                      {e.actor ? <> · {e.actor}</> : null}
                    </div>
                  </div>
                </li>
              );
            })}
          </ol>
        )}
        {next && (
          <div className="load-more">
            <button className="btn btn-small" disabled={busy} onClick={more}>
              {busy ? "Loading…" : "Older changes"}
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
