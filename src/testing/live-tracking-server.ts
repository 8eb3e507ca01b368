/**
 * Test helper: the real ciclo server in this process on a loopback port
 * (port 0: the OS picks one), SQLite in a temp dir (or a database named) behind it — for clients
 * that must talk real HTTP (the SDK).
 * @module
 */
import { join } from "node:path";
import { resolveServerConfig } from "../server/config.js";
import { startServer, type RunningServer } from "../server/main.js";
import { tempDir } from "./temp-dir.js";
import { serverModules } from "../modules.js";

export interface LiveTrackingServer {
  url: string;
  server: RunningServer;
  /** The server's default artifact root. */
  artifactRoot: string;
  /** The temp dir holding the database (and free for the test's own files). */
  dir: string;
  close(): Promise<void>;
}

export interface LiveTrackingServerOptions {
  /** Environment the server's configuration is read from, over the process's (`CICLO_AUTH`, `CICLO_OIDC_*`, ...). */
  env?: Record<string, string>;
  /** The metadata database (a PostgreSQL URI, say); SQLite in the temp dir when absent. */
  backendStoreUri?: string;
}

export async function startLiveTrackingServer(opts: LiveTrackingServerOptions = {}): Promise<LiveTrackingServer> {
  const dir = tempDir("ciclo-live-");
  const config = resolveServerConfig(
    {
      backendStoreUri: opts.backendStoreUri ?? `sqlite:///${join(dir.path, "ciclo.db")}`,
      artifactsDestination: join(dir.path, "artifacts"),
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
    },
    { ...process.env, ...opts.env },
  );
  const server = await startServer(config, { modules: serverModules(config) });
  return {
    url: server.url,
    server,
    artifactRoot: config.defaultArtifactRoot,
    dir: dir.path,
    async close() {
      await server.close();
      dir.remove();
    },
  };
}
