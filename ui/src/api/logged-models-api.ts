/**
 * MLflow 3.x logged models as the UI uses them (`/ajax-api/2.0/mlflow/logged-models/...`):
 * one model, its tags, and its files.
 */
import type { WireLoggedModel } from "../../../src/shared/wire/logged-model-wire";
import { getJson, MLFLOW, queryString, request } from "./http";
import type { FileInfo } from "./artifacts-api";

export type { WireLoggedModel };

export async function getLoggedModel(modelId: string, signal?: AbortSignal): Promise<WireLoggedModel> {
  return (await getJson<{ model: WireLoggedModel }>(`${MLFLOW}/logged-models/${encodeURIComponent(modelId)}`, {}, signal)).model;
}

export async function setLoggedModelTag(modelId: string, key: string, value: string): Promise<void> {
  await request(`${MLFLOW}/logged-models/${encodeURIComponent(modelId)}/tags`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tags: [{ key, value }] }),
  });
}

export async function deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
  await request(`${MLFLOW}/logged-models/${encodeURIComponent(modelId)}/tags/${encodeURIComponent(key)}`, { method: "DELETE" });
}

export async function listLoggedModelFiles(modelId: string, path: string | undefined, signal?: AbortSignal): Promise<FileInfo[]> {
  const res = await getJson<{ files?: FileInfo[] }>(`${MLFLOW}/logged-models/${encodeURIComponent(modelId)}/artifacts/directories`, { artifact_directory_path: path || undefined }, signal);
  return (res.files ?? []).sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
}

export function loggedModelFileUrl(modelId: string, path: string): string {
  return `${MLFLOW}/logged-models/${encodeURIComponent(modelId)}/artifacts/files${queryString({ artifact_file_path: path })}`;
}

/** `LOGGED_MODEL_READY` → "Ready". */
export const loggedModelStatus = (status: string) => {
  const s = status.replace(/^LOGGED_MODEL_/, "").replace(/_/g, " ").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
};
