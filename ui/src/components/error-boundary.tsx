/** Catches a render error in a page and shows it there, with the rest of the app still usable. */
import { Component, type ReactNode } from "react";

interface Props {
  children: ReactNode;
  /** Changing it (e.g. the URL) clears a shown error. */
  resetKey?: string;
  /** Inside a panel: the error box only, not a page. */
  inline?: boolean;
}

export class ErrorBoundary extends Component<Props, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidUpdate(prev: Props) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: undefined });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const box = (
        <div className="banner banner-error" role="alert">
          <strong>{this.props.inline ? "This preview failed." : "This page failed to render."}</strong>
          <p className="mono small">{error.message}</p>
          <button className="btn" onClick={() => this.setState({ error: undefined })}>
            Try again
          </button>
        </div>
    );
    return this.props.inline ? box : <div className="page">{box}</div>;
  }
}
