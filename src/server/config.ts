/**
 * Server configuration: MLflow's flag names, ciclo's embedded defaults.
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

export interface ServerOptions {
  backendStoreUri?: string;
  defaultArtifactRoot?: string;
  artifactsDestination?: string;
  serveArtifacts?: boolean;
  host?: string;
  port?: number | string;
  logLevel?: string;
  /** Run background jobs in this process (default true; false for an API-only replica). */
  runJobs?: boolean;
  jobConcurrency?: number | string;
  jobLeaseMs?: number | string;
  jobPollMs?: number | string;
  /** How long running jobs may take to finish on shutdown before they are given back, ms. */
  jobDrainMs?: number;
  /** Finished jobs are deleted after this long, ms. */
  jobRetentionMs?: number;
  /** Cron of the scheduled gc (`0 3 * * *`); none by default: purging for good is opted into. */
  gcSchedule?: string;
  /** What the scheduled gc purges: entities deleted at least this long ago, ms (default 30 days). */
  gcOlderThanMs?: number;
}

export interface JobsConfig {
  run: boolean;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  drainMs: number;
  retentionMs: number;
  gcSchedule?: string;
  gcOlderThanMs: number;
}

export interface ServerConfig {
  backendStoreUri: string;
  /** Root of new experiments' artifact locations (`mlflow-artifacts:/` when the server proxies artifacts). */
  defaultArtifactRoot: string;
  /** Where proxied artifacts are stored. */
  artifactsDestination: string;
  serveArtifacts: boolean;
  host: string;
  port: number;
  logLevel: string;
  /** Background jobs; from ciclo's defaults and the environment when absent. */
  jobs?: JobsConfig;
}

export const DEFAULT_BACKEND_STORE_URI = "sqlite:///./ciclo-data/ciclo.db";
const DEFAULT_ARTIFACTS_DESTINATION = "./ciclo-data/artifacts";

/** A local path becomes an absolute file: URI; URIs with a scheme are kept. */
export function resolveArtifactUri(uri: string): string {
  if (/^[a-zA-Z][\w+.-]*:/.test(uri) && !/^[a-zA-Z]:[\\/]/.test(uri)) return uri;
  return pathToFileURL(resolve(uri)).href;
}

export function resolveServerConfig(o: ServerOptions, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const serveArtifacts = o.serveArtifacts ?? true;
  const artifactsDestination = resolveArtifactUri(
    o.artifactsDestination ?? env.CICLO_ARTIFACTS_DESTINATION ?? DEFAULT_ARTIFACTS_DESTINATION,
  );
  const explicitRoot = o.defaultArtifactRoot ?? env.CICLO_DEFAULT_ARTIFACT_ROOT;
  // MLflow compat: when serving artifacts with no explicit root, runs get mlflow-artifacts:/ URIs and clients upload through the server.
  const defaultArtifactRoot = explicitRoot
    ? resolveArtifactUri(explicitRoot)
    : serveArtifacts
      ? "mlflow-artifacts:/"
      : artifactsDestination;
  const port = Number(o.port ?? env.CICLO_PORT ?? 5000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port '${o.port}'`);
  return {
    backendStoreUri: o.backendStoreUri ?? env.CICLO_BACKEND_STORE_URI ?? DEFAULT_BACKEND_STORE_URI,
    defaultArtifactRoot,
    artifactsDestination,
    serveArtifacts,
    host: o.host ?? env.CICLO_HOST ?? "127.0.0.1",
    port,
    logLevel: o.logLevel ?? env.CICLO_LOG_LEVEL ?? "info",
    jobs: resolveJobsConfig(o, env),
  };
}

export function resolveJobsConfig(o: ServerOptions, env: NodeJS.ProcessEnv = process.env): JobsConfig {
  return {
    run: o.runJobs ?? env.CICLO_JOBS !== "0",
    concurrency: positive(o.jobConcurrency ?? env.CICLO_JOB_CONCURRENCY, 4, "job concurrency"),
    leaseMs: positive(o.jobLeaseMs ?? env.CICLO_JOB_LEASE_MS, 30_000, "job lease"),
    pollMs: positive(o.jobPollMs ?? env.CICLO_JOB_POLL_MS, 1_000, "job poll interval"),
    drainMs: o.jobDrainMs ?? 30_000,
    retentionMs: o.jobRetentionMs ?? 30 * 86_400_000,
    gcSchedule: o.gcSchedule ?? (env.CICLO_GC_SCHEDULE || undefined),
    gcOlderThanMs: o.gcOlderThanMs ?? 30 * 86_400_000,
  };
}

function positive(v: number | string | undefined, fallback: number, what: string): number {
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`Invalid ${what} '${v}': a positive integer`);
  return n;
}
