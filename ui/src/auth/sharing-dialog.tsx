/**
 * Sharing one experiment or registered model: who has which permission
 * (READ, USE, EDIT, MANAGE, NO_PERMISSIONS), change or remove it, grant it to
 * another user. Needs MANAGE on the resource (the server says so otherwise).
 * The Share button shows only when the server has authentication on.
 */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { createGrant, deleteGrant, listGrants, PERMISSION_LEVELS, updateGrant, type PermissionLevel, type SharingTarget } from "../api/auth-api";
import { useApi } from "../api/use-api";
import { ErrorBanner, Loading } from "../components/states";
import { useAction } from "../components/use-action";
import { useSession } from "./session";

export function ShareButton({ target, label }: { target: SharingTarget; label: string }) {
  const { info } = useSession();
  const [open, setOpen] = useState(false);
  if (!info?.user) return null;
  return (
    <>
      <button type="button" className="btn" onClick={() => setOpen(true)}>
        Share
      </button>
      {open && <SharingDialog target={target} label={label} onClose={() => setOpen(false)} />}
    </>
  );
}

function SharingDialog({ target, label, onClose }: { target: SharingTarget; label: string; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const grants = useApi((signal) => listGrants(target, signal), [target.kind, target.id]);
  const action = useAction();
  const [username, setUsername] = useState("");
  const [permission, setPermission] = useState<PermissionLevel>("READ");
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const name = username.trim();
    const exists = grants.data?.some((g) => g.username === name);
    if (await action.run(() => (exists ? updateGrant(target, name, permission) : createGrant(target, name, permission)))) {
      setUsername("");
      grants.reload();
    }
  };
  const change = async (user: string, p: PermissionLevel) => {
    if (await action.run(() => updateGrant(target, user, p))) grants.reload();
  };
  const remove = async (user: string) => {
    if (await action.run(() => deleteGrant(target, user))) grants.reload();
  };
  return (
    <dialog ref={ref} className="dialog" onClose={onClose} onCancel={onClose} aria-label={`Share ${label}`}>
      <form onSubmit={add}>
        <h2 className="dialog-title">Share {label}</h2>
        <div className="dialog-body">
          <div className="field-row">
            <label className="field">
              <span className="field-label">Username</span>
              <input className="input" aria-label="Username to share with" required autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
            </label>
            <label className="field">
              <span className="field-label">Permission</span>
              <select className="select" aria-label="Permission to grant" value={permission} onChange={(e) => setPermission(e.target.value as PermissionLevel)}>
                {PERMISSION_LEVELS.map((p) => (
                  <option key={p} value={p}>{p}</option>
                ))}
              </select>
            </label>
          </div>
          {grants.error ? (
            <ErrorBanner error={grants.error} onRetry={grants.reload} />
          ) : !grants.data ? (
            <Loading />
          ) : grants.data.length === 0 ? (
            <p className="muted small">Shared with nobody yet: users get the server's default permission.</p>
          ) : (
            <table className="sharing-list" aria-label="People with access">
              <tbody>
                {grants.data.map((g) => (
                  <tr key={g.username}>
                    <td>{g.username}</td>
                    <td>
                      <select className="select" aria-label={`Permission of ${g.username}`} value={g.permission} disabled={action.busy} onChange={(e) => void change(g.username, e.target.value as PermissionLevel)}>
                        {PERMISSION_LEVELS.map((p) => (
                          <option key={p} value={p}>{p}</option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove ${g.username}`} disabled={action.busy} onClick={() => void remove(g.username)}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        {action.error && (
          <div className="banner banner-error" role="alert">
            {action.error.message}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Close
          </button>
          <button type="submit" className="btn btn-primary" disabled={action.busy}>
            Share
          </button>
        </div>
      </form>
    </dialog>
  );
}
