/**
 * Model-version writes of the SQL registry store: create (numbered from the
 * model's counter), update, stage transitions, delete and tags. Each runs
 * inside the write transaction (`trx`) and records its audit events there.
 * @module
 */
import type { Kysely } from "kysely";
import type { Actor, ModelVersion, Stage } from "../../../shared/registry-types.js";
import type { Tag } from "../../../shared/types.js";
import type { CreateModelVersionInput } from "../../../registry/registry-store.js";
import { dedupeTags } from "../tracking/experiment-queries.js";
import { recordEvents, type EventInput } from "./registry-events.js";
import { getModelRow, getVersion, getVersionRow } from "./registry-loaders.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database>;

export async function createModelVersion(trx: Db, input: CreateModelVersionInput, by: Actor, now: number): Promise<ModelVersion> {
  const model = await getModelRow(trx, input.name);
  // The counter is bumped under the row's write lock: concurrent creates get distinct numbers, and a
  // deleted version's number is never handed out again.
  const counter = await trx
    .updateTable("registered_models")
    .set((eb) => ({ next_version: eb("next_version", "+", 1), last_updated_time: now }))
    .where("id", "=", model.id)
    .returning("next_version")
    .executeTakeFirstOrThrow();
  const version = Number(counter.next_version) - 1;
  const inserted = await trx
    .insertInto("model_versions")
    .values({
      registered_model_id: model.id,
      version,
      creation_time: now,
      last_updated_time: now,
      description: input.description,
      user_id: by,
      current_stage: "None",
      source: input.source,
      storage_location: input.storageLocation,
      run_id: input.runId,
      run_link: input.runLink,
      status: "READY",
      status_message: null,
      model_id: input.modelId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const tags = dedupeTags(input.tags);
  if (tags.length > 0) {
    await trx.insertInto("model_version_tags").values(tags.map((t) => ({ model_version_id: inserted.id, key: t.key, value: t.value }))).execute();
  }
  const base = { modelId: model.id, name: input.name, version };
  const events: EventInput[] = [{ ...base, entity: "model_version", action: "created", key: "source", to: input.source }];
  for (const t of tags) events.push({ ...base, entity: "model_version_tag", action: "set", key: t.key, to: t.value });
  await recordEvents(trx, now, by, events);
  return getVersion(trx, input.name, String(version));
}

export async function updateModelVersion(trx: Db, name: string, version: string, description: string | null, by: Actor, now: number): Promise<ModelVersion> {
  const mv = await getVersionRow(trx, name, version);
  await trx.updateTable("model_versions").set({ description, last_updated_time: now }).where("id", "=", mv.id).execute();
  if ((mv.description ?? "") !== (description ?? "")) {
    await recordEvents(trx, now, by, [
      {
        modelId: mv.registered_model_id,
        name,
        version: mv.version,
        entity: "model_version",
        action: "updated",
        key: "description",
        from: mv.description,
        to: description,
      },
    ]);
  }
  return getVersion(trx, name, version);
}

export async function transitionModelVersionStage(
  trx: Db,
  name: string,
  version: string,
  stage: Stage,
  archiveExisting: boolean,
  by: Actor,
  now: number,
): Promise<ModelVersion> {
  const mv = await getVersionRow(trx, name, version);
  const events: EventInput[] = [];
  if (archiveExisting) {
    const others = await trx
      .selectFrom("model_versions")
      .select(["id", "version"])
      .where("registered_model_id", "=", mv.registered_model_id)
      .where("current_stage", "=", stage)
      .where("id", "!=", mv.id)
      .orderBy("version")
      .execute();
    if (others.length > 0) {
      await trx
        .updateTable("model_versions")
        .set({ current_stage: "Archived", last_updated_time: now })
        .where("id", "in", others.map((o) => o.id))
        .execute();
    }
    for (const o of others) {
      events.push({
        modelId: mv.registered_model_id,
        name,
        version: o.version,
        entity: "model_version",
        action: "transitioned",
        key: "current_stage",
        from: stage,
        to: "Archived",
      });
    }
  }
  await trx.updateTable("model_versions").set({ current_stage: stage, last_updated_time: now }).where("id", "=", mv.id).execute();
  await trx.updateTable("registered_models").set({ last_updated_time: now }).where("id", "=", mv.registered_model_id).execute();
  if (mv.current_stage !== stage) {
    events.unshift({
      modelId: mv.registered_model_id,
      name,
      version: mv.version,
      entity: "model_version",
      action: "transitioned",
      key: "current_stage",
      from: mv.current_stage,
      to: stage,
    });
  }
  await recordEvents(trx, now, by, events);
  return getVersion(trx, name, version);
}

export async function deleteModelVersion(trx: Db, name: string, version: string, by: Actor, now: number): Promise<void> {
  const mv = await getVersionRow(trx, name, version);
  const aliases = await trx
    .selectFrom("registered_model_aliases")
    .select("alias")
    .where("model_version_id", "=", mv.id)
    .orderBy("alias")
    .execute();
  const base = { modelId: mv.registered_model_id, name, version: mv.version };
  const events: EventInput[] = aliases.map((a) => ({
    ...base,
    entity: "registered_model_alias" as const,
    action: "deleted" as const,
    key: a.alias,
    from: String(mv.version),
  }));
  events.push({ ...base, entity: "model_version", action: "deleted", key: "source", from: mv.source });
  // Tags and aliases of the version cascade.
  await trx.deleteFrom("model_versions").where("id", "=", mv.id).execute();
  await trx.updateTable("registered_models").set({ last_updated_time: now }).where("id", "=", mv.registered_model_id).execute();
  await recordEvents(trx, now, by, events);
}

export async function getModelVersionDownloadUri(db: Db, name: string, version: string): Promise<string> {
  const mv = await getVersionRow(db, name, version);
  return mv.storage_location ?? mv.source;
}

export async function setModelVersionTag(trx: Db, name: string, version: string, tag: Tag, by: Actor, now: number): Promise<void> {
  const mv = await getVersionRow(trx, name, version);
  const old = await trx
    .selectFrom("model_version_tags")
    .select("value")
    .where("model_version_id", "=", mv.id)
    .where("key", "=", tag.key)
    .executeTakeFirst();
  if (old?.value === tag.value) return;
  await trx
    .insertInto("model_version_tags")
    .values({ model_version_id: mv.id, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(["model_version_id", "key"]).doUpdateSet({ value: tag.value }))
    .execute();
  await recordEvents(trx, now, by, [
    {
      modelId: mv.registered_model_id,
      name,
      version: mv.version,
      entity: "model_version_tag",
      action: "set",
      key: tag.key,
      from: old?.value ?? null,
      to: tag.value,
    },
  ]);
}

export async function deleteModelVersionTag(trx: Db, name: string, version: string, key: string, by: Actor, now: number): Promise<void> {
  const mv = await getVersionRow(trx, name, version);
  const old = await trx
    .deleteFrom("model_version_tags")
    .where("model_version_id", "=", mv.id)
    .where("key", "=", key)
    .returning("value")
    .executeTakeFirst();
  if (old) {
    await recordEvents(trx, now, by, [
      { modelId: mv.registered_model_id, name, version: mv.version, entity: "model_version_tag", action: "deleted", key, from: old.value },
    ]);
  }
}
