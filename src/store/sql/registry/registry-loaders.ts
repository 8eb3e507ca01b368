/**
 * Reads of the registry tables shared by the registry queries: row lookups
 * with MLflow's not-found errors, and batched loading of tags, aliases and
 * latest versions (one query per table for a whole page, never per row).
 * @module
 */
import { sql, type Kysely, type Selectable } from "kysely";
import { ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { ModelVersion, ModelVersionStatus, RegisteredModel, Stage } from "../../../shared/registry-types.js";
import type { Tag } from "../../../shared/types.js";
import type { Database, ModelVersionsTable, RegisteredModelsTable } from "../schema.js";

type Db = Kysely<Database>;
export type ModelRow = Selectable<RegisteredModelsTable>;
/** A version row with its model's current name. */
export type VersionRow = Selectable<ModelVersionsTable> & { name: string };

/** Versions are 32-bit integers in both engines' columns: anything else cannot exist. */
function versionNumber(version: string): number | undefined {
  if (!/^\d{1,10}$/.test(version)) return undefined;
  const n = Number(version);
  return n <= 2_147_483_647 ? n : undefined;
}

function modelNotFound(name: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Registered Model with name=${name} not found`);
}

function versionNotFound(name: string, version: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Model Version (name=${name}, version=${version}) not found`);
}

export async function getModelRow(db: Db, name: string): Promise<ModelRow> {
  const row = await db.selectFrom("registered_models").selectAll().where("name", "=", name).executeTakeFirst();
  if (!row) throw modelNotFound(name);
  return row;
}

function versionQuery(db: Db) {
  return db
    .selectFrom("model_versions as mv")
    .innerJoin("registered_models as rm", "rm.id", "mv.registered_model_id")
    .selectAll("mv")
    .select("rm.name");
}

export async function getVersionRow(db: Db, name: string, version: string): Promise<VersionRow> {
  const n = versionNumber(version);
  const row = n === undefined ? undefined : await versionQuery(db).where("rm.name", "=", name).where("mv.version", "=", n).executeTakeFirst();
  if (!row) throw versionNotFound(name, version);
  return row;
}

function groupTags(rows: Array<{ owner: number; key: string; value: string }>): Map<number, Tag[]> {
  const out = new Map<number, Tag[]>();
  for (const r of rows) {
    const list = out.get(r.owner) ?? [];
    list.push({ key: r.key, value: r.value });
    out.set(r.owner, list);
  }
  return out;
}

export async function loadVersions(db: Db, rows: VersionRow[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [tagRows, aliasRows] = await Promise.all([
    db
      .selectFrom("model_version_tags")
      .select(["model_version_id as owner", "key", "value"])
      .where("model_version_id", "in", ids)
      .orderBy("model_version_id")
      .orderBy("key")
      .execute(),
    db
      .selectFrom("registered_model_aliases")
      .select(["model_version_id", "alias"])
      .where("model_version_id", "in", ids)
      .orderBy("model_version_id")
      .orderBy("alias")
      .execute(),
  ]);
  const tags = groupTags(tagRows);
  const aliases = new Map<number, string[]>();
  for (const a of aliasRows) aliases.set(a.model_version_id, [...(aliases.get(a.model_version_id) ?? []), a.alias]);
  return rows.map((r) => ({
    name: r.name,
    version: String(r.version),
    creationTimestamp: Number(r.creation_time),
    lastUpdatedTimestamp: Number(r.last_updated_time),
    userId: r.user_id,
    currentStage: r.current_stage as Stage,
    description: r.description,
    source: r.source,
    runId: r.run_id,
    status: r.status as ModelVersionStatus,
    statusMessage: r.status_message,
    runLink: r.run_link,
    modelId: r.model_id,
    tags: tags.get(r.id) ?? [],
    aliases: aliases.get(r.id) ?? [],
  }));
}

/** The highest READY version in each stage of each model, in version order. */
export async function latestVersionRows(db: Db, modelIds: number[], stages?: Stage[]): Promise<VersionRow[]> {
  if (modelIds.length === 0) return [];
  let q = versionQuery(db)
    .where("mv.registered_model_id", "in", modelIds)
    .where("mv.status", "=", "READY")
    .where(
      "mv.version",
      "=",
      sql<number>`(select max(x.version) from model_versions x where x.registered_model_id = mv.registered_model_id and x.current_stage = mv.current_stage and x.status = 'READY')`,
    );
  if (stages && stages.length > 0) q = q.where("mv.current_stage", "in", stages);
  return q.orderBy("mv.registered_model_id").orderBy("mv.version").execute();
}

export async function loadModels(db: Db, rows: ModelRow[]): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [tagRows, aliasRows, latestRows] = await Promise.all([
    db
      .selectFrom("registered_model_tags")
      .select(["registered_model_id as owner", "key", "value"])
      .where("registered_model_id", "in", ids)
      .orderBy("registered_model_id")
      .orderBy("key")
      .execute(),
    db
      .selectFrom("registered_model_aliases as a")
      .innerJoin("model_versions as mv", "mv.id", "a.model_version_id")
      .select(["a.registered_model_id", "a.alias", "mv.version"])
      .where("a.registered_model_id", "in", ids)
      .orderBy("a.registered_model_id")
      .orderBy("a.alias")
      .execute(),
    latestVersionRows(db, ids),
  ]);
  const tags = groupTags(tagRows);
  const latest = new Map<number, ModelVersion[]>();
  const versions = await loadVersions(db, latestRows);
  latestRows.forEach((r, i) => latest.set(r.registered_model_id, [...(latest.get(r.registered_model_id) ?? []), versions[i]]));
  const aliases = new Map<number, Array<{ alias: string; version: string }>>();
  for (const a of aliasRows) {
    aliases.set(a.registered_model_id, [...(aliases.get(a.registered_model_id) ?? []), { alias: a.alias, version: String(a.version) }]);
  }
  return rows.map((r) => ({
    name: r.name,
    creationTimestamp: Number(r.creation_time),
    lastUpdatedTimestamp: Number(r.last_updated_time),
    description: r.description,
    latestVersions: latest.get(r.id) ?? [],
    tags: tags.get(r.id) ?? [],
    aliases: aliases.get(r.id) ?? [],
  }));
}

export async function getModel(db: Db, name: string): Promise<RegisteredModel> {
  return (await loadModels(db, [await getModelRow(db, name)]))[0];
}

export async function getVersion(db: Db, name: string, version: string): Promise<ModelVersion> {
  return (await loadVersions(db, [await getVersionRow(db, name, version)]))[0];
}
