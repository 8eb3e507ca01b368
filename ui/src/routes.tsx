/**
 * The page table. Pages other than the two landing ones load on first visit
 * (their own chunk), so the first view only pays for what it shows. A new page adds a line here and,
 * for the header, an entry in NAV.
 */
import type { ComponentType } from "react";
import { lazyPage } from "./router/lazy-page";
import ExperimentsPageEager from "./pages/experiments/experiments-page";
import RunsPageEager from "./pages/runs/runs-page";
import { prefetchCompare } from "./pages/compare/compare-loader";

export interface PageProps {
  params: Record<string, string>;
}

export interface RouteDef {
  path: string;
  page: ComponentType<PageProps>;
  /** The header entry it highlights. */
  section?: string;
  /** Starts the page's data loads while its chunk is still on the way (called on navigation). */
  prefetch?(search: URLSearchParams): void;
}

// The landing pages ship in the entry chunk: a second chunk request before the first rows cost ~250 ms.
const ExperimentsPage = ExperimentsPageEager;
const RunsPage = RunsPageEager;
const RunPage = lazyPage<PageProps>(() => import("./pages/run/run-page"));
const TracesPage = lazyPage<PageProps>(() => import("./pages/traces/traces-page"));
const TracePage = lazyPage<PageProps>(() => import("./pages/traces/trace-page"));
const ComparePage = lazyPage<PageProps>(() => import("./pages/compare/compare-page"));
const ModelsPage = lazyPage<PageProps>(() => import("./pages/models/models-page"));
const ModelPage = lazyPage<PageProps>(() => import("./pages/models/model-page"));
const VersionPage = lazyPage<PageProps>(() => import("./pages/models/version-page"));
const LoggedModelPage = lazyPage<PageProps>(() => import("./pages/models/logged-model-page"));
const MonitorsPage = lazyPage<PageProps>(() => import("./pages/monitoring/monitors-page"));
const MonitorPage = lazyPage<PageProps>(() => import("./pages/monitoring/monitor-page"));
const EndpointsPage = lazyPage<PageProps>(() => import("./pages/deployments/endpoints-page"));
const EndpointPage = lazyPage<PageProps>(() => import("./pages/deployments/endpoint-page"));
const PipelinesPage = lazyPage<PageProps>(() => import("./pages/pipelines/pipelines-page"));
const PipelineRunPage = lazyPage<PageProps>(() => import("./pages/pipelines/pipeline-run-page"));
const ApprovalsPage = lazyPage<PageProps>(() => import("./pages/pipelines/approvals-page"));
const TokensPage = lazyPage<PageProps>(() => import("./pages/auth/tokens-page"));
const PasswordPage = lazyPage<PageProps>(() => import("./pages/auth/password-page"));
const UsersPage = lazyPage<PageProps>(() => import("./pages/auth/users-page"));
const AuditPage = lazyPage<PageProps>(() => import("./pages/auth/audit-page"));

export const ROUTES: RouteDef[] = [
  { path: "/experiments", page: ExperimentsPage, section: "experiments" },
  { path: "/experiments/:experimentId", page: RunsPage, section: "experiments" },
  { path: "/experiments/:experimentId/traces", page: TracesPage, section: "experiments" },
  { path: "/experiments/:experimentId/traces/:traceId", page: TracePage, section: "experiments" },
  { path: "/runs", page: RunsPage, section: "experiments" },
  { path: "/runs/:runId", page: RunPage, section: "experiments" },
  { path: "/compare", page: ComparePage, section: "compare", prefetch: prefetchCompare },
  { path: "/models", page: ModelsPage, section: "models" },
  { path: "/models/:name", page: ModelPage, section: "models" },
  { path: "/models/:name/versions/:version", page: VersionPage, section: "models" },
  { path: "/logged-models/:modelId", page: LoggedModelPage, section: "models" },
  { path: "/monitoring", page: MonitorsPage, section: "monitoring" },
  { path: "/monitoring/:name", page: MonitorPage, section: "monitoring" },
  { path: "/deployments", page: EndpointsPage, section: "deployments" },
  { path: "/deployments/:name", page: EndpointPage, section: "deployments" },
  // The header says "Endpoints" and the CLI prints <server>/endpoints/<name>/invocations: the same pages there.
  { path: "/endpoints", page: EndpointsPage, section: "deployments" },
  { path: "/endpoints/:name", page: EndpointPage, section: "deployments" },
  { path: "/pipelines", page: PipelinesPage, section: "pipelines" },
  { path: "/pipelines/approvals", page: ApprovalsPage, section: "pipelines" },
  { path: "/pipelines/runs/:runId", page: PipelineRunPage, section: "pipelines" },
  // Reached from the signed-in user's menu (auth/user-menu.tsx), not the main navigation.
  { path: "/settings/tokens", page: TokensPage, section: "account" },
  { path: "/settings/password", page: PasswordPage, section: "account" },
  { path: "/admin/users", page: UsersPage, section: "admin" },
  { path: "/admin/audit", page: AuditPage, section: "admin" },
];

export const NAV: Array<{ section: string; label: string; to: string }> = [
  { section: "experiments", label: "Experiments", to: "/experiments" },
  { section: "compare", label: "Compare", to: "/compare" },
  { section: "models", label: "Models", to: "/models" },
  { section: "monitoring", label: "Monitoring", to: "/monitoring" },
  { section: "deployments", label: "Endpoints", to: "/deployments" },
  { section: "pipelines", label: "Pipelines", to: "/pipelines" },
];
