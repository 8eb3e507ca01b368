/**
 * The `MLmodel` file at the root of a model folder (MLflow's `Model.to_dict()` /
 * `Model.load`, `mlflow/models/model.py`).
 *
 * Reading keeps every field, known or not, so a folder MLflow wrote round-trips.
 * Writing follows what MLflow's `yaml.safe_dump` produces: keys sorted, block
 * style, strings single-quoted when YAML 1.1 (PyYAML) would read them as
 * something else — `utc_time_created: '2025-05-20 03:12:04.551265'` stays a
 * string for Python readers.
 * @module
 */
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import YAML from "yaml";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../shared/errors.js";
import { parseSignature, type MlmodelSignature, type ModelSignature } from "./model-signature.js";

export const MLMODEL_FILE = "MLmodel";

/**
 * `mlflow_version` in the MLmodel files ciclo writes: the MLflow release whose
 * format they follow (3.x: `model_id`, `serving_input_example.json`), so MLflow's
 * version checks read a real release. `ciclo_version` says who wrote the file.
 */
export const MLFLOW_FORMAT_VERSION = "3.1.0";

/** `saved_input_example_info` (MLflow's `_Example.info`). */
export interface SavedInputExampleInfo {
  artifact_path: string;
  /** `dataframe` (pandas split orient) or `ndarray` (tf-serving `{"inputs": …}`); `json_object` for dicts. */
  type: string;
  pandas_orient?: string;
  format?: string;
  /** 3.x: a ready-made `/invocations` body. */
  serving_input_path?: string;
  [key: string]: unknown;
}

/** The MLmodel document; keys are MLflow's (snake_case), unknown ones are kept. */
export interface MlModel {
  artifact_path?: string | null;
  flavors: Record<string, Record<string, unknown>>;
  run_id?: string | null;
  /** Naive UTC, `str(datetime)`: `'2022-01-12 05:17:31.634689'`. */
  utc_time_created?: string | null;
  model_uuid?: string | null;
  /** 3.x LoggedModel id (`m-<32 hex>`). */
  model_id?: string | null;
  mlflow_version?: string | null;
  signature?: MlmodelSignature | null;
  saved_input_example_info?: SavedInputExampleInfo | null;
  metadata?: Record<string, unknown> | null;
  model_size_bytes?: number | null;
  env_vars?: string[] | null;
  [key: string]: unknown;
}

function invalid(message: string): InvalidParameterValueError {
  return new InvalidParameterValueError(`Invalid MLmodel file: ${message}`);
}

/** Parses MLmodel YAML. Unquoted timestamps stay strings (YAML 1.2 core schema has no timestamp type). */
export function parseMlmodel(text: string): MlModel {
  let doc: unknown;
  try {
    doc = YAML.parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw invalid((err as Error).message.split("\n")[0]);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw invalid("not a YAML mapping");
  const m = doc as Record<string, unknown>;
  if (!m.flavors || typeof m.flavors !== "object" || Array.isArray(m.flavors)) throw invalid("no 'flavors' mapping");
  for (const [name, conf] of Object.entries(m.flavors as Record<string, unknown>)) {
    if (conf !== null && (typeof conf !== "object" || Array.isArray(conf))) throw invalid(`flavor '${name}' is not a mapping`);
    if (conf === null) (m.flavors as Record<string, unknown>)[name] = {};
  }
  // Python writes datetimes unquoted only when someone hand-edits; keep them as MLflow's text form.
  if (m.utc_time_created instanceof Date) m.utc_time_created = utcTimeCreated(m.utc_time_created);
  return m as MlModel;
}

/**
 * YAML as PyYAML's `safe_dump` writes it: block style, sequences not indented,
 * strings single-quoted when YAML 1.1 would read them as another type ('3.10', '2025-…').
 */
export function pyYamlStringify(value: unknown, opts: { sortKeys?: boolean } = {}): string {
  const clean = JSON.parse(JSON.stringify(value)) as unknown;
  return YAML.stringify(clean, { version: "1.1", sortMapEntries: opts.sortKeys ?? true, singleQuote: true, lineWidth: 80, indentSeq: false });
}

/** MLmodel YAML as MLflow writes it (sorted keys, YAML 1.1-safe quoting). */
export function stringifyMlmodel(model: MlModel): string {
  return pyYamlStringify(model);
}

export async function readMlmodel(dir: string): Promise<MlModel> {
  let text: string;
  try {
    text = await readFile(join(dir, MLMODEL_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ResourceDoesNotExistError(`No MLmodel file in '${dir}': not a model folder.`);
    }
    throw err;
  }
  return parseMlmodel(text);
}

export async function writeMlmodel(dir: string, model: MlModel): Promise<void> {
  await writeFile(join(dir, MLMODEL_FILE), stringifyMlmodel(model));
}

/** The typed signature of an MLmodel (undefined when it has none). */
export function mlmodelSignature(model: MlModel): ModelSignature | undefined {
  return parseSignature(model.signature ?? undefined);
}

/** `datetime.utcnow()` as `str()` prints it: `YYYY-MM-DD HH:MM:SS.ffffff` (naive UTC, microseconds). */
export function utcTimeCreated(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2025-05-20T03:12:04.551Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${iso.slice(20, 23)}000`;
}

/** A uuid4 as 32 hex digits (MLflow's `uuid.uuid4().hex`). */
export function newModelUuid(): string {
  return randomUUID().replace(/-/g, "");
}
