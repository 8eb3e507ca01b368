/**
 * A page in its own chunk, loaded on first visit — without React's Suspense.
 * React 19 holds back the reveal of a suspended boundary for ~300 ms after
 * its fallback shows (so fallbacks do not flicker); for a page that is the
 * whole view this delayed every lazy page, and the data loads its effects
 * start, by up to 300 ms. Here the spinner is plain state and the page
 * renders the moment its chunk arrives. A chunk that fails to load reaches
 * the error boundary.
 */
import { useEffect, useState, type ComponentType } from "react";
import { Loading } from "../components/states";

export function lazyPage<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): ComponentType<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  const get = () =>
    (pending ??= load().then(
      (m) => (loaded = m.default),
      (e: unknown) => {
        pending = undefined; // a later visit retries
        throw e;
      },
    ));
  function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | undefined>(() => loaded);
    const [error, setError] = useState<Error>();
    useEffect(() => {
      if (Page) return;
      let live = true;
      get().then(
        (c) => live && setPage(() => c),
        (e: Error) => live && setError(e),
      );
      return () => {
        live = false;
      };
    }, [Page]);
    if (error) throw error;
    return Page ? (
      <Page {...props} />
    ) : (
      <div className="page">
        <Loading />
      </div>
    );
  }
  return LazyPage;
}
