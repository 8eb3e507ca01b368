/**
 * Reads the `pipelines:` block of a project file with positions, so every
 * error names the line and column at fault:
 *
 * ```yaml
 * pipelines:
 *   churn:
 *     inputs:
 *       lr: { type: float, default: 0.1 }
 *       train_data: { type: data, default: data/train.csv }
 *     steps:
 *       train:
 *         uses: train
 *         with: { entry_point: main, params: { lr: "${{ inputs.lr }}" } }
 *       gate:
 *         uses: evaluate
 *         needs: [train]
 *         with:
 *           model: "runs:/${{ steps.train.outputs.run_id }}/model"
 *           data: data/holdout.csv
 *           targets: y
 *           model_type: regressor
 *           baseline: models:/churn@champion
 *           thresholds: ["rmse<=+0"]
 *       hello:
 *         run: echo "trained ${{ steps.train.outputs.run_id }}"
 *         needs: [train]
 *         if: inputs.lr < 1
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_FILES } from "../../shared/project-files.js";
import { isMap, isScalar, isSeq, mapEntries, parseLocated, scalarOf, type LocatedDoc, type Node } from "./located-yaml.js";
import { stepOrder } from "./pipeline-dag.js";
import { checkExpressions } from "./pipeline-expressions-check.js";
import {
  APPROVAL_ROLES,
  CACHEABLE,
  IN_SERVER_KINDS,
  INPUT_TYPES,
  PipelineDefinitionError,
  STEP_ARGUMENTS,
  STEP_EXECUTORS,
  STEP_KINDS,
  type DeclaredTrigger,
  type InputSpec,
  type InputType,
  type PipelineSpec,
  type StepExecutorName,
  type StepKind,
  type StepSpec,
} from "./pipeline-spec.js";

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const STEP_KEYS = ["uses", "run", "with", "needs", "if", "env", "timeout_seconds", "retries", "retry_delay_seconds", "cache", "name", "runs-on", "image"];
const PIPELINE_KEYS = ["description", "experiment", "inputs", "steps", "runs-on", "image", "on"];
const TRIGGER_KEYS = ["push", "schedule", "registry"] as const;
const PUSH_PROVIDERS = ["github", "gitlab", "azure"];
const MAX_STEPS = 200;

/** The pipelines of the project in `dir` (empty when its file declares none, or it has no ciclo.yaml). */
export function loadPipelines(dir: string): Map<string, PipelineSpec> {
  const file = PROJECT_FILES.find((f) => f !== "MLproject" && existsSync(join(dir, f)));
  if (!file) return new Map();
  return parsePipelines(readFileSync(join(dir, file), "utf8"), file);
}

/** Parses the `pipelines:` block of a project file's text. */
export function parsePipelines(text: string, file: string): Map<string, PipelineSpec> {
  // Every error of this document (syntax, and each doc.error) is a PipelineDefinitionError at its place.
  const doc: LocatedDoc = parseLocated(text, file, PipelineDefinitionError);
  const fail = (node: Node | null | undefined, message: string) => doc.error(node, message) as PipelineDefinitionError;
  const out = new Map<string, PipelineSpec>();
  if (!doc.root || !isMap(doc.root)) return out;
  const block = mapEntries(doc, doc.root, file).find((e) => e.key === "pipelines");
  if (!block || block.value === null) return out;
  for (const p of mapEntries(doc, block.value, "pipelines")) {
    if (!NAME.test(p.key)) throw fail(p.keyNode, `pipeline name '${p.key}' must match ${NAME}.`);
    out.set(p.key, parsePipeline(doc, fail, p.key, p.value));
  }
  return out;
}

export type Fail = (node: Node | null | undefined, message: string) => PipelineDefinitionError;

function parsePipeline(doc: LocatedDoc, fail: Fail, name: string, node: Node | null): PipelineSpec {
  const where = `pipeline '${name}'`;
  const entries = mapEntries(doc, node, where);
  for (const e of entries) if (!PIPELINE_KEYS.includes(e.key)) throw fail(e.keyNode, `${where}: unknown key '${e.key}' (expected ${PIPELINE_KEYS.join(", ")}).`);
  const get = (k: string) => entries.find((e) => e.key === k);
  const inputs = get("inputs")?.value ? parseInputs(doc, fail, where, get("inputs")!.value) : [];
  const stepsEntry = get("steps");
  if (!stepsEntry || stepsEntry.value === null) throw fail(node, `${where} needs steps.`);
  const stepEntries = mapEntries(doc, stepsEntry.value, `${where}: steps`);
  if (stepEntries.length === 0) throw fail(stepsEntry.value, `${where} needs at least one step.`);
  if (stepEntries.length > MAX_STEPS) throw fail(stepsEntry.value, `${where} has ${stepEntries.length} steps; at most ${MAX_STEPS}.`);
  const steps: StepSpec[] = [];
  const needNodes = new Map<string, Map<string, Node>>();
  const placement = parsePlacement(fail, where, get);
  for (const s of stepEntries) {
    if (!NAME.test(s.key)) throw fail(s.keyNode, `step id '${s.key}' must match ${NAME}.`);
    const { step, needs } = parseStep(doc, fail, s.key, s.value, placement);
    steps.push(step);
    needNodes.set(s.key, needs);
  }
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) {
    for (const [need, n] of needNodes.get(s.id)!) {
      if (!ids.has(need)) throw fail(n, `step '${s.id}' needs '${need}', which is not a step of ${where} (steps: ${[...ids].join(", ")}).`);
      if (need === s.id) throw fail(n, `step '${s.id}' needs itself.`);
    }
  }
  const order = stepOrder(steps, (cycle) => {
    const first = cycle[0];
    const node = needNodes.get(first)!.get(cycle[1] ?? first);
    return fail(node, `the needs of ${where} form a cycle: ${[...cycle, first].join(" → ")}.`);
  });
  checkExpressions(doc, fail, steps, inputs, stepEntries);
  const experiment = scalarOf(get("experiment")?.value);
  const description = scalarOf(get("description")?.value);
  const on = get("on");
  const triggers = on && on.value !== null ? parseTriggers(doc, fail, where, on.value) : [];
  return {
    name,
    ...(typeof description === "string" && { description }),
    experiment: typeof experiment === "string" && experiment.trim() ? experiment : "pipelines",
    inputs,
    steps,
    order,
    ...(triggers.length > 0 && { triggers }),
  };
}

/**
 * `on:` — `push: { provider, branches, repository }`, `schedule:` and `registry:` (a mapping or a list of
 * them). The shape is checked here; the settings by the triggers module when the project is registered.
 */
function parseTriggers(doc: LocatedDoc, fail: Fail, where: string, node: Node): DeclaredTrigger[] {
  const out: DeclaredTrigger[] = [];
  for (const e of mapEntries(doc, node, `${where}: on`)) {
    if (!(TRIGGER_KEYS as readonly string[]).includes(e.key)) throw fail(e.keyNode, `${where}: on: takes ${TRIGGER_KEYS.join(", ")}, not '${e.key}'.`);
    const items = isSeq(e.value) ? (e.value.items as Node[]) : [e.value];
    if (e.key === "push" && items.length !== 1) throw fail(e.value, `${where}: on.push is one mapping (provider, branches, repository).`);
    for (const item of items) {
      if (!isMap(item)) throw fail(item ?? e.keyNode, `${where}: on.${e.key} must be a mapping of settings.`);
      const config = plain(doc, fail, item, `${where}: on.${e.key}`) as Record<string, unknown>;
      if (e.key === "push" && !PUSH_PROVIDERS.includes(String(config.provider))) throw fail(item, `${where}: on.push needs provider: ${PUSH_PROVIDERS.join(", ")}.`);
      out.push({ on: e.key as DeclaredTrigger["on"], config, at: doc.at(item) });
    }
  }
  return out;
}

function parseInputs(doc: LocatedDoc, fail: Fail, where: string, node: Node | null): InputSpec[] {
  return mapEntries(doc, node, `${where}: inputs`).map((e) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(e.key)) throw fail(e.keyNode, `input name '${e.key}' must be letters, digits and '_'.`);
    // `name: type` (required) or `name: { type, default, description }`.
    if (isScalar(e.value)) return { name: e.key, type: inputType(fail, e.value, String(scalarOf(e.value))) };
    const fields = mapEntries(doc, e.value, `input '${e.key}'`);
    const f = (k: string) => fields.find((x) => x.key === k);
    for (const x of fields) if (!["type", "default", "description"].includes(x.key)) throw fail(x.keyNode, `input '${e.key}': unknown key '${x.key}' (expected type, default, description).`);
    const type = f("type") ? inputType(fail, f("type")!.value, String(scalarOf(f("type")!.value))) : "string";
    const spec: InputSpec = { name: e.key, type };
    const d = f("default");
    if (d && d.value !== null && scalarOf(d.value) !== null) {
      const v = scalarOf(d.value);
      if (v === undefined) throw fail(d.value, `input '${e.key}': the default must be a scalar.`);
      try {
        spec.default = coerceInput(spec, v);
      } catch (err) {
        throw fail(d.value, (err as Error).message);
      }
    }
    const desc = scalarOf(f("description")?.value);
    if (typeof desc === "string") spec.description = desc;
    return spec;
  });
}

function inputType(fail: Fail, node: Node | null, t: string): InputType {
  if (!(INPUT_TYPES as readonly string[]).includes(t)) throw fail(node, `input type '${t}' is not one of ${INPUT_TYPES.join(", ")}.`);
  return t as InputType;
}

/** A given value as the input's type; throws a message naming the input. */
export function coerceInput(spec: InputSpec, v: unknown): string | number | boolean {
  const bad = () => new Error(`input '${spec.name}' is a ${spec.type}; got ${JSON.stringify(v)}.`);
  switch (spec.type) {
    case "int": {
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
      if (!Number.isSafeInteger(n)) throw bad();
      return n;
    }
    case "float": {
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw bad();
      return n;
    }
    case "bool":
      if (typeof v === "boolean") return v;
      if (v === "true" || v === "false") return v === "true";
      throw bad();
    default:
      if (typeof v === "object" || v === undefined) throw bad();
      return String(v);
  }
}

type Entry = { key: string; keyNode: Node; value: Node | null } | undefined;

/** `runs-on:` and `image:` of a pipeline or a step (absent: undefined). */
interface Placement {
  runsOn?: { value: StepExecutorName; node: Node | null };
  image?: string;
}

function parsePlacement(fail: Fail, where: string, get: (k: string) => Entry): Placement {
  const out: Placement = {};
  const r = get("runs-on");
  if (r) {
    const v = scalarOf(r.value);
    if (typeof v !== "string" || !(STEP_EXECUTORS as readonly string[]).includes(v)) throw fail(r.value, `${where}: runs-on: must be ${STEP_EXECUTORS.join(" or ")}.`);
    out.runsOn = { value: v as StepExecutorName, node: r.value };
  }
  const i = get("image");
  if (i) {
    const v = scalarOf(i.value);
    // An image reference: no spaces, no expressions (the runner image is fixed per pipeline version).
    if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._\-\/:@]{0,254}$/.test(v)) throw fail(i.value, `${where}: image: must be an image reference such as registry.example.com/team/runner:1.2.`);
    out.image = v;
  }
  return out;
}

function parseStep(doc: LocatedDoc, fail: Fail, id: string, node: Node | null, pipeline: Placement = {}): { step: StepSpec; needs: Map<string, Node> } {
  const where = `step '${id}'`;
  const entries = mapEntries(doc, node, where);
  for (const e of entries) if (!STEP_KEYS.includes(e.key)) throw fail(e.keyNode, `${where}: unknown key '${e.key}' (expected ${STEP_KEYS.join(", ")}).`);
  const get = (k: string) => entries.find((e) => e.key === k);
  const uses = get("uses");
  const run = get("run");
  if (uses && run) throw fail(run.keyNode, `${where} has both uses: and run:; a step is one or the other.`);
  if (!uses && !run) throw fail(node, `${where} needs uses: (${STEP_KINDS.filter((k) => k !== "run").join(", ")}) or run: (a shell command).`);
  let kind: StepKind = "run";
  if (uses) {
    const u = scalarOf(uses.value);
    if (typeof u !== "string" || !(STEP_KINDS as readonly string[]).includes(u) || u === "run") {
      throw fail(uses.value, `${where}: uses: '${String(u)}' is not a step kind (${STEP_KINDS.filter((k) => k !== "run").join(", ")}; or run: for a shell command).`);
    }
    kind = u as StepKind;
  }
  let command: string | undefined;
  if (run) {
    const r = scalarOf(run.value);
    if (typeof r !== "string" || r.trim() === "") throw fail(run.value, `${where}: run: must be a shell command (a string).`);
    command = r;
  }
  const withEntry = get("with");
  const args: Record<string, unknown> = {};
  if (withEntry && withEntry.value !== null) {
    if (kind === "run") throw fail(withEntry.keyNode, `${where}: a run: step takes no with: (use env: to pass values).`);
    const allowed = STEP_ARGUMENTS[kind];
    for (const a of mapEntries(doc, withEntry.value, `${where}: with`)) {
      if (!(a.key in allowed)) throw fail(a.keyNode, `${where}: ${kind} takes no '${a.key}' (it takes ${Object.keys(allowed).join(", ")}).`);
      args[a.key] = plain(doc, fail, a.value, `${where}: with.${a.key}`);
      if (kind === "approve" && a.key === "role" && !(APPROVAL_ROLES as readonly unknown[]).includes(args.role)) {
        throw fail(a.value, `${where}: with.role must be ${APPROVAL_ROLES.join(" or ")} (who may answer: admins, or users with MANAGE on the pipeline's experiment).`);
      }
    }
  }
  for (const [k, required] of Object.entries(STEP_ARGUMENTS[kind])) {
    if (required && (args[k] === undefined || args[k] === null || args[k] === "")) throw fail(withEntry?.value ?? uses?.value ?? node, `${where}: ${kind} needs with.${k}.`);
  }
  const needs = new Map<string, Node>();
  const needsEntry = get("needs");
  if (needsEntry && needsEntry.value !== null) {
    const items = isSeq(needsEntry.value) ? (needsEntry.value.items as Node[]) : [needsEntry.value];
    for (const n of items) {
      const v = scalarOf(n);
      if (typeof v !== "string") throw fail(n, `${where}: needs: lists step ids.`);
      if (needs.has(v)) throw fail(n, `${where}: '${v}' is listed twice in needs.`);
      needs.set(v, n);
    }
  }
  const step: StepSpec = { id, uses: kind, with: args, needs: [...needs.keys()], env: {}, retries: 0, retryDelaySeconds: 1, cache: CACHEABLE.has(kind) };
  if (command !== undefined) step.run = command;
  // The pipeline's runs-on: applies to its process steps; a step's own overrides it.
  const own = parsePlacement(fail, where, get);
  if (own.runsOn?.value === "kubernetes" && IN_SERVER_KINDS.has(kind)) throw fail(own.runsOn.node, `${where}: ${kind} steps run in the server; runs-on: kubernetes applies to process steps only.`);
  if (!IN_SERVER_KINDS.has(kind)) {
    const runsOn = own.runsOn ?? pipeline.runsOn;
    const image = own.image ?? pipeline.image;
    if (runsOn?.value === "kubernetes") {
      if (!image) throw fail(runsOn.node, `${where}: runs-on: kubernetes needs image: (the runner image, on the step or the pipeline).`);
      step.runsOn = "kubernetes";
      step.image = image;
    }
  }
  const cond = get("if");
  if (cond) {
    const c = scalarOf(cond.value);
    if (typeof c !== "string" && typeof c !== "boolean") throw fail(cond.value, `${where}: if: must be an expression.`);
    step.if = String(c).trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
  }
  const env = get("env");
  if (env && env.value !== null) {
    for (const e of mapEntries(doc, env.value, `${where}: env`)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key)) throw fail(e.keyNode, `${where}: env name '${e.key}' is not a valid variable name.`);
      const v = scalarOf(e.value);
      if (v === undefined || v === null || typeof v === "object") throw fail(e.value, `${where}: env.${e.key} must be a scalar.`);
      step.env[e.key] = String(v);
    }
  }
  const num = (k: string, min: number, max: number): number | undefined => {
    const e = get(k);
    if (!e) return undefined;
    const v = scalarOf(e.value);
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw fail(e.value, `${where}: ${k} must be a number between ${min} and ${max}.`);
    return v;
  };
  const timeout = num("timeout_seconds", 0.1, 7 * 86_400);
  if (timeout !== undefined) step.timeoutSeconds = timeout;
  const retries = num("retries", 0, 10);
  if (retries !== undefined) {
    if (!Number.isInteger(retries)) throw fail(get("retries")!.value, `${where}: retries must be a whole number.`);
    step.retries = retries;
  }
  step.retryDelaySeconds = num("retry_delay_seconds", 0, 3600) ?? 1;
  const cache = get("cache");
  if (cache) {
    const v = scalarOf(cache.value);
    if (typeof v !== "boolean") throw fail(cache.value, `${where}: cache must be true or false.`);
    if (v && !CACHEABLE.has(kind)) throw fail(cache.value, `${where}: ${kind} steps have effects outside their run and are never cached.`);
    step.cache = v;
  }
  return { step, needs };
}

/** A with: value as plain data, keeping the node of every string for expression errors. */
function plain(doc: LocatedDoc, fail: Fail, node: Node | null, where: string): unknown {
  if (node === null) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return (node.items as Node[]).map((n, i) => plain(doc, fail, n, `${where}[${i}]`));
  if (isMap(node)) {
    const o: Record<string, unknown> = {};
    for (const e of mapEntries(doc, node, where)) o[e.key] = plain(doc, fail, e.value, `${where}.${e.key}`);
    return o;
  }
  throw fail(node, `${where}: unsupported YAML value.`);
}
