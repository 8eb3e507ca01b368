/**
 * Builds the ciclo HTTP app from a list of modules (see `module.ts`): the
 * Fastify setup every route shares, then each module's `init` in order.
 * Nothing here knows a capability. Only `main.ts` reads configuration and
 * listens; tests build their own app (`testing/test-app.ts`) and use `inject()`.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Ajv, type ValidateFunction } from "ajv";
import fastJsonStringify from "fast-json-stringify";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { SqlConnection } from "../store/sql/sql-dialect.js";
import { errorHandler } from "./errors.js";
import { API_PREFIXES } from "./http/api-prefixes.js";
import { NUL_MESSAGE, registerJsonBody } from "./http/json-body.js";
import { access } from "./http/route-access.js";
import { applyNetworkPolicy, mergeRouteSlashes, staticPrefixRewrite, type NetworkPolicy } from "./http/network-policy.js";
import { lazyChildLogger } from "./http/request-logger.js";
import { exposePrometheus } from "./http/server-metrics.js";
import { setRawRequestGate } from "./http/raw-request-gate.js";
import { DirectRoutes } from "./direct-routes.js";
import { CICLO_VERSION } from "../shared/node/version.js";
import type { CicloModule, EventSubscription, JobHandler, ModuleContext, ModuleServices, ModuleSettings, ScheduleDefinition, StartedApp } from "./module.js";

export interface AppDeps {
  /** The capabilities to serve, in dependency order (`src/modules.ts` lists the server's). */
  modules: readonly CicloModule[];
  /** The metadata database, migrated (see `migrationsOf`); the caller closes it after the app. */
  db: SqlConnection;
  settings: ModuleSettings;
  /** A pino logger; silent when absent. */
  logger?: FastifyBaseLogger;
  /** Largest accepted JSON body, bytes (default 16 MiB). */
  bodyLimit?: number;
  /** `mlflow server`'s network flags (hosts, CORS, artifacts-only); none applied when absent (tests). */
  network?: NetworkPolicy;
  /** `--static-prefix`: every route under this path. */
  staticPrefix?: string;
  /** `--expose-prometheus`: serve `GET /metrics`. */
  prometheus?: boolean;
}

/** MLflow clients send GET query strings over 14 KB (many run_ids); Node's default is 16 KiB for all headers. */
const MAX_HEADER_SIZE = 256 * 1024;
const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

function rewriteRequestUrl(prefix: ((req: { url?: string }) => string) | undefined): (req: { url?: string }) => string {
  return (req) => {
    const url = mergeRouteSlashes(req.url ?? "/");
    return prefix ? prefix({ url }) : url;
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  // Routes answered before Fastify when a request is plain enough (direct-routes.ts); empty unless a module adds some.
  const direct = new DirectRoutes();
  const app = Fastify({
    loggerInstance: deps.logger,
    // Per-request info logs would cost more than a log-metric call; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's child logger is made when something logs (almost no request does), not up front.
    ...(deps.logger && { childLoggerFactory: lazyChildLogger }),
    bodyLimit,
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      createServer({ maxHeaderSize: MAX_HEADER_SIZE }, (req, res) => {
        if (!direct.serve(req, res)) handler(req, res);
      }),
    // Lets artifact paths and long names through to validation.
    routerOptions: { maxParamLength: 4096 },
    // Repeated slashes merged in the route part (mergeRouteSlashes: MLflow compat), then the static prefix.
    rewriteUrl: rewriteRequestUrl(staticPrefixRewrite(deps.staticPrefix)),
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
  const serializerOf = (schema: object) => {
    let fn = serializers.get(schema);
    if (!fn) {
      let compiled: ((data: unknown) => string) | undefined;
      const compile = () => (compiled ??= fastJsonStringify(schema as Parameters<typeof fastJsonStringify>[0]) as (data: unknown) => string);
      fn = (data) => compile()(data);
      serializers.set(schema, fn);
      compilers.push(compile);
    }
    return fn;
  };
  app.setSerializerCompiler(({ schema }) => serializerOf(schema as object));
  schemaCompilers.set(app, compilers);

  const hostAllowed = deps.network ? applyNetworkPolicy(app, deps.network) : () => true;
  const prometheus = deps.prometheus ? exposePrometheus(app) : undefined;
  setRawRequestGate(app, {
    bypassable: !deps.network?.artifactsOnly && staticPrefixRewrite(deps.staticPrefix) === undefined,
    hostAllowed,
    observe: prometheus?.observe,
  });
  direct.attach(app, {
    // Ajv keeps one compiled function per schema object: the route's and the direct route's are the same.
    validator: (schema) => lazyValidator(() => bodyAjv.compile(schema)),
    serializer: serializerOf,
    bodyLimit,
    logger: app.log,
  });

  app.addHook("onRoute", (route) => {
    if (route.method === "HEAD" || (Array.isArray(route.method) && route.method.includes("HEAD"))) return;
    if (!route.config?.access) {
      throw new Error(`Route ${String(route.method)} ${route.url} does not declare its access (resource, permission).`);
    }
  });
  // MLflow compat: a POST without a body is an empty message. A callback hook (it runs on every request): an
  // async one would cost each request a promise and a microtask turn.
  app.addHook("preValidation", (req, _reply, done) => {
    if (req.body === undefined && req.method !== "GET" && req.method !== "HEAD") req.body = {};
    const q = req.url.indexOf("?");
    done(q >= 0 && req.url.includes("%00", q) ? new InvalidParameterValueError(NUL_MESSAGE) : undefined);
  });

  registerJsonBody(app, bodyLimit);
  app.setErrorHandler(errorHandler);
  const fallbacks: Array<(req: FastifyRequest, reply: FastifyReply) => boolean> = [];
  app.setNotFoundHandler((req, reply) => {
    for (const fallback of fallbacks) if (fallback(req, reply)) return;
    void reply.status(404).send({
      error_code: "ENDPOINT_NOT_FOUND",
      message: `No API endpoint for ${req.method} ${req.url.split("?")[0]}`,
    });
  });

  await initModules(app, deps, fallbacks);
  prometheus?.serve();

  app.get("/health", { config: access("server", "public") }, async (_req, reply) =>
    reply.type("text/plain").send("OK"),
  );
  app.get("/version", { config: access("server", "public") }, async (_req, reply) =>
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

/**
 * Runs every module's `init` in list order with its context, then mounts the
 * routes they registered, and wires start/stop hooks to Fastify's lifecycle.
 */
async function initModules(
  app: FastifyInstance,
  deps: AppDeps,
  fallbacks: Array<(req: FastifyRequest, reply: FastifyReply) => boolean>,
): Promise<void> {
  const services = new Map<string, { value: unknown; by: string }>();
  const jobs: JobHandler[] = [];
  const subscriptions: EventSubscription[] = [];
  const schedules: ScheduleDefinition[] = [];
  const starts: Array<(a: StartedApp) => void | Promise<void>> = [];
  const stops: Array<() => void | Promise<void>> = [];
  const mounts: Array<() => Promise<void>> = [];
  const seen = new Set<string>();
  const log = deps.logger ?? app.log;
  for (const mod of deps.modules) {
    if (seen.has(mod.id)) throw new Error(`Module '${mod.id}' is listed twice.`);
    seen.add(mod.id);
    const ctx: ModuleContext = {
      logger: log.child({ module: mod.id }),
      db: deps.db,
      settings: deps.settings,
      provide(name, service) {
        const had = services.get(name);
        if (had) throw new Error(`Module '${mod.id}' provides '${name}', which module '${had.by}' already provides.`);
        services.set(name, { value: service, by: mod.id });
      },
      get<K extends keyof ModuleServices>(name: K): ModuleServices[K] {
        const s = services.get(name);
        if (!s) throw new Error(`Module '${mod.id}' needs the '${name}' service: list the module that provides it before '${mod.id}'.`);
        return s.value as ModuleServices[K];
      },
      find<K extends keyof ModuleServices>(name: K): ModuleServices[K] | undefined {
        return services.get(name)?.value as ModuleServices[K] | undefined;
      },
      http: {
        register(api, plugin, options) {
          mounts.push(async () => {
            for (const prefix of API_PREFIXES[api]) await app.register(plugin, { ...options, prefix });
          });
        },
        raw(fn) {
          mounts.push(async () => fn(app));
        },
        notFound(handler) {
          fallbacks.push(handler);
        },
      },
      jobs(...handlers) {
        for (const h of handlers) {
          if (!h.type.startsWith(`${mod.id}.`)) throw new Error(`Job type '${h.type}' of module '${mod.id}' must start with '${mod.id}.'.`);
          if (jobs.some((j) => j.type === h.type)) throw new Error(`Job type '${h.type}' is registered twice.`);
          jobs.push(h);
        }
      },
      schedule(...defs) {
        schedules.push(...defs);
      },
      subscribe(...subs) {
        subscriptions.push(...subs);
      },
      onStart(hook) {
        starts.push(hook);
      },
      onStop(hook) {
        stops.push(hook);
      },
    };
    await mod.init(ctx);
  }
  if ((jobs.length > 0 || subscriptions.length > 0) && !services.has("scheduler")) {
    log.warn({ jobs: jobs.map((j) => j.type), subscriptions: subscriptions.map((s) => s.name) }, "no job runner module: background jobs and event subscriptions will not run");
  }
  for (const mount of mounts) await mount();
  providedServices.set(app, Object.fromEntries([...services].map(([k, v]) => [k, v.value])));
  const started: StartedApp = { jobs, schedules, subscriptions, modules: deps.modules.map((m) => m.id) };
  app.addHook("onReady", async () => {
    for (const start of starts) await start(started);
  });
  app.addHook("onClose", async () => {
    for (const stop of [...stops].reverse()) await stop();
  });
}

const providedServices = new WeakMap<FastifyInstance, Partial<ModuleServices>>();

/** The services the app's modules provided (tests reach the stores behind the routes this way). */
export function moduleServices(app: FastifyInstance): Partial<ModuleServices> {
  const found = providedServices.get(app);
  if (!found) throw new Error("not an app made by buildApp");
  return found;
}
