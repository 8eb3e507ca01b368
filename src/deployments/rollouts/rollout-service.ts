/**
 * Rollouts: moving an endpoint's traffic from its stable deployment to a
 * candidate in judged steps. Phases: wait until the candidate is ready; a
 * shadow step when the strategy limits prediction divergence (the candidate
 * gets a mirrored share, clients still get the stable answers); then the
 * strategy's live steps (canary 10 → 50 → 100, blue-green straight to 100),
 * each judged after `stepSeconds` on the candidate's requests in that step —
 * error rate, p99 latency, divergence from the stable answers. A breach
 * rolls back (all traffic to stable); passing the last step finishes it.
 * Promote, pause, resume and abort by hand. Every move is a history entry
 * carrying the analysis that drove it.
 *
 * Steps run as jobs (`deployments.rollout`, payload `{ rolloutId, step }`):
 * a job whose step is no longer the rollout's is stale and does nothing, so
 * redelivery is harmless.
 * @module
 */
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../shared/errors.js";
import type { DeploymentStore, HistoryInput } from "../endpoints/deployment-store.js";
import type { EndpointService } from "../endpoints/endpoint-service.js";
import type { Actor, Endpoint, Rollout, Strategy } from "../endpoints/endpoint-types.js";
import { conflict, strategyFromInput, type StrategyInput } from "../endpoints/endpoint-validation.js";
import type { StatsWindow } from "../router/deployment-stats.js";

export const WAITING = -2;
export const SHADOW = -1;
/** A candidate that is not ready after this long aborts the rollout. */
const READY_TIMEOUT_MS = 10 * 60_000;
const READY_POLL_MS = 500;

export interface RolloutDeps {
  service: EndpointService;
  store: DeploymentStore;
  /** Ready replicas of a deployment in this server. */
  readyReplicas(endpoint: string, deployment: string): number;
  /** What the router saw of a deployment since `since`. */
  window(endpoint: string, deployment: string, since: number): StatsWindow;
  /** Runs `advance(rolloutId, step)` after `delayMs` (a job). */
  schedule(rolloutId: string, step: number, delayMs: number): Promise<void>;
  log(msg: string, fields?: Record<string, unknown>): void;
  now?: () => number;
}

export interface Verdict {
  verdict: "pass" | "fail" | "wait";
  reasons: string[];
  window: StatsWindow;
  step: number;
  candidate_percent: number;
}

const ACTIVE = new Set(["running", "paused"]);

export class RolloutService {
  private readonly now: () => number;

  constructor(private readonly deps: RolloutDeps) {
    this.now = deps.now ?? Date.now;
    deps.service.activeRollout = async (endpoint) => (await this.active(endpoint))?.id;
  }

  async active(endpoint: string): Promise<Rollout | undefined> {
    return (await this.deps.store.listRollouts(endpoint)).find((r) => ACTIVE.has(r.state));
  }

  async list(endpoint: string): Promise<Rollout[]> {
    await this.deps.service.requireEndpoint(endpoint);
    return this.deps.store.listRollouts(endpoint);
  }

  async get(endpoint: string, id: string): Promise<Rollout> {
    const r = await this.deps.store.getRollout(id);
    if (!r || r.endpoint !== endpoint) throw new ResourceDoesNotExistError(`Rollout '${id.slice(0, 32)}' does not exist in endpoint '${endpoint.slice(0, 64)}'.`);
    return r;
  }

  /** Starts moving traffic from the endpoint's stable deployment (the one with the most) to `candidate`. */
  async start(endpoint: string, candidate: string, strategyInput: StrategyInput | undefined, actor: Actor, reason?: string): Promise<Rollout> {
    const e = await this.deps.service.requireEndpoint(endpoint);
    await this.deps.service.requireDeployment(endpoint, candidate);
    const running = await this.active(endpoint);
    if (running) throw conflict(`Rollout ${running.id} is already ${running.state} on endpoint '${endpoint}': finish or abort it first.`);
    const stable = Object.entries(e.traffic).sort((a, b) => b[1] - a[1])[0];
    if (!stable || stable[1] === 0) throw conflict(`Endpoint '${endpoint}' sends no traffic yet: set it first (ciclo endpoints traffic ${endpoint} ${candidate}=100).`);
    if (stable[0] === candidate) throw new InvalidParameterValueError(`Deployment '${candidate}' already takes the most traffic of endpoint '${endpoint}': roll out another deployment.`);
    const strategy = strategyFromInput(strategyInput, e.strategy);
    const t = this.now();
    const r: Omit<Rollout, "id"> = { endpoint, stable: stable[0], candidate, strategy, step: WAITING, state: "running", reason, startedAt: t, updatedAt: t };
    const id = await this.deps.store.createRollout(r, {
      endpoint,
      deployment: candidate,
      action: "rollout.started",
      actor,
      reason,
      detail: { stable: stable[0], candidate, strategy: strategy.kind, steps: strategy.steps },
    });
    this.deps.log("deployments: rollout started", { endpoint, rollout: id, stable: stable[0], candidate });
    await this.deps.schedule(id, WAITING, 0);
    return { ...r, id };
  }

  /** The job: one look at a rollout in step `step`. */
  async advance(id: string, step: number): Promise<void> {
    const r = await this.deps.store.getRollout(id);
    if (!r || r.state !== "running" || r.step !== step) return; // stale: moved on, paused or finished
    const e = await this.deps.store.getEndpoint(r.endpoint);
    const cand = e && (await this.deps.store.getDeployment(r.endpoint, r.candidate));
    if (!e || !cand || !(await this.deps.store.getDeployment(r.endpoint, r.stable))) {
      await this.finish(r, e, "aborted", "the endpoint, its stable or its candidate deployment was deleted", undefined, { restore: false });
      return;
    }
    if (step === WAITING) {
      if (this.deps.readyReplicas(r.endpoint, r.candidate) >= cand.replicas) {
        const first = Number.isFinite(r.strategy.analysis.maxDivergence) ? SHADOW : 0;
        await this.moveTo(r, e, first, "candidate ready", undefined);
      } else if (this.now() - r.startedAt > READY_TIMEOUT_MS) {
        await this.finish(r, e, "aborted", `candidate '${r.candidate}' was not ready within ${READY_TIMEOUT_MS / 60_000} minutes`, undefined, { restore: true });
      } else {
        await this.deps.schedule(id, step, READY_POLL_MS);
      }
      return;
    }
    const verdict = this.judge(r);
    if (verdict.verdict === "wait") {
      await this.deps.schedule(id, step, Math.max(250, r.strategy.stepSeconds * 1000));
      return;
    }
    if (verdict.verdict === "fail") {
      await this.finish(r, e, "rolled_back", `analysis failed at ${verdict.candidate_percent} %: ${verdict.reasons.join("; ")}`, verdict, { restore: true });
      return;
    }
    if (step >= r.strategy.steps.length - 1) await this.finish(r, e, "succeeded", "every step passed its analysis", verdict, { restore: false });
    else await this.moveTo(r, e, step + 1, "step passed its analysis", verdict);
  }

  /** The analysis of the candidate's requests in the current step. */
  judge(r: Rollout): Verdict {
    const a = r.strategy.analysis;
    const w = this.deps.window(r.endpoint, r.candidate, r.updatedAt);
    const pct = r.step < 0 ? 0 : r.strategy.steps[r.step];
    const base = { window: w, step: r.step, candidate_percent: pct };
    // Fail fast: errors already above the limit even if every request still to come succeeded.
    if (w.errors > 0 && w.errors / Math.max(w.requests, a.minRequests) > a.maxErrorRate) {
      return { ...base, verdict: "fail", reasons: [`error rate ${(w.errorRate * 100).toFixed(1)} % > ${(a.maxErrorRate * 100).toFixed(1)} % (${w.errors} of ${w.requests} requests)`] };
    }
    if (w.requests < a.minRequests || this.now() - r.updatedAt < r.strategy.stepSeconds * 1000) {
      return { ...base, verdict: "wait", reasons: [`${w.requests} of ${a.minRequests} requests, ${Math.round((this.now() - r.updatedAt) / 1000)} of ${r.strategy.stepSeconds} s`] };
    }
    const reasons: string[] = [];
    if (w.errorRate > a.maxErrorRate) reasons.push(`error rate ${(w.errorRate * 100).toFixed(1)} % > ${(a.maxErrorRate * 100).toFixed(1)} %`);
    if (w.p99Ms !== undefined && w.p99Ms > a.maxP99Ms) reasons.push(`p99 ${w.p99Ms.toFixed(1)} ms > ${a.maxP99Ms} ms`);
    if (w.divergence !== undefined && w.divergence > a.maxDivergence) reasons.push(`prediction divergence ${w.divergence} > ${a.maxDivergence}`);
    return { ...base, verdict: reasons.length > 0 ? "fail" : "pass", reasons };
  }

  async promote(endpoint: string, id: string, actor: Actor): Promise<Rollout> {
    const r = await this.get(endpoint, id);
    if (!ACTIVE.has(r.state)) throw conflict(`Rollout ${id} is ${r.state}; only a running or paused rollout can be promoted.`);
    const e = await this.deps.service.requireEndpoint(endpoint);
    await this.finish(r, e, "succeeded", "promoted by hand", undefined, { restore: false, actor, forceFull: true });
    return this.get(endpoint, id);
  }

  async abort(endpoint: string, id: string, actor: Actor): Promise<Rollout> {
    const r = await this.get(endpoint, id);
    if (!ACTIVE.has(r.state)) throw conflict(`Rollout ${id} is ${r.state}; only a running or paused rollout can be aborted.`);
    const e = await this.deps.service.requireEndpoint(endpoint);
    await this.finish(r, e, "aborted", "aborted by hand", undefined, { restore: true, actor });
    return this.get(endpoint, id);
  }

  async pause(endpoint: string, id: string, actor: Actor): Promise<Rollout> {
    const r = await this.get(endpoint, id);
    if (r.state !== "running") throw conflict(`Rollout ${id} is ${r.state}; only a running rollout can be paused.`);
    await this.deps.store.updateRollout({ ...r, state: "paused", updatedAt: this.now() }, undefined, this.entry(r, "rollout.paused", actor, "paused by hand"));
    return this.get(endpoint, id);
  }

  async resume(endpoint: string, id: string, actor: Actor): Promise<Rollout> {
    const r = await this.get(endpoint, id);
    if (r.state !== "paused") throw conflict(`Rollout ${id} is ${r.state}; only a paused rollout can be resumed.`);
    await this.deps.store.updateRollout({ ...r, state: "running", updatedAt: this.now() }, undefined, this.entry(r, "rollout.resumed", actor, "resumed by hand"));
    await this.deps.schedule(r.id, r.step, r.step === WAITING ? 0 : r.strategy.stepSeconds * 1000);
    return this.get(endpoint, id);
  }

  /**
   * `@alias` of `model` now points at `version`: every endpoint whose live
   * deployment follows that alias gets a candidate deployment of the new
   * version (same replicas, env and target) and a rollout to it.
   */
  async onAliasMoved(model: string, alias: string, version: string): Promise<string[]> {
    const started: string[] = [];
    for (const e of await this.deps.store.listEndpoints()) {
      const deployments = await this.deps.store.listDeployments(e.name);
      const stable = deployments.find((d) => d.modelName === model && d.followAlias === alias && (e.traffic[d.name] ?? 0) > 0);
      if (!stable || stable.modelVersion === version) continue;
      if (deployments.some((d) => d.modelName === model && d.followAlias === alias && d.modelVersion === version)) continue; // redelivered
      if (await this.active(e.name)) {
        this.deps.log("deployments: alias moved during a rollout; not starting another", { endpoint: e.name, model, alias, version });
        continue;
      }
      const base = stable.name.replace(/-v\d+$/, "").slice(0, 50);
      const name = `${base}-v${version}`;
      const reason = `@${alias} of '${model}' moved to version ${version}`;
      await this.deps.service.createDeployment(
        e.name,
        { name, modelUri: `models:/${model}@${alias}`, target: stable.target, replicas: stable.replicas, env: stable.env },
        "ciclo",
        { action: "deployment.created", reason, version },
      );
      const r = await this.start(e.name, name, undefined, "ciclo", reason);
      started.push(r.id);
    }
    return started;
  }

  private entry(r: Rollout, action: string, actor: Actor, reason: string, detail?: unknown): HistoryInput {
    return { endpoint: r.endpoint, deployment: r.candidate, action, actor, reason, detail: { rollout_id: r.id, ...(detail as object) } };
  }

  private split(r: Rollout, e: Endpoint, candidatePct: number): { traffic: Record<string, number>; mirror: Record<string, number> } {
    const traffic = Object.fromEntries(Object.keys(e.traffic).map((k) => [k, 0]));
    traffic[r.stable] = 100 - candidatePct;
    traffic[r.candidate] = candidatePct;
    const mirror = Object.fromEntries(Object.entries(e.mirror).filter(([k]) => k !== r.candidate && k !== r.stable));
    return { traffic, mirror };
  }

  private async moveTo(r: Rollout, e: Endpoint, step: number, why: string, verdict: Verdict | undefined): Promise<void> {
    let split;
    if (step === SHADOW) {
      split = this.split(r, e, 0);
      const room = 50 - Object.values(split.mirror).reduce((a, b) => a + b, 0);
      split.mirror[r.candidate] = Math.max(1, Math.min(room, r.strategy.steps[0]));
    } else {
      split = this.split(r, e, r.strategy.steps[step]);
    }
    const next: Rollout = { ...r, step, updatedAt: this.now(), lastAnalysis: verdict };
    const label = step === SHADOW ? `shadow ${split.mirror[r.candidate]} %` : `${r.strategy.steps[step]} %`;
    await this.deps.store.updateRollout(next, split, this.entry(r, "rollout.step", "ciclo", `${why}: candidate at ${label}`, { step, ...split, analysis: verdict }));
    this.deps.service.emit({ endpoint: r.endpoint, kind: "traffic" });
    this.deps.log("deployments: rollout step", { endpoint: r.endpoint, rollout: r.id, step, candidate: label });
    await this.deps.schedule(r.id, step, r.strategy.stepSeconds * 1000);
  }

  private async finish(
    r: Rollout,
    e: Endpoint | undefined,
    state: "succeeded" | "rolled_back" | "aborted",
    reason: string,
    verdict: Verdict | undefined,
    opts: { restore: boolean; actor?: Actor; forceFull?: boolean },
  ): Promise<void> {
    const split = e && (state === "succeeded" ? this.split(r, e, 100) : opts.restore ? this.split(r, e, 0) : undefined);
    const next: Rollout = { ...r, state, reason, updatedAt: this.now(), lastAnalysis: verdict ?? r.lastAnalysis };
    const action = state === "succeeded" ? "rollout.succeeded" : state === "rolled_back" ? "rollout.rolled_back" : "rollout.aborted";
    await this.deps.store.updateRollout(next, split, this.entry(r, action, opts.actor ?? "ciclo", reason, { ...split, analysis: verdict }));
    this.deps.service.emit({ endpoint: r.endpoint, kind: "traffic" });
    this.deps.log(`deployments: rollout ${state}`, { endpoint: r.endpoint, rollout: r.id, reason });
    if (state === "succeeded" && e) {
      // A replaced deployment that followed an alias is obsolete: the alias now serves through the candidate.
      const old = await this.deps.store.getDeployment(r.endpoint, r.stable);
      if (old?.followAlias !== undefined) await this.deps.service.deleteDeployment(r.endpoint, r.stable, "ciclo", `replaced by rollout ${r.id}`);
    }
  }
}

export type { Strategy };
