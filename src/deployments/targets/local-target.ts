/**
 * The `local` target: ciclo starts and supervises `ciclo models serve`
 * processes for each deployment — one per replica, on loopback ports the OS
 * picks. A replica takes traffic once its model is loaded; a replica that
 * exits is restarted after a backoff (through the job runner: `schedule`
 * enqueues `deployments.restart`); a changed model or env replaces the
 * replicas one at a time (the new one ready before the old one drains);
 * removing a deployment drains its replicas (SIGTERM, SIGKILL after the
 * drain time). Output is kept per deployment for `ciclo deployments logs`.
 *
 * On start, processes a ciclo server that is gone left behind (recorded
 * with their pid and their owner) are stopped and the deployments started
 * afresh; those of a server still running on the same database (another
 * replica, or a second server on the same data folder) are its own and are
 * left alone (replica-owner.ts).
 *
 * How one replica runs is the runner's business: by default `ciclo models
 * serve` as a child process; the `container` target (container-runner.ts)
 * runs the model's image under podman with the same supervision.
 * @module
 */
import { readFile } from "node:fs/promises";
import { resolveEnv, type DeploymentSecrets } from "../endpoints/deployment-secrets.js";
import type { DeploymentStore, ReplicaRecord } from "../endpoints/deployment-store.js";
import type { Deployment } from "../endpoints/endpoint-types.js";
import { newReplicaOwner, replicaOwnerState } from "./replica-owner.js";
import { LineRing, modelServeCommand, ReplicaProcess, type ReplicaCommand, type ReplicaSpec, type ReplicaState } from "./replica-process.js";

/** How a target runs one replica. */
export interface ReplicaRunner {
  /** The command for replica `index` of `d` (throws when it cannot run: logged, and retried with backoff). */
  command(spec: ReplicaSpec, d: Deployment, index: number): { command: ReplicaCommand; afterKill?: () => Promise<void> };
  /** Stops what a previous ciclo process left running for this record; true when something was stopped. */
  stopStale(rec: ReplicaRecord): Promise<boolean>;
}

/** The `local` target's runner: `ciclo models serve` as a child process. */
export const processRunner: ReplicaRunner = {
  command: (spec) => ({ command: modelServeCommand(spec) }),
  async stopStale(rec) {
    if (!(await isModelServer(rec.pid))) return false;
    try {
      process.kill(rec.pid, "SIGTERM");
      return true;
    } catch {
      return false; // gone meanwhile
    }
  },
};

export interface LocalTargetOptions {
  /** The command that runs ciclo: `[node, <ciclo entry>]`. */
  command: readonly string[];
  baseEnv: NodeJS.ProcessEnv;
  /** The URL the model servers resolve `models:/` URIs against (this server), once it listens. */
  trackingUri: () => Promise<string>;
  store: DeploymentStore;
  /** This server's identity in the replica records (replica-owner.ts; default: a new one). */
  owner?: string;
  /** Asks for `restart(endpoint, deployment, index)` after `delayMs`. */
  scheduleRestart: (endpoint: string, deployment: string, index: number, delayMs: number) => Promise<void>;
  /** Something changed that the router must see (a replica became ready or went away). */
  onChange: (endpoint: string) => void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  drainSeconds?: number;
  workers?: number;
  /**
   * Start model servers with `--log-requests tracking --log-endpoint E --log-deployment D`, so the
   * requests they take directly (not through the router, which logs its own) reach monitoring too.
   */
  logRequests?: boolean;
  /** Restart backoff: base × 2^(failures−1), at most max (ms). */
  backoff?: { baseMs: number; maxMs: number };
  logLines?: number;
  /** How replicas run (default: processRunner). */
  runner?: ReplicaRunner;
  /** Where the secrets a deployment's env names are read, at each replica start. */
  secrets?: DeploymentSecrets;
}

export interface ReplicaStatus {
  index: number;
  /** The pod's name (kubernetes target). */
  name?: string;
  state: ReplicaState;
  pid?: number;
  url?: string;
  restarts: number;
  lastExit?: string;
  startedAt?: number;
}

interface Slot {
  index: number;
  proc?: ReplicaProcess;
  /** The replica being replaced (still serving until `proc` is ready). */
  old?: ReplicaProcess;
  restarts: number;
  failures: number;
  lastExit?: string;
  restartPending: boolean;
}

interface Running {
  deployment: Deployment;
  slots: Slot[];
  logs: LineRing;
  removed: boolean;
}

const keyOf = (endpoint: string, name: string) => `${endpoint}/${name}`;
/** What requires new processes when it changes. */
const specKey = (d: Deployment) => JSON.stringify([d.modelName, d.modelVersion, d.env]);

export class LocalTarget {
  private readonly running = new Map<string, Running>();
  private stopping = false;

  private readonly runner: ReplicaRunner;
  private readonly owner: string;

  constructor(private readonly opts: LocalTargetOptions) {
    this.runner = opts.runner ?? processRunner;
    this.owner = opts.owner ?? newReplicaOwner();
  }

  /** Makes the processes match the deployment (start, scale, replace). */
  async apply(d: Deployment): Promise<void> {
    if (this.stopping) return;
    const key = keyOf(d.endpoint, d.name);
    let r = this.running.get(key);
    const replace = r !== undefined && specKey(r.deployment) !== specKey(d);
    if (!r) {
      r = { deployment: d, slots: [], logs: new LineRing(this.opts.logLines ?? 2000), removed: false };
      this.running.set(key, r);
    }
    r.deployment = d;
    // Scale down: the highest slots go.
    for (const slot of r.slots.splice(d.replicas)) void this.stopSlot(r, slot);
    for (let i = 0; i < d.replicas; i++) {
      const slot = (r.slots[i] ??= { index: i, restarts: 0, failures: 0, restartPending: false });
      if (replace && slot.proc) {
        // Rolling: the new process starts beside the old, which drains once the new one is ready.
        if (slot.old) void this.stopProc(slot.old);
        slot.old = slot.proc;
        slot.proc = undefined;
      }
      if (!slot.proc && !slot.restartPending) await this.start(r, slot);
    }
  }

  /** Drains and forgets every replica of the deployment. */
  async remove(endpoint: string, name: string): Promise<void> {
    const key = keyOf(endpoint, name);
    const r = this.running.get(key);
    if (!r) return;
    r.removed = true;
    this.running.delete(key);
    await Promise.all(r.slots.map((s) => this.stopSlot(r, s)));
    this.opts.onChange(endpoint);
  }

  /** The job handler's side of a restart: starts the slot if it still has no process. */
  async restart(endpoint: string, name: string, index: number): Promise<void> {
    const r = this.running.get(keyOf(endpoint, name));
    const slot = r?.slots[index];
    if (!r || !slot || this.stopping) return;
    slot.restartPending = false;
    if (!slot.proc) await this.start(r, slot);
  }

  deployments(): Deployment[] {
    return [...this.running.values()].map((r) => r.deployment);
  }

  readyUrls(endpoint: string, name: string): string[] {
    const r = this.running.get(keyOf(endpoint, name));
    if (!r) return [];
    const urls: string[] = [];
    for (const s of r.slots) {
      if (s.proc?.state === "ready" && s.proc.url) urls.push(s.proc.url);
      else if (s.old?.state === "ready" && s.old.url) urls.push(s.old.url);
    }
    return urls;
  }

  status(endpoint: string, name: string): ReplicaStatus[] {
    const r = this.running.get(keyOf(endpoint, name));
    if (!r) return [];
    return r.slots.map((s) => {
      const p = s.proc ?? s.old;
      return {
        index: s.index,
        state: p ? (s.proc ? p.state : "ready") : s.restartPending ? "restarting" : "stopped",
        pid: p?.pid,
        url: p?.url,
        restarts: s.restarts,
        lastExit: s.lastExit,
        startedAt: p?.startedAt,
      };
    });
  }

  logs(endpoint: string, name: string, tail: number): string[] {
    return this.running.get(keyOf(endpoint, name))?.logs.tail(tail) ?? [];
  }

  /** How this target runs its replicas. */
  get replicaRunner(): ReplicaRunner {
    return this.runner;
  }

  /**
   * Stops what a ciclo server that is gone left running (its records), so the deployments start cleanly.
   * Records of a server that still runs — another replica on this database — are its own: left alone.
   * `others`: the other targets' runners (the records do not say which target started a replica).
   */
  async cleanupStale(others: ReplicaRunner[] = []): Promise<number> {
    let stopped = 0;
    const owners = new Map<string, Promise<"alive" | "gone" | "elsewhere">>();
    for (const rec of await this.opts.store.listReplicas()) {
      if (rec.owner === this.owner) continue;
      if (!owners.has(rec.owner)) owners.set(rec.owner, replicaOwnerState(rec.owner));
      if ((await owners.get(rec.owner)) !== "gone") continue;
      let any = false;
      for (const runner of [this.runner, ...others]) any = (await runner.stopStale(rec)) || any;
      if (any) {
        stopped++;
        this.opts.log("deployments: stopped a model server a previous ciclo left running", { endpoint: rec.endpoint, deployment: rec.deployment, pid: rec.pid, owner: rec.owner });
      }
      await this.opts.store.forgetReplica(rec.endpoint, rec.deployment, rec.index, rec.owner);
    }
    return stopped;
  }

  /** Server shutdown: every replica drains. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.flatMap((r) => r.slots.map((s) => this.stopSlot(r, s))));
  }

  private async start(r: Running, slot: Slot): Promise<void> {
    const d = r.deployment;
    const trackingUri = await this.opts.trackingUri();
    if (r.removed || this.stopping || slot.proc) return;
    // Secrets are read now, for this process only (a rotated secret reaches the next start).
    let env: Awaited<ReturnType<typeof resolveEnv>>;
    try {
      env = await resolveEnv(d.env, this.opts.secrets);
    } catch (err) {
      const error = (err as Error).message;
      r.logs.push(`[${d.name}-${slot.index}] cannot start: ${error}`);
      this.opts.log("deployments: a replica cannot start", { endpoint: d.endpoint, deployment: d.name, replica: slot.index, error });
      throw err;
    }
    if (r.removed || this.stopping || slot.proc) return;
    const spec: ReplicaSpec = {
      command: this.opts.command,
      modelUri: `models:/${d.modelName}/${d.modelVersion}`,
      trackingUri,
      modelName: d.modelName,
      modelVersion: d.modelVersion,
      env: env.plain,
      secretEnv: env.secret,
      baseEnv: this.opts.baseEnv,
      workers: this.opts.workers ?? 1,
      drainSeconds: this.opts.drainSeconds ?? 10,
      logRequests: this.opts.logRequests ? { endpoint: d.endpoint, deployment: d.name } : undefined,
      owner: this.owner,
    };
    const how = this.runner.command(spec, d, slot.index);
    const proc = new ReplicaProcess(
      how.command,
      `[${d.name}-${slot.index}]`,
      r.logs,
      (p) => {
        if (slot.proc !== p) return;
        slot.failures = 0;
        const old = slot.old;
        slot.old = undefined;
        void this.opts.store.recordReplica({ endpoint: d.endpoint, deployment: d.name, index: slot.index, owner: this.owner, pid: p.pid ?? 0, url: p.url, startedAt: p.startedAt }).catch(() => undefined);
        this.opts.log("deployments: replica ready", { endpoint: d.endpoint, deployment: d.name, replica: slot.index, url: p.url, pid: p.pid });
        this.opts.onChange(d.endpoint);
        if (old) void this.stopProc(old);
      },
      how.afterKill,
    );
    slot.proc = proc;
    r.logs.push(`[${d.name}-${slot.index}] started pid ${proc.pid ?? "?"} (models:/${d.modelName}/${d.modelVersion}): ${[how.command.cmd, ...how.command.args.slice(0, 4)].join(" ")} …`);
    void proc.exited.then(({ code, signal }) => this.exited(r, slot, proc, code, signal));
  }

  private exited(r: Running, slot: Slot, proc: ReplicaProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const d = r.deployment;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    r.logs.push(`[${d.name}-${slot.index}] exited (${how})`);
    if (slot.old === proc) slot.old = undefined;
    if (slot.proc !== proc) return; // stopped on purpose, or replaced
    slot.proc = undefined;
    this.opts.onChange(d.endpoint);
    if (r.removed || this.stopping || proc.state === "draining") return;
    slot.restarts++;
    slot.failures++;
    slot.lastExit = `${how} at ${new Date().toISOString()}`;
    const b = this.opts.backoff ?? { baseMs: 500, maxMs: 30_000 };
    const delay = Math.min(b.maxMs, b.baseMs * 2 ** (slot.failures - 1));
    slot.restartPending = true;
    this.opts.log("deployments: replica exited; restarting after backoff", { endpoint: d.endpoint, deployment: d.name, replica: slot.index, exit: how, restarts: slot.restarts, delayMs: delay });
    this.opts.scheduleRestart(d.endpoint, d.name, slot.index, delay).catch((err: Error) => {
      slot.restartPending = false;
      this.opts.log("deployments: could not schedule a restart", { endpoint: d.endpoint, deployment: d.name, error: err.message });
    });
  }

  private async stopSlot(r: Running, slot: Slot): Promise<void> {
    slot.restartPending = false;
    const procs = [slot.proc, slot.old].filter((p): p is ReplicaProcess => p !== undefined);
    slot.proc = undefined;
    slot.old = undefined;
    await Promise.all(procs.map((p) => this.stopProc(p)));
    await this.opts.store.forgetReplica(r.deployment.endpoint, r.deployment.name, slot.index, this.owner).catch(() => undefined);
  }

  private async stopProc(p: ReplicaProcess): Promise<void> {
    await p.stop((this.opts.drainSeconds ?? 10) * 1000 + 2000);
  }
}

/** Is `pid` a live `ciclo models serve` process (Linux: its command line)? */
async function isModelServer(pid: number): Promise<boolean> {
  try {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\u0000");
    return cmd.includes("models") && cmd.includes("serve");
  } catch {
    return false;
  }
}
