/**
 * The SDK's configuration from the environment, ciclo's names first, then
 * MLflow's (so a script written for `mlflow` logs to ciclo unchanged).
 *
 * | variable | meaning |
 * |---|---|
 * | `CICLO_TRACKING_URI`, `MLFLOW_TRACKING_URI` | server URL (default http://127.0.0.1:5000) |
 * | `CICLO_TRACKING_TOKEN`, `MLFLOW_TRACKING_TOKEN` | Bearer token |
 * | `MLFLOW_TRACKING_USERNAME`, `MLFLOW_TRACKING_PASSWORD` | basic auth |
 * | `CICLO_MODE` | `offline` spools every run to disk (`online` is the default) |
 * | `CICLO_OFFLINE_DIR` | spool root (default ./ciclo-data/offline) |
 * | `CICLO_RUN_ID`, `MLFLOW_RUN_ID` | the first `startRun` joins this run (`ciclo run` sets it) |
 * | `CICLO_EXPERIMENT_NAME`, `MLFLOW_EXPERIMENT_NAME` / `…_EXPERIMENT_ID` | experiment used before `setExperiment` |
 * | `CICLO_HTTP_REQUEST_TIMEOUT`, `MLFLOW_HTTP_REQUEST_TIMEOUT` | seconds per attempt |
 * | `CICLO_HTTP_REQUEST_MAX_RETRIES`, `MLFLOW_HTTP_REQUEST_MAX_RETRIES` | retries after the first attempt |
 * @module
 */
import { userInfo } from "node:os";
import { DEFAULT_OFFLINE_DIR } from "./offline-spool.js";

export const DEFAULT_TRACKING_URI = "http://127.0.0.1:5000";

type Env = NodeJS.ProcessEnv;

function first(env: Env, ...names: string[]): string | undefined {
  for (const n of names) if (env[n]) return env[n];
  return undefined;
}

export function trackingUriFromEnv(env: Env = process.env): string {
  return first(env, "CICLO_TRACKING_URI", "MLFLOW_TRACKING_URI") ?? DEFAULT_TRACKING_URI;
}

export function offlineFromEnv(env: Env = process.env): boolean {
  const mode = env.CICLO_MODE?.toLowerCase();
  if (mode && mode !== "offline" && mode !== "online") {
    throw new Error(`CICLO_MODE must be 'online' or 'offline', not '${env.CICLO_MODE}'.`);
  }
  return mode === "offline";
}

export function offlineDirFromEnv(env: Env = process.env): string {
  return env.CICLO_OFFLINE_DIR || DEFAULT_OFFLINE_DIR;
}

export function runIdFromEnv(env: Env = process.env): string | undefined {
  return first(env, "CICLO_RUN_ID", "MLFLOW_RUN_ID");
}

export function experimentFromEnv(env: Env = process.env): { name?: string; experimentId?: string } {
  return {
    name: first(env, "CICLO_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME"),
    experimentId: first(env, "CICLO_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID"),
  };
}

/** The OS user, as MLflow's `getpass.getuser()` finds it. */
export function currentUser(env: Env = process.env): string {
  const fromEnv = first(env, "LOGNAME", "USER", "LNAME", "USERNAME");
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

/** What MLflow records as `mlflow.source.name`: the script that runs. */
export function sourceName(): string {
  return process.argv[1] ?? process.argv0;
}
