/**
 * Registered-model writes of the SQL registry store: create, rename,
 * update, delete, tags and aliases. Each runs inside the write transaction
 * (`trx`) and records its audit events there.
 * @module
 */
import type { Kysely } from "kysely";
import { InvalidParameterValueError, ResourceAlreadyExistsError } from "../../../shared/errors.js";
import type { Actor, ModelVersion, RegisteredModel } from "../../../shared/registry-types.js";
import type { Tag } from "../../../shared/types.js";
import type { CreateRegisteredModelInput } from "../../../registry/registry-store.js";
import { dedupeTags } from "../tracking/experiment-queries.js";
import { recordEvents, type EventInput } from "./registry-events.js";
import { getModel, getModelRow, getVersionRow, loadVersions, type ModelRow } from "./registry-loaders.js";
import type { Database } from "../schema.js";
import { isUniqueViolation } from "../sql-errors.js";

type Db = Kysely<Database>;

function alreadyExists(name: string): ResourceAlreadyExistsError {
  return new ResourceAlreadyExistsError(`Registered Model (name=${name}) already exists.`);
}

export async function createRegisteredModel(trx: Db, input: CreateRegisteredModelInput, by: Actor, now: number): Promise<RegisteredModel> {
  const taken = await trx.selectFrom("registered_models").select("id").where("name", "=", input.name).executeTakeFirst();
  if (taken) throw alreadyExists(input.name);
  let id: number;
  try {
    const row = await trx
      .insertInto("registered_models")
      .values({ name: input.name, creation_time: now, last_updated_time: now, description: input.description })
      .returning("id")
      .executeTakeFirstOrThrow();
    id = row.id;
  } catch (err) {
    // Another writer took the name between the check and the insert (PostgreSQL).
    if (isUniqueViolation(err)) throw alreadyExists(input.name);
    throw err;
  }
  const tags = dedupeTags(input.tags);
  if (tags.length > 0) {
    await trx.insertInto("registered_model_tags").values(tags.map((t) => ({ registered_model_id: id, key: t.key, value: t.value }))).execute();
  }
  const events: EventInput[] = [{ modelId: id, name: input.name, entity: "registered_model", action: "created", to: input.name }];
  if (input.description) events.push({ modelId: id, name: input.name, entity: "registered_model", action: "updated", key: "description", to: input.description });
  for (const t of tags) events.push({ modelId: id, name: input.name, entity: "registered_model_tag", action: "set", key: t.key, to: t.value });
  await recordEvents(trx, now, by, events);
  return getModel(trx, input.name);
}

export async function renameRegisteredModel(trx: Db, name: string, newName: string, by: Actor, now: number): Promise<RegisteredModel> {
  const row = await getModelRow(trx, name);
  if (newName !== name) {
    const clash = await trx.selectFrom("registered_models").select("id").where("name", "=", newName).executeTakeFirst();
    if (clash) throw alreadyExists(newName);
  }
  try {
    await trx.updateTable("registered_models").set({ name: newName, last_updated_time: now }).where("id", "=", row.id).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyExists(newName);
    throw err;
  }
  // MLflow compat: the versions follow the model and their last_updated_timestamp moves with it.
  await trx.updateTable("model_versions").set({ last_updated_time: now }).where("registered_model_id", "=", row.id).execute();
  if (newName !== name) {
    await recordEvents(trx, now, by, [{ modelId: row.id, name: newName, entity: "registered_model", action: "renamed", key: "name", from: name, to: newName }]);
  }
  return getModel(trx, newName);
}

export async function updateRegisteredModel(trx: Db, name: string, description: string | null, by: Actor, now: number): Promise<RegisteredModel> {
  const row = await getModelRow(trx, name);
  await trx.updateTable("registered_models").set({ description, last_updated_time: now }).where("id", "=", row.id).execute();
  if ((row.description ?? "") !== (description ?? "")) {
    await recordEvents(trx, now, by, [
      { modelId: row.id, name, entity: "registered_model", action: "updated", key: "description", from: row.description, to: description },
    ]);
  }
  return getModel(trx, name);
}

export async function deleteRegisteredModel(trx: Db, name: string, by: Actor, now: number): Promise<void> {
  const row = await getModelRow(trx, name);
  const versions = await trx.selectFrom("model_versions").select("version").where("registered_model_id", "=", row.id).orderBy("version").execute();
  // Versions, tags and aliases go with the model (foreign keys cascade); the history stays.
  await trx.deleteFrom("registered_models").where("id", "=", row.id).execute();
  await recordEvents(trx, now, by, [
    {
      modelId: row.id,
      name,
      entity: "registered_model",
      action: "deleted",
      from: versions.length > 0 ? `${name} (versions ${versions.map((v) => v.version).join(", ")})` : name,
    },
  ]);
}

export async function setRegisteredModelTag(trx: Db, name: string, tag: Tag, by: Actor, now: number): Promise<void> {
  const row = await getModelRow(trx, name);
  const old = await trx
    .selectFrom("registered_model_tags")
    .select("value")
    .where("registered_model_id", "=", row.id)
    .where("key", "=", tag.key)
    .executeTakeFirst();
  if (old?.value === tag.value) return;
  await trx
    .insertInto("registered_model_tags")
    .values({ registered_model_id: row.id, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(["registered_model_id", "key"]).doUpdateSet({ value: tag.value }))
    .execute();
  await recordEvents(trx, now, by, [
    { modelId: row.id, name, entity: "registered_model_tag", action: "set", key: tag.key, from: old?.value ?? null, to: tag.value },
  ]);
}

export async function deleteRegisteredModelTag(trx: Db, name: string, key: string, by: Actor, now: number): Promise<void> {
  const row = await getModelRow(trx, name);
  const old = await trx
    .deleteFrom("registered_model_tags")
    .where("registered_model_id", "=", row.id)
    .where("key", "=", key)
    .returning("value")
    .executeTakeFirst();
  if (old) await recordEvents(trx, now, by, [{ modelId: row.id, name, entity: "registered_model_tag", action: "deleted", key, from: old.value }]);
}

async function currentAlias(trx: Db, row: ModelRow, alias: string): Promise<string | undefined> {
  const r = await trx
    .selectFrom("registered_model_aliases as a")
    .innerJoin("model_versions as mv", "mv.id", "a.model_version_id")
    .select("mv.version")
    .where("a.registered_model_id", "=", row.id)
    .where("a.alias", "=", alias)
    .executeTakeFirst();
  return r ? String(r.version) : undefined;
}

export async function setRegisteredModelAlias(trx: Db, name: string, alias: string, version: string, by: Actor, now: number): Promise<void> {
  const row = await getModelRow(trx, name);
  const mv = await getVersionRow(trx, name, version);
  const old = await currentAlias(trx, row, alias);
  if (old === String(mv.version)) return;
  await trx
    .insertInto("registered_model_aliases")
    .values({ registered_model_id: row.id, alias, model_version_id: mv.id })
    .onConflict((oc) => oc.columns(["registered_model_id", "alias"]).doUpdateSet({ model_version_id: mv.id }))
    .execute();
  await recordEvents(trx, now, by, [
    { modelId: row.id, name, version: mv.version, entity: "registered_model_alias", action: "set", key: alias, from: old ?? null, to: String(mv.version) },
  ]);
}

export async function deleteRegisteredModelAlias(trx: Db, name: string, alias: string, by: Actor, now: number): Promise<void> {
  const row = await getModelRow(trx, name);
  const old = await currentAlias(trx, row, alias);
  if (old === undefined) return;
  await trx.deleteFrom("registered_model_aliases").where("registered_model_id", "=", row.id).where("alias", "=", alias).execute();
  await recordEvents(trx, now, by, [
    { modelId: row.id, name, version: Number(old), entity: "registered_model_alias", action: "deleted", key: alias, from: old },
  ]);
}

export async function getModelVersionByAlias(db: Db, name: string, alias: string): Promise<ModelVersion> {
  const row = await db
    .selectFrom("registered_model_aliases as a")
    .innerJoin("registered_models as rm", "rm.id", "a.registered_model_id")
    .innerJoin("model_versions as mv", "mv.id", "a.model_version_id")
    .selectAll("mv")
    .select("rm.name")
    .where("rm.name", "=", name)
    .where("a.alias", "=", alias)
    .executeTakeFirst();
  // MLflow compat: an unknown alias is INVALID_PARAMETER_VALUE (400), not a 404.
  if (!row) throw new InvalidParameterValueError(`Registered model alias ${alias} not found.`);
  return (await loadVersions(db, [row]))[0];
}
