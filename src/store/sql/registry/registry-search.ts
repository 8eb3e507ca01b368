/**
 * Registered-model and model-version search: MLflow's filter grammar compiled
 * to indexed SQL (store/sql/filter-sql.ts), keyset pages behind an opaque
 * token, and the page's tags, aliases and latest versions loaded in batches.
 * @module
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { InvalidParameterValueError } from "../../../shared/errors.js";
import { IS_PROMPT_TAG, type ModelVersion, type RegisteredModel } from "../../../shared/registry-types.js";
import type { OrderByClause } from "../../../shared/filter/filter-ast.js";
import type { Page } from "../../../shared/types.js";
import type { SearchModelVersionsQuery, SearchRegisteredModelsQuery } from "../../../registry/registry-store.js";
import { compileFilter, orderFingerprint, type FilterTarget, type SortKey } from "../filter-sql.js";
import { fetchKeysetPage } from "../keyset-page.js";
import type { KeyKind } from "../page-token.js";
import { loadModels, loadVersions, type ModelRow, type VersionRow } from "./registry-loaders.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database>;
type Cond = RawBuilder<boolean>;

const MODEL_COLUMNS: Record<string, string> = { name: "rm.name", last_updated_timestamp: "rm.last_updated_time" };
/** Column types of the sort keys, checked against a page token's values before they reach SQL. */
const KEY_KINDS: Record<string, KeyKind> = {
  name: "text",
  version_number: "int32",
  creation_timestamp: "int64",
  last_updated_timestamp: "int64",
};
const VERSION_COLUMNS: Record<string, string> = {
  name: "rm.name",
  version_number: "mv.version",
  run_id: "mv.run_id",
  source_path: "mv.source",
  creation_timestamp: "mv.creation_time",
  last_updated_timestamp: "mv.last_updated_time",
};

const MODEL_TARGET: FilterTarget = {
  idRef: "rm.id",
  attributeRef: (key) => MODEL_COLUMNS[key],
  keyValueTables: { tag: { table: "registered_model_tags", fk: "registered_model_id" } },
};

const VERSION_TARGET: FilterTarget = {
  idRef: "mv.id",
  attributeRef: (key) => VERSION_COLUMNS[key],
  keyValueTables: { tag: { table: "model_version_tags", fk: "model_version_id" } },
};

function sortKeys(
  orderBy: OrderByClause[],
  columns: Record<string, string>,
  tiebreak: Array<[string, boolean]>,
): { keys: SortKey[] } {
  const keys: SortKey[] = orderBy.map((o, i) => ({ expr: sql.ref(columns[o.key]), ascending: o.ascending, alias: `_o${i}`, kind: KEY_KINDS[o.key] }));
  for (const [key, ascending] of tiebreak) {
    if (!orderBy.some((o) => o.key === key)) {
      keys.push({ expr: sql.ref(columns[key]), ascending, alias: `_o${keys.length}`, kind: KEY_KINDS[key] });
    }
  }
  return { keys };
}

/** A crafted token must not reach SQL with a value its column cannot hold (a 500 on PostgreSQL). */

export async function searchRegisteredModels(db: Db, q: SearchRegisteredModelsQuery): Promise<Page<RegisteredModel>> {
  const conds: Cond[] = [];
  if (q.filter) conds.push(compileFilter(q.filter, MODEL_TARGET));
  if (q.excludePrompts) {
    conds.push(
      sql<boolean>`rm.id not in (select registered_model_id from registered_model_tags where ${sql.ref("key")} = ${IS_PROMPT_TAG} and value = 'true')`,
    );
  }
  const page = await fetchKeysetPage<ModelRow & Record<string, unknown>>(
    db,
    {
      name: "registered-models",
      ...sortKeys(q.orderBy, MODEL_COLUMNS, [["name", true]]),
      fingerprint: orderFingerprint(q.orderBy),
      conds,
      pageToken: q.pageToken,
      maxResults: q.maxResults,
    },
    (selects, where, order, limit) =>
      sql<ModelRow & Record<string, unknown>>`select rm.*, ${selects} from registered_models rm where ${where} order by ${order} limit ${limit}`,
  );
  return { items: await loadModels(db, page.rows), nextPageToken: page.nextPageToken };
}

/** MLflow's default version order: most recently updated first. */
const DEFAULT_VERSION_ORDER: OrderByClause[] = [{ entity: "attribute", key: "last_updated_timestamp", ascending: false }];

export async function searchModelVersions(db: Db, q: SearchModelVersionsQuery): Promise<Page<ModelVersion>> {
  const orderBy = q.orderBy.length > 0 ? q.orderBy : DEFAULT_VERSION_ORDER;
  const conds: Cond[] = [];
  if (q.filter) conds.push(compileFilter(q.filter, VERSION_TARGET));
  if (q.excludePrompts) {
    // MLflow compat: a model is a prompt when any of its versions carries the prompt tag.
    conds.push(sql<boolean>`mv.registered_model_id not in (
      select x.registered_model_id from model_version_tags t join model_versions x on x.id = t.model_version_id
      where t.${sql.ref("key")} = ${IS_PROMPT_TAG} and t.value = 'true')`);
  }
  const page = await fetchKeysetPage<VersionRow & Record<string, unknown>>(
    db,
    {
      name: "model-versions",
      ...sortKeys(orderBy, VERSION_COLUMNS, [
        ["name", true],
        ["version_number", false],
      ]),
      fingerprint: orderFingerprint(orderBy),
      conds,
      pageToken: q.pageToken,
      maxResults: q.maxResults,
    },
    (selects, where, order, limit) =>
      sql<VersionRow & Record<string, unknown>>`select mv.*, rm.name as name, ${selects}
        from model_versions mv join registered_models rm on rm.id = mv.registered_model_id
        where ${where} order by ${order} limit ${limit}`,
  );
  return { items: await loadVersions(db, page.rows), nextPageToken: page.nextPageToken };
}
