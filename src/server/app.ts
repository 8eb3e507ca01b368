/**
 * Builds the ciclo HTTP app from its dependencies. Only `main.ts` reads
 * configuration and listens; tests build their own app and use `inject()`.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv, type ValidateFunction } from "ajv";
import fastJsonStringify from "fast-json-stringify";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { LoggedModelService } from "../logged-models/logged-model-service.js";
import { StoreLoggedModelLookup } from "../logged-models/store-logged-model-lookup.js";
import type { LoggedModelLookup } from "../registry/logged-model-lookup.js";
import type { ArtifactRoots } from "../registry/source-verifier.js";
import type { LoggedModelStore } from "../store/logged-model-store.js";
import type { RegistryStore } from "../store/registry-store.js";
import type { TrackingStore } from "../store/tracking-store.js";
import { ExperimentService } from "../tracking/experiment-service.js";
import { MetricService } from "../tracking/metric-service.js";
import { RunService } from "../tracking/run-service.js";
import { InvalidParameterValueError } from "../shared/errors.js";
import { errorHandler } from "./errors.js";
import { registerArtifactRoutes, type ArtifactDeps } from "./routes/artifacts/artifact-routes.js";
import { NUL_MESSAGE, registerJsonBody } from "./json-body.js";
import "./route-access.js";
import { loggedModelArtifactRoutes } from "./routes/logged-models/logged-model-artifacts.js";
import { loggedModelRoutes } from "./routes/logged-models/logged-models.js";
import { gcRoutes } from "./routes/admin/gc.js";
import { artifactLocator, CICLO_API_PREFIX, registerRegistryRoutes } from "./routes/registry/registry-routes.js";
import { experimentRoutes } from "./routes/tracking/experiments.js";
import { metricRoutes } from "./routes/tracking/metrics.js";
import { runRoutes } from "./routes/tracking/runs.js";
import { trackingCicloRoutes } from "./routes/tracking/tracking-ciclo.js";
import type { TrackingServices } from "./routes/tracking/tracking-services.js";
import { CICLO_VERSION } from "./version.js";
import { registerUi, uiFallback, type UiDeps } from "./ui-assets.js";
import type { TrackingInsightsStore } from "../store/tracking-insights-store.js";
import { RunInsightsService } from "../tracking/run-insights-service.js";
import type { JobService } from "../jobs/job-service.js";
import { jobRoutes } from "./routes/jobs/jobs.js";

export interface AppDeps {
  trackingStore: TrackingStore;
  /** A pino logger; silent when absent. */
  logger?: FastifyBaseLogger;
  /** Largest accepted JSON body, bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Artifact storage; the artifact routes (proxied API, run artifacts) are served only when given. */
  artifacts?: ArtifactDeps;
  /** The model registry; its routes are served only when given. */
  registryStore?: RegistryStore;
  /**
   * Where model-version sources may point. Default: the server's own proxied
   * store (`mlflow-artifacts:/`) when `artifacts.destination` is given.
   */
  artifactRoots?: ArtifactRoots;
  /** MLflow 3.x logged models, for `models:/<model_id>` sources and `model_id`. */
  loggedModelLookup?: LoggedModelLookup;
  /**
   * MLflow 3.x logged models: `logged-models*` and `runs/outputs` are served only
   * when given, and the registry's lookup defaults to this store.
   */
  loggedModelStore?: LoggedModelStore;
  /** The UI's aggregates over runs (`/api/ciclo/v1/experiments/summary`, `runs/keys`, ...); served only when given. */
  insightsStore?: TrackingInsightsStore;
  /** The built web UI, served at `/` when given. */
  ui?: UiDeps;
  /** The job runner's API (`/api/ciclo/v1/jobs…`); served only when given. */
  jobs?: JobService;
}

/** MLflow clients send GET query strings over 14 KB (many run_ids); Node's default is 16 KiB for all headers. */
const MAX_HEADER_SIZE = 256 * 1024;
const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

/** Every MLflow RPC is served under both prefixes; the UI uses ajax-api. */
export const API_PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Per-request info logs would cost more than a log-metric call; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      createServer({ maxHeaderSize: MAX_HEADER_SIZE }, handler),
    // Lets artifact paths and long names through to validation.
    routerOptions: { maxParamLength: 4096 },
    // Errors Fastify raises before routing (e.g. FST_ERR_BAD_URL for `/runs/%zz`) get MLflow's envelope too.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are typed exactly (MLflow rejects "5" for a string field's number); query strings are all text, so coerce.
  const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, verbose: true, strict: false });
  const queryAjv = new Ajv({ coerceTypes: "array", useDefaults: true, allErrors: false, verbose: true, strict: false });
  // Validators and serializers are compiled on a route's first use, not at start: ~200 routes' schemas
  // compiled up front cost ~150 ms of start-up and grew V8's young generation to its maximum before the
  // first request (the idle RSS). Each is compiled once; both prefixes share the schema objects.
  const compilers: Array<() => unknown> = [];
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = lazyValidator(() => (httpPart === "body" ? bodyAjv : queryAjv).compile(schema));
    compilers.push(validate.compile);
    return validate;
  });
  const serializers = new WeakMap<object, (data: unknown) => string>();
  app.setSerializerCompiler(({ schema }) => {
    let fn = serializers.get(schema as object);
    if (!fn) {
      let compiled: ((data: unknown) => string) | undefined;
      const compile = () => (compiled ??= fastJsonStringify(schema as Parameters<typeof fastJsonStringify>[0]) as (data: unknown) => string);
      fn = (data) => compile()(data);
      serializers.set(schema as object, fn);
      compilers.push(compile);
    }
    return fn;
  });
  schemaCompilers.set(app, compilers);

  app.addHook("onRoute", (route) => {
    if (route.method === "HEAD" || (Array.isArray(route.method) && route.method.includes("HEAD"))) return;
    if (!route.config?.access) {
      throw new Error(`Route ${String(route.method)} ${route.url} does not declare its access (resource, permission).`);
    }
  });
  // MLflow compat: a POST without a body is an empty message.
  app.addHook("preValidation", async (req) => {
    if (req.body === undefined && req.method !== "GET" && req.method !== "HEAD") req.body = {};
    const q = req.url.indexOf("?");
    if (q >= 0 && /%00/.test(req.url.slice(q))) throw new InvalidParameterValueError(NUL_MESSAGE);
  });

  registerJsonBody(app, bodyLimit);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    if (deps.ui && uiFallback(req, reply)) return;
    void reply.status(404).send({
      error_code: "ENDPOINT_NOT_FOUND",
      message: `No API endpoint for ${req.method} ${req.url.split("?")[0]}`,
    });
  });

  const services: TrackingServices = {
    experiments: new ExperimentService(deps.trackingStore),
    runs: new RunService(deps.trackingStore),
    metrics: new MetricService(deps.trackingStore),
  };
  for (const prefix of API_PREFIXES) {
    await app.register(experimentRoutes, { prefix, services });
    await app.register(runRoutes, { prefix, services });
    await app.register(metricRoutes, { prefix, services });
  }
  if (deps.insightsStore) {
    const insights = new RunInsightsService(deps.insightsStore);
    await app.register(trackingCicloRoutes, { prefix: "/api/ciclo/v1", insights, runs: services.runs });
  }
  if (deps.ui) await registerUi(app, deps.ui);
  if (deps.artifacts) await registerArtifactRoutes(app, deps.artifacts, deps.trackingStore);
  if (deps.loggedModelStore) {
    const service = new LoggedModelService(deps.loggedModelStore);
    for (const prefix of API_PREFIXES) await app.register(loggedModelRoutes, { prefix, service });
    if (deps.artifacts) await app.register(loggedModelArtifactRoutes, { service, artifacts: deps.artifacts, prefixes: API_PREFIXES });
  }
  const loggedModelLookup =
    deps.loggedModelLookup ?? (deps.loggedModelStore ? new StoreLoggedModelLookup(deps.loggedModelStore) : undefined);
  if (deps.registryStore) {
    const destination = deps.artifacts?.destination;
    await registerRegistryRoutes(
      app,
      {
        registryStore: deps.registryStore,
        trackingStore: deps.trackingStore,
        artifactRoots: deps.artifactRoots ?? {
          defaultArtifactRoot: "mlflow-artifacts:/",
          artifactsDestination: destination?.rootUri,
        },
        loggedModels: loggedModelLookup,
        locateArtifacts: deps.artifacts ? artifactLocator(destination, deps.artifacts.open) : undefined,
      },
      API_PREFIXES,
    );
  }

  await app.register(gcRoutes, {
    prefix: CICLO_API_PREFIX,
    trackingStore: deps.trackingStore,
    registryStore: deps.registryStore,
    loggedModelStore: deps.loggedModelStore,
    destination: deps.artifacts?.destination,
    open: deps.artifacts?.open,
  });

  if (deps.jobs) await app.register(jobRoutes, { prefix: CICLO_API_PREFIX, service: deps.jobs });

  app.get("/health", { config: { access: { resource: "server", permission: "public" } } }, async (_req, reply) =>
    reply.type("text/plain").send("OK"),
  );
  app.get("/version", { config: { access: { resource: "server", permission: "public" } } }, async (_req, reply) =>
    reply.type("text/plain").send(CICLO_VERSION),
  );
  return app;
}

type LazyValidator = ValidateFunction & { compile(): ValidateFunction };

/** An Ajv validator compiled at its first call; Fastify reads `.errors` off the function it was given. */
function lazyValidator(build: () => ValidateFunction): LazyValidator {
  let fn: ValidateFunction | undefined;
  const compile = () => (fn ??= build());
  const validate = ((data: unknown) => {
    const ok = compile()(data);
    validate.errors = fn!.errors;
    return ok;
  }) as LazyValidator;
  validate.compile = compile;
  return validate;
}

const schemaCompilers = new WeakMap<FastifyInstance, Array<() => unknown>>();

/**
 * Compiles every route's validators and serializers now (the server compiles
 * each on first use): a test's way to find a schema Ajv or fast-json-stringify
 * rejects without calling every route. Call after `app.ready()`.
 */
export function compileRouteSchemas(app: FastifyInstance): number {
  const list = schemaCompilers.get(app) ?? [];
  for (const compile of list) compile();
  return list.length;
}
