/** A modal dialog (native <dialog>: focus trap, Escape, backdrop) for confirmations and small forms. */
import { useEffect, useRef, type FormEvent, type ReactNode } from "react";

interface DialogProps {
  title: string;
  children?: ReactNode;
  submitLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: string;
  onSubmit(): void;
  onClose(): void;
}

export function Dialog({ title, children, submitLabel, danger, busy, error, onSubmit, onClose }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!busy) onSubmit();
  };
  return (
    <dialog ref={ref} className="dialog" onClose={onClose} onCancel={onClose} aria-label={title}>
      <form onSubmit={submit}>
        <h2 className="dialog-title">{title}</h2>
        <div className="dialog-body">{children}</div>
        {error && (
          <div className="banner banner-error" role="alert">
            {error}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className={`btn ${danger ? "btn-danger" : "btn-primary"}`} disabled={busy}>
            {busy ? "Working…" : submitLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
