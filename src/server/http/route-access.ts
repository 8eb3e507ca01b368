/**
 * Every route declares which resource it touches and the permission it needs,
 * so that authentication (a later station) is enforced in one hook. `buildApp`
 * refuses to start if a route forgets to declare it.
 * @module
 */
export type Permission = "read" | "edit" | "manage" | "public";
/**
 * `pipeline-approval`: answering a pipeline run's approval step, checked on the run (the pipeline's experiment).
 * `trace`: an MLflow 3 trace, checked on its experiment (the one a new trace names, or the experiments a search names).
 * `pipeline-run`: reading, cancelling or resuming a pipeline run, checked on the run; its lists are filtered.
 * `monitoring`: inference data, labels, references and monitors. Admins only with authentication on: a request
 * names its models in fields of its own (`model_name`, records, a monitor's spec, or none for an endpoint's data),
 * which no per-model check reads yet.
 */
export type Resource =
  | "experiment"
  | "run"
  | "registered-model"
  | "model-version"
  | "artifact"
  | "job"
  | "deployment"
  | "server"
  | "user"
  | "secret"
  | "pipeline-approval"
  | "pipeline-run"
  | "monitoring"
  | "trace";

export interface RouteAccess {
  resource: Resource;
  permission: Permission;
}

declare module "fastify" {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export const access = (resource: Resource, permission: Permission): { access: RouteAccess } => ({
  access: { resource, permission },
});
