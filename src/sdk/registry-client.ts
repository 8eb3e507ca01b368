/**
 * A typed client over the model registry (MLflow's registered-model and
 * model-version routes, ciclo's audit history and lineage) and MLflow's
 * `register_model`. camelCase domain types in and out; searches and the
 * history have paging helpers that follow `next_page_token`.
 * @module
 */
import { isModelUri, parseModelUri } from "../registry/model-uri.js";
import type { ModelVersion, RegisteredModel, RegistryEvent } from "../shared/registry-types.js";
import { InvalidStateError, MlflowError, ResourceAlreadyExistsError } from "../shared/errors.js";
import type { WireLoggedModel } from "../shared/wire/logged-model-wire.js";
import type { WireModelVersion, WireModelVersionLineage, WireRegisteredModel, WireRegistryEvent } from "../shared/wire/registry-wire.js";
import type { Page } from "../shared/types.js";
import { HttpClient, type HttpClientOptions } from "./http-client.js";
import { fromWireLineage, type ModelVersionLineage } from "./registry-wire-codec.js";
import { fromWireLoggedModel } from "../shared/wire/logged-model-codec.js";
import type { LoggedModel } from "../shared/logged-model-types.js";
import { fromWireModelVersion, fromWireRegisteredModel, fromWireRegistryEvent } from "../shared/wire/registry-codec.js";
import { toTagList, type TagsInput } from "./tracking-client.js";
import { toWireTags } from "../shared/wire/tracking-codec.js";

export interface RegistrySearchOptions {
  filter?: string;
  orderBy?: string[];
  /** Page size (server default 100 models / 200,000 versions). */
  maxResults?: number;
  pageToken?: string;
}

export interface CreateModelVersionOptions {
  runId?: string;
  tags?: TagsInput;
  runLink?: string;
  description?: string;
  /** MLflow 3.x: the logged model the version is registered from. */
  modelId?: string;
}

export interface RegisterModelOptions {
  tags?: TagsInput;
  description?: string;
  /** Seconds to wait for the version to become READY (MLflow's `await_registration_for`, default 300; 0 = don't wait). */
  awaitRegistrationFor?: number;
  /** Delay between status polls, ms (default 1,000). */
  pollIntervalMs?: number;
}

const CICLO_API = "/api/ciclo/v1";
const v = (version: string | number) => String(version);

export class RegistryClient {
  readonly http: HttpClient;

  constructor(opts: HttpClientOptions | HttpClient) {
    this.http = opts instanceof HttpClient ? opts : new HttpClient(opts);
  }

  // ── registered models ────────────────────────────────────────────────────

  async createRegisteredModel(name: string, opts: { tags?: TagsInput; description?: string } = {}): Promise<RegisteredModel> {
    const tags = toTagList(opts.tags);
    const res = await this.http.post<{ registered_model: WireRegisteredModel }>("registered-models/create", {
      name,
      tags: tags.length > 0 ? toWireTags(tags) : undefined,
      description: opts.description,
    });
    return fromWireRegisteredModel(res.registered_model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const res = await this.http.get<{ registered_model: WireRegisteredModel }>("registered-models/get", { name });
    return fromWireRegisteredModel(res.registered_model);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const res = await this.http.post<{ registered_model: WireRegisteredModel }>("registered-models/rename", { name, new_name: newName });
    return fromWireRegisteredModel(res.registered_model);
  }

  async updateRegisteredModel(name: string, opts: { description?: string }): Promise<RegisteredModel> {
    const res = await this.http.request<{ registered_model: WireRegisteredModel }>("PATCH", "registered-models/update", {
      body: { name, description: opts.description },
    });
    return fromWireRegisteredModel(res.registered_model);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.http.request("DELETE", "registered-models/delete", { body: { name } });
  }

  async searchRegisteredModels(opts: RegistrySearchOptions = {}): Promise<Page<RegisteredModel>> {
    const res = await this.http.get<{ registered_models?: WireRegisteredModel[]; next_page_token?: string }>("registered-models/search", {
      filter: opts.filter || undefined,
      order_by: opts.orderBy,
      max_results: opts.maxResults,
      page_token: opts.pageToken || undefined,
    });
    return { items: (res.registered_models ?? []).map(fromWireRegisteredModel), nextPageToken: res.next_page_token || undefined };
  }

  async *iterateRegisteredModels(opts: Omit<RegistrySearchOptions, "pageToken"> = {}): AsyncGenerator<RegisteredModel> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchRegisteredModels({ ...opts, pageToken });
      yield* page.items;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** The highest version in each of `stages` (all stages when omitted). Deprecated in MLflow with stages. */
  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    const res = await this.http.post<{ model_versions?: WireModelVersion[] }>("registered-models/get-latest-versions", { name, stages });
    return (res.model_versions ?? []).map(fromWireModelVersion);
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.http.post("registered-models/set-tag", { name, key, value: String(value) });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.http.request("DELETE", "registered-models/delete-tag", { body: { name, key } });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    await this.http.post("registered-models/alias", { name, alias, version: v(version) });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.http.request("DELETE", "registered-models/alias", { body: { name, alias } });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const res = await this.http.get<{ model_version: WireModelVersion }>("registered-models/alias", { name, alias });
    return fromWireModelVersion(res.model_version);
  }

  // ── model versions ───────────────────────────────────────────────────────

  async createModelVersion(name: string, source: string, opts: CreateModelVersionOptions = {}): Promise<ModelVersion> {
    const tags = toTagList(opts.tags);
    const res = await this.http.post<{ model_version: WireModelVersion }>(
      "model-versions/create",
      {
        name,
        source,
        run_id: opts.runId,
        tags: tags.length > 0 ? toWireTags(tags) : undefined,
        run_link: opts.runLink,
        description: opts.description,
        model_id: opts.modelId,
      },
      // A retry after a lost answer would create a second version.
      { idempotent: false },
    );
    return fromWireModelVersion(res.model_version);
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    const res = await this.http.get<{ model_version: WireModelVersion }>("model-versions/get", { name, version: v(version) });
    return fromWireModelVersion(res.model_version);
  }

  async updateModelVersion(name: string, version: string | number, opts: { description?: string }): Promise<ModelVersion> {
    const res = await this.http.request<{ model_version: WireModelVersion }>("PATCH", "model-versions/update", {
      body: { name, version: v(version), description: opts.description },
    });
    return fromWireModelVersion(res.model_version);
  }

  /** Stages are deprecated in MLflow (use aliases); still served. */
  async transitionModelVersionStage(name: string, version: string | number, stage: string, archiveExistingVersions = false): Promise<ModelVersion> {
    const res = await this.http.post<{ model_version: WireModelVersion }>("model-versions/transition-stage", {
      name,
      version: v(version),
      stage,
      archive_existing_versions: archiveExistingVersions,
    });
    return fromWireModelVersion(res.model_version);
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    await this.http.request("DELETE", "model-versions/delete", { body: { name, version: v(version) } });
  }

  async searchModelVersions(opts: RegistrySearchOptions = {}): Promise<Page<ModelVersion>> {
    const res = await this.http.get<{ model_versions?: WireModelVersion[]; next_page_token?: string }>("model-versions/search", {
      filter: opts.filter || undefined,
      order_by: opts.orderBy,
      max_results: opts.maxResults,
      page_token: opts.pageToken || undefined,
    });
    return { items: (res.model_versions ?? []).map(fromWireModelVersion), nextPageToken: res.next_page_token || undefined };
  }

  async *iterateModelVersions(opts: Omit<RegistrySearchOptions, "pageToken"> = {}): AsyncGenerator<ModelVersion> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchModelVersions({ ...opts, pageToken });
      yield* page.items;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** Where the version's files are (`mlflow-artifacts:/…`, `s3://…`, a logged model's location). */
  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    const res = await this.http.get<{ artifact_uri: string }>("model-versions/get-download-uri", { name, version: v(version) });
    return res.artifact_uri;
  }

  async setModelVersionTag(name: string, version: string | number, key: string, value: string): Promise<void> {
    await this.http.post("model-versions/set-tag", { name, version: v(version), key, value: String(value) });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    await this.http.request("DELETE", "model-versions/delete-tag", { body: { name, version: v(version), key } });
  }

  // ── ciclo: audit history, lineage; MLflow 3.x logged models ─────────────

  /** One page of a model's audit history, newest first (follows renames; outlives deletion). */
  async getRegisteredModelHistory(name: string, opts: { maxResults?: number; pageToken?: string } = {}): Promise<Page<RegistryEvent>> {
    const res = await this.http.get<{ events: WireRegistryEvent[]; next_page_token?: string }>(`${CICLO_API}/registered-models/history`, {
      name,
      max_results: opts.maxResults,
      page_token: opts.pageToken || undefined,
    });
    return { items: res.events.map(fromWireRegistryEvent), nextPageToken: res.next_page_token || undefined };
  }

  async *iterateRegisteredModelHistory(name: string, opts: { maxResults?: number } = {}): AsyncGenerator<RegistryEvent> {
    let pageToken: string | undefined;
    do {
      const page = await this.getRegisteredModelHistory(name, { ...opts, pageToken });
      yield* page.items;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** The run, experiment, params, metrics, code version, datasets and files behind a version. */
  async getModelVersionLineage(name: string, version: string | number): Promise<ModelVersionLineage> {
    const res = await this.http.get<WireModelVersionLineage>(`${CICLO_API}/model-versions/lineage`, { name, version: v(version) });
    return fromWireLineage(res);
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const res = await this.http.get<{ model: WireLoggedModel }>(`logged-models/${encodeURIComponent(modelId)}`);
    return fromWireLoggedModel(res.model);
  }

  /**
   * MLflow's `register_model(model_uri, name)`: creates the registered model
   * (an existing one is fine), creates a version from `modelUri` (`runs:/<run>/<path>`
   * sets its run; `models:/<model_id>` its logged model), then waits until the
   * version is READY. A version that fails registration, or is still pending
   * after `awaitRegistrationFor` seconds, is an error.
   */
  async registerModel(modelUri: string, name: string, opts: RegisterModelOptions = {}): Promise<ModelVersion> {
    try {
      await this.createRegisteredModel(name);
    } catch (err) {
      // MLflow compat: registering a new version of an existing model is the common case.
      if (!(err instanceof ResourceAlreadyExistsError)) throw err;
    }
    const runs = /^runs:\/\/?([^/]+)(?:\/|$)/.exec(modelUri);
    const parsed = isModelUri(modelUri) ? parseModelUri(modelUri) : undefined;
    const modelId = parsed?.kind === "model-id" ? parsed.modelId : undefined;
    let version = await this.createModelVersion(name, modelUri, {
      runId: runs?.[1],
      modelId,
      tags: opts.tags,
      description: opts.description,
    });
    const waitMs = (opts.awaitRegistrationFor ?? 300) * 1000;
    const deadline = Date.now() + waitMs;
    while (version.status === "PENDING_REGISTRATION" && waitMs > 0) {
      if (Date.now() >= deadline) {
        throw new MlflowError(`Exceeded max wait time (${waitMs / 1000} s) for model name: ${name} version: ${version.version} to become READY.`, "INTERNAL_ERROR");
      }
      await new Promise((resolve) => setTimeout(resolve, opts.pollIntervalMs ?? 1000));
      version = await this.getModelVersion(name, version.version);
    }
    if (version.status === "FAILED_REGISTRATION") {
      throw new InvalidStateError(
        `Model version creation failed for model name: ${name} version: ${version.version} with status: ${version.status} and message: ${version.statusMessage ?? ""}`,
      );
    }
    return version;
  }
}
