/**
 * A search page's params, tags, latest metrics and model links on PostgreSQL in ONE statement: one round trip
 * and one array parameter (`= any($1::int4[])`) instead of a query per table with a thousand bound ids each.
 * Rows carry their table in the first column and come sorted as each table's own query sorted them: by run,
 * then key (model outputs by step, then model id). Dataset inputs are rare: the statement only says which runs
 * have some, and the caller reads those.
 * @module
 */
import { CompiledQuery, type Kysely } from "kysely";
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
  /** run_id, key, value, is_nan, timestamp, step — as the latest_metrics read answers. */
  metrics: unknown[][];
  modelLinks: Map<number, RunModelLinks>;
  /** Some run of the page has dataset inputs. */
  hasInputs: boolean;
}

// Columns: t (table), run_id, key, text value, number value, is_nan, timestamp, step, o (sort within key order).
const PAGE = `
select 0 as t, run_id, key collate "C" as key, value as s, null::float8 as v, null::int2 as n, null::int8 as ts, null::int8 as st, 0::int8 as o
  from params where run_id = any($1::int4[])
union all select 1, run_id, key collate "C", value, null, null, null, null, 0 from tags where run_id = any($1::int4[])
union all select 2, run_id, key collate "C", null, value, is_nan, "timestamp", step, 0 from latest_metrics where run_id = any($1::int4[])
union all select 3, run_id, model_id collate "C", null, null, null, null, null, 0 from run_model_inputs where run_id = any($1::int4[])
union all select 4, run_id, model_id collate "C", null, null, null, null, step, step from run_outputs where run_id = any($1::int4[])
union all (select 5, run_id, null, null, null, null, null, null, 0 from run_inputs where run_id = any($1::int4[]) limit 1)
order by 1, 2, 9, 3`;

export async function readRunPagePostgres(db: Kysely<Database>, dialect: SqlDialect, runPks: number[]): Promise<RunPageRows> {
  const out: RunPageRows = { params: new Map(), tags: new Map(), metrics: [], modelLinks: new Map(), hasInputs: false };
  const rows = await dialect.readRows(db, CompiledQuery.raw(PAGE, [runPks]));
  const push = (map: Map<number, KeyValue[]>, runPk: number, kv: KeyValue) => {
    const list = map.get(runPk);
    if (list) list.push(kv);
    else map.set(runPk, [kv]);
  };
  const links = (runPk: number): RunModelLinks => {
    let l = out.modelLinks.get(runPk);
    if (!l) out.modelLinks.set(runPk, (l = { modelInputs: [], modelOutputs: [] }));
    return l;
  };
  for (const [t, runPk, key, s, v, n, ts, st] of rows as Array<[number, number, string, string, number | null, number, number, number]>) {
    if (t === 0) push(out.params, runPk, { key, value: s });
    else if (t === 1) push(out.tags, runPk, { key, value: s });
    else if (t === 2) out.metrics.push([runPk, key, v, n, ts, st]);
    else if (t === 3) links(runPk).modelInputs.push({ modelId: key });
    else if (t === 4) links(runPk).modelOutputs.push({ modelId: key, step: Number(st) });
    else out.hasInputs = true;
  }
  return out;
}
