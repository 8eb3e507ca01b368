/**
 * The audit log of auth events (`/admin/audit`, admins): sign-ins and
 * failures, lockouts, users, permission and token changes — newest first,
 * filtered by type, older pages on demand.
 */
import { useState } from "react";
import { listAudit, type AuditEvent } from "../../api/auth-api";
import { useApi } from "../../api/use-api";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { formatTime } from "../../format";
import { setSearch, useUrl } from "../../router/router";
import "./auth.css";

const PAGE = 100;
const TYPES = [
  "login", "login.failed", "logout", "user.locked", "user.created", "user.deleted", "user.password_changed", "user.admin_changed",
  "service_account.created", "token.created", "token.revoked", "token.rejected",
  "permission.experiment.created", "permission.experiment.updated", "permission.experiment.deleted",
  "permission.registered_model.created", "permission.registered_model.updated", "permission.registered_model.deleted",
];

export default function AuditPage() {
  const { search } = useUrl();
  const type = search.get("type") ?? undefined;
  const first = useApi((signal) => listAudit({ type, max_results: PAGE }, signal), [type]);
  const [older, setOlder] = useState<{ type?: string; events: AuditEvent[]; done: boolean }>();
  const [error, setError] = useState<Error>();
  const more = older?.type === type ? older : undefined;
  const events = [...(first.data ?? []), ...(more?.events ?? [])];
  const done = more ? more.done : (first.data?.length ?? 0) < PAGE;
  const loadOlder = async () => {
    try {
      const page = await listAudit({ type, max_results: PAGE, before_id: events[events.length - 1]?.id });
      setOlder({ type, events: [...(more?.events ?? []), ...page], done: page.length < PAGE });
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Audit log</h1>
          <div className="muted small">Sign-ins, lockouts, account, permission and token changes. Also at <span className="mono">GET /api/ciclo/v1/auth/audit</span>.</div>
        </div>
        <div className="page-actions">
          <label className="inline-field">
            <span>Type</span>
            <select className="select" aria-label="Event type" value={type ?? ""} onChange={(e) => setSearch({ type: e.target.value || undefined })}>
              <option value="">All</option>
              {TYPES.map((t) => (
                <option key={t} value={t}>{t}</option>
              ))}
            </select>
          </label>
        </div>
      </header>
      {(first.error || error) && <ErrorBanner error={(first.error ?? error)!} onRetry={first.reload} />}
      {!first.data ? (
        !first.error && <Loading />
      ) : events.length === 0 ? (
        <EmptyState title="No events" />
      ) : (
        <>
          <table className="table" aria-label="Audit events">
            <thead>
              <tr><th>Time</th><th>Event</th><th>By</th><th>About</th><th>Detail</th><th>Address</th></tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td className="small">{formatTime(e.time)}</td>
                  <td className="mono">{e.type}</td>
                  <td>{e.actor ?? "-"}</td>
                  <td>{e.subject ?? "-"}</td>
                  <td className="small">{e.detail ?? ""}</td>
                  <td className="small mono">{e.ip ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!done && (
            <button type="button" className="btn load-more" onClick={() => void loadOlder()}>
              Older events
            </button>
          )}
        </>
      )}
    </div>
  );
}
