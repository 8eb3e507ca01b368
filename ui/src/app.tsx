/** The app shell: header with navigation, theme toggle and the signed-in user, then the page the URL names. */
import { Suspense, useEffect } from "react";
import { SessionGate } from "./auth/session";
import { UserMenu } from "./auth/user-menu";
import { ErrorBoundary } from "./components/error-boundary";
import { EmptyState, Loading } from "./components/states";
import { ThemeToggle } from "./components/theme";
import { Link, matchPath, navigate, useUrl } from "./router/router";
import { NAV, ROUTES } from "./routes";

function resolve(pathname: string) {
  for (const route of ROUTES) {
    const params = matchPath(route.path, pathname);
    if (params) return { route, params };
  }
  return undefined;
}

export function App() {
  return (
    <SessionGate>
      <Shell />
    </SessionGate>
  );
}

function Shell() {
  const { pathname, href } = useUrl();
  useEffect(() => {
    if (pathname === "/" || pathname === "") navigate("/experiments", { replace: true });
  }, [pathname]);
  const match = resolve(pathname);
  const Page = match?.route.page;
  const prefetch = match?.route.prefetch;
  useEffect(() => prefetch?.(new URLSearchParams(window.location.search)), [prefetch, href]);
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/experiments" className="brand" aria-label="ciclo home">
          <img src="/favicon.svg" alt="" width={22} height={22} />
          <span>ciclo</span>
        </Link>
        <nav className="topnav" aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.section} to={n.to} className={`topnav-link${match?.route.section === n.section ? " active" : ""}`}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-end">
          <ThemeToggle />
          <UserMenu />
        </div>
      </header>
      <main className="main">
        <ErrorBoundary resetKey={href}>
          <Suspense fallback={<div className="page"><Loading /></div>}>
            {Page ? (
              <Page params={match.params} />
            ) : pathname === "/" ? (
              <Loading />
            ) : (
              <div className="page">
                <EmptyState title="Page not found" action={<Link to="/experiments" className="btn">Go to experiments</Link>}>
                  Nothing lives at <span className="mono">{pathname}</span>.
                </EmptyState>
              </div>
            )}
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  );
}
