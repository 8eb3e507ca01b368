/**
 * Which resources a request names, read from its path parameters, query and
 * (validated) body: the primary resource the route's declared permission is
 * checked on, and the resources it only references, which need READ (a model
 * version's `run_id`, `model_id` and `source` — GHSA-gqch-g4w5-7qcw — or the
 * logged models a run links). A route whose resource cannot be found in its
 * request is for admins only: deny by default.
 * @module
 */
import { parseModelUri } from "../../registry/index.js";
import type { RouteAccess } from "../../server/http/route-access.js";

export type Target =
  | { kind: "experiment"; id: string }
  | { kind: "experiment-name"; name: string }
  | { kind: "run"; id: string }
  | { kind: "logged-model"; id: string }
  | { kind: "trace"; id: string }
  | { kind: "registered-model"; name: string; version?: string }
  | { kind: "artifact-uri"; uri: string; proxied: boolean };

export interface Plan {
  /** Checked with the route's declared permission. */
  primary: Target[];
  /** Checked with READ. */
  references: Target[];
  /** The request's `experiment_ids` scope: narrowed to readable experiments instead of refused. */
  scope?: { holder: Record<string, unknown>; key: string };
  /** The route answers with a list the hook filters (searches). */
  filter?: "experiments" | "registered_models" | "model_versions" | "logged_models" | "pipeline_runs" | "pipeline_approvals" | "run_models" | "lineage";
  /** Any signed-in user may call it (creating an experiment or a model; searches). */
  open?: boolean;
  /** Admins only: no resource found, or one the permission model does not cover. */
  adminOnly?: boolean;
}

export interface RequestParts {
  /** The route's path without its API prefix (`/experiments/get`). */
  path: string;
  /** True for the artifact proxy (`/mlflow-artifacts/...`). */
  proxied: boolean;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The request's headers (OTLP ingestion names its experiment in `x-mlflow-experiment-id`). */
  headers?: Record<string, unknown>;
}

/**
 * Routes that answer about a resource the caller may read with parts of others (a run's registered model
 * versions and logged models; a model version's run, its params, metrics, code and datasets): checked as usual,
 * then the answer is trimmed to what the caller may read.
 */
const TRIMMED: Record<string, Plan["filter"]> = {
  "/runs/models": "run_models",
  "/model-versions/lineage": "lineage",
};

/** Routes any signed-in user may call without naming an existing resource. */
const OPEN_CREATE = new Set(["/experiments/create", "/registered-models/create"]);
const FILTERED: Record<string, Plan["filter"]> = {
  "/experiments/search": "experiments",
  "/registered-models/search": "registered_models",
  "/model-versions/search": "model_versions",
  "/logged-models/search": "logged_models",
  "/pipelines/runs": "pipeline_runs",
  "/pipelines/approvals": "pipeline_approvals",
};

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined);
const rec = (v: unknown): Record<string, unknown> => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter((x): x is string => x !== undefined) : str(v) ? [str(v)!] : []);

export function planRequest(access: RouteAccess, req: RequestParts): Plan {
  const { params, query, body } = req;
  const field = (k: string): unknown => body[k] ?? query[k];
  // Every value the request gives `k`, in its body and its query: a handler may read either, so each is checked.
  const each = (k: string): string[] => [...new Set([...list(body[k]), ...list(query[k])])];
  const plan: Plan = { primary: [], references: [] };
  const scopeHolder = body.experiment_ids !== undefined ? body : query.experiment_ids !== undefined ? query : undefined;

  switch (access.resource) {
    case "experiment": {
      const modelId = str(params.model_id);
      const expIds = each("experiment_id");
      // Every experiment the request names is checked, not the first found: `get-by-name` reads
      // `experiment_name`, and a readable `experiment_id` beside it must not open another's experiment.
      if (modelId) plan.primary.push({ kind: "logged-model", id: modelId });
      for (const id of expIds) plan.primary.push({ kind: "experiment", id });
      for (const name of each("experiment_name")) plan.primary.push({ kind: "experiment-name", name });
      if (scopeHolder && !modelId && expIds.length === 0) plan.scope = { holder: scopeHolder, key: "experiment_ids" };
      for (const id of each("source_run_id")) plan.references.push({ kind: "run", id });
      break;
    }
    case "run": {
      for (const id of new Set([...each("run_id"), ...each("run_uuid"), ...each("run_ids")])) plan.primary.push({ kind: "run", id });
      addModelReferences(plan, body);
      break;
    }
    case "artifact": {
      const modelId = str(params.model_id);
      if (modelId) plan.primary.push({ kind: "logged-model", id: modelId });
      else if (!req.proxied) {
        // get-artifact reads run_uuid or run_id: both are checked when both are sent.
        for (const id of new Set([...each("run_id"), ...each("run_uuid")])) plan.primary.push({ kind: "run", id });
      } else {
        // The artifact proxy acts on its path alone: a `run_id` sent beside it (a readable run of one's own)
        // must not stand in for the path's owner.
        const path = str(params["*"]) ?? str(query.path);
        const inner = body.path;
        // A multipart upload names a file inside the route's folder; a traversal there gets no grant either.
        const plain = path !== undefined && isPlainPath(path) && (typeof inner !== "string" || isPlainPath(inner));
        if (plain) plan.primary.push({ kind: "artifact-uri", uri: `mlflow-artifacts:/${path.replace(/^\/+/, "")}`, proxied: true });
      }
      break;
    }
    case "registered-model":
    case "model-version": {
      for (const name of each("name")) plan.primary.push({ kind: "registered-model", name, version: str(field("version")) });
      for (const id of each("run_id")) plan.references.push({ kind: "run", id });
      const source = str(body.source);
      if (source) plan.references.push(...sourceTargets(source));
      addModelReferences(plan, body);
      break;
    }
    case "trace": {
      // A trace is checked on its experiment: the one a new trace names, those a search or a delete names.
      const traceId = str(params.trace_id) ?? str(params.request_id);
      if (traceId) plan.primary.push({ kind: "trace", id: traceId });
      // link-to-run changes what both sides show: every trace it names and its run.
      // (Past 100 the handler refuses the call: 101 are checked, not 10,000.)
      for (const id of [...new Set(list(body.trace_ids))].slice(0, 101)) plan.primary.push({ kind: "trace", id });
      for (const id of each("run_id")) plan.primary.push({ kind: "run", id });
      const location = (l: unknown) => str(rec(rec(l).mlflow_experiment).experiment_id);
      const started = location(rec(rec(rec(body.trace).trace_info).trace_location));
      if (started) plan.primary.push({ kind: "experiment", id: started });
      if (Array.isArray(body.locations)) {
        for (const l of body.locations) {
          const id = location(l);
          if (id) plan.primary.push({ kind: "experiment", id });
        }
      }
      const expId = str(body.experiment_id);
      if (expId) plan.primary.push({ kind: "experiment", id: expId });
      // OTLP's `/v1/traces`: the experiment the spans go to (a trace of another experiment is refused by the handler).
      for (const id of list(req.headers?.["x-mlflow-experiment-id"])) plan.primary.push({ kind: "experiment", id: id.trim() });
      // MLflow 2's SearchTraces: a GET naming its experiments in the query.
      for (const id of list(query.experiment_ids)) plan.primary.push({ kind: "experiment", id });
      break;
    }
    case "pipeline-run":
    case "pipeline-approval": {
      // A pipeline run is an MLflow run: it and its approvals are checked on it (the pipeline's experiment).
      const runId = str(params.run_id);
      if (runId) plan.primary.push({ kind: "run", id: runId });
      break;
    }
    default:
      // job, server, secret and resources added later: admins only until the permission model covers them.
      plan.adminOnly = true;
      return plan;
  }
  const filter = FILTERED[req.path];
  if (OPEN_CREATE.has(req.path) || filter) {
    // Creating names no existing resource (a taken name is the handler's to refuse); a search reads none
    // but the scope it is narrowed to, and its answer is filtered.
    plan.open = true;
    plan.primary = [];
    plan.references = [];
    plan.filter = filter;
  }
  plan.filter ??= TRIMMED[req.path];
  if (plan.scope) plan.open = true;
  if (plan.primary.length === 0 && !plan.open) plan.adminOnly = true;
  return plan;
}

function addModelReferences(plan: Plan, body: Record<string, unknown>): void {
  const modelId = str(body.model_id);
  if (modelId) plan.references.push({ kind: "logged-model", id: modelId });
  if (Array.isArray(body.models)) {
    for (const m of body.models) {
      const id = m && typeof m === "object" ? str((m as Record<string, unknown>).model_id) : undefined;
      if (id) plan.references.push({ kind: "logged-model", id });
    }
  }
}

/**
 * What a model version's `source` reads from, read as the registry reads it: `runs:` and `models:` in any case,
 * a `models:/` name as written (not percent-decoded; `@` ends the name at its last one). Reading it another way
 * let `Runs:/<another's run>` or `models:/x@y@alias` past the check (GHSA-gqch-g4w5-7qcw by spelling).
 */
export function sourceTargets(source: string): Target[] {
  const runs = /^runs:(.*)$/is.exec(source);
  if (runs) {
    let rest = runs[1]!;
    if (rest.startsWith("//")) {
      const end = rest.indexOf("/", 2);
      // runs://<host>/… names no run of this server: the registry never reads it.
      if (end !== 2) return [];
      rest = rest.slice(end);
    }
    const runId = rest.split("/").find((s) => s !== "");
    return runId === undefined ? [] : [{ kind: "run", id: runId }];
  }
  if (/^models:/i.test(source)) {
    let uri: ReturnType<typeof parseModelUri>;
    try {
      uri = parseModelUri(`models:${source.slice("models:".length)}`);
    } catch {
      return []; // the registry refuses it as well
    }
    return uri.kind === "model-id" ? [{ kind: "logged-model", id: uri.modelId }] : [{ kind: "registered-model", name: uri.name }];
  }
  return [{ kind: "artifact-uri", uri: source, proxied: false }];
}

/** A relative artifact path without traversal or encoding tricks (those are refused by the handler; here they get no grant). */
function isPlainPath(path: string): boolean {
  if (path.includes("\\") || path.includes("%") || path.includes("\0")) return false;
  return path.split("/").every((seg) => seg !== "." && seg !== "..");
}
