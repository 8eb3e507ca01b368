/**
 * The sign-in page: username and password (the server's answer is shown as
 * is: one message for a refused password, which states the lockout rule; or the
 * per-address limit and how long to wait), and, when the server
 * has single sign-on, a button that leaves for the identity provider.
 */
import { useState, type FormEvent } from "react";
import { login, ssoLoginUrl, type SessionInfo } from "../../api/auth-api";
import "./auth.css";

interface Props {
  sso?: { label: string };
  ssoError?: string;
  onSignedIn(info: SessionInfo): void;
}

export default function LoginPage({ sso, ssoError, onSignedIn }: Props) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(ssoError);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      onSignedIn(await login(username, password));
    } catch (err) {
      setError((err as Error).message);
      setPassword("");
      setBusy(false);
    }
  };
  const here = `${window.location.pathname}${window.location.search.replace(/[?&]sso_error=[^&]*/, "")}`;
  return (
    <main className="login">
      <form className="login-card card" onSubmit={submit} aria-label="Sign in">
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span>ciclo</span>
        </div>
        <h1 className="login-title">Sign in</h1>
        {error && (
          <div className="banner banner-error" role="alert">
            <span className="banner-text">{error}</span>
          </div>
        )}
        {sso && (
          <>
            <a className="btn btn-primary login-sso" href={ssoLoginUrl(here === "/" ? "/experiments" : here)}>
              {sso.label}
            </a>
            <div className="login-or">
              <span>or with a ciclo account</span>
            </div>
          </>
        )}
        <label className="field">
          <span className="field-label">Username</span>
          <input className="input" name="username" autoComplete="username" autoFocus={!sso} required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">Password</span>
          <input className="input" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className={`btn ${sso ? "" : "btn-primary"} login-submit`} disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="login-hint small muted">
          Scripts and CI sign in with a token (<span className="mono">MLFLOW_TRACKING_TOKEN</span>) or
          <span className="mono"> MLFLOW_TRACKING_USERNAME</span>/<span className="mono">PASSWORD</span>.
        </p>
      </form>
    </main>
  );
}
