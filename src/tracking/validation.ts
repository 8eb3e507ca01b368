/**
 * MLflow's validation rules for tracking entities (its `mlflow/utils/validation.py`),
 * with MLflow's limits and wording. Every function throws
 * InvalidParameterValueError and changes nothing.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import { charLength, posixNormpath, SEARCH_MAX_RESULTS, validateLength } from "../shared/validation.js";
import type { DatasetInput, Metric, Param } from "../shared/tracking-types.js";
import type { Tag } from "../shared/types.js";

export const LIMITS = {
  metricsPerBatch: 1000,
  paramsTagsPerBatch: 100,
  entitiesPerBatch: 1000,
  datasetsPerBatch: 1000,
  entityKeyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  experimentTagKeyLength: 250,
  experimentTagValueLength: 5000,
  artifactLocationLength: 2048,
  datasetName: 500,
  datasetDigest: 36,
  metricModelId: 64,
  /** MLflow does not check it, but its column (and ciclo's) is varchar(36): PostgreSQL would fail with a 500. */
  datasetSourceType: 36,
  datasetSource: 65_535,
  datasetSchema: 1_048_575,
  datasetProfile: 16_777_215,
  inputTagKey: 255,
  inputTagValue: 500,
  runNameLength: 250,
  /** The runs.user_id column is varchar(256), as in MLflow; checked so PostgreSQL never sees a longer one. */
  userIdLength: 256,
  searchMaxResults: SEARCH_MAX_RESULTS,
} as const;

const NAME_RE = /^[/\p{L}\p{N}\p{M}_.\- :]*$/u;
const BAD_CHARACTERS =
  "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).";
const RUN_ID_RE = /^[a-zA-Z0-9][\w-]{0,255}$/;

function pathNotUnique(name: string): boolean {
  const norm = posixNormpath(name);
  return norm !== name || norm === "." || norm.startsWith("..") || norm.startsWith("/");
}

function badPathMessage(name: string): string {
  return (
    "Names may be treated as files in certain cases, and must not resolve to other names when treated as such. " +
    `This name would resolve to '${posixNormpath(name)}'`
  );
}

function validateName(kind: string, name: unknown): asserts name is string {
  if (name === undefined || name === null || name === "") {
    throw new InvalidParameterValueError(`${capitalize(kind)} name cannot be None. A key name must be provided.`);
  }
  if (typeof name !== "string") throw new InvalidParameterValueError(`Invalid ${kind} name: ${JSON.stringify(name)}.`);
  if (!NAME_RE.test(name)) throw new InvalidParameterValueError(`Invalid ${kind} name: '${name}'. ${BAD_CHARACTERS}`);
  if (pathNotUnique(name)) throw new InvalidParameterValueError(`Invalid ${kind} name: '${name}'. ${badPathMessage(name)}`);
}

function capitalize(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

/** `nameChecked`: the key was already validated (in the same batch). */
export function validateMetric(m: Metric, nameChecked = false): void {
  if (!nameChecked) validateName("metric", m.key);
  if (typeof m.value !== "number") {
    throw new InvalidParameterValueError(
      `Got invalid value ${String(m.value)} for metric '${m.key}' (timestamp=${m.timestamp}). ` +
        "Please specify value as a valid double (64-bit floating point)",
    );
  }
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
    throw new InvalidParameterValueError(
      `Got invalid timestamp ${m.timestamp} for metric '${m.key}' (value=${m.value}). ` +
        "Timestamp must be a nonnegative long (64-bit integer) ",
    );
  }
  if (!Number.isSafeInteger(m.step)) {
    throw new InvalidParameterValueError(
      `Got invalid step ${m.step} for metric '${m.key}' (value=${m.value}). Step must be a valid long (64-bit integer).`,
    );
  }
  if (!nameChecked) validateLength("Metric name", LIMITS.entityKeyLength, m.key);
  // MLflow 3.x links: varchar columns (64/500/36) that PostgreSQL would refuse with a 500.
  if (m.modelId && m.modelId.length > LIMITS.metricModelId) throw exceedsMaximumLength("model_id", LIMITS.metricModelId);
  if (m.datasetName && m.datasetName.length > LIMITS.datasetName) throw exceedsMaximumLength("dataset_name", LIMITS.datasetName);
  if (m.datasetDigest && m.datasetDigest.length > LIMITS.datasetDigest) {
    throw exceedsMaximumLength("dataset_digest", LIMITS.datasetDigest);
  }
}

/** MLflow 3.x's `exceeds_maximum_length` wording. */
function exceedsMaximumLength(path: string, limit: number): InvalidParameterValueError {
  return new InvalidParameterValueError(`'${path}' exceeds the maximum length of ${limit} characters`);
}

export function validateParam(p: Param): void {
  validateName("parameter", p.key);
  validateLength("Param key", LIMITS.entityKeyLength, p.key);
  if (typeof p.value !== "string") throw new InvalidParameterValueError(`Param value for key '${p.key}' must be a string.`);
  validateLength("Param value", LIMITS.paramValueLength, p.value);
}

export function validateTag(t: Tag): void {
  validateName("tag", t.key);
  validateLength("Tag key", LIMITS.entityKeyLength, t.key);
  if (t.value === undefined || t.value === null) throw new InvalidParameterValueError("Tag value cannot be None");
  validateLength("Tag value", LIMITS.tagValueLength, t.value);
}

export function validateExperimentTag(t: Tag): void {
  validateName("tag", t.key);
  validateLength("Tag key", LIMITS.experimentTagKeyLength, t.key);
  if (t.value === undefined || t.value === null) throw new InvalidParameterValueError("Tag value cannot be None");
  validateLength("Tag value", LIMITS.experimentTagValueLength, t.value);
}

export function validateExperimentName(name: unknown): asserts name is string {
  if (typeof name !== "string") {
    throw new InvalidParameterValueError(`Invalid experiment name: ${JSON.stringify(name)}. Expects a string.`);
  }
  if (name.trim() === "") throw new InvalidParameterValueError(`Invalid experiment name: '${name}'`);
  if (name.length > LIMITS.experimentNameLength && charLength(name) > LIMITS.experimentNameLength) {
    throw new InvalidParameterValueError(
      `Experiment name exceeds the maximum length of ${LIMITS.experimentNameLength} characters`,
    );
  }
}

export function validateRunId(runId: string): void {
  if (!RUN_ID_RE.test(runId)) throw new InvalidParameterValueError(`Invalid run ID: '${runId}'`);
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, n: number) => {
    if (n > limit) {
      throw new InvalidParameterValueError(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${n} ${entity}. ` +
          `Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check("metrics", LIMITS.metricsPerBatch, metrics);
  check("params", LIMITS.paramsTagsPerBatch, params);
  check("tags", LIMITS.paramsTagsPerBatch, tags);
  check("metrics, params, and tags", LIMITS.entitiesPerBatch, metrics + params + tags);
}

export function validateDatasetInputs(inputs: DatasetInput[]): void {
  if (inputs.length > LIMITS.datasetsPerBatch) {
    throw new InvalidParameterValueError(
      `A batch logging request can contain at most ${LIMITS.datasetsPerBatch} datasets. Got ${inputs.length} datasets.`,
    );
  }
  for (const input of inputs) {
    const d = input.dataset;
    if (!d) throw new InvalidParameterValueError("Dataset cannot be None");
    for (const [field, label] of [
      ["name", "name"],
      ["digest", "digest"],
      ["sourceType", "source_type"],
      ["source", "source"],
    ] as const) {
      if (d[field] === undefined || d[field] === null || d[field] === "") {
        throw new InvalidParameterValueError(`Dataset ${label} cannot be None`);
      }
    }
    const max = (label: string, limit: number, v: string | null | undefined) => {
      if (v && v.length > limit) {
        throw new InvalidParameterValueError(`Dataset ${label} exceeds the maximum length of ${limit}`);
      }
    };
    max("name", LIMITS.datasetName, d.name);
    max("digest", LIMITS.datasetDigest, d.digest);
    max("source_type", LIMITS.datasetSourceType, d.sourceType);
    max("source", LIMITS.datasetSource, d.source);
    max("schema", LIMITS.datasetSchema, d.schema);
    max("profile", LIMITS.datasetProfile, d.profile);
    for (const t of input.tags) {
      if (!t.key) throw new InvalidParameterValueError("InputTag key cannot be None");
      if (t.value === undefined || t.value === null) throw new InvalidParameterValueError("InputTag value cannot be None");
      if (t.key.length > LIMITS.inputTagKey) {
        throw new InvalidParameterValueError(`InputTag key exceeds the maximum length of ${LIMITS.inputTagKey}`);
      }
      if (t.value.length > LIMITS.inputTagValue) {
        throw new InvalidParameterValueError(`InputTag value exceeds the maximum length of ${LIMITS.inputTagValue}`);
      }
    }
  }
}

