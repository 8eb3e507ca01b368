/** The page states every view shares: loading, empty, and errors shown in place (never a blank screen). */
import type { ReactNode } from "react";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

/** An API or action error, with the server's message as is (it says what to fix). */
export function ErrorBanner({ error, onRetry, onDismiss }: { error: Error | string; onRetry?: () => void; onDismiss?: () => void }) {
  const message = typeof error === "string" ? error : error.message;
  return (
    <div className="banner banner-error" role="alert">
      <span className="banner-text">{message}</span>
      {onRetry && (
        <button className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
      {onDismiss && (
        <button className="btn btn-small btn-ghost" aria-label="Dismiss" onClick={onDismiss}>
          ✕
        </button>
      )}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status.charAt(0) + status.slice(1).toLowerCase()}</span>;
}
