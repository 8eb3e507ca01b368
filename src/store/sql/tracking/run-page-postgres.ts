/**
 * A search page's params, tags, latest metrics and model links on PostgreSQL in ONE statement: one round trip
 * and one array parameter (`= any($1::int4[])`) instead of a query per table with a thousand bound ids each.
 *
 * Each table comes back as one JSON value of columns (`[[run ids], [keys], [values], …]`), not as rows: a
 * thousand runs' rows cost more to parse in the client (a field at a time, an array per row) than one
 * `JSON.parse`, and the statement sorts nothing. Rows come in scan order, so each run's entries are put in key
 * order here (the "C" collation's: code point order), sorting only the runs that need it. Dataset inputs
 * are rare: the statement only says whether the page has some, and the caller reads those.
 * @module
 */
import { CompiledQuery, type Kysely } from "kysely";
import type { Metric } from "../../../shared/tracking-types.js";
import { codePointOrder } from "../code-point-order.js";
import type { RunModelLinks } from "./run-model-links.js";
import type { Database } from "../schema.js";
import type { SqlDialect } from "../sql-dialect.js";

export interface KeyValue {
  key: string;
  value: string;
}

export interface RunPageRows {
  params: Map<number, KeyValue[]>;
  tags: Map<number, KeyValue[]>;
  metrics: Map<number, Metric[]>;
  modelLinks: Map<number, RunModelLinks>;
  /** Some run of the page has dataset inputs. */
  hasInputs: boolean;
}

// All aggregates of one select see its rows in the same order, so the columns of a table line up.
const PAGE = `
select
  (select json_build_array(json_agg(run_id), json_agg(key), json_agg(value)) from params where run_id = any($1::int4[])),
  (select json_build_array(json_agg(run_id), json_agg(key), json_agg(value)) from tags where run_id = any($1::int4[])),
  (select json_build_array(json_agg(run_id), json_agg(key), json_agg(value), json_agg(is_nan), json_agg("timestamp"),
    json_agg(step))
    from latest_metrics where run_id = any($1::int4[])),
  (select json_agg(json_build_array(run_id, model_id) order by run_id, model_id) from run_model_inputs where run_id = any($1::int4[])),
  (select json_agg(json_build_array(run_id, model_id, step) order by run_id, step, model_id) from run_outputs where run_id = any($1::int4[])),
  exists (select 1 from run_inputs where run_id = any($1::int4[]))`;

type Columns = Array<unknown[] | null>;

export async function readRunPagePostgres(db: Kysely<Database>, dialect: SqlDialect, runPks: number[]): Promise<RunPageRows> {
  const [[params, tags, metrics, inputs, outputs, hasInputs]] = (await dialect.readRows(db, CompiledQuery.raw(PAGE, [runPks]))) as Array<
    [Columns, Columns, Columns, Array<[number, string]> | null, Array<[number, string, number]> | null, boolean]
  >;
  const modelLinks = new Map<number, RunModelLinks>();
  const links = (runPk: number): RunModelLinks => {
    let l = modelLinks.get(runPk);
    if (!l) modelLinks.set(runPk, (l = { modelInputs: [], modelOutputs: [] }));
    return l;
  };
  for (const [runPk, modelId] of inputs ?? []) links(runPk).modelInputs.push({ modelId });
  for (const [runPk, modelId, step] of outputs ?? []) links(runPk).modelOutputs.push({ modelId, step: Number(step) });
  const pair = (c: Columns) => (i: number): KeyValue => ({ key: c[1]![i] as string, value: c[2]![i] as string });
  // An infinite value comes as the JSON string "Infinity" or "-Infinity".
  const metric = (c: Columns) => (i: number): Metric => ({
    key: c[1]![i] as string,
    value: c[3]![i] ? NaN : Number(c[2]![i]),
    timestamp: Number(c[4]![i]),
    step: Number(c[5]![i]),
  });
  return {
    params: byRun(params, pair(params)),
    tags: byRun(tags, pair(tags)),
    metrics: byRun(metrics, metric(metrics)),
    modelLinks,
    hasInputs,
  };
}

/** Each run's entries of one table's columns, in key order. */
function byRun<T extends { key: string }>(columns: Columns, entry: (i: number) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  const runs = columns[0] as number[] | null;
  if (!runs) return out; // no rows: json_agg gives NULL
  const unsorted = new Set<T[]>();
  let list: T[] = [];
  for (let i = 0; i < runs.length; i++) {
    if (i === 0 || runs[i] !== runs[i - 1]) {
      list = out.get(runs[i]) ?? [];
      if (list.length > 0) unsorted.add(list); // the run's entries were not contiguous
      out.set(runs[i], list);
    }
    const e = entry(i);
    if (list.length > 0 && codePointOrder(list[list.length - 1].key, e.key) > 0) unsorted.add(list);
    list.push(e);
  }
  for (const l of unsorted) l.sort((a, b) => codePointOrder(a.key, b.key));
  return out;
}
