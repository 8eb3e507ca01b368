/**
 * An HTTP test fixture for the artifact routes: a real SQLite store and a
 * real artifacts folder in a temp "world" folder that also holds things the
 * server must never touch (`outside/`), the app from `buildApp` with
 * artifacts, `inject()` helpers, and a snapshot of the whole world folder so
 * a test can prove a refused request changed nothing.
 * @module
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { LocalArtifactRepository } from "../artifacts/local-artifact-repository.js";
import { buildApp } from "../server/app.js";
import { openStores } from "../store/open-store.js";
import type { SqlTrackingStore } from "../store/sql/sql-tracking-store.js";
import { tempDir } from "./temp-dir.js";
import type { Reply } from "./tracking-app.js";

export const ARTIFACT_PREFIXES = ["/api/2.0", "/ajax-api/2.0"] as const;

export interface ArtifactApp {
  app: FastifyInstance;
  store: SqlTrackingStore;
  /** The temp folder holding everything: `artifacts/` (the destination), `outside/`, `runs/` (a file: root). */
  world: string;
  artifactsDir: string;
  outsideDir: string;
  destination?: ArtifactRepository;
  /** Snapshot of everything the artifact routes could reach (all of `world` but the database files). */
  snapshot(): Record<string, string>;
  request(method: string, url: string, body?: string | Buffer, headers?: Record<string, string>): Promise<Reply & { headers: Record<string, unknown>; raw: Buffer }>;
  /** Creates an experiment and a run through the API; returns the run id and artifact_uri. */
  createRun(opts?: { artifactLocation?: string }): Promise<{ experimentId: string; runId: string; artifactUri: string }>;
  close(): Promise<void>;
}

export interface ArtifactAppOptions {
  /** false: `--no-serve-artifacts` (no proxied store). */
  serveArtifacts?: boolean;
  /** Opens the repositories of runs' own (non-proxied) roots; default: by URI scheme. */
  open?(uri: string): Promise<ArtifactRepository>;
}

export async function openArtifactApp(opts: ArtifactAppOptions = {}): Promise<ArtifactApp> {
  const dir = tempDir("ciclo-artifacts-");
  const world = dir.path;
  const artifactsDir = join(world, "artifacts");
  const outsideDir = join(world, "outside");
  mkdirSync(artifactsDir);
  mkdirSync(join(outsideDir, "victim"), { recursive: true });
  writeFileSync(join(outsideDir, "secret.txt"), "root:x:0:0:root:/root:/bin/bash\n");
  writeFileSync(join(outsideDir, "victim", "keep.txt"), "do not delete\n");
  const { tracking } = await openStores(`sqlite:///${join(world, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  const destination = opts.serveArtifacts === false ? undefined : new LocalArtifactRepository(artifactsDir);
  const app = await buildApp({ trackingStore: tracking, artifacts: { destination, open: opts.open } });
  let n = 0;

  const request: ArtifactApp["request"] = async (method, url, body, headers) => {
    const res = await app.inject({ method: method as "GET", url, payload: body, headers });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, contentType: String(res.headers["content-type"] ?? ""), text: res.body, json, headers: res.headers, raw: res.rawPayload };
  };

  return {
    app,
    store: tracking,
    world,
    artifactsDir,
    outsideDir,
    destination,
    request,
    snapshot: () => snapshotTree(world, (name) => name.startsWith("ciclo.db")),
    async createRun(o = {}) {
      const exp = await request(
        "POST",
        "/api/2.0/mlflow/experiments/create",
        JSON.stringify({ name: `exp-${n++}`, artifact_location: o.artifactLocation }),
        { "content-type": "application/json" },
      );
      if (exp.status !== 200) throw new Error(`experiments/create: ${exp.text}`);
      const run = await request("POST", "/api/2.0/mlflow/runs/create", JSON.stringify({ experiment_id: exp.json.experiment_id }), {
        "content-type": "application/json",
      });
      if (run.status !== 200) throw new Error(`runs/create: ${run.text}`);
      return { experimentId: exp.json.experiment_id, runId: run.json.run.info.run_id, artifactUri: run.json.run.info.artifact_uri };
    },
    async close() {
      await app.close();
      await tracking.close();
      dir.remove();
    },
  };
}

/** Every entry under `dir` (symlinks not followed): type, size, mtime, content hash and link target. */
export function snapshotTree(dir: string, skipTopLevel: (name: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      if (rel === "" && skipTopLevel(name)) continue;
      const p = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `link -> ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir mtime=${st.mtimeMs}`;
        walk(p, r);
      } else {
        const sha = createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16);
        out[r] = `file size=${st.size} mtime=${st.mtimeMs} sha=${sha}`;
      }
    }
  };
  walk(dir, "");
  return out;
}
