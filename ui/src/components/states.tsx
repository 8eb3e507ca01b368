/** The page states every view shares: loading, empty, and errors shown in place (never a blank screen). */
import type { ReactNode } from "react";
import { ApiError } from "../api/http";

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

/**
 * The server's refusal for want of permission is MLflow's bare "Permission denied": said so here with what to do,
 * since retrying cannot help (a signed-in user without admin rights opening Endpoints or Monitoring met it).
 */
const PERMISSION_HINT =
  "Your account may not see this or do this. Monitoring, endpoints, pipelines and users are the admins'; experiments and models need a permission granted by an admin or by someone with MANAGE on them.";

/** An API or action error, with the server's message as is (it says what to fix). */
export function ErrorBanner({ error, onRetry, onDismiss }: { error: Error | string; onRetry?: () => void; onDismiss?: () => void }) {
  const message = typeof error === "string" ? error : error.message;
  const denied = error instanceof ApiError && error.errorCode === "PERMISSION_DENIED";
  return (
    <div className="banner banner-error" role="alert">
      <span className="banner-text">
        {message}
        {denied ? `${/[.!]$/.test(message) ? "" : "."} ${PERMISSION_HINT}` : null}
      </span>
      {onRetry && !denied && (
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
