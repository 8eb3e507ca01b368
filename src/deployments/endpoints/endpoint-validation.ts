/**
 * Validation of endpoint and deployment input, with MLflow-style messages
 * (every failure is an INVALID_PARAMETER_VALUE naming the field and what to
 * send instead). Nothing is written before all of it passed.
 * @module
 */
import { InvalidParameterValueError, MlflowError } from "../../shared/errors.js";
import { parseImageReference } from "../images/image-reference.js";
import { isSecretRef, type Analysis, type EnvValue, type Strategy } from "./endpoint-types.js";

/** DNS-label-like: endpoint and deployment names appear in URLs, metric labels and process names. */
const NAME = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_REPLICAS = 16;
/** Mirrored traffic may add at most this share of load in all (Azure ML's limit). */
export const MAX_MIRROR_TOTAL = 50;
export const TARGETS = ["local", "container", "kubernetes"] as const;

export function validateName(kind: "endpoint" | "deployment", name: string): void {
  if (!NAME.test(name)) {
    throw new InvalidParameterValueError(
      `Invalid ${kind} name '${name.slice(0, 100)}': use 1-64 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. 'blue').`,
    );
  }
}

export function validateReplicas(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
    throw new InvalidParameterValueError(`Invalid replicas ${n}: a deployment runs 1 to ${MAX_REPLICAS} replicas.`);
  }
}

/** `available`: the targets this server is configured to run (a known target may still be off, e.g. kubernetes without a cluster). */
export function validateTarget(target: string, available: readonly string[] = TARGETS): void {
  if (!(TARGETS as readonly string[]).includes(target) || !available.includes(target)) {
    const hint = target === "kubernetes" ? " Start the server with --k8s-namespace <namespace> (and a kubeconfig, or inside the cluster) to deploy to Kubernetes." : "";
    throw new InvalidParameterValueError(`Unknown target '${target.slice(0, 50)}': this server runs ${available.map((t) => `'${t}'`).join(", ")}.${hint}`);
  }
}

/** The deployment env entry naming the image of the `container` target (not passed into the container). */
export const IMAGE_ENV = "CICLO_IMAGE";

/** A `container` deployment's env names an image: a reference podman can pull, never a flag. */
export function validateContainerEnv(env: Record<string, EnvValue>): void {
  const image = env[IMAGE_ENV];
  if (image !== undefined && isSecretRef(image)) throw new InvalidParameterValueError(`Env ${IMAGE_ENV} names the image to run: give it as text, not as a secret.`);
  if (!image) {
    throw new InvalidParameterValueError(
      `A 'container' deployment runs an image: set env ${IMAGE_ENV} to a model server image (e.g. the registry/repo@sha256:… that \`ciclo models build-image --push\` printed).`,
    );
  }
  parseImageReference(image);
}

/** Env names must be portable; a few that would change how the model server runs are refused. */
const RESERVED_ENV = new Set(["PORT", "HOST", "NODE_OPTIONS", "CICLO_MODEL_URI", "CICLO_MODEL_PATH", "CICLO_TRACKING_URI", "MLFLOW_TRACKING_URI"]);
/** A secret's name, as the secret store allows it. */
const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
export function validateEnv(env: Record<string, EnvValue>): void {
  const keys = Object.keys(env);
  if (keys.length > 100) throw new InvalidParameterValueError(`Too many env variables (${keys.length}): at most 100.`);
  for (const k of keys) {
    if (!ENV_NAME.test(k)) throw new InvalidParameterValueError(`Invalid env variable name '${k.slice(0, 100)}': letters, digits and '_', not starting with a digit.`);
    if (RESERVED_ENV.has(k)) throw new InvalidParameterValueError(`Env variable '${k}' is set by ciclo for the model server and cannot be overridden.`);
    const v = env[k];
    if (isSecretRef(v)) {
      if (typeof v.secret !== "string" || !SECRET_NAME.test(v.secret)) {
        throw new InvalidParameterValueError(`Env variable '${k}' names an invalid secret '${String(v.secret).slice(0, 64)}': a letter, then letters, digits, '_', '.', '-'.`);
      }
    } else if (v.includes("\u0000")) throw new InvalidParameterValueError(`Env variable '${k}' contains a NUL character.`);
  }
}

/** The secrets an env names, each once. */
export function secretNamesOf(env: Record<string, EnvValue>): string[] {
  return [...new Set(Object.values(env).filter(isSecretRef).map((v) => v.secret))];
}

/**
 * Live traffic: every named deployment exists, each weight is an integer
 * 0..100, and the weights sum to 100 (or to 0 when every weight is 0: an
 * endpoint that answers no one). Mirror: integers 0..100, a total of at most
 * 50, and a deployment cannot both take live traffic and be mirrored to.
 */
export function validateTraffic(traffic: Record<string, number>, mirror: Record<string, number>, deployments: readonly string[]): void {
  const known = new Set(deployments);
  const check = (what: string, m: Record<string, number>) => {
    for (const [name, pct] of Object.entries(m)) {
      if (!known.has(name)) {
        throw new InvalidParameterValueError(`${what} names deployment '${name.slice(0, 64)}', which does not exist in this endpoint (it has: ${[...known].join(", ") || "none"}).`);
      }
      if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new InvalidParameterValueError(`${what} for '${name}' must be an integer percentage 0-100, got ${pct}.`);
    }
  };
  check("Traffic", traffic);
  check("Mirror traffic", mirror);
  const sum = Object.values(traffic).reduce((a, b) => a + b, 0);
  if (sum !== 100 && sum !== 0) {
    throw new InvalidParameterValueError(`Traffic weights must sum to 100 (or all be 0), got ${sum}: e.g. blue=90 green=10.`);
  }
  const mirrorSum = Object.values(mirror).reduce((a, b) => a + b, 0);
  if (mirrorSum > MAX_MIRROR_TOTAL) throw new InvalidParameterValueError(`Mirror traffic totals ${mirrorSum} %: at most ${MAX_MIRROR_TOTAL} % of requests may be mirrored.`);
  for (const [name, pct] of Object.entries(mirror)) {
    if (pct > 0 && (traffic[name] ?? 0) > 0) {
      throw new InvalidParameterValueError(`Deployment '${name}' takes live traffic (${traffic[name]} %) and cannot also be mirrored to: set one of the two to 0 (with the CLI, add --mirror ${name}=0).`);
    }
  }
}

export const DEFAULT_ANALYSIS: Analysis = { maxErrorRate: 0.05, maxP99Ms: 5_000, maxDivergence: Number.POSITIVE_INFINITY, minRequests: 20 };
export const DEFAULT_STRATEGY: Strategy = { kind: "canary", steps: [10, 50, 100], stepSeconds: 60, analysis: DEFAULT_ANALYSIS };

export interface StrategyInput {
  kind: "canary" | "blue-green";
  steps?: number[];
  step_seconds?: number;
  analysis?: { max_error_rate?: number; max_p99_ms?: number; max_divergence?: number; min_requests?: number };
}

export function strategyFromInput(s: StrategyInput | undefined, base: Strategy = DEFAULT_STRATEGY): Strategy {
  if (!s) return base;
  const steps = s.kind === "blue-green" ? [100] : (s.steps ?? (base.kind === "canary" ? base.steps : DEFAULT_STRATEGY.steps));
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isInteger(steps[i]) || steps[i] <= 0 || steps[i] > 100) throw new InvalidParameterValueError(`Canary step ${steps[i]} must be an integer percentage 1-100.`);
    if (i > 0 && steps[i] <= steps[i - 1]) throw new InvalidParameterValueError(`Canary steps must rise: ${steps.join(", ")}.`);
  }
  if (steps[steps.length - 1] !== 100) throw new InvalidParameterValueError(`The last canary step must be 100, got ${steps.join(", ")}.`);
  const a = s.analysis ?? {};
  return {
    kind: s.kind,
    steps,
    stepSeconds: s.step_seconds ?? base.stepSeconds,
    analysis: {
      maxErrorRate: a.max_error_rate ?? base.analysis.maxErrorRate,
      maxP99Ms: a.max_p99_ms ?? base.analysis.maxP99Ms,
      maxDivergence: a.max_divergence ?? base.analysis.maxDivergence,
      minRequests: a.min_requests ?? base.analysis.minRequests,
    },
  };
}

/** A header name the router can read (lowercase token). */
export function validateStickyHeader(h: string): void {
  if (!/^[a-z0-9-]{1,64}$/.test(h)) throw new InvalidParameterValueError(`Invalid sticky_header '${h.slice(0, 64)}': a lowercase header name such as 'x-user-id'.`);
}

/** `models:/<name>/<version>` or `models:/<name>@<alias>` (a registered model; the registry resolves it). */
export function parseDeploymentModelUri(uri: string): { name: string; version?: string; alias?: string } {
  const m = /^models:\/([^/@]+)(?:\/(\d+)|@([A-Za-z0-9_-]+))$/.exec(uri);
  if (!m) {
    throw new InvalidParameterValueError(`Invalid model_uri '${uri.slice(0, 200)}': use models:/<name>/<version> or models:/<name>@<alias> (e.g. models:/fraud@champion).`);
  }
  return { name: decodeURIComponent(m[1]), version: m[2], alias: m[3] };
}

/** A request that contradicts the current state (traffic on a deployment to delete, a rollout running): 409. */
export function conflict(message: string): MlflowError {
  return new MlflowError(message, "RESOURCE_CONFLICT");
}
