/**
 * The model registry as the UI uses it: MLflow's registry RPCs
 * (`/ajax-api/2.0/mlflow/registered-models/*`, `model-versions/*`) and
 * ciclo's audit history and lineage views (`/api/ciclo/v1/...`), typed with
 * the server's wire types. MLflow updates with PATCH and deletes with DELETE
 * carrying a JSON body.
 */
import type { WireModelVersion, WireModelVersionLineage, WireRegisteredModel, WireRegistryEvent } from "../../../src/shared/wire/registry-wire";
import { containsPattern, quoteValue } from "../filter-text";
import { CICLO, getJson, MLFLOW, postJson, queryString, request } from "./http";

export type { WireModelVersion, WireModelVersionLineage, WireRegisteredModel, WireRegistryEvent };

/** The stages MLflow allows, in the order the UI lists them. */
export const STAGES = ["None", "Staging", "Production", "Archived"] as const;

async function sendJson<T>(method: "PATCH" | "DELETE", url: string, body: unknown): Promise<T> {
  const res = await request(url, { method, headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

export interface ModelPage<T> {
  items: T[];
  nextPageToken?: string;
}

export async function searchRegisteredModels(
  req: { filter?: string; max_results?: number; order_by?: string[]; page_token?: string },
  signal?: AbortSignal,
): Promise<ModelPage<WireRegisteredModel>> {
  const res = await getJson<{ registered_models?: WireRegisteredModel[]; next_page_token?: string }>(`${MLFLOW}/registered-models/search`, { ...req }, signal);
  return { items: res.registered_models ?? [], nextPageToken: res.next_page_token || undefined };
}

export async function getRegisteredModel(name: string, signal?: AbortSignal): Promise<WireRegisteredModel> {
  return (await getJson<{ registered_model: WireRegisteredModel }>(`${MLFLOW}/registered-models/get`, { name }, signal)).registered_model;
}

export const updateModelDescription = (name: string, description: string) =>
  sendJson(`PATCH`, `${MLFLOW}/registered-models/update`, { name, description });
export const setModelTag = (name: string, key: string, value: string) => postJson(`${MLFLOW}/registered-models/set-tag`, { name, key, value });
export const deleteModelTag = (name: string, key: string) => sendJson("DELETE", `${MLFLOW}/registered-models/delete-tag`, { name, key });
export const setModelAlias = (name: string, alias: string, version: string) => postJson(`${MLFLOW}/registered-models/alias`, { name, alias, version });
export const deleteModelAlias = (name: string, alias: string) => sendJson("DELETE", `${MLFLOW}/registered-models/alias`, { name, alias });

export async function searchModelVersions(
  req: { filter?: string; max_results?: number; order_by?: string[]; page_token?: string },
  signal?: AbortSignal,
): Promise<ModelPage<WireModelVersion>> {
  const res = await getJson<{ model_versions?: WireModelVersion[]; next_page_token?: string }>(`${MLFLOW}/model-versions/search`, { ...req }, signal);
  return { items: res.model_versions ?? [], nextPageToken: res.next_page_token || undefined };
}

export async function getModelVersion(name: string, version: string, signal?: AbortSignal): Promise<WireModelVersion> {
  return (await getJson<{ model_version: WireModelVersion }>(`${MLFLOW}/model-versions/get`, { name, version }, signal)).model_version;
}

export const transitionStage = (name: string, version: string, stage: string, archiveExisting: boolean) =>
  postJson(`${MLFLOW}/model-versions/transition-stage`, { name, version, stage, archive_existing_versions: archiveExisting });
export const updateVersionDescription = (name: string, version: string, description: string) =>
  sendJson("PATCH", `${MLFLOW}/model-versions/update`, { name, version, description });
export const setVersionTag = (name: string, version: string, key: string, value: string) =>
  postJson(`${MLFLOW}/model-versions/set-tag`, { name, version, key, value });
export const deleteVersionTag = (name: string, version: string, key: string) =>
  sendJson("DELETE", `${MLFLOW}/model-versions/delete-tag`, { name, version, key });

export async function modelHistory(name: string, pageToken: string | undefined, signal?: AbortSignal): Promise<ModelPage<WireRegistryEvent>> {
  const res = await getJson<{ events: WireRegistryEvent[]; next_page_token?: string }>(
    `${CICLO}/registered-models/history`,
    { name, max_results: 100, page_token: pageToken },
    signal,
  );
  return { items: res.events, nextPageToken: res.next_page_token || undefined };
}

export const versionLineage = (name: string, version: string, signal?: AbortSignal) =>
  getJson<WireModelVersionLineage>(`${CICLO}/model-versions/lineage`, { name, version }, signal);

/** A file of a version, served as a download (`/model-versions/get-artifact`, MLflow's route). */
export function versionArtifactUrl(name: string, version: string, path: string): string {
  return `/model-versions/get-artifact${queryString({ name, version, path })}`;
}

/** The first `maxBytes` of a version's file as text (MLmodel, for its signature). */
export async function readVersionText(name: string, version: string, path: string, maxBytes: number, signal?: AbortSignal): Promise<string> {
  const res = await request(versionArtifactUrl(name, version, path), { signal, headers: { range: `bytes=0-${maxBytes - 1}` } });
  return new TextDecoder().decode(await res.arrayBuffer());
}

/**
 * The registry's filter for a search box: text with an operator is used as
 * written (`tags.team = 'risk'`, `name LIKE 'fr%'`); plain text matches names
 * containing it, case-insensitively.
 */
const FILTER_START = /^\(*\s*(name|tags?\.(`[^`]*`|[\w.-]+)|`[^`]*`)\s*(!?=|<>|(NOT\s+)?I?LIKE\b|IS\b|(NOT\s+)?IN\b)/i;

export function modelFilter(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (FILTER_START.test(t)) return t;
  return `name ILIKE ${quoteValue(containsPattern(t))}`;
}
