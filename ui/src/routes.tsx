/**
 * The page table. A page is loaded on first visit (its own chunk), so the
 * first view only pays for what it shows. New pages (Compare, Models) add a
 * line here and, for the header, an entry in NAV.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";

export interface PageProps {
  params: Record<string, string>;
}

export interface RouteDef {
  path: string;
  page: LazyExoticComponent<ComponentType<PageProps>>;
  /** The header entry it highlights. */
  section?: string;
}

const ExperimentsPage = lazy(() => import("./pages/experiments/experiments-page"));
const RunsPage = lazy(() => import("./pages/runs/runs-page"));
const RunPage = lazy(() => import("./pages/run/run-page"));
const ComparePage = lazy(() => import("./pages/compare-placeholder"));

export const ROUTES: RouteDef[] = [
  { path: "/experiments", page: ExperimentsPage, section: "experiments" },
  { path: "/experiments/:experimentId", page: RunsPage, section: "experiments" },
  { path: "/runs", page: RunsPage, section: "experiments" },
  { path: "/runs/:runId", page: RunPage, section: "experiments" },
  { path: "/compare", page: ComparePage, section: "compare" },
];

export const NAV: Array<{ section: string; label: string; to: string }> = [
  { section: "experiments", label: "Experiments", to: "/experiments" },
  { section: "compare", label: "Compare", to: "/compare" },
];
