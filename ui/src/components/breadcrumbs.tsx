/**
 * The trail above a page's title, the same on every page: the pages above this one as links, then this page,
 * marked `aria-current="page"`. A `nav` landmark named "Breadcrumb" holding an ordered list (the WAI-ARIA
 * breadcrumb pattern); the separators are drawn for the eye and hidden from screen readers.
 */
import { Link } from "../router/router";

export interface Crumb {
  label: string;
  to: string;
}

export function Breadcrumbs({ trail, current }: { trail: Crumb[]; current: string }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumbs">
      <ol>
        {trail.map((c) => (
          <li key={c.to}>
            <Link to={c.to} title={c.label}>
              {c.label}
            </Link>
            <span className="breadcrumb-sep" aria-hidden="true">
              /
            </span>
          </li>
        ))}
        <li>
          <span aria-current="page" title={current}>
            {current}
          </span>
        </li>
      </ol>
    </nav>
  );
}
