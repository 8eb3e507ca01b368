/**
 * Endpoints and their deployments: create, change and delete them, set
 * traffic, read the history. Every change is validated first (nothing is
 * written when any part is wrong), written with its history entry in one
 * transaction, then announced to the listeners (the target that runs the
 * deployments, the router that sends them traffic).
 * @module
 */
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../shared/errors.js";
import { checkEnvSecrets, type DeploymentSecrets } from "./deployment-secrets.js";
import type { DeploymentStore } from "./deployment-store.js";
import type { Actor, Deployment, Endpoint, EnvValue, HistoryEntry } from "./endpoint-types.js";
import {
  conflict,
  DEFAULT_STRATEGY,
  parseDeploymentModelUri,
  strategyFromInput,
  validateEnv,
  validateName,
  validateReplicas,
  validateStickyHeader,
  validateTarget,
  validateContainerEnv,
  validateTraffic,
  type StrategyInput,
} from "./endpoint-validation.js";

/** The registry reads a deployment needs: a version exists; the version an alias points at. */
export interface ModelResolver {
  /** Throws ResourceDoesNotExistError when the version does not exist. */
  checkVersion(name: string, version: string): Promise<void>;
  /** Throws ResourceDoesNotExistError when the alias is not set. */
  aliasVersion(name: string, alias: string): Promise<string>;
}

export interface EndpointInput {
  name: string;
  description?: string;
  strategy?: StrategyInput;
  stickyHeader?: string;
}

export interface DeploymentInput {
  name: string;
  modelUri: string;
  target?: string;
  replicas?: number;
  env?: Record<string, EnvValue>;
}

export interface DeploymentPatch {
  modelUri?: string;
  replicas?: number;
  env?: Record<string, EnvValue>;
}

/** What changed, for listeners: the endpoint (and deployment) to look at again. */
export interface ChangeEvent {
  endpoint: string;
  deployment?: string;
  kind: "endpoint" | "deployment" | "traffic" | "deleted";
}

export interface EndpointView {
  endpoint: Endpoint;
  deployments: Deployment[];
}

export class EndpointService {
  private readonly listeners: Array<(e: ChangeEvent) => void> = [];
  /** Set by the rollouts: refuses manual traffic changes while one runs. */
  activeRollout: (endpoint: string) => Promise<string | undefined> = async () => undefined;
  /** The targets this server runs (set by the module from its configuration). */
  availableTargets: readonly string[] = ["local", "container"];
  /** The secrets env entries may name (set by the module when the server keeps secrets). */
  secrets?: DeploymentSecrets;

  constructor(
    readonly store: DeploymentStore,
    private readonly models: ModelResolver,
    private readonly now: () => number = Date.now,
  ) {}

  onChange(fn: (e: ChangeEvent) => void): void {
    this.listeners.push(fn);
  }

  emit(e: ChangeEvent): void {
    for (const fn of this.listeners) fn(e);
  }

  async createEndpoint(input: EndpointInput, actor: Actor): Promise<EndpointView> {
    validateName("endpoint", input.name);
    if (input.stickyHeader !== undefined) validateStickyHeader(input.stickyHeader);
    const strategy = strategyFromInput(input.strategy, DEFAULT_STRATEGY);
    const t = this.now();
    const e: Endpoint = { name: input.name, description: input.description ?? "", traffic: {}, mirror: {}, strategy, stickyHeader: input.stickyHeader, createdAt: t, updatedAt: t };
    await this.store.createEndpoint(e, { endpoint: e.name, action: "endpoint.created", actor, detail: { strategy: strategy.kind } });
    this.emit({ endpoint: e.name, kind: "endpoint" });
    return { endpoint: e, deployments: [] };
  }

  async requireEndpoint(name: string): Promise<Endpoint> {
    const e = await this.store.getEndpoint(name);
    if (!e) throw new ResourceDoesNotExistError(`Endpoint '${name.slice(0, 64)}' does not exist. List endpoints with 'ciclo endpoints list'.`);
    return e;
  }

  async requireDeployment(endpoint: string, name: string): Promise<Deployment> {
    const d = await this.store.getDeployment(endpoint, name);
    if (!d) throw new ResourceDoesNotExistError(`Deployment '${name.slice(0, 64)}' does not exist in endpoint '${endpoint.slice(0, 64)}'.`);
    return d;
  }

  async getEndpoint(name: string): Promise<EndpointView> {
    const endpoint = await this.requireEndpoint(name);
    return { endpoint, deployments: await this.store.listDeployments(name) };
  }

  async listEndpoints(): Promise<EndpointView[]> {
    const [endpoints, deployments] = await Promise.all([this.store.listEndpoints(), this.store.listDeployments()]);
    return endpoints.map((endpoint) => ({ endpoint, deployments: deployments.filter((d) => d.endpoint === endpoint.name) }));
  }

  async updateEndpoint(name: string, patch: { description?: string; strategy?: StrategyInput; stickyHeader?: string }, actor: Actor): Promise<EndpointView> {
    const e = await this.requireEndpoint(name);
    if (patch.stickyHeader !== undefined && patch.stickyHeader !== "") validateStickyHeader(patch.stickyHeader);
    const strategy = patch.strategy ? strategyFromInput(patch.strategy, e.strategy) : undefined;
    await this.store.updateEndpoint(
      name,
      {
        description: patch.description,
        strategy,
        ...(patch.stickyHeader !== undefined && { stickyHeader: patch.stickyHeader === "" ? undefined : patch.stickyHeader }),
      },
      this.now(),
      { endpoint: name, action: "endpoint.updated", actor, detail: { description: patch.description, strategy: strategy?.kind, sticky_header: patch.stickyHeader } },
    );
    this.emit({ endpoint: name, kind: "endpoint" });
    return this.getEndpoint(name);
  }

  async deleteEndpoint(name: string, actor: Actor): Promise<void> {
    const e = await this.requireEndpoint(name);
    const deployments = await this.store.listDeployments(name);
    await this.store.deleteEndpoint(name, { endpoint: name, action: "endpoint.deleted", actor, detail: { deployments: deployments.map((d) => d.name), traffic: e.traffic } });
    this.emit({ endpoint: name, kind: "deleted" });
  }

  /** The version a deployment's URI names now (an alias is resolved through the registry). */
  async resolveModel(uri: string): Promise<{ name: string; version: string; alias?: string }> {
    const m = parseDeploymentModelUri(uri);
    if (m.alias !== undefined) return { name: m.name, version: await this.models.aliasVersion(m.name, m.alias), alias: m.alias };
    await this.models.checkVersion(m.name, m.version!);
    return { name: m.name, version: m.version!, alias: undefined };
  }

  async createDeployment(endpoint: string, input: DeploymentInput, actor: Actor, opts: { action?: string; reason?: string; version?: string } = {}): Promise<Deployment> {
    validateName("deployment", input.name);
    const target = input.target ?? "local";
    validateTarget(target, this.availableTargets);
    const replicas = input.replicas ?? 1;
    validateReplicas(replicas);
    const env = input.env ?? {};
    validateEnv(env);
    if (target === "container") validateContainerEnv(env);
    const e = await this.requireEndpoint(endpoint);
    await checkEnvSecrets(env, actor, this.secrets);
    const model = await this.resolveModel(input.modelUri);
    if (opts.version !== undefined) model.version = opts.version;
    const t = this.now();
    const d: Deployment = {
      endpoint,
      name: input.name,
      modelUri: input.modelUri,
      modelName: model.name,
      modelVersion: model.version,
      followAlias: model.alias,
      target,
      replicas,
      env,
      createdAt: t,
      updatedAt: t,
    };
    await this.store.createDeployment(d, {
      endpoint,
      deployment: d.name,
      action: opts.action ?? "deployment.created",
      actor,
      reason: opts.reason,
      detail: { model_uri: d.modelUri, model_version: d.modelVersion, replicas, target },
    });
    // The first deployment of an endpoint that sends traffic nowhere takes all of it.
    if (Object.values(e.traffic).every((w) => w === 0) && (await this.store.listDeployments(endpoint)).length === 1) {
      await this.store.updateEndpoint(endpoint, { traffic: { [d.name]: 100 } }, t, {
        endpoint,
        deployment: d.name,
        action: "traffic.set",
        actor,
        reason: "first deployment of the endpoint",
        detail: { traffic: { [d.name]: 100 }, mirror_traffic: e.mirror },
      });
    }
    this.emit({ endpoint, deployment: d.name, kind: "deployment" });
    return d;
  }

  async updateDeployment(endpoint: string, name: string, patch: DeploymentPatch, actor: Actor): Promise<Deployment> {
    if (patch.replicas !== undefined) validateReplicas(patch.replicas);
    if (patch.env !== undefined) validateEnv(patch.env);
    const d = await this.requireDeployment(endpoint, name);
    if (d.target === "container" && patch.env !== undefined) validateContainerEnv(patch.env);
    if (patch.env !== undefined) await checkEnvSecrets(patch.env, actor, this.secrets);
    const next: Deployment = { ...d, updatedAt: this.now() };
    if (patch.modelUri !== undefined) {
      const model = await this.resolveModel(patch.modelUri);
      Object.assign(next, { modelUri: patch.modelUri, modelName: model.name, modelVersion: model.version, followAlias: model.alias });
    }
    if (patch.replicas !== undefined) next.replicas = patch.replicas;
    if (patch.env !== undefined) next.env = patch.env;
    await this.store.updateDeployment(next, {
      endpoint,
      deployment: name,
      action: "deployment.updated",
      actor,
      detail: { model_uri: patch.modelUri, model_version: patch.modelUri !== undefined ? next.modelVersion : undefined, replicas: patch.replicas, env_keys: patch.env && Object.keys(patch.env) },
    });
    this.emit({ endpoint, deployment: name, kind: "deployment" });
    return next;
  }

  /** A deployment taking live traffic is not deleted (move its traffic first); its mirror share goes with it. */
  async deleteDeployment(endpoint: string, name: string, actor: Actor, reason?: string): Promise<void> {
    const e = await this.requireEndpoint(endpoint);
    await this.requireDeployment(endpoint, name);
    if ((e.traffic[name] ?? 0) > 0) {
      throw conflict(`Deployment '${name}' takes ${e.traffic[name]} % of endpoint '${endpoint}''s traffic: move it first, e.g. 'ciclo endpoints traffic ${endpoint} <other>=100'.`);
    }
    const traffic = Object.fromEntries(Object.entries(e.traffic).filter(([k]) => k !== name));
    const mirror = Object.fromEntries(Object.entries(e.mirror).filter(([k]) => k !== name));
    await this.store.deleteDeployment(endpoint, name, traffic, mirror, this.now(), { endpoint, deployment: name, action: "deployment.deleted", actor, reason });
    this.emit({ endpoint, deployment: name, kind: "deleted" });
  }

  async setTraffic(endpoint: string, traffic: Record<string, number>, mirror: Record<string, number> | undefined, actor: Actor, reason?: string): Promise<EndpointView> {
    const e = await this.requireEndpoint(endpoint);
    const deployments = await this.store.listDeployments(endpoint);
    const nextMirror = mirror ?? e.mirror;
    validateTraffic(traffic, nextMirror, deployments.map((d) => d.name));
    const running = await this.activeRollout(endpoint);
    if (running !== undefined) {
      throw conflict(`Rollout ${running} is running on endpoint '${endpoint}': pause or abort it before changing traffic by hand.`);
    }
    // Deployments not named get 0: the stored map always names the live split exactly.
    const full = Object.fromEntries(deployments.map((d) => [d.name, traffic[d.name] ?? 0]));
    const fullMirror = Object.fromEntries(Object.entries(nextMirror).filter(([, v]) => v > 0));
    await this.store.updateEndpoint(endpoint, { traffic: full, mirror: fullMirror }, this.now(), {
      endpoint,
      action: "traffic.set",
      actor,
      reason,
      detail: { from: { traffic: e.traffic, mirror_traffic: e.mirror }, traffic: full, mirror_traffic: fullMirror },
    });
    this.emit({ endpoint, kind: "traffic" });
    return this.getEndpoint(endpoint);
  }

  async history(endpoint: string, limit = 200): Promise<HistoryEntry[]> {
    await this.requireEndpoint(endpoint);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidParameterValueError(`max_results must be 1-10000, got ${limit}.`);
    return this.store.history(endpoint, limit);
  }
}
