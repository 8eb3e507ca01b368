/**
 * create-run for a whole group commit at once: the group's new runs cost one
 * statement (`solo`: experiments, runs and tags together, no transaction), or
 * in a transaction shared with other writes one lookup of their experiments,
 * one insert of the runs and one of their tags, whatever their number. An input whose experiment is missing or deleted is
 * rejected before anything is written; the others are inserted together.
 * @module
 */
import { sql, type Kysely } from "kysely";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import type { Run } from "../../../shared/tracking-types.js";
import type { CreateRunInput } from "../../../tracking/tracking-store.js";
import type { Tag } from "../../../shared/types.js";
import { appendToUri, dedupeTags, experimentIdNumber, experimentNotFound } from "./experiment-queries.js";
import { type GroupedWrite, type WriteOutcome } from "../group-commit-queue.js";
import { byKey, createRun, newRunRow, toRunInfo } from "./run-queries.js";
import { newTimeOrderedId } from "../../../shared/node/time-ordered-id.js";
import type { Database } from "../schema.js";
import type { BulkColumn, SqlDialect } from "../sql-dialect.js";

type Db = Kysely<Database>;

const TAG_COLUMNS: BulkColumn[] = [
  { name: "run_id", pgType: "int4" },
  { name: "key", pgType: "text" },
  { name: "value", pgType: "text" },
];

async function createManyRuns(trx: Db, inputs: readonly CreateRunInput[], dialect: SqlDialect): Promise<Array<WriteOutcome<Run>>> {
  const ids = [...new Set(inputs.map((i) => experimentIdNumber(i.experimentId)).filter((id): id is number => id !== undefined))];
  // PostgreSQL only (batched groups); locked as in SOLO_CREATE below.
  const exps = await sql<{ experiment_id: number; artifact_location: string; lifecycle_stage: string }>`
    select experiment_id, artifact_location, lifecycle_stage from experiments where experiment_id = any(${ids}::int8[]) for key share`.execute(trx);
  const expById = new Map(exps.rows.map((e) => [Number(e.experiment_id), e]));

  const outcomes: Array<WriteOutcome<Run>> = [];
  const rows: Array<{ at: number; row: Parameters<typeof toRunInfo>[0]; tags: ReturnType<typeof dedupeTags> }> = [];
  for (const input of inputs) {
    const expId = experimentIdNumber(input.experimentId);
    const exp = expId === undefined ? undefined : expById.get(expId);
    if (!exp) {
      outcomes.push({ ok: false, error: experimentNotFound(input.experimentId) });
      continue;
    }
    if (exp.lifecycle_stage !== "active") {
      const msg = `The experiment ${input.experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`;
      outcomes.push({ ok: false, error: new InvalidParameterValueError(msg) });
      continue;
    }
    const runUuid = newTimeOrderedId();
    const row = newRunRow(runUuid, Number(exp.experiment_id), input, appendToUri(exp.artifact_location, `${runUuid}/artifacts`));
    rows.push({ at: outcomes.length, row, tags: dedupeTags(input.tags) });
    outcomes.push({ ok: true, value: undefined as unknown as Run });
  }
  if (rows.length === 0) return outcomes;

  const col = <K extends keyof (typeof rows)[number]["row"]>(k: K) => rows.map((r) => r.row[k]);
  const inserted = await sql<{ id: number; run_uuid: string }>`
    insert into runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri,
      lifecycle_stage, deleted_time, deleted_with_experiment)
    select * from unnest(${col("run_uuid")}::text[], ${col("experiment_id")}::int8[], ${col("name")}::text[],
      ${col("user_id")}::text[], ${col("status")}::text[], ${col("start_time")}::int8[], ${col("end_time")}::int8[],
      ${col("artifact_uri")}::text[], ${col("lifecycle_stage")}::text[], ${col("deleted_time")}::int8[],
      ${col("deleted_with_experiment")}::int4[])
    returning id, run_uuid`.execute(trx);
  const pkByUuid = new Map(inserted.rows.map((r) => [r.run_uuid, r.id]));
  const tagRows: unknown[][] = [];
  for (const r of rows) {
    const id = pkByUuid.get(r.row.run_uuid)!;
    for (const t of r.tags) tagRows.push([id, t.key, t.value]);
    outcomes[r.at] = {
      ok: true,
      value: {
        info: toRunInfo(r.row),
        data: { metrics: [], params: [], tags: [...r.tags].sort(byKey) },
        inputs: { datasetInputs: [] },
      },
    };
  }
  await dialect.bulkInsert(trx, "tags", TAG_COLUMNS, tagRows, "");
  return outcomes;
}

/**
 * The group in ONE statement, no transaction (PostgreSQL): the runs are inserted for the inputs whose
 * experiment exists and is active, their tags with them (one statement is atomic and its own commit); the
 * statement answers only the experiments' states and artifact locations, one row per experiment: an input
 * whose experiment is active was inserted (an insert that fails fails the statement), and its artifact URI is
 * the one the statement spelled from that location. The others get MLflow's errors.
 */
async function soloCreateRuns(db: Db, inputs: readonly CreateRunInput[], dialect: SqlDialect): Promise<Array<WriteOutcome<Run>>> {
  // The statement's arrays, built in one pass (flatMap, filter and a Set's spread cost Node 20 more).
  const n = inputs.length;
  const expIds: Array<number | undefined> = new Array(n);
  const uuids: string[] = new Array(n);
  const tagsOf: Tag[][] = new Array(n);
  const runUuid: string[] = [], runExp: number[] = [], runName: string[] = [], runUser: string[] = [], runStart: Array<number | null> = [];
  const tagRun: string[] = [], tagKey: string[] = [], tagValue: string[] = [];
  const distinctExps: number[] = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const input = inputs[i];
    const expId = experimentIdNumber(input.experimentId);
    expIds[i] = expId;
    if (expId === undefined) continue;
    const uuid = newTimeOrderedId(now);
    const tags = dedupeTags(input.tags);
    uuids[i] = uuid;
    tagsOf[i] = tags;
    if (!distinctExps.includes(expId)) distinctExps.push(expId);
    runUuid.push(uuid);
    runExp.push(expId);
    runName.push(input.runName);
    runUser.push(input.userId);
    runStart.push(input.startTime);
    for (const t of tags) {
      tagRun.push(uuid);
      tagKey.push(t.key);
      tagValue.push(t.value);
    }
  }
  const answer = await dialect.runPrepared<{ experiment_id: string; lifecycle_stage: string; artifact_location: string }>(db, SOLO_CREATE, [
    distinctExps, runUuid, runExp, runName, runUser, runStart, tagRun, tagKey, tagValue,
  ]);
  const outcomes: Array<WriteOutcome<Run>> = new Array(n);
  for (let i = 0; i < n; i++) {
    const input = inputs[i];
    const expId = expIds[i];
    const exp = expId === undefined ? undefined : answer.find((e) => Number(e.experiment_id) === expId);
    if (exp === undefined) {
      outcomes[i] = { ok: false, error: experimentNotFound(input.experimentId) };
      continue;
    }
    if (exp.lifecycle_stage !== "active") {
      const msg = `The experiment ${input.experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`;
      outcomes[i] = { ok: false, error: new InvalidParameterValueError(msg) };
      continue;
    }
    const uuid = uuids[i];
    const info = toRunInfo(newRunRow(uuid, expId!, input, appendToUri(exp.artifact_location, `${uuid}/artifacts`)));
    outcomes[i] = { ok: true, value: { info, data: { metrics: [], params: [], tags: tagsOf[i].sort(byKey) }, inputs: { datasetInputs: [] } } };
  }
  return outcomes;
}

// The artifact URI is appendToUri(artifact_location, '<uuid>/artifacts'), spelled in SQL. The experiments are
// locked `FOR KEY SHARE` once per statement, as a foreign key check would lock them for every run (runs have none
// on PostgreSQL: migration 21), so a purge of one waits for the statement; their state, locked rows included,
// answers the inputs whose experiment is not active. The tags need no lock: their runs are this statement's own.
// Only the experiments' rows come back: a run per input would cost the server a row to parse for what it knows.
export const SOLO_CREATE =
  "with e as materialized (select experiment_id, artifact_location, lifecycle_stage from experiments " +
  "where experiment_id = any($1::int8[]) for key share), " +
  "ru as (insert into runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, " +
  "lifecycle_stage, deleted_time, deleted_with_experiment) " +
  "select u.run_uuid, e.experiment_id, u.name, u.user_id, 'RUNNING', u.start_time, null, " +
  "e.artifact_location || case when e.artifact_location like '%/' then '' else '/' end || u.run_uuid || '/artifacts', " +
  "'active', null, 0 from unnest($2::text[], $3::int8[], $4::text[], $5::text[], $6::int8[]) " +
  "u(run_uuid, experiment_id, name, user_id, start_time) join e using (experiment_id) where e.lifecycle_stage = 'active' " +
  "returning id, run_uuid), " +
  "tg as (insert into tags (run_id, key, value) select ru.id, t.key, t.value " +
  "from unnest($7::text[], $8::text[], $9::text[]) t(run_uuid, key, value) join ru using (run_uuid)) " +
  "select experiment_id, lifecycle_stage, artifact_location from e";

/** create-run through the group commit. */
export const CREATE_RUN: GroupedWrite<CreateRunInput, Run> = {
  name: "tracking.create-run",
  many: createManyRuns,
  solo: soloCreateRuns,
  one: (trx, input, dialect) => createRun(trx, input, dialect),
  weight: (input) => 1 + input.tags.length,
};
