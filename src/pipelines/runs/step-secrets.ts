/**
 * `${{ secrets.NAME }}` in a pipeline step, as GitHub Actions users expect:
 * resolved when the step starts (each secret must exist, and the user the run
 * acts for may use it), handed to the step's process through its environment,
 * never its command line, and masked as `***` wherever the step's text is
 * kept (log lines, outputs, params, errors, the cache key's material).
 *
 * Where a secret may appear:
 * - `env:` values: the value is set in the process's environment;
 * - `run:`: each `${{ secrets.NAME }}` becomes `${CICLO_SECRET_NAME}` (in
 *   double quotes already) or `"${CICLO_SECRET_NAME}"`, a shell expansion of
 *   a variable the process gets, so the command line holds the variable's
 *   name, not the value (inside single quotes it would not expand: refused);
 * - `with:` of `push` (`registry_username`, `registry_password`: the
 *   `CICLO_REGISTRY_*` variables of `ciclo models build-image --push`), of
 *   `notify` (`signing_key`: the webhook's HMAC key, used in the server) and
 *   of `deploy` (`env.X`: the deployment keeps a reference `{secret: NAME}`,
 *   resolved when its model servers start). Elsewhere in `with:` a secret
 *   would reach a command line, and the step fails saying so.
 * A `runs-on: kubernetes` step that reads a secret fails: its env would be
 * stored in the Job object.
 * @module
 */
import { parseTemplate, pathsOf, type TemplatePart } from "../definition/expression.js";
import type { StepSpec } from "../definition/pipeline-spec.js";
import { quoteState } from "../../shared/shell-quoting.js";

/** The server's secret store, as pipelines see it (the auth module's SecretService). */
export interface StepSecretSource {
  has(name: string): Promise<boolean>;
  resolve(name: string): Promise<string>;
  /** Throws PERMISSION_DENIED when `actor` may not use these secrets. */
  checkUse(actor: string | null, names: readonly string[]): Promise<void>;
}

export interface StepSecrets {
  /** The step with `run:` and `with:` rewritten (secrets become variable references, deployment references, env entries). */
  spec: StepSpec;
  /** Secret values by name, for rendering `env:`. */
  values: Record<string, string>;
  /** Variables to add to the step's process environment. */
  env: Record<string, string>;
  /** A notify step's HMAC key (`with.signing_key`). */
  signingKey?: string;
  /** Replaces every secret value in a text by `***`. */
  mask(text: string): string;
  /** `mask` over every string of a value. */
  maskDeep<T>(v: T): T;
}

const MASK = "***";
const REGISTRY_ENV: Record<string, string> = { registry_username: "CICLO_REGISTRY_USERNAME", registry_password: "CICLO_REGISTRY_PASSWORD" };

/** The secret a template part reads when it is exactly `${{ secrets.NAME }}`; null when it reads none; "compound" otherwise. */
function secretOf(part: TemplatePart): string | null | "compound" {
  const paths = pathsOf(part.expr).filter((p) => p.root === "secrets");
  if (paths.length === 0) return null;
  return part.expr.kind === "path" && part.expr.root === "secrets" ? String(part.expr.keys[0]) : "compound";
}

/** Every secret a text's `${{ }}` parts read. */
function secretsIn(text: string, into: Set<string>): void {
  for (const part of parseTemplate(text)) for (const p of pathsOf(part.expr)) if (p.root === "secrets") into.add(String(p.keys[0]));
}

function stringsOf(v: unknown, into: (s: string, path: string) => void, path: string): void {
  if (typeof v === "string") into(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => stringsOf(x, into, `${path}[${i}]`));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) stringsOf(x, into, `${path}.${k}`);
}

/** The one secret a `with:` value names, when it is exactly `${{ secrets.NAME }}`. */
function wholeSecret(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const parts = parseTemplate(v);
  if (parts.length !== 1 || parts[0].offset !== 0 || parts[0].end !== v.length) return undefined;
  const s = secretOf(parts[0]);
  return s === null || s === "compound" ? undefined : s;
}

/** `CICLO_SECRET_<NAME>` per secret, made unique when two names spell the same variable (`a-b`, `a_b`). */
function variableNames(names: readonly string[]): (secret: string) => string {
  const taken = new Map<string, string>();
  const used = new Set<string>();
  for (const n of names) {
    const base = `CICLO_SECRET_${n.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
    let v = base;
    for (let i = 2; used.has(v); i++) v = `${base}_${i}`;
    used.add(v);
    taken.set(n, v);
  }
  return (secret) => taken.get(secret)!;
}

/**
 * A `push` step's registry credentials given as text (not secrets): taken out
 * of its rendered `with:` into the variables `ciclo models build-image --push`
 * reads, so that they are not on its command line either.
 */
export function registryCredentialsEnv(kind: StepSpec["uses"], args: Record<string, unknown>): Record<string, string> {
  if (kind !== "push") return {};
  const env: Record<string, string> = {};
  for (const [key, name] of Object.entries(REGISTRY_ENV)) {
    if (args[key] !== undefined && args[key] !== null && args[key] !== "") env[name] = String(args[key]);
    delete args[key];
  }
  return env;
}

export function secretNamesOfStep(spec: StepSpec): string[] {
  const names = new Set<string>();
  if (spec.run !== undefined) secretsIn(spec.run, names);
  for (const v of Object.values(spec.env)) secretsIn(v, names);
  stringsOf(spec.with, (s) => secretsIn(s, names), "with");
  return [...names];
}

/** Resolves and places the secrets a step reads; throws a clear error when one is missing, refused or misplaced. */
export async function prepareStepSecrets(spec: StepSpec, actor: string | null, source: StepSecretSource | undefined): Promise<StepSecrets> {
  const names = secretNamesOfStep(spec);
  if (names.length === 0) return { spec, values: {}, env: {}, mask: (t) => t, maskDeep: (v) => v };
  if (!source) throw new Error(`step '${spec.id}' reads secret '${names[0]}', but this server keeps no secrets (start it with CICLO_SECRETS_KEY)`);
  // A Kubernetes Job's env is part of the Job object (readable by whoever may read Jobs): not a place for a value.
  if (spec.runsOn === "kubernetes") throw new Error(`step '${spec.id}' reads secret '${names[0]}': secrets are not passed to runs-on: kubernetes steps yet (their env would be stored in the Job); run the step on the server`);
  for (const n of names) {
    if (!(await source.has(n))) throw new Error(`step '${spec.id}' reads secret '${n}', which does not exist: create it with 'ciclo secrets set ${n}'`);
  }
  await source.checkUse(actor, names);
  const values: Record<string, string> = {};
  for (const n of names) values[n] = await source.resolve(n);

  const env: Record<string, string> = {};
  const envName = variableNames(names);
  let signingKey: string | undefined;
  // run: each ${{ secrets.X }} becomes a quoted expansion of a variable the process gets.
  let run = spec.run;
  if (run !== undefined) {
    let out = "";
    let at = 0;
    const parts = parseTemplate(run);
    for (const part of parts) {
      const s = secretOf(part);
      if (s === null) continue;
      if (s === "compound") throw new Error(`step '${spec.id}': in run:, a secret must stand alone as \${{ secrets.NAME }} (it becomes an environment variable)`);
      const quoting = quoteState(run, parts, part.offset);
      if (quoting === "single") throw new Error(`step '${spec.id}': in run:, \${{ secrets.${s} }} is inside single quotes, where its variable would not expand; use double quotes`);
      env[envName(s)] = values[s];
      out += `${run.slice(at, part.offset)}${quoting === "double" ? `\${${envName(s)}}` : `"\${${envName(s)}}"`}`;
      at = part.end;
    }
    run = out + run.slice(at);
  }

  // with: only where the value does not reach a command line.
  const w: Record<string, unknown> = { ...spec.with };
  for (const [key, v] of Object.entries(spec.with)) {
    const found = new Set<string>();
    stringsOf(v, (s) => secretsIn(s, found), key);
    if (found.size === 0) continue;
    const whole = wholeSecret(v);
    if (spec.uses === "push" && REGISTRY_ENV[key] && whole) {
      env[REGISTRY_ENV[key]] = values[whole];
      delete w[key];
    } else if (spec.uses === "notify" && key === "signing_key") {
      // Used in the server (the notify step runs no process); kept out of with:, which is rendered as a template.
      if (!whole) throw new Error(`step '${spec.id}': with.signing_key must be exactly \${{ secrets.NAME }}`);
      signingKey = values[whole];
      delete w[key];
    } else if (spec.uses === "deploy" && key === "env" && v && typeof v === "object" && !Array.isArray(v)) {
      w.env = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => {
          const s = wholeSecret(x);
          if (s) return [k, { secret: s }];
          const inner = new Set<string>();
          stringsOf(x, (t) => secretsIn(t, inner), k);
          if (inner.size > 0) throw new Error(`step '${spec.id}': with.env.${k} must be exactly \${{ secrets.NAME }} to name a secret`);
          return [k, x];
        }),
      );
    } else {
      throw new Error(
        `step '${spec.id}': a secret in with.${key} would reach a command line; put it in env: (e.g. env: {TOKEN: \${{ secrets.${[...found][0]} }}}) and read $TOKEN`,
      );
    }
  }

  const patterns = Object.values(values)
    .flatMap((v) => [v, ...v.split(/\r?\n/).filter((l) => l.trim().length >= 4)])
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
  const mask = (t: string) => patterns.reduce((acc, p) => acc.split(p).join(MASK), t);
  const maskDeep = <T>(v: T): T => {
    if (typeof v === "string") return mask(v) as T;
    if (Array.isArray(v)) return v.map(maskDeep) as T;
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskDeep(x)])) as T;
    return v;
  };
  return { spec: { ...spec, run, with: w }, values, env, signingKey, mask, maskDeep };
}
