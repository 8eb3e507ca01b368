/**
 * Access tokens (`/settings/tokens`): create one (shown once, then only its
 * hint), see when each was last used, revoke. An admin manages another
 * user's or a service account's tokens with `?username=`.
 */
import { useState, type FormEvent } from "react";
import { createToken, listTokens, revokeToken, type TokenInfo } from "../../api/auth-api";
import { useApi } from "../../api/use-api";
import { useSession } from "../../auth/session";
import { Dialog } from "../../components/dialog";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { useAction } from "../../components/use-action";
import { formatRelative, formatTime } from "../../format";
import { Link, useUrl } from "../../router/router";
import { Breadcrumbs } from "../../components/breadcrumbs";
import "./auth.css";

const EXPIRY = [
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
  { label: "Never", days: 0 },
];

function status(t: TokenInfo, now: number): string {
  if (t.revoked_at) return "revoked";
  if (t.expires_at && t.expires_at <= now) return "expired";
  return "active";
}

export default function TokensPage() {
  const { search } = useUrl();
  const { info } = useSession();
  const other = search.get("username") ?? undefined;
  const owner = other && other !== info?.user?.username ? other : undefined;
  const tokens = useApi((signal) => listTokens(owner, signal), [owner]);
  const action = useAction();
  const [name, setName] = useState("");
  const [days, setDays] = useState(90);
  const [created, setCreated] = useState<string>();
  const [revoking, setRevoking] = useState<TokenInfo>();
  const now = Date.now();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    let token = "";
    if (await action.run(async () => (token = (await createToken(name.trim(), days || undefined, owner)).token))) {
      setCreated(token);
      setName("");
      tokens.reload();
    }
  };

  return (
    <div className="page">
      <header className="page-header">
        <div>
          {owner && (
            <Breadcrumbs trail={[{ label: "Users", to: "/admin/users" }]} current={`Tokens of ${owner}`} />
          )}
          <h1>{owner ? `Tokens of ${owner}` : "Access tokens"}</h1>
          <div className="muted small">
            For scripts and CI: <span className="mono">MLFLOW_TRACKING_TOKEN</span> (MLflow clients) or <span className="mono">Authorization: Bearer</span>.
          </div>
        </div>
      </header>
      <section className="card" aria-label="New token">
        <form className="card-body field-row" onSubmit={create}>
          <label className="field">
            <span className="field-label">Name</span>
            <input className="input" aria-label="Token name" required maxLength={256} placeholder="github-actions" value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field" style={{ flex: "0 0 160px" }}>
            <span className="field-label">Expires after</span>
            <select className="select" aria-label="Expires after" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {EXPIRY.map((x) => (
                <option key={x.days} value={x.days}>{x.label}</option>
              ))}
            </select>
          </label>
          <div className="field" style={{ flex: "0 0 auto", justifyContent: "flex-end" }}>
            <button type="submit" className="btn btn-primary" disabled={action.busy}>
              Create token
            </button>
          </div>
        </form>
        {action.error && <ErrorBanner error={action.error} onDismiss={action.clearError} />}
        {created && (
          <div className="card-body token-once" role="status" aria-label="New token">
            <strong>Copy the token now: it is not shown again.</strong>
            <code className="mono" data-testid="new-token">{created}</code>
            <div>
              <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(created)}>
                Copy
              </button>{" "}
              <button type="button" className="btn btn-small btn-ghost" onClick={() => setCreated(undefined)}>
                Done
              </button>
            </div>
          </div>
        )}
      </section>
      {tokens.error && !tokens.data ? (
        <ErrorBanner error={tokens.error} onRetry={tokens.reload} />
      ) : !tokens.data ? (
        <Loading />
      ) : tokens.data.length === 0 ? (
        <EmptyState title="No tokens yet">A token signs in as {owner ?? "you"}; it can expire and be revoked.</EmptyState>
      ) : (
        <table className="table" aria-label="Tokens">
          <thead>
            <tr><th>Name</th><th>Token</th><th>Created</th><th>Expires</th><th>Last used</th><th>Status</th><th /></tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id} className={t.revoked_at ? "row-deleted" : undefined}>
                <td>{t.name}</td>
                <td className="mono">{t.hint}</td>
                <td className="small">{formatTime(t.created_at)}</td>
                <td className="small">{t.expires_at ? formatTime(t.expires_at) : "never"}</td>
                <td className="small">{t.last_used_at ? formatRelative(t.last_used_at) : "never"}</td>
                <td>{status(t, now)}</td>
                <td>
                  {!t.revoked_at && (
                    <button type="button" className="btn btn-small btn-danger-text" aria-label={`Revoke ${t.name}`} onClick={() => setRevoking(t)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking && (
        <Dialog
          title="Revoke token"
          submitLabel="Revoke"
          danger
          busy={action.busy}
          error={action.error?.message}
          onClose={() => setRevoking(undefined)}
          onSubmit={async () => {
            if (await action.run(() => revokeToken(revoking.id, owner))) {
              setRevoking(undefined);
              tokens.reload();
            }
          }}
        >
          <p>
            Revoke <strong>{revoking.name}</strong> (<span className="mono">{revoking.hint}</span>)? Whatever uses it stops signing in at once.
          </p>
        </Dialog>
      )}
    </div>
  );
}
