/**
 * Experiment operations: MLflow's validation, then the store.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";
import type { TrackingStore } from "../store/tracking-store.js";
import { parseFilter, parseOrderBy } from "./search/filter-parser.js";
import { EXPERIMENT_SEARCH_SPEC } from "./search/search-specs.js";
import type { Experiment, Page, Tag, ViewType } from "./types.js";
import { LIMITS, validateExperimentName, validateExperimentTag, validateMaxResults } from "./validation.js";

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
    if (artifactLocation) validateArtifactLocation(artifactLocation);
    tags.forEach(validateExperimentTag);
    return this.store.createExperiment({ name, artifactLocation: artifactLocation || undefined, tags });
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

function validateArtifactLocation(location: string): void {
  if (location.startsWith("runs:")) {
    throw new InvalidParameterValueError(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  }
  if (location.length > LIMITS.artifactLocationLength) {
    throw new InvalidParameterValueError(
      `Invalid artifact path length. The length of the artifact path cannot be greater than ${LIMITS.artifactLocationLength} characters.`,
    );
  }
  if (/[#?;\0]/.test(location)) {
    throw new InvalidParameterValueError("'artifact_location' URL can't include fragments or params.");
  }
}
