/**
 * Who is signed in. The app renders at once (with authentication off, as it
 * always did: the session answer only says so); when the server has
 * authentication on and no session, or a call answers 401 because the session
 * ended, the sign-in page takes the app's place, and the URL is kept so that
 * signing in returns to it.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { getSession, logout, type SessionInfo } from "../api/auth-api";
import { setCsrfToken, UNAUTHENTICATED_EVENT } from "../api/http";
import LoginPage from "../pages/auth/login-page";

export interface SessionState {
  /** Undefined until the server answered. */
  info: SessionInfo | undefined;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState>({ info: undefined, signOut: async () => {} });

export const useSession = () => useContext(SessionContext);

/** A refused single sign-on comes back as `?sso_error=`; read it before the router rewrites the URL. */
const initialSsoError = new URLSearchParams(window.location.search).get("sso_error") ?? undefined;

export function SessionGate({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<SessionInfo>();
  const accept = useCallback((i: SessionInfo) => {
    setCsrfToken(i.csrf_token);
    setInfo(i);
  }, []);
  const load = useCallback(() => {
    getSession().then(accept, () => accept({ auth_enabled: false }));
  }, [accept]);
  useEffect(() => {
    load();
    window.addEventListener(UNAUTHENTICATED_EVENT, load);
    return () => window.removeEventListener(UNAUTHENTICATED_EVENT, load);
  }, [load]);
  const signOut = useCallback(async () => {
    await logout();
    accept({ ...info!, user: undefined, csrf_token: undefined });
  }, [accept, info]);
  if (info?.auth_enabled && !info.user) return <LoginPage sso={info.sso} ssoError={initialSsoError} onSignedIn={accept} />;
  return <SessionContext.Provider value={{ info, signOut }}>{children}</SessionContext.Provider>;
}
