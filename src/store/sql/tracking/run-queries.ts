/**
 * Run queries of the SQL tracking store: create, read, update, lifecycle,
 * tags and dataset inputs. Writes go through `log-batch.ts`.
 * @module
 */
import { sql, type Kysely, type Selectable } from "kysely";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import { RUN_NAME_TAG } from "../../../shared/system-tags.js";
import type { Dataset, DatasetInput, Metric, Param, Run, RunInfo, RunModelInput } from "../../../shared/tracking-types.js";
import type { Tag } from "../../../shared/types.js";
import type { CreateRunInput, UpdateRunInput } from "../../../tracking/tracking-store.js";
import { activeExperiment, appendToUri, dedupeTags } from "./experiment-queries.js";
import { newTimeOrderedId } from "../../../shared/node/time-ordered-id.js";
import type { Database, RunsTable } from "../schema.js";
import type { SqlConnection, SqlDialect } from "../sql-dialect.js";
import { codePointOrder } from "../code-point-order.js";
import { insertModelInputs, loadRunModelLinks, type RunModelLinks } from "./run-model-links.js";
import { readRunPagePostgres, type KeyValue } from "./run-page-postgres.js";

type Db = Kysely<Database>;
export type RunRow = Selectable<RunsTable>;

export function runNotFound(runId: string): ResourceDoesNotExistError {
  return new ResourceDoesNotExistError(`Run with id=${runId} not found`);
}

/** A run row's MLflow info (the row's own `id` is not in it: a new run's row is answered before it has one). */
export function toRunInfo(r: Omit<RunRow, "id">): RunInfo {
  return {
    runId: r.run_uuid,
    runName: r.name,
    experimentId: String(r.experiment_id),
    userId: r.user_id,
    status: r.status as RunInfo["status"],
    startTime: r.start_time === null ? null : Number(r.start_time),
    endTime: r.end_time === null ? null : Number(r.end_time),
    artifactUri: r.artifact_uri,
    lifecycleStage: r.lifecycle_stage as RunInfo["lifecycleStage"],
  };
}

export async function getRunRow(db: Db, runId: string): Promise<RunRow> {
  const row = await db.selectFrom("runs").selectAll().where("run_uuid", "=", runId).executeTakeFirst();
  if (!row) throw runNotFound(runId);
  return row;
}

/** MLflow's check before any write to a run. */
export function requireActiveRun(row: Pick<RunRow, "run_uuid" | "lifecycle_stage">): void {
  if (row.lifecycle_stage !== "active") {
    throw new InvalidParameterValueError(
      `The run ${row.run_uuid} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
    );
  }
}

/**
 * A new run's row (every way of creating runs writes it): RUNNING and active, its artifacts at `artifactUri`
 * (`<the experiment's artifact location>/<run uuid>/artifacts`).
 */
export function newRunRow(runUuid: string, experimentId: number, input: CreateRunInput, artifactUri: string) {
  return {
    run_uuid: runUuid,
    experiment_id: experimentId,
    name: input.runName,
    user_id: input.userId,
    status: "RUNNING",
    start_time: input.startTime,
    end_time: null,
    artifact_uri: artifactUri,
    lifecycle_stage: "active",
    deleted_time: null,
    deleted_with_experiment: 0,
  };
}

/** Runs inside a write transaction (`trx`), as do the other writes below. */
export async function createRun(trx: Db, input: CreateRunInput, dialect: SqlDialect): Promise<Run> {
  // PostgreSQL: runs have no foreign key to experiments (migration 21); this lock does what its check did.
  const exp = await activeExperiment(trx, input.experimentId, dialect.name === "postgres");
  const runUuid = newTimeOrderedId();
  const row = newRunRow(runUuid, exp.experiment_id, input, appendToUri(exp.artifact_location, `${runUuid}/artifacts`));
  const inserted = await trx.insertInto("runs").values(row).returning("id").executeTakeFirstOrThrow();
  const tags = dedupeTags(input.tags);
  if (tags.length > 0) {
    await trx
      .insertInto("tags")
      .values(tags.map((t) => ({ run_id: inserted.id, key: t.key, value: t.value })))
      .execute();
  }
  return {
    info: toRunInfo(row),
    data: { metrics: [], params: [], tags: tags.sort(byKey) },
    inputs: { datasetInputs: [] },
  };
}

/** Key order as the databases sort keys (code points), so a run reads back as it was returned. */
export function byKey(a: { key: string }, b: { key: string }): number {
  return codePointOrder(a.key, b.key);
}

/**
 * Loads params, tags, latest metrics and inputs of many runs: on SQLite with one
 * query per table, rows as arrays (see SqlDialect.readRows) in (run_id, key)
 * order, each table's primary-key order, so no sort is needed; on PostgreSQL,
 * where a query is a round trip, with one statement for all of them.
 */
export async function loadRuns(conn: SqlConnection, rows: RunRow[]): Promise<Run[]> {
  if (rows.length === 0) return [];
  const { db, dialect } = conn;
  const ids = rows.map((r) => r.id);
  const kv = async (table: "params" | "tags"): Promise<Map<number, KeyValue[]>> => {
    const out = new Map<number, KeyValue[]>();
    // The page's pairs as one JSON text of flat [run, key, value, …] triples: building rows is most of a bulk
    // read's cost in better-sqlite3 (5,000 tag rows: 2.75 ms), and one JSON.parse of the lot is cheaper than
    // either that or a parse per run.
    const q = sql`select json_group_array(run_id) || char(1) || json_group_array(key) || char(1) || json_group_array(value) from ${sql.table(table)} where run_id in (${sql.join(ids)})`;
    const [[text]] = (await dialect.readRows(db, q.compile(db))) as Array<[string]>;
    groupPairs(text, out);
    return out;
  };
  const datasetInputs = () =>
    db
      .selectFrom("run_inputs as ri")
      .innerJoin("datasets as d", "d.id", "ri.dataset_id")
      .select(["ri.run_id", "d.id", "d.name", "d.digest", "d.source_type", "d.source", "d.schema", "d.profile"])
      .where("ri.run_id", "in", ids)
      .orderBy("d.id")
      .execute();
  let params: Map<number, KeyValue[]>, tags: Map<number, KeyValue[]>, metrics: Map<number, Metric[]>;
  let inputs: Awaited<ReturnType<typeof datasetInputs>>, modelLinks: Map<number, RunModelLinks>;
  if (dialect.name === "postgres") {
    // One round trip for every table (run-page-postgres.ts); dataset inputs only when the page has some.
    const page = await readRunPagePostgres(db, dialect, ids);
    ({ params, tags, metrics, modelLinks } = page);
    inputs = page.hasInputs ? await datasetInputs() : [];
  } else {
    let metricRows: unknown[][];
    [params, tags, metricRows, inputs, modelLinks] = await Promise.all([
      kv("params"),
      kv("tags"),
      dialect.readRows(
        db,
        db
          .selectFrom("latest_metrics")
          .select(["run_id", "key", "value", "is_nan", "timestamp", "step"])
          .where("run_id", "in", ids)
          .orderBy("run_id")
          .orderBy("key")
          .compile(),
      ),
      datasetInputs(),
      loadRunModelLinks(conn, ids),
    ]);
    metrics = new Map();
    for (const [runPk, key, value, isNan, timestamp, step] of metricRows as Array<[number, string, number | null, number, number, number]>) {
      const m: Metric = { key, value: isNan ? NaN : Number(value), timestamp: Number(timestamp), step: Number(step) };
      const list = metrics.get(runPk);
      if (list) list.push(m);
      else metrics.set(runPk, [m]);
    }
  }
  const inputTags =
    inputs.length === 0
      ? []
      : await db
          .selectFrom("input_tags")
          .select(["run_id", "dataset_id", "key", "value"])
          .where("run_id", "in", ids)
          .orderBy("key")
          .execute();

  const byRun = new Map<number, Run>();
  const out = rows.map((r) => {
    const links = modelLinks.get(r.id);
    const run: Run = {
      info: toRunInfo(r),
      data: { metrics: [], params: [], tags: [] },
      inputs: { datasetInputs: [], modelInputs: links?.modelInputs ?? [] },
      outputs: { modelOutputs: links?.modelOutputs ?? [] },
    };
    byRun.set(r.id, run);
    return run;
  });
  for (const [runPk, list] of params) byRun.get(runPk)!.data.params = list satisfies Param[];
  for (const [runPk, list] of tags) byRun.get(runPk)!.data.tags = list satisfies Tag[];
  for (const [runPk, list] of metrics) byRun.get(runPk)!.data.metrics = list;
  const tagsOf = new Map<string, Tag[]>();
  for (const t of inputTags) {
    const k = `${t.run_id}:${t.dataset_id}`;
    const list = tagsOf.get(k) ?? [];
    list.push({ key: t.key, value: t.value });
    tagsOf.set(k, list);
  }
  for (const i of inputs) {
    byRun.get(i.run_id)!.inputs.datasetInputs.push({
      tags: tagsOf.get(`${i.run_id}:${i.id}`) ?? [],
      dataset: {
        name: i.name,
        digest: i.digest,
        sourceType: i.source_type,
        source: i.source,
        schema: i.schema,
        profile: i.profile,
      },
    } satisfies DatasetInput);
  }
  return out;
}

/**
 * Fills `out` with each run's pairs from three JSON arrays (run ids, keys,
 * values; SOH-separated, a character JSON text escapes). The aggregate follows
 * the (run_id, key) primary-key scan, so each run's pairs come in key order;
 * the check confirms it (sorting only if it ever does not).
 */
function groupPairs(text: string, out: Map<number, KeyValue[]>): void {
  const [runsJson, keysJson, valuesJson] = text.split("\u0001");
  const runs = JSON.parse(runsJson) as number[];
  const keys = JSON.parse(keysJson) as string[];
  const values = JSON.parse(valuesJson) as string[];
  let unsorted = false;
  let list: KeyValue[] = [];
  for (let i = 0; i < runs.length; i++) {
    if (i === 0 || runs[i] !== runs[i - 1]) {
      const seen = out.get(runs[i]);
      if (seen) unsorted = true; // a run's pairs not contiguous: sort them all below
      list = seen ?? [];
      out.set(runs[i], list);
    } else if (codePointOrder(keys[i - 1], keys[i]) > 0) unsorted = true;
    list.push({ key: keys[i], value: values[i] });
  }
  if (unsorted) for (const l of out.values()) l.sort(byKey);
}

export async function updateRun(trx: Db, runId: string, input: UpdateRunInput): Promise<RunInfo> {
  const row = await getRunRow(trx, runId);
  requireActiveRun(row);
  const set: Partial<RunRow> = {};
  if (input.status !== undefined) set.status = input.status;
  if (input.endTime !== undefined) set.end_time = input.endTime;
  const renamed = input.runName !== undefined && input.runName !== "";
  if (renamed) set.name = input.runName;
  if (Object.keys(set).length > 0) {
    // The run's row first: its lock keeps a purge out until the tag below is in (PostgreSQL's tags have no
    // foreign key: migration 21); a run purged meanwhile updates nothing.
    const updated = await trx.updateTable("runs").set(set).where("id", "=", row.id).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw runNotFound(runId);
  }
  if (renamed) await upsertTags(trx, row.id, [{ key: RUN_NAME_TAG, value: input.runName! }]);
  return toRunInfo({ ...row, ...set });
}

async function upsertTags(db: Db, runPk: number, tags: Tag[]): Promise<void> {
  if (tags.length === 0) return;
  await db
    .insertInto("tags")
    .values(tags.map((t) => ({ run_id: runPk, key: t.key, value: t.value })))
    .onConflict((oc) => oc.columns(["run_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })))
    .execute();
}

export async function setRunLifecycle(trx: Db, runId: string, stage: "active" | "deleted", now: number): Promise<void> {
  const row = await getRunRow(trx, runId);
  if (stage === "active") {
    const exp = await trx
      .selectFrom("experiments")
      .select("lifecycle_stage")
      .where("experiment_id", "=", row.experiment_id)
      .executeTakeFirstOrThrow();
    if (exp.lifecycle_stage !== "active") {
      throw new InvalidParameterValueError(
        `Cannot restore run ${runId}: its experiment ${row.experiment_id} is deleted. Restore the experiment first.`,
      );
    }
  }
  await trx
    .updateTable("runs")
    .set({ lifecycle_stage: stage, deleted_time: stage === "deleted" ? now : null, deleted_with_experiment: 0 })
    .where("id", "=", row.id)
    .execute();
}

export async function deleteTag(trx: Db, runId: string, key: string): Promise<void> {
  const row = await getRunRow(trx, runId);
  requireActiveRun(row);
  const res = await trx.deleteFrom("tags").where("run_id", "=", row.id).where("key", "=", key).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    throw new ResourceDoesNotExistError(`No tag with name: ${key} in run with id ${runId}`);
  }
}

/**
 * Links the run (`runPk`) to dataset `d` of its experiment, storing the dataset first when the experiment has no
 * dataset of that name and digest yet; answers the dataset's id.
 */
export async function linkDataset(trx: Db, experimentId: number, runPk: number, d: Dataset): Promise<number> {
  await trx
    .insertInto("datasets")
    .values({
      experiment_id: experimentId,
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
      schema: d.schema ?? null,
      profile: d.profile ?? null,
    })
    .onConflict((oc) => oc.columns(["experiment_id", "name", "digest"]).doNothing())
    .execute();
  const ds = await trx
    .selectFrom("datasets")
    .select("id")
    .where("experiment_id", "=", experimentId)
    .where("name", "=", d.name)
    .where("digest", "=", d.digest)
    .executeTakeFirstOrThrow();
  await trx.insertInto("run_inputs").values({ run_id: runPk, dataset_id: ds.id }).onConflict((oc) => oc.doNothing()).execute();
  return ds.id;
}

export async function logInputs(trx: Db, runId: string, inputs: DatasetInput[], models: RunModelInput[] = []): Promise<void> {
  const row = await getRunRow(trx, runId);
  requireActiveRun(row);
  await insertModelInputs(trx, row.id, models);
  for (const input of inputs) {
    const datasetId = await linkDataset(trx, row.experiment_id, row.id, input.dataset);
    const tags = dedupeTags(input.tags);
    if (tags.length > 0) {
      await trx
        .insertInto("input_tags")
        .values(tags.map((t) => ({ run_id: row.id, dataset_id: datasetId, key: t.key, value: t.value })))
        .onConflict((oc) =>
          oc.columns(["run_id", "dataset_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })),
        )
        .execute();
    }
  }
}
