/**
 * Users (`/admin/users`, admins): people and service accounts, the admin
 * flag, new accounts, deletion, and each one's tokens.
 */
import { useState } from "react";
import { createServiceAccount, createUser, deleteUser, listUsers, setAdmin, type UserInfo } from "../../api/auth-api";
import { useApi } from "../../api/use-api";
import { useSession } from "../../auth/session";
import { Dialog } from "../../components/dialog";
import { EmptyState, ErrorBanner, Loading } from "../../components/states";
import { useAction } from "../../components/use-action";
import { formatTime } from "../../format";
import { Link } from "../../router/router";
import "./auth.css";

type Open = { kind: "user" } | { kind: "service" } | { kind: "delete"; user: UserInfo } | undefined;

export default function UsersPage() {
  const { info } = useSession();
  const users = useApi((signal) => listUsers(signal), []);
  const action = useAction();
  const [open, setOpen] = useState<Open>();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const close = () => {
    setOpen(undefined);
    setUsername("");
    setPassword("");
    action.clearError();
  };
  const submit = async () => {
    const ok = await action.run(() =>
      open?.kind === "user" ? createUser(username.trim(), password) : open?.kind === "service" ? createServiceAccount(username.trim()) : open?.kind === "delete" ? deleteUser(open.user.username) : Promise.resolve(),
    );
    if (ok) {
      close();
      users.reload();
    }
  };
  const toggleAdmin = async (u: UserInfo) => {
    if (await action.run(() => setAdmin(u.username, !u.is_admin))) users.reload();
  };

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Users</h1>
          <div className="muted small">People sign in with a password or single sign-on; service accounts (CI, pipelines) only with tokens.</div>
        </div>
        <div className="page-actions">
          <button type="button" className="btn" onClick={() => setOpen({ kind: "service" })}>
            New service account
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setOpen({ kind: "user" })}>
            New user
          </button>
        </div>
      </header>
      {action.error && !open && <ErrorBanner error={action.error} onDismiss={action.clearError} />}
      {users.error && !users.data ? (
        <ErrorBanner error={users.error} onRetry={users.reload} />
      ) : !users.data ? (
        <Loading />
      ) : users.data.length === 0 ? (
        <EmptyState title="No users" />
      ) : (
        <table className="table" aria-label="Users">
          <thead>
            <tr><th>Username</th><th>Kind</th><th>Admin</th><th>Created</th><th /></tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <td>{u.username}</td>
                <td>{u.is_service_account ? "service account" : "person"}</td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${u.username} is an admin`}
                    checked={u.is_admin}
                    disabled={action.busy || u.username === info?.user?.username}
                    onChange={() => void toggleAdmin(u)}
                  />
                </td>
                <td className="small">{formatTime(u.created_at)}</td>
                <td className="user-actions">
                  <Link to={`/settings/tokens?username=${encodeURIComponent(u.username)}`} className="btn btn-small btn-ghost">
                    Tokens
                  </Link>
                  {u.username !== info?.user?.username && (
                    <button type="button" className="btn btn-small btn-danger-text" aria-label={`Delete ${u.username}`} onClick={() => setOpen({ kind: "delete", user: u })}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <Dialog
          title={open.kind === "user" ? "New user" : open.kind === "service" ? "New service account" : "Delete user"}
          submitLabel={open.kind === "delete" ? "Delete" : "Create"}
          danger={open.kind === "delete"}
          busy={action.busy}
          error={action.error?.message}
          onSubmit={submit}
          onClose={close}
        >
          {open.kind === "delete" ? (
            <p>
              Delete <strong>{open.user.username}</strong>, their tokens and permissions? They can no longer sign in.
            </p>
          ) : (
            <>
              <label className="field">
                <span className="field-label">Username</span>
                <input className="input" aria-label="New username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
              </label>
              {open.kind === "user" && (
                <label className="field">
                  <span className="field-label">Password (at least 8 characters)</span>
                  <input className="input" aria-label="New user's password" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />
                </label>
              )}
            </>
          )}
        </Dialog>
      )}
    </div>
  );
}
