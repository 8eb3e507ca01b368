/**
 * Experiment operations: MLflow's validation, then the store.
 * @module
 */
import { resolve } from "node:path";
import { InvalidParameterValueError } from "../shared/errors.js";
import type { TrackingStore } from "./tracking-store.js";
import { parseFilter, parseOrderBy } from "../shared/filter/filter-parser.js";
import { EXPERIMENT_SEARCH_SPEC } from "./search-specs.js";
import type { Experiment } from "../shared/tracking-types.js";
import type { Page, Tag, ViewType } from "../shared/types.js";
import { LIMITS, validateExperimentName, validateExperimentTag } from "./validation.js";
import { validateMaxResults } from "../shared/validation.js";

export interface SearchExperimentsRequest {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

export class ExperimentService {
  constructor(private readonly store: TrackingStore) {}

  async create(name: unknown, artifactLocation: string | undefined, tags: Tag[]): Promise<string> {
    validateExperimentName(name);
    const location = artifactLocation ? checkArtifactLocation(artifactLocation) : undefined;
    tags.forEach(validateExperimentTag);
    return this.store.createExperiment({ name, artifactLocation: location, tags });
  }

  get(experimentId: string): Promise<Experiment> {
    return this.store.getExperiment(experimentId);
  }

  getByName(name: string): Promise<Experiment> {
    return this.store.getExperimentByName(name);
  }

  search(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    // MLflow errors on an absent max_results (mlflow#10819); ciclo uses the proto's guaranteed page size.
    const maxResults = req.maxResults ?? 1000;
    validateMaxResults(maxResults);
    return this.store.searchExperiments({
      viewType: req.viewType ?? "ACTIVE_ONLY",
      filter: parseFilter(req.filter, EXPERIMENT_SEARCH_SPEC),
      orderBy: parseOrderBy(req.orderBy, EXPERIMENT_SEARCH_SPEC),
      maxResults,
      pageToken: req.pageToken || undefined,
    });
  }

  async rename(experimentId: string, newName: string | undefined): Promise<void> {
    if (!newName) return; // MLflow compat: an empty new_name changes nothing.
    validateExperimentName(newName);
    await this.store.renameExperiment(experimentId, newName);
  }

  delete(experimentId: string): Promise<void> {
    return this.store.deleteExperiment(experimentId);
  }

  restore(experimentId: string): Promise<void> {
    return this.store.restoreExperiment(experimentId);
  }

  setTag(experimentId: string, tag: Tag): Promise<void> {
    validateExperimentTag(tag);
    return this.store.setExperimentTag(experimentId, tag);
  }

  deleteTag(experimentId: string, key: string): Promise<void> {
    return this.store.deleteExperimentTag(experimentId, key);
  }
}

/**
 * Schemes an experiment's artifact location may use: those ciclo serves (`file:`, `s3:`,
 * `mlflow-artifacts:`) and those MLflow clients write to themselves (`gs:`, `wasbs:`, `hdfs:`, `dbfs:`).
 * Anything else (http(s) included: a server-side fetch target, i.e. SSRF) is refused.
 */
const ARTIFACT_SCHEMES = new Set(["file", "s3", "mlflow-artifacts", "gs", "wasbs", "hdfs", "dbfs"]);

/** Validates a client-given artifact location and returns it, relative local paths made absolute. */
function checkArtifactLocation(location: string): string {
  if (location.startsWith("runs:")) {
    throw new InvalidParameterValueError(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
  if (location.length > LIMITS.artifactLocationLength) {
    throw new InvalidParameterValueError(
      `Invalid artifact path length. The length of the artifact path cannot be greater than ${LIMITS.artifactLocationLength} characters.`,
    );
  }
  if (/[#?;]/.test(location)) {
    throw new InvalidParameterValueError("'artifact_location' URL can't include fragments, queries or params.");
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(location)) {
    throw new InvalidParameterValueError("'artifact_location' can't contain control characters or backslashes.");
  }
  let decoded = location;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      throw new InvalidParameterValueError(`Invalid artifact location '${location}': malformed percent-encoding.`);
    }
    if (next === decoded) break;
    decoded = next;
  }
  const scheme = /^([a-zA-Z][\w+.-]*):/.exec(decoded)?.[1]?.toLowerCase();
  const isWindowsDrive = scheme !== undefined && scheme.length === 1;
  if (scheme && !isWindowsDrive && !ARTIFACT_SCHEMES.has(scheme)) {
    throw new InvalidParameterValueError(
      `Unsupported artifact location scheme '${scheme}:' in '${location}'. Use file:, s3:, mlflow-artifacts: (or gs:, wasbs:, hdfs:, dbfs:).`,
    );
  }
  const path = scheme && !isWindowsDrive ? decoded.slice(scheme.length + 1) : decoded;
  if (path.split(/[/\\]/).some((segment) => segment === "..")) {
    throw new InvalidParameterValueError(`Invalid artifact location '${location}': '..' segments are not allowed.`);
  }
  // MLflow compat (resolve_uri_if_local): a relative local path is resolved against the server's working
  // directory and kept a plain path, as given; absolute paths and URIs are stored as they are.
  return scheme && !isWindowsDrive ? location : resolve(location);
}
