/**
 * The one enforcement point. Every route declares `access(resource,
 * permission)`; with auth on, this hook
 *  1. identifies the caller (onRequest, before any body is read): HTTP Basic,
 *     a Bearer token, or the UI's session — or answers 401;
 *  2. checks the declared permission on the resources the request names
 *     (preValidation, on the parsed body, so a refused caller gets no schema
 *     errors either), and READ on the resources it
 *     references; narrows `experiment_ids` scopes to readable experiments;
 *  3. filters search answers and records the creator's MANAGE
 *     (preSerialization, before the client sees the answer).
 * A resource the caller may not read answers exactly as a missing one would
 * (404, the same message), so its existence does not leak; one it may read
 * but not change answers 403. Admins may do everything.
 * @module
 */
import { pathToFileURL } from "node:url";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { proxiedRootPath, safeArtifactPath } from "../../artifacts/index.js";
import { ResourceDoesNotExistError } from "../../shared/errors.js";
import type { RouteAccess } from "../../server/http/route-access.js";
import { PermissionDeniedError, TooManyAttemptsError, UnauthenticatedError } from "../auth-errors.js";
import type { AuthService, Principal } from "../auth-service.js";
import type { ResourceLookup } from "../auth-store.js";
import { grants, PERMISSIONS, type Need, type PermissionName } from "../permissions.js";
import { readCredentials } from "./credentials.js";
import { planRequest, type Plan, type Target } from "./request-targets.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who sent the request (set when auth is on). */
    principal: Principal | null;
    authPlan: Plan | null;
  }
}

export interface PermissionHookDeps {
  auth: AuthService;
  lookup: ResourceLookup;
  /** The proxied artifact store's URI: a model version source under it is a proxied path. */
  artifactsDestination?: string;
  /** Identifies a request by its session cookie (the UI); undefined when it has none. */
  session?: (req: FastifyRequest) => Promise<Principal | undefined>;
  /** API prefixes, longest first, stripped to find a route's own path. */
  prefixes: readonly string[];
}

const CHALLENGE = 'Basic realm="ciclo", charset="UTF-8"';

/** Resources with per-user permissions; every other kind is for admins only (deny by default). */
const PER_RESOURCE = new Set<string>(["experiment", "run", "artifact", "registered-model", "model-version", "user", "pipeline-approval", "pipeline-run", "trace"]);

/** An experiment id no store hands out: a scope with nothing readable left searches it and finds nothing. */
export const NO_EXPERIMENT = "9223372036854775807";

export function installPermissionHook(app: FastifyInstance, deps: PermissionHookDeps): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("authPlan", null);

  app.addHook("onRequest", async (req, reply) => {
    const access = routeAccess(req);
    if (!access || access.permission === "public") return;
    try {
      req.principal = (await identify(req, deps)) ?? null;
    } catch (err) {
      // The challenge makes a browser ask for credentials (as with MLflow's basic-auth); the web UI, which has its
      // own sign-in page, says who it is (X-Requested-With: ciclo-ui) so that no browser dialog opens over it.
      if (err instanceof UnauthenticatedError && !fromUi(req)) void reply.header("www-authenticate", CHALLENGE);
      if (err instanceof TooManyAttemptsError) void reply.header("retry-after", String(err.retryAfterSeconds));
      throw err;
    }
    if (!req.principal) {
      if (!fromUi(req)) void reply.header("www-authenticate", CHALLENGE);
      throw new UnauthenticatedError();
    }
    // Resources outside the permission model (jobs, deployments, the server, new kinds) and user administration
    // are the admins': refused here, before the body is read or validated.
    if (!req.principal.user.isAdmin && (!PER_RESOURCE.has(access.resource) || (access.resource === "user" && access.permission === "manage"))) {
      throw new PermissionDeniedError();
    }
  });

  // Before validation: a caller who may not touch the resource learns nothing from the schema's errors either.
  app.addHook("preValidation", async (req) => {
    const access = routeAccess(req);
    const principal = req.principal;
    if (!access || access.permission === "public" || !principal) return;
    await authorize(req, access, principal, deps);
  });

  app.addHook("preSerialization", async (req, reply, payload: unknown) => {
    const principal = req.principal;
    const plan = req.authPlan;
    if (!principal || !plan || reply.statusCode >= 300 || !payload || typeof payload !== "object") return payload;
    await afterSuccess(req, principal, payload as Record<string, unknown>, deps);
    if (plan.filter && !principal.user.isAdmin) await filterAnswer(plan.filter, principal, payload as Record<string, unknown>, deps);
    return payload;
  });
}

function fromUi(req: FastifyRequest): boolean {
  return req.headers["x-requested-with"] === "ciclo-ui";
}

function routeAccess(req: FastifyRequest): RouteAccess | undefined {
  return (req.routeOptions.config as { access?: RouteAccess } | undefined)?.access;
}

async function identify(req: FastifyRequest, deps: PermissionHookDeps): Promise<Principal | undefined> {
  const creds = readCredentials(req.headers.authorization);
  if (creds?.kind === "basic") return deps.auth.authenticatePassword(creds.username, creds.password, req.ip);
  if (creds?.kind === "bearer") return deps.auth.authenticateToken(creds.token, req.ip);
  return deps.session?.(req);
}

function routePath(req: FastifyRequest, prefixes: readonly string[]): { path: string; proxied: boolean } {
  let url = req.routeOptions.url ?? req.url.split("?")[0]!;
  for (const p of prefixes) {
    if (p && url.startsWith(`${p}/`)) {
      url = url.slice(p.length);
      break;
    }
  }
  return { path: url, proxied: url.startsWith("/mlflow-artifacts/") };
}

async function authorize(req: FastifyRequest, access: RouteAccess, principal: Principal, deps: PermissionHookDeps): Promise<void> {
  const user = principal.user;
  if (access.resource === "user") return authorizeUserRoute(req, access, principal);
  const { path, proxied } = routePath(req, deps.prefixes);
  const plan = planRequest(access, {
    path,
    proxied,
    params: asRecord(req.params),
    query: asRecord(req.query),
    body: asRecord(req.body),
    headers: req.headers,
  });
  req.authPlan = plan;
  if (user.isAdmin) return;
  if (plan.adminOnly) throw new PermissionDeniedError();
  const need: Need = access.permission === "public" ? "read" : access.permission;
  for (const t of plan.primary) await check(t, need, user, deps);
  for (const t of plan.references) await check(t, "read", user, deps);
  if (path === "/experiments/create") await checkLocationClaim(asRecord(req.body).artifact_location, user, deps);
  if (plan.scope) {
    const readable = await deps.auth.permissions.readableExperiments(user);
    const ids = [plan.scope.holder[plan.scope.key]].flat().map(String);
    const kept = ids.filter(readable);
    plan.scope.holder[plan.scope.key] = kept.length > 0 ? kept : [NO_EXPERIMENT];
  }
}

/** `/users/*`, the signed-in user's own tokens: one's own account, or an admin's. */
function authorizeUserRoute(req: FastifyRequest, access: RouteAccess, principal: Principal): void {
  if (principal.user.isAdmin) return;
  if (access.permission === "manage") throw new PermissionDeniedError();
  const named = asRecord(req.body).username ?? asRecord(req.query).username;
  if (named !== undefined && named !== principal.user.username) throw new PermissionDeniedError();
}

async function check(t: Target, need: Need, user: Principal["user"], deps: PermissionHookDeps): Promise<void> {
  const { auth, lookup } = deps;
  const onExperiment = async (experimentId: string, hidden: () => Error) => {
    decide(await auth.permissions.experimentPermission(user, experimentId), need, hidden);
  };
  switch (t.kind) {
    case "experiment":
      if (!(await lookup.experimentExists(t.id))) return; // the handler answers "does not exist"
      return onExperiment(t.id, () => new ResourceDoesNotExistError(`No Experiment with id=${t.id} exists`));
    case "experiment-name": {
      const id = await lookup.experimentByName(t.name);
      if (id === undefined) return;
      return onExperiment(id, () => new ResourceDoesNotExistError(`Could not find experiment with name '${t.name}'`));
    }
    case "run": {
      const id = await lookup.experimentOfRun(t.id);
      if (id === undefined) return;
      return onExperiment(id, () => new ResourceDoesNotExistError(`Run with id=${t.id} not found`));
    }
    case "logged-model": {
      const id = await lookup.experimentOfLoggedModel(t.id);
      if (id === undefined) return;
      return onExperiment(id, () => new ResourceDoesNotExistError(`Logged model with ID '${t.id}' not found.`));
    }
    case "trace": {
      const id = await lookup.experimentOfTrace(t.id);
      if (id === undefined) return;
      return onExperiment(id, () => new ResourceDoesNotExistError(`Trace with ID '${t.id}' not found.`));
    }
    case "registered-model": {
      if (!(await lookup.registeredModelExists(t.name))) return;
      const hidden = () =>
        new ResourceDoesNotExistError(
          t.version !== undefined ? `Model Version (name=${t.name}, version=${t.version}) not found` : `Registered Model with name=${t.name} not found`,
        );
      return decide(await auth.permissions.registeredModelPermission(user, t.name), need, hidden);
    }
    case "artifact-uri": {
      const owned = ownedForm(t.uri, deps.artifactsDestination);
      // A spelling the artifact routes refuse gets no grant here either.
      if (owned === undefined) throw new PermissionDeniedError();
      const id = await lookup.experimentOfArtifactUri(owned.uri);
      // Outside every experiment's folder (or spanning several): the store's own area, for admins.
      if (id === "many" || (id === undefined && owned.proxied)) throw new PermissionDeniedError();
      if (id === undefined) return;
      return onExperiment(id, () => new ResourceDoesNotExistError(`Artifact '${t.uri}' does not exist`));
    }
  }
}

function decide(permission: PermissionName, need: Need, hidden: () => Error): void {
  if (grants(permission, need)) return;
  if (!PERMISSIONS[permission].canRead) throw hidden();
  throw new PermissionDeniedError();
}

/**
 * The one spelling of an artifact URI that ownership is looked up by. Every
 * URI that reaches the server's own artifact store — `mlflow-artifacts:/p`,
 * `mlflow-artifacts://any-host/p`, `mlflow-artifacts:////p`, an http(s) URL of
 * the artifact proxy, a `file:` URI or path under the destination — becomes
 * `mlflow-artifacts:/` + the path as the artifact routes canonicalise it
 * (decoded, `.` and empty segments dropped), and is marked `proxied`: no
 * experiment owning it means the store's own area, admins only. Checking the
 * spelling as sent let `mlflow-artifacts://x/1/<run>/artifacts` read another
 * user's run through a model version. Undefined: a path the routes refuse.
 */
export function ownedForm(uri: string, destination: string | undefined): { uri: string; proxied: boolean } | undefined {
  let u = uri.startsWith("/") ? pathToFileURL(uri).href : uri;
  if (destination) {
    const root = destination.replace(/\/+$/, "");
    if (u === root) u = "mlflow-artifacts:/";
    else if (u.startsWith(`${root}/`)) u = `mlflow-artifacts:/${u.slice(root.length + 1)}`;
  }
  const inside = proxiedRootPath(u);
  if (inside === undefined) return { uri: u, proxied: false };
  try {
    return { uri: `mlflow-artifacts:/${safeArtifactPath(inside)}`, proxied: true };
  } catch {
    return undefined;
  }
}

/**
 * A new experiment's `artifact_location` inside the folder of an existing
 * experiment would own the files there (the newest experiment holding a path
 * owns it): MANAGE on that experiment is needed, as for deleting its files.
 * A location holding other experiments' folders (a parent, the store's root)
 * is the admins'.
 */
async function checkLocationClaim(location: unknown, user: Principal["user"], deps: PermissionHookDeps): Promise<void> {
  if (typeof location !== "string" || location === "") return;
  const owned = ownedForm(location, deps.artifactsDestination);
  if (owned === undefined) return; // the handler refuses the location itself
  const id = await deps.lookup.experimentOfArtifactUri(owned.uri);
  if (id === undefined) return;
  const refuse = () =>
    new PermissionDeniedError(
      `Permission denied: artifact_location '${location}' lies in or holds the artifact folder of an experiment you may not manage. ` +
        "Leave artifact_location out to get a folder of the experiment's own, or ask that experiment's owner for MANAGE.",
    );
  if (id === "many") throw refuse();
  if (!grants(await deps.auth.permissions.experimentPermission(user, id), "manage")) throw refuse();
}

async function afterSuccess(req: FastifyRequest, principal: Principal, payload: Record<string, unknown>, deps: PermissionHookDeps): Promise<void> {
  const { path } = routePath(req, deps.prefixes);
  const body = asRecord(req.body);
  switch (path) {
    case "/experiments/create":
      // MLflow compat: the creator gets MANAGE.
      if (typeof payload.experiment_id === "string") await deps.auth.permissions.grantCreator("experiment", payload.experiment_id, principal.user);
      break;
    case "/registered-models/create": {
      const name = asRecord(payload.registered_model).name;
      if (typeof name === "string") await deps.auth.permissions.grantCreator("registered_model", name, principal.user);
      break;
    }
    case "/registered-models/rename":
      if (typeof body.name === "string" && typeof body.new_name === "string") await deps.auth.permissions.renameRegisteredModel(body.name, body.new_name);
      break;
    case "/registered-models/delete":
      if (typeof body.name === "string") await deps.auth.permissions.dropRegisteredModel(body.name);
      break;
  }
}

async function filterAnswer(filter: NonNullable<Plan["filter"]>, principal: Principal, payload: Record<string, unknown>, deps: PermissionHookDeps): Promise<void> {
  const { auth, lookup } = deps;
  const user = principal.user;
  const keep = async (key: string, pick: (item: Record<string, unknown>) => unknown, readable: (id: string) => boolean) => {
    const items = payload[key];
    if (Array.isArray(items)) payload[key] = items.filter((item) => readable(String(pick(asRecord(item)))));
  };
  switch (filter) {
    case "experiments":
      return keep("experiments", (e) => e.experiment_id, await auth.permissions.readableExperiments(user));
    case "registered_models":
      return keep("registered_models", (m) => m.name, await auth.permissions.readableModels(user));
    case "model_versions":
      return keep("model_versions", (v) => v.name, await auth.permissions.readableModels(user));
    case "logged_models":
      return keep("models", (m) => asRecord(m.info).experiment_id, await auth.permissions.readableExperiments(user));
    case "pipeline_runs":
      return keep("pipeline_runs", (r) => r.experiment_id, await auth.permissions.readableExperiments(user));
    case "run_models": {
      // A run's model versions belong to registered models, its logged models to experiments: each checked.
      await keep("model_versions", (v) => v.name, await auth.permissions.readableModels(user));
      return keep("logged_models", (m) => m.experiment_id, await auth.permissions.readableExperiments(user));
    }
    case "lineage": {
      // READ on the model shows the version and its files; the run it came from (its params, metrics, code,
      // datasets, experiment) only to those who may read the run's experiment.
      const run = asRecord(payload.run);
      const runId = typeof run.run_id === "string" ? run.run_id : asRecord(payload.model_version).run_id;
      if (typeof runId !== "string" || runId === "") return;
      const experimentId = typeof run.experiment_id === "string" ? run.experiment_id : await lookup.experimentOfRun(runId);
      if (experimentId !== undefined && (await auth.permissions.readableExperiments(user))(experimentId)) return;
      delete payload.run;
      delete payload.experiment;
      Object.assign(payload, { params: [], metrics: [], code: {}, datasets: [] });
      const warnings = Array.isArray(payload.warnings) ? payload.warnings : [];
      payload.warnings = [...warnings, "The run this version came from is not shared with you: its params, metrics, code and datasets are left out."];
      return;
    }
    case "pipeline_approvals": {
      // An approval names its pipeline run (an MLflow run): readable when the run's experiment is.
      const readable = await auth.permissions.readableExperiments(user);
      const items = Array.isArray(payload.approvals) ? payload.approvals : [];
      const experimentOf = new Map<string, string | undefined>();
      for (const a of items) {
        const runId = String(asRecord(a).run_id);
        if (!experimentOf.has(runId)) experimentOf.set(runId, await lookup.experimentOfRun(runId));
      }
      payload.approvals = items.filter((a) => {
        const exp = experimentOf.get(String(asRecord(a).run_id));
        return exp !== undefined && readable(exp);
      });
      return;
    }
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
