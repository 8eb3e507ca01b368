/**
 * Secrets a deployment's env names (`{API_KEY: {secret: "payments-key"}}`):
 * checked when the deployment is created or changed (each exists, and the
 * actor may use it), read only when a model server starts. The deployment
 * keeps the reference; the value goes straight into the model server's
 * environment (local target), podman's environment for `--env NAME`
 * (container target) or a Kubernetes Secret (kubernetes target) — never
 * into the deployments table, an API answer, argv or a log line.
 * @module
 */
import { InvalidParameterValueError } from "../../shared/errors.js";
import { isSecretRef, type Actor, type EnvValue } from "./endpoint-types.js";
import { secretNamesOf } from "./endpoint-validation.js";

/** The server's secret store, as deployments see it (the auth module's SecretService). */
export interface DeploymentSecrets {
  /** Whether a secret of this name exists (its value is not read). */
  has(name: string): Promise<boolean>;
  /** The value (server code only). */
  resolve(name: string): Promise<string>;
  /** Throws PERMISSION_DENIED when `actor` may not use secrets. */
  checkUse(actor: Actor, names: readonly string[]): Promise<void>;
}

/** Refuses (400, naming it) a secret that does not exist, and one the actor may not use; nothing is written before. */
export async function checkEnvSecrets(env: Record<string, EnvValue>, actor: Actor, secrets: DeploymentSecrets | undefined): Promise<void> {
  const names = secretNamesOf(env);
  if (names.length === 0) return;
  const where = (name: string) => Object.entries(env).find(([, v]) => isSecretRef(v) && v.secret === name)![0];
  if (!secrets) throw new InvalidParameterValueError(`Env variable '${where(names[0])}' names secret '${names[0]}', but this server keeps no secrets.`);
  for (const name of names) {
    if (!(await secrets.has(name))) {
      throw new InvalidParameterValueError(
        `Env variable '${where(name)}' names secret '${name}', which does not exist: create it first (ciclo secrets set ${name}, or POST /api/ciclo/v1/secrets/create).`,
      );
    }
  }
  await secrets.checkUse(actor, names);
}

/** The env split into plain values and resolved secret values (read now, at start). */
export async function resolveEnv(
  env: Record<string, EnvValue>,
  secrets: DeploymentSecrets | undefined,
): Promise<{ plain: Record<string, string>; secret: Record<string, string> }> {
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!isSecretRef(v)) plain[k] = v;
    else if (!secrets) throw new Error(`env ${k} names secret '${v.secret}', but this server keeps no secrets`);
    else secret[k] = await secrets.resolve(v.secret);
  }
  return { plain, secret };
}
