/**
 * The `sweep:` block of ciclo.yaml: a sweep's defaults beside the entry
 * points it runs, so `ciclo sweep .` needs no flags. Flags override it.
 *
 * ```yaml
 * sweep:
 *   entry_point: train
 *   metric: val_loss
 *   mode: min
 *   sampler: tpe              # tpe | random | grid
 *   trials: 50
 *   parallel: 2
 *   timeout: 30m              # 90s, 30m, 2h, or seconds
 *   seed: 7
 *   early_stop: asha          # or { rule: asha, min_resource: 1, reduction_factor: 3 }
 *                             # or { rule: median, min_trials: 5, warmup_steps: 2 }
 *   intermediate_metric: val_loss
 *   params: { data: data/train.csv }   # fixed for every trial
 *   space:
 *     lr: { loguniform: [1.0e-4, 0.1] }
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_FILES } from "../../shared/project-files.js";
import type { EarlyStopConfig } from "./sweep-config.js";
import { isMap, isScalar, mapEntries, type LocatedDoc, type Node } from "../definition/located-yaml.js";
import { parseSweepYaml } from "./sweep-spec-error.js";
import { SAMPLER_NAMES, type Direction, type SamplerName } from "./sampler.js";
import type { SearchSpace } from "./search-space.js";
import { parseSpaceNode } from "./search-space-parser.js";

export interface SweepBlock {
  entryPoint?: string;
  metric?: string;
  direction?: Direction;
  sampler?: SamplerName;
  trials?: number;
  parallel?: number;
  timeoutMs?: number;
  seed?: number;
  earlyStop?: EarlyStopConfig;
  intermediateMetric?: string;
  params?: Record<string, string>;
  space?: SearchSpace;
}

/** "90s", "30m", "2h", "1h30m", "1d" (the CLI's `--older-than` spelling), or a number of seconds → ms. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000) || undefined;
  if (!/^(\d+(\.\d+)?[wdhms])+$/.test(t)) return undefined;
  const unit: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([wdhms])/g)) ms += Number(m[1]) * unit[m[2]];
  return Math.round(ms) || undefined;
}

/** The `sweep:` block of the project in `dir`, or undefined when it has none. MLproject files have none. */
export function loadSweepBlock(dir: string): SweepBlock | undefined {
  const file = PROJECT_FILES.find((f) => existsSync(join(dir, f)));
  if (!file || file === "MLproject") return undefined;
  const doc = parseSweepYaml(readFileSync(join(dir, file), "utf8"), file);
  if (!isMap(doc.root)) return undefined;
  const entry = mapEntries(doc, doc.root, file).find((e) => e.key === "sweep");
  return entry && entry.value !== null ? parseSweepBlock(doc, entry.value) : undefined;
}

const KEYS = ["entry_point", "metric", "mode", "sampler", "trials", "parallel", "timeout", "seed", "early_stop", "intermediate_metric", "params", "space"];

export function parseSweepBlock(doc: LocatedDoc, node: Node): SweepBlock {
  const out: SweepBlock = {};
  for (const { key, keyNode, value } of mapEntries(doc, node, "sweep")) {
    const str = () => {
      const v = isScalar(value) ? value.value : undefined;
      if (typeof v !== "string" || v === "") throw doc.error(value ?? keyNode, `sweep.${key} must be a non-empty string.`);
      return v;
    };
    const count = (min: number) => {
      const v = isScalar(value) ? value.value : undefined;
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw doc.error(value ?? keyNode, `sweep.${key} must be an integer ≥ ${min}.`);
      return v;
    };
    switch (key) {
      case "entry_point":
        out.entryPoint = str();
        break;
      case "metric":
        out.metric = str();
        break;
      case "intermediate_metric":
        out.intermediateMetric = str();
        break;
      case "mode": {
        const v = str();
        if (v !== "min" && v !== "max") throw doc.error(value, `sweep.mode must be min or max (got '${v}').`);
        out.direction = v;
        break;
      }
      case "sampler": {
        const v = str();
        if (!(SAMPLER_NAMES as string[]).includes(v)) throw doc.error(value, `sweep.sampler must be one of ${SAMPLER_NAMES.join(", ")} (got '${v}').`);
        out.sampler = v as SamplerName;
        break;
      }
      case "trials":
        out.trials = count(1);
        break;
      case "parallel":
        out.parallel = count(1);
        break;
      case "seed":
        out.seed = count(0);
        break;
      case "timeout": {
        const v = isScalar(value) ? value.value : undefined;
        const ms = typeof v === "number" ? (v > 0 ? v * 1000 : undefined) : typeof v === "string" ? parseDuration(v) : undefined;
        if (!ms) throw doc.error(value ?? keyNode, `sweep.timeout must be a duration such as 90s, 30m or 2h.`);
        out.timeoutMs = ms;
        break;
      }
      case "early_stop":
        out.earlyStop = parseEarlyStop(doc, keyNode, value);
        break;
      case "params": {
        out.params = {};
        for (const p of mapEntries(doc, value, "sweep.params")) {
          const v = isScalar(p.value) ? p.value.value : undefined;
          if (v === null || v === undefined || typeof v === "object") throw doc.error(p.value ?? p.keyNode, `sweep.params.${p.key} must be a scalar.`);
          out.params[p.key] = String(v);
        }
        break;
      }
      case "space":
        if (value === null) throw doc.error(keyNode, "sweep.space is empty.");
        out.space = parseSpaceNode(doc, value);
        break;
      default:
        throw doc.error(keyNode, `unknown key 'sweep.${key}' (expected ${KEYS.join(", ")}).`);
    }
  }
  return out;
}

function parseEarlyStop(doc: LocatedDoc, keyNode: Node, node: Node | null): EarlyStopConfig {
  if (isScalar(node) && (node.value === "asha" || node.value === "median")) return { rule: node.value };
  if (!isMap(node)) throw doc.error(node ?? keyNode, "sweep.early_stop must be asha, median, or a mapping with a rule.");
  const entries = mapEntries(doc, node, "sweep.early_stop");
  const rule = entries.find((e) => e.key === "rule");
  const ruleName = rule && isScalar(rule.value) ? rule.value.value : undefined;
  if (ruleName !== "asha" && ruleName !== "median") throw doc.error(rule?.value ?? node, "sweep.early_stop.rule must be asha or median.");
  const allowed: Record<string, [string, number]> =
    ruleName === "asha"
      ? { min_resource: ["minResource", 0], reduction_factor: ["reductionFactor", 2], max_resource: ["maxResource", 0] }
      : { min_trials: ["minTrials", 1], warmup_steps: ["warmupSteps", 0] };
  const out: Record<string, unknown> = { rule: ruleName };
  for (const e of entries) {
    if (e.key === "rule") continue;
    const spec = allowed[e.key];
    if (!spec) throw doc.error(e.keyNode, `sweep.early_stop: '${e.key}' is not a ${ruleName} setting (expected ${Object.keys(allowed).join(", ")}).`);
    const v = isScalar(e.value) ? e.value.value : undefined;
    const ok = typeof v === "number" && Number.isFinite(v) && (spec[1] === 0 ? v >= 0 && (e.key !== "min_resource" || v > 0) : v >= spec[1]);
    if (!ok) throw doc.error(e.value ?? e.keyNode, `sweep.early_stop.${e.key} must be a number ≥ ${spec[1]}${e.key === "min_resource" ? " (and > 0)" : ""}.`);
    out[spec[0]] = v;
  }
  return out as EarlyStopConfig;
}
