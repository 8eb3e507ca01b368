/**
 * The module interface: how a capability plugs into the server. A capability
 * is a folder with one entry file exporting a {@link CicloModule}; the server
 * runs the list in `src/modules.ts`, so adding one is a folder plus one line
 * there (Backstage's `backend.add(plugin)`, Fastify's decorators for the
 * typed service table).
 *
 * A module declares what it owns (migrations) and, in `init`, builds its
 * store and services from what it receives (`ctx`), then contributes:
 * services other modules use (`ctx.provide`), HTTP routes (`ctx.http`), job
 * handlers and event subscriptions (run by the job runner, itself a module
 * that provides `scheduler`), and start/stop hooks. It never reads process
 * configuration or globals, and never builds another module's objects.
 *
 * The web UI's pages live in `ui/src/pages/<capability>/` and are listed in
 * `ui/src/routes.tsx`; the CLI's commands in `src/cli/commands/`, listed in
 * `src/cli/main.ts` (the CLI is a client of the HTTP API in another process,
 * and loads only the command it runs). ARCHITECTURE.md has the whole picture.
 * @module
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, FastifyTypeProvider, RawServerDefault } from "fastify";
import type { Migration } from "../store/migrations/migration.js";
import type { SqlConnection } from "../store/sql/sql-dialect.js";
import type { ApiName } from "./http/api-prefixes.js";

/**
 * Services modules provide to each other, by name. Each module adds its own
 * entries by declaration merging, next to its entry file:
 * ```ts
 * declare module "../../server/module.js" {
 *   interface ModuleServices { tracking: TrackingModuleServices }
 * }
 * ```
 * `scheduler` is declared here so that any module can enqueue work before the
 * job runner's own folder exists; the jobs module provides it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ModuleServices {
  scheduler: JobScheduler;
}

/** What every module may read: the server's resolved settings (no secrets, no process.env). */
export interface ModuleSettings {
  /** Root of new experiments' artifact locations (`mlflow-artifacts:/` when the server proxies artifacts). */
  defaultArtifactRoot: string;
  /** URI of the proxied artifact store; undefined with `--no-serve-artifacts`. */
  artifactsDestination?: string;
}

/** A capability, as the server runs it. */
export interface CicloModule {
  /** Unique kebab-case name (`tracking`, `model-registry`); names its log child and prefixes its job types. */
  readonly id: string;
  /**
   * Schema migrations this module owns. Every module's migrations form one
   * sequence ordered by version (numbers are global and never reused);
   * the server applies the pending ones before any `init`.
   */
  readonly migrations?: readonly Migration[];
  /** Builds the module's store and services and registers what it contributes. Called once, in list order. */
  init(ctx: ModuleContext): void | Promise<void>;
}

export interface ModuleContext {
  /** This module's logger (a child with `module: id`). */
  readonly logger: FastifyBaseLogger;
  /** The metadata database, migrated. Shared by every module; closed by the server after every `onStop`. */
  readonly db: SqlConnection;
  readonly settings: ModuleSettings;
  /** Makes a service available to the modules after this one. */
  provide<K extends keyof ModuleServices>(name: K, service: ModuleServices[K]): void;
  /** A service an earlier module provided; throws a clear error naming the missing module when none did. */
  get<K extends keyof ModuleServices>(name: K): ModuleServices[K];
  /** A service an earlier module provided, or undefined (for optional collaborations). */
  find<K extends keyof ModuleServices>(name: K): ModuleServices[K] | undefined;
  readonly http: ModuleHttp;
  /** Job types this module runs (`<module id>.<name>`); the job runner picks them up when the server starts. */
  jobs(...handlers: JobHandler[]): void;
  /** Events this module reacts to; delivered at least once by the job runner, in order per subscription. */
  subscribe(...subscriptions: EventSubscription[]): void;
  /** Runs after every module's `init` and before the server listens, in list order. */
  onStart(hook: (app: StartedApp) => void | Promise<void>): void;
  /** Runs on shutdown after in-flight requests finished, in reverse list order. */
  onStop(hook: () => void | Promise<void>): void;
}

/** Routes, spelled relative to an API (`/runs/get`, never `/api/2.0/mlflow/runs/get`). */
export interface ModuleHttp {
  /**
   * Registers an encapsulated Fastify plugin under every prefix of `api`
   * (see `server/http/api-prefixes.ts`: `mlflow` is served under both of
   * MLflow's prefixes). Route files import Fastify; the module's domain
   * code never does.
   */
  register<O extends object, P extends FastifyTypeProvider>(api: ApiName, plugin: FastifyPluginAsync<O, RawServerDefault, P>, options: O): void;
  /** Direct access for what a plugin cannot express (static files, routes outside every API). */
  raw(fn: (app: FastifyInstance) => void | Promise<void>): void;
  /**
   * A fallback for requests no route matched (the web UI answers its own
   * paths with index.html). Returns true when it answered.
   */
  notFound(handler: (req: FastifyRequest, reply: FastifyReply) => boolean): void;
}

/** What `onStart` hooks see: every module's contributions. */
export interface StartedApp {
  readonly jobs: readonly JobHandler[];
  readonly subscriptions: readonly EventSubscription[];
  readonly modules: readonly string[];
}

// ---- Background work: the slots the job runner (src/jobs/) fills. ----

/** Runs one job type. Handlers are idempotent: a job may run again after a crash or a lost lease. */
export interface JobHandler<P = unknown> {
  /** `<module id>.<name>`, e.g. `gc.purge`. */
  readonly type: string;
  run(job: JobRun<P>): Promise<void>;
  /** Attempts before the job fails for good (the runner's default when absent). */
  readonly maxAttempts?: number;
}

/** One attempt at a job, as its handler sees it. */
export interface JobRun<P = unknown> {
  readonly id: string;
  readonly type: string;
  readonly payload: P;
  /** 1 on the first attempt. */
  readonly attempt: number;
  /** Aborted when the job is cancelled, its lease is lost, or the server stops. */
  readonly signal: AbortSignal;
  /** Progress in [0, 1] with an optional message, readable through the API. */
  progress(fraction: number, message?: string): Promise<void>;
  /** A log line, readable through the API. */
  log(line: string): Promise<void>;
}

/** An event of the platform's stream (registry changes first: version created, alias moved, stage moved). */
export interface PlatformEvent {
  /** Monotonic per stream. */
  readonly id: string;
  /** `<module id>.<entity>.<action>`, e.g. `model-registry.model_version.created`. */
  readonly type: string;
  readonly time: number;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface EventSubscription {
  /** Durable name: the runner remembers how far each subscription has read. */
  readonly name: string;
  /** Event types it receives. */
  readonly types: readonly string[];
  handle(event: PlatformEvent): Promise<void>;
}

export interface EnqueueOptions {
  /** A second enqueue with the same key returns the first job instead of adding one. */
  idempotencyKey?: string;
  /** Earliest start, epoch ms (default now). */
  runAt?: number;
  maxAttempts?: number;
}

/** The shared scheduler every module uses the same way (Backstage's `coreServices.scheduler`). */
export interface JobScheduler {
  enqueue<P>(type: string, payload: P, opts?: EnqueueOptions): Promise<{ id: string }>;
  /** Runs `type` on a cron schedule (UTC); one replica runs each occurrence. Re-declaring a name replaces it. */
  schedule<P>(name: string, cron: string, type: string, payload: P): Promise<void>;
  cancel(id: string): Promise<void>;
}

/** Identity helper that types a module literal. */
export function defineModule(module: CicloModule): CicloModule {
  return module;
}
