/** The signed-in user in the header: tokens, their password, the admin pages, sign out. Nothing when authentication is off. */
import { useRef } from "react";
import { Link } from "../router/router";
import { useSession } from "./session";

export function UserMenu() {
  const { info, signOut } = useSession();
  const ref = useRef<HTMLDetailsElement>(null);
  const user = info?.user;
  if (!user) return null;
  const close = () => ref.current?.removeAttribute("open");
  return (
    <details className="user-menu" ref={ref}>
      <summary aria-label={`Signed in as ${user.username}`}>
        <span className="user-avatar" aria-hidden="true">{user.username.slice(0, 1).toUpperCase()}</span>
        <span className="user-name">{user.username}</span>
      </summary>
      <div className="user-menu-list" role="menu" onClick={close}>
        <div className="user-menu-who">
          {user.username}
          {user.is_admin ? " · admin" : ""}
        </div>
        <Link to="/settings/tokens" role="menuitem">Access tokens</Link>
        <Link to="/settings/password" role="menuitem">Change password</Link>
        {user.is_admin && <Link to="/admin/users" role="menuitem">Users</Link>}
        {user.is_admin && <Link to="/admin/audit" role="menuitem">Audit log</Link>}
        <button type="button" role="menuitem" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </details>
  );
}
