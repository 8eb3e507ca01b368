/**
 * Experiment queries of the SQL tracking store.
 * @module
 */
import { sql, type Kysely, type Selectable } from "kysely";
import {
  InvalidParameterValueError,
  InvalidStateError,
  ResourceAlreadyExistsError,
  ResourceDoesNotExistError,
} from "../../../shared/errors.js";
import type { Experiment } from "../../../shared/tracking-types.js";
import type { Page, Tag } from "../../../shared/types.js";
import type { CreateExperimentInput, SearchExperimentsQuery } from "../../../tracking/tracking-store.js";
import { compileFilter, orderFingerprint, type FilterTarget, type SortKey } from "../filter-sql.js";
import { fetchKeysetPage } from "../keyset-page.js";
import type { KeyKind, KeyValue } from "../page-token.js";
import type { Database, ExperimentsTable } from "../schema.js";
import { isUniqueViolation } from "../sql-errors.js";
import { viewTypeStages } from "../view-type.js";

type Db = Kysely<Database>;
type ExperimentRow = Selectable<ExperimentsTable>;

/** Parses a wire experiment id; ids are non-negative integers in ciclo's stores. */
export function experimentIdNumber(experimentId: string): number | undefined {
  if (!/^\d{1,10}$/.test(experimentId)) return undefined;
  const n = Number(experimentId);
  // Ids are 32-bit integers in both engines' columns; a larger id cannot exist.
  return n <= 2_147_483_647 ? n : undefined;
}

export function experimentNotFound(experimentId: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`No Experiment with id=${experimentId} exists`);
}

/**
 * The experiment a new run or logged model goes into, read inside the write
 * transaction: missing → RESOURCE_DOES_NOT_EXIST, deleted → MLflow's
 * INVALID_PARAMETER_VALUE. `lockKeyShare` (PostgreSQL only) locks its row
 * `FOR KEY SHARE` until the transaction ends, as a foreign key check would.
 */
export async function activeExperiment(
  trx: Db,
  experimentId: string,
  lockKeyShare = false,
): Promise<{ experiment_id: number; artifact_location: string }> {
  const expId = experimentIdNumber(experimentId);
  const query = trx.selectFrom("experiments").select(["experiment_id", "artifact_location", "lifecycle_stage"]);
  const exp =
    expId === undefined
      ? undefined
      : await (lockKeyShare ? query.forKeyShare() : query).where("experiment_id", "=", expId).executeTakeFirst();
  if (!exp) throw experimentNotFound(experimentId);
  if (exp.lifecycle_stage !== "active") {
    throw new InvalidParameterValueError(
      `The experiment ${experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`,
    );
  }
  return exp;
}

/** Joins an artifact root and a child path the way MLflow's `append_to_uri_path` does. */
export function appendToUri(root: string, child: string): string {
  return root.endsWith("/") ? `${root}${child}` : `${root}/${child}`;
}

/** Runs inside a write transaction (`trx`). */
export async function createExperiment(trx: Db, defaultRoot: string, input: CreateExperimentInput, now: number): Promise<string> {
  try {
    return await insertExperiment(trx, defaultRoot, input, now);
  } catch (err) {
    // Two creations raced past the name check: the unique index decided.
    if (isUniqueViolation(err)) throw duplicateName(input.name, "active");
    throw err;
  }
}

async function insertExperiment(trx: Db, defaultRoot: string, input: CreateExperimentInput, now: number): Promise<string> {
  const existing = await trx
    .selectFrom("experiments")
    .select("lifecycle_stage")
    .where("name", "=", input.name)
    .executeTakeFirst();
  if (existing) throw duplicateName(input.name, existing.lifecycle_stage);
  const row = await trx
    .insertInto("experiments")
    .values({
      name: input.name,
      artifact_location: input.artifactLocation ?? "",
      lifecycle_stage: "active",
      creation_time: now,
      last_update_time: now,
      deleted_time: null,
    })
    .returning("experiment_id")
    .executeTakeFirstOrThrow();
  const id = Number(row.experiment_id);
  if (input.artifactLocation === undefined) {
    await trx
      .updateTable("experiments")
      .set({ artifact_location: appendToUri(defaultRoot, String(id)) })
      .where("experiment_id", "=", id)
      .execute();
  }
  if (input.tags.length > 0) {
    await trx
      .insertInto("experiment_tags")
      .values(dedupeTags(input.tags).map((t) => ({ experiment_id: id, key: t.key, value: t.value })))
      .execute();
  }
  return String(id);
}

function duplicateName(name: string, stage: string): ResourceAlreadyExistsError {
  return stage === "deleted"
    ? new ResourceAlreadyExistsError(
        `Experiment '${name}' already exists in deleted state. You can restore the experiment, ` +
          "or permanently delete the experiment with `ciclo gc` to reuse the name.",
      )
    : new ResourceAlreadyExistsError(`Experiment(name=${name}) already exists.`);
}

/** Later duplicates of a key win, as they would if applied one by one. */
export function dedupeTags(tags: Tag[]): Tag[] {
  const m = new Map<string, string>();
  for (const t of tags) m.set(t.key, t.value);
  return [...m].map(([key, value]) => ({ key, value }));
}

/** Ensures the default experiment `0` ("Default") exists. */
export async function ensureDefaultExperiment(db: Db, defaultRoot: string, now: number): Promise<void> {
  await db
    .insertInto("experiments")
    .values({
      experiment_id: 0,
      name: "Default",
      artifact_location: appendToUri(defaultRoot, "0"),
      lifecycle_stage: "active",
      creation_time: now,
      last_update_time: now,
      deleted_time: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function getExperimentRow(db: Db, experimentId: string): Promise<ExperimentRow> {
  const id = experimentIdNumber(experimentId);
  const row =
    id === undefined
      ? undefined
      : await db.selectFrom("experiments").selectAll().where("experiment_id", "=", id).executeTakeFirst();
  if (!row) throw experimentNotFound(experimentId);
  return row;
}

export async function loadExperiments(db: Db, rows: ExperimentRow[]): Promise<Experiment[]> {
  if (rows.length === 0) return [];
  const tagRows = await db
    .selectFrom("experiment_tags")
    .select(["experiment_id", "key", "value"])
    .where(
      "experiment_id",
      "in",
      rows.map((r) => r.experiment_id),
    )
    .orderBy("key")
    .execute();
  const tags = new Map<number, Tag[]>();
  for (const t of tagRows) {
    const list = tags.get(t.experiment_id) ?? [];
    list.push({ key: t.key, value: t.value });
    tags.set(t.experiment_id, list);
  }
  return rows.map((r) => ({
    experimentId: String(r.experiment_id),
    name: r.name,
    artifactLocation: r.artifact_location,
    lifecycleStage: r.lifecycle_stage as Experiment["lifecycleStage"],
    creationTime: Number(r.creation_time),
    lastUpdateTime: Number(r.last_update_time),
    tags: tags.get(r.experiment_id) ?? [],
  }));
}

export async function getExperimentByName(db: Db, name: string): Promise<ExperimentRow> {
  const row = await db.selectFrom("experiments").selectAll().where("name", "=", name).executeTakeFirst();
  if (!row) throw new ResourceDoesNotExistError(`Could not find experiment with name '${name}'`);
  return row;
}

const EXPERIMENT_KEY_KINDS: Record<string, KeyKind> = {
  name: "text",
  experiment_id: "int32",
  creation_time: "int64",
  last_update_time: "int64",
};

const EXPERIMENT_TARGET: FilterTarget = {
  idRef: "e.experiment_id",
  attributeRef: (key) => `e.${key}`,
  keyValueTables: { tag: { table: "experiment_tags", fk: "experiment_id" } },
};

export async function searchExperiments(db: Db, q: SearchExperimentsQuery): Promise<Page<Experiment>> {
  const orderBy = q.orderBy.length > 0 ? q.orderBy : [{ entity: "attribute" as const, key: "creation_time", ascending: false }];
  const keys: SortKey[] = orderBy.map((o, i) => {
    if (o.entity !== "attribute") {
      throw new InvalidParameterValueError(`Invalid order_by entity '${o.entity}' for experiments.`);
    }
    return { expr: sql.ref(`e.${o.key}`), ascending: o.ascending, alias: `_o${i}`, kind: EXPERIMENT_KEY_KINDS[o.key] };
  });
  // MLflow compat: ties break on experiment_id.
  keys.push({ expr: sql.ref("e.experiment_id"), ascending: true, alias: `_o${keys.length}`, kind: "int32" });
  const conds = [sql<boolean>`e.lifecycle_stage in (${sql.join(viewTypeStages(q.viewType))})`];
  if (q.filter) conds.push(compileFilter(q.filter, EXPERIMENT_TARGET));
  const page = await fetchKeysetPage(
    db,
    { name: "experiments", keys, fingerprint: orderFingerprint(orderBy), conds, pageToken: q.pageToken, maxResults: q.maxResults },
    (selects, where, order, limit) =>
      sql<ExperimentRow & Record<string, KeyValue>>`select e.*, ${selects} from experiments e where ${where} order by ${order} limit ${limit}`,
  );
  return { items: await loadExperiments(db, page.rows), nextPageToken: page.nextPageToken };
}

export async function renameExperiment(db: Db, experimentId: string, newName: string, now: number): Promise<void> {
  const row = await getExperimentRow(db, experimentId);
  if (row.lifecycle_stage !== "active") {
    // MLflow compat: INVALID_STATE (HTTP 500 in MLflow's table).
    throw new InvalidStateError(
      `Cannot rename a non-active experiment. Experiment with id=${experimentId} is in '${row.lifecycle_stage}' state.`,
    );
  }
  const clash = await db.selectFrom("experiments").select("experiment_id").where("name", "=", newName).executeTakeFirst();
  if (clash && clash.experiment_id !== row.experiment_id) throw duplicateName(newName, "active");
  try {
    await db
      .updateTable("experiments")
      .set({ name: newName, last_update_time: now })
      .where("experiment_id", "=", row.experiment_id)
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicateName(newName, "active");
    throw err;
  }
}

export async function setExperimentLifecycle(trx: Db, experimentId: string, stage: "active" | "deleted", now: number): Promise<void> {
  const row = await getExperimentRow(trx, experimentId);
  if (stage === "deleted" && row.experiment_id === 0) {
    throw new InvalidParameterValueError("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
  }
  if (row.lifecycle_stage === stage) {
    // MLflow compat: delete looks among active experiments, restore among deleted ones.
    throw experimentNotFound(experimentId);
  }
  await trx
    .updateTable("experiments")
    .set({ lifecycle_stage: stage, last_update_time: now, deleted_time: stage === "deleted" ? now : null })
    .where("experiment_id", "=", row.experiment_id)
    .execute();
  if (stage === "deleted") {
    await trx
      .updateTable("runs")
      .set({ lifecycle_stage: "deleted", deleted_time: now, deleted_with_experiment: 1 })
      .where("experiment_id", "=", row.experiment_id)
      .where("lifecycle_stage", "=", "active")
      .execute();
  } else {
    // Restore exactly the runs the experiment's deletion deleted, not those deleted on their own before.
    await trx
      .updateTable("runs")
      .set({ lifecycle_stage: "active", deleted_time: null, deleted_with_experiment: 0 })
      .where("experiment_id", "=", row.experiment_id)
      .where("deleted_with_experiment", "=", 1)
      .execute();
  }
}

export async function setExperimentTag(trx: Db, experimentId: string, tag: Tag, now: number): Promise<void> {
  const row = await getExperimentRow(trx, experimentId);
  requireActive(row, experimentId);
  await trx
    .insertInto("experiment_tags")
    .values({ experiment_id: row.experiment_id, key: tag.key, value: tag.value })
    .onConflict((oc) => oc.columns(["experiment_id", "key"]).doUpdateSet({ value: tag.value }))
    .execute();
  await trx.updateTable("experiments").set({ last_update_time: now }).where("experiment_id", "=", row.experiment_id).execute();
}

export async function deleteExperimentTag(trx: Db, experimentId: string, key: string): Promise<void> {
  const row = await getExperimentRow(trx, experimentId);
  requireActive(row, experimentId);
  const res = await trx
    .deleteFrom("experiment_tags")
    .where("experiment_id", "=", row.experiment_id)
    .where("key", "=", key)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    throw new ResourceDoesNotExistError(`No tag with name: ${key} in experiment with id ${experimentId}`);
  }
}

function requireActive(row: ExperimentRow, experimentId: string): void {
  if (row.lifecycle_stage !== "active") {
    throw new InvalidParameterValueError(
      `The experiment ${experimentId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
}
