/**
 * A titled card: its head (the title, a count beside it, anything on the
 * right: a toggle, a filter, a note) and its body. The card's accessible name
 * is its title unless `label` says otherwise.
 */
import type { ReactNode } from "react";

interface Props {
  title: string;
  /** Shown muted after the title (how many rows, "12+"). */
  count?: ReactNode;
  /** The right side of the head. */
  aside?: ReactNode;
  label?: string;
  /** The body's class: flush (tables, lists to the edge) unless said. */
  body?: string;
  children: ReactNode;
}

export function Card({ title, count, aside, label, body = "card-body-flush", children }: Props) {
  return (
    <section className="card" aria-label={label ?? title}>
      <div className="card-head">
        <h2>
          {title}
          {count !== undefined && <> <span className="muted small">{count}</span></>}
        </h2>
        {aside}
      </div>
      <div className={body}>{children}</div>
    </section>
  );
}
