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
}

export const DEFAULT_BACKEND_STORE_URI = "sqlite:///./ciclo-data/ciclo.db";
export const DEFAULT_ARTIFACTS_DESTINATION = "./ciclo-data/artifacts";

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
  };
}
