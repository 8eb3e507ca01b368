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
  /** Unique kebab-case name (`tracking`, `registry`); names its log child and prefixes its job types. */
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
  /** Job types this module runs (`<module id>.<verb>`); the job runner picks them up when the server starts. */
  jobs(...handlers: JobHandler[]): void;
  /** Cron schedules that enqueue this module's job types. */
  schedule(...schedules: ScheduleDefinition[]): void;
  /** Events this module reacts to; delivered at least once by the job runner, in order per source. */
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
  readonly schedules: readonly ScheduleDefinition[];
  readonly subscriptions: readonly EventSubscription[];
  readonly modules: readonly string[];
}

// ---- Background work: the slots the job runner (src/jobs/) fills. ----
// The shapes are the job runner's own (jobs/job-types.ts: JobType, JobContext,
// ScheduleDefinition, EventSubscriber; jobs/types.ts: StreamEvent), declared
// here structurally so that modules can contribute work without importing it.

/** What a handler gets besides its payload. */
export interface JobContext {
  jobId: string;
  /** 1 on the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Fires when the job is cancelled, its lease is lost, or the server shuts down. */
  signal: AbortSignal;
  /** A log line, readable through the API. */
  log(message: string, level?: "info" | "warn" | "error"): void;
  /** Progress in [0, 1] with an optional message, readable through the API. */
  progress(fraction: number, message?: string): void;
}

/** One job type. Handlers are idempotent: delivery is at least once (a crash or a lost lease runs it again). */
export interface JobHandler<P = unknown> {
  /** `<module id>.<verb>`, e.g. `gc.purge`. */
  type: string;
  /** Runs one attempt; resolves with a JSON-serializable result, throws to fail it (retried while attempts remain). */
  handle(payload: P, ctx: JobContext): Promise<unknown>;
  /** Attempts in all (the runner's default when absent). */
  maxAttempts?: number;
  /** Checks a payload at enqueue time; throws InvalidParameterValueError to refuse it. */
  validatePayload?(payload: unknown): void;
}

/** A cron schedule a module declares; fired once per tick across all replicas. */
export interface ScheduleDefinition {
  name: string;
  type: string;
  cron: string;
  /** Default UTC. */
  timezone?: string;
  payload?: unknown;
}

/** An event of the platform's stream (registry changes first: version created, alias moved, stage moved). */
export interface PlatformEvent {
  /** The outbox it was read from (`registry`, `events`). */
  source: string;
  /** Unique within its source; opaque (the cursor position). */
  position: string;
  /** e.g. `registry.model_version.created`, or a module's own `deployments.rollout.finished`. */
  type: string;
  time: number;
  /** What the event is about, e.g. `my-model/3`. */
  subject: string | null;
  payload: Record<string, unknown>;
}

/** A named consumer of the event stream with a durable cursor. */
export interface EventSubscription {
  /** Stable: the cursor is stored under it. */
  name: string;
  /** Event types it wants (exact, or a prefix ending in `*`). */
  types: string[];
  /** Where a new subscriber starts: at the end of each source (default) or at its start. */
  from?: "now" | "start";
  /** Called at least once per matching event, in order within a source; a throw means "again later". */
  handle(event: PlatformEvent, signal: AbortSignal): Promise<void>;
}

export interface EnqueueJobInput {
  type: string;
  payload?: unknown;
  priority?: number;
  maxAttempts?: number;
  /** Epoch ms; default now. */
  runAfter?: number;
  /** Enqueueing a key that exists returns the existing job instead of a second one. */
  idempotencyKey?: string;
  /** Only this worker may run the job (`JobScheduler.self`); see docs/jobs.md, "Pinned jobs". */
  pinnedTo?: string;
}

/** The shared scheduler every module uses the same way (Backstage's `coreServices.scheduler`). */
export interface JobScheduler {
  /** Resolves with the job, or the existing one when the idempotency key was seen (`created: false`). */
  enqueue(input: EnqueueJobInput): Promise<{ job: { jobId: string }; created: boolean }>;
  /** A job's state and result (undefined when there is no such job), e.g. to show what an enqueued job became. */
  status?(jobId: string): Promise<{ state: string; result: unknown } | undefined>;
  /**
   * This process's worker, when it runs one: `enqueue({ pinnedTo: self })` leaves a job to this process alone
   * (work on what only it holds, such as its own child processes); failed if this process is gone before it runs.
   */
  readonly self?: string;
}

/** Identity helper that types a module literal. */
export function defineModule(module: CicloModule): CicloModule {
  return module;
}
