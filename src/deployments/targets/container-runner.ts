/**
 * The `container` target's runner: each replica is the deployment's image —
 * a model server image `ciclo models build-image` made (Node or Python
 * runtime) — run by podman in the foreground, supervised exactly as the
 * `local` target supervises its processes (local-target.ts: readiness from
 * the server's log, restarts with backoff, captured logs, drain on stop).
 *
 * - The image is the deployment's `CICLO_IMAGE` env entry (not passed into
 *   the container). The image is the runtime and its environment; the model
 *   the replica serves is always the deployment's version, resolved at start
 *   from this server (`CICLO_MODEL_URI=models:/name/version`,
 *   `CICLO_TRACKING_URI`), so an alias rollout serves the new version in the
 *   same image — as KServe's storage initializer does.
 * - Host network, the server on 127.0.0.1 and a port the OS picks (PORT=0):
 *   the router reaches it on loopback, no port is ever taken twice.
 * - `podman run` stays attached: the container's output is the replica's
 *   log, its exit the replica's exit, and SIGTERM to podman reaches the
 *   server (signal proxying) which drains. A podman killed past the drain
 *   time leaves its container behind: it is removed.
 * - Every container is labelled with its replica and the server that runs
 *   it (`dev.ciclo.replica=<endpoint>/<deployment>/<index>@<owner>`), so after
 *   a restart of ciclo the containers its records name are removed and the
 *   deployments start afresh — and only those: another server on the same
 *   database runs containers of the same replica.
 *
 * Podman's own settings (runtime, cgroup manager, ulimits) come from its
 * configuration (`CONTAINERS_CONF`); extra `podman run` flags from
 * `CICLO_PODMAN_RUN_ARGS` (e.g. `--ulimit nofile=4096:4096 --memory 2g`).
 * @module
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { ReplicaRecord } from "../endpoints/deployment-store.js";
import { IMAGE_ENV, validateContainerEnv } from "../endpoints/endpoint-validation.js";
import type { ReplicaRunner } from "./local-target.js";

const execFileP = promisify(execFile);

export const REPLICA_LABEL = "dev.ciclo.replica";

export interface ContainerRunnerOptions {
  /** The podman command (default `podman`). */
  podman?: string;
  /** podman's environment (CONTAINERS_CONF, …): the server's by default. */
  env?: NodeJS.ProcessEnv;
  /** Extra `podman run` flags (default: CICLO_PODMAN_RUN_ARGS split on spaces). */
  runArgs?: string[];
  /** Graceful stop time podman gives a container it stops, seconds. */
  stopSeconds?: number;
}

/** A record from before owners were kept (owner '') names the label without one. */
const replicaKey = (endpoint: string, deployment: string, index: number, owner: string | undefined) =>
  `${endpoint}/${deployment}/${index}${owner ? `@${owner}` : ""}`;

export function containerRunner(o: ContainerRunnerOptions = {}): ReplicaRunner {
  const podman = o.podman ?? "podman";
  const env = () => o.env ?? process.env;
  const runArgs = o.runArgs ?? (process.env.CICLO_PODMAN_RUN_ARGS ?? "").split(/\s+/).filter(Boolean);
  const remove = async (ids: string[]) => {
    if (ids.length === 0) return;
    await execFileP(podman, ["rm", "-f", "-t", String(o.stopSeconds ?? 10), ...ids], { env: env() }).catch(() => undefined);
  };
  const byLabel = async (key: string): Promise<string[]> => {
    try {
      const { stdout } = await execFileP(podman, ["ps", "-a", "-q", "--filter", `label=${REPLICA_LABEL}=${key}`], { env: env() });
      return stdout.split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };
  return {
    command(spec, d, index) {
      validateContainerEnv(d.env);
      const { [IMAGE_ENV]: image, ...rest } = spec.env;
      const name = `ciclo-${d.endpoint}-${d.name}-${index}-${randomBytes(3).toString("hex")}`;
      const envArgs = Object.entries({
        ...rest,
        HOST: "127.0.0.1",
        PORT: "0",
        CICLO_MODEL_URI: spec.modelUri,
        CICLO_TRACKING_URI: spec.trackingUri,
        CICLO_MODEL_NAME: spec.modelName,
        CICLO_MODEL_VERSION: spec.modelVersion,
        CICLO_WORKERS: String(spec.workers),
        CICLO_DRAIN_SECONDS: String(spec.drainSeconds),
      }).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
      // A secret's value goes to podman through its own environment (`-e NAME` copies it), never on its command line.
      const secretNames = Object.keys(spec.secretEnv ?? {}).filter((k) => k !== IMAGE_ENV);
      for (const k of secretNames) envArgs.push("-e", k);
      const args = [
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        "--label",
        `${REPLICA_LABEL}=${replicaKey(d.endpoint, d.name, index, spec.owner)}`,
        "--stop-timeout",
        String(spec.drainSeconds + 2),
        ...runArgs,
        ...envArgs,
        image,
      ];
      return { command: { cmd: podman, args, env: { ...env(), ...spec.secretEnv } }, afterKill: () => remove([name]) };
    },
    async stopStale(rec: ReplicaRecord) {
      const ids = await byLabel(replicaKey(rec.endpoint, rec.deployment, rec.index, rec.owner));
      await remove(ids);
      return ids.length > 0;
    },
  };
}
