/**
 * Change your own password (`/settings/password`): the current password, the
 * new one twice. On success the server ends your other sessions (this one
 * stays signed in); a single sign-on account changes its password at the
 * identity provider, and the server says so.
 */
import { useState, type FormEvent } from "react";
import { changePassword } from "../../api/auth-api";
import { ErrorBanner } from "../../components/states";
import { useAction } from "../../components/use-action";
import "./auth.css";

export default function PasswordPage() {
  const action = useAction();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const mismatch = again !== "" && next !== again;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    setDone(false);
    if (await action.run(() => changePassword(current, next))) {
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    }
  };

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Change password</h1>
          <div className="muted small">Your other signed-in browsers are signed out; this one stays signed in. API tokens keep working.</div>
        </div>
      </header>
      <section className="card" aria-label="Change password">
        <form className="card-body" aria-label="Change password" onSubmit={submit}>
          <label className="field">
            <span className="field-label">Current password</span>
            <input className="input" type="password" autoComplete="current-password" aria-label="Current password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">New password</span>
            <input className="input" type="password" autoComplete="new-password" aria-label="New password" required value={next} onChange={(e) => setNext(e.target.value)} />
          </label>
          <label className="field">
            <span className="field-label">New password again</span>
            <input className="input" type="password" autoComplete="new-password" aria-label="New password again" required value={again} onChange={(e) => setAgain(e.target.value)} />
          </label>
          {mismatch && <div className="muted small" role="alert">The two new passwords differ.</div>}
          <div className="field" style={{ flex: "0 0 auto" }}>
            <button type="submit" className="btn btn-primary" disabled={action.busy || mismatch}>
              Change password
            </button>
          </div>
        </form>
        {action.error && <ErrorBanner error={action.error} onDismiss={action.clearError} />}
        {done && (
          <div className="card-body" role="status">
            Password changed. Your other sessions were signed out.
          </div>
        )}
      </section>
    </div>
  );
}
