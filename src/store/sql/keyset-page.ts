/**
 * One keyset page of a search (experiments, registered models, model
 * versions, logged models): the search's conditions and, with a page token,
 * "after the token's keys"; the sort keys selected under their aliases; one
 * row more than the page, to tell whether another follows; and the next page's
 * token from the last row's keys (page-token.ts binds it to the search's name
 * and fingerprint). Run search pages the same way on its own hot path
 * (tracking/run-search.ts).
 * @module
 */
import { sql, type Kysely, type RawBuilder } from "kysely";
import { afterKeyset, orderBySql, type SortKey } from "./filter-sql.js";
import { decodePageToken, encodePageToken, type KeyValue } from "./page-token.js";
import type { Database } from "./schema.js";

export interface KeysetQuery {
  /** The search's name in its tokens: another search's token is refused. */
  name: string;
  keys: SortKey[];
  /** What else shapes the result list (the order, or more), bound into the token. */
  fingerprint: string;
  conds: Array<RawBuilder<boolean>>;
  pageToken?: string;
  maxResults: number;
  /** A sort key's value as the row holds it, as the token keeps it (default: as it is, null when absent). */
  keyValue?: (v: unknown) => KeyValue;
}

/** The select of one page: the sort keys as `selects`, the conditions as `where`, the order and the row limit. */
export type PageSelect<R> = (selects: RawBuilder<unknown>, where: RawBuilder<unknown>, order: RawBuilder<unknown>, limit: number) => RawBuilder<R>;

export async function fetchKeysetPage<R extends Record<string, unknown>>(
  db: Kysely<Database>,
  q: KeysetQuery,
  select: PageSelect<R>,
): Promise<{ rows: R[]; nextPageToken?: string }> {
  const conds = [...q.conds];
  if (q.pageToken) conds.push(afterKeyset(q.keys, decodePageToken(q.pageToken, q.name, q.fingerprint, q.keys.map((k) => k.kind))));
  const selects = sql.join(q.keys.map((k) => sql`${k.expr} as ${sql.ref(k.alias)}`));
  const where = conds.length > 0 ? sql.join(conds, sql` and `) : sql`1 = 1`;
  const { rows } = await select(selects, where, orderBySql(q.keys), q.maxResults + 1).execute(db);
  const more = rows.length > q.maxResults;
  const page = more ? rows.slice(0, q.maxResults) : rows;
  const last = page[page.length - 1];
  const keyValue = q.keyValue ?? ((v: unknown) => (v as KeyValue) ?? null);
  return { rows: page, nextPageToken: more ? encodePageToken(q.name, q.fingerprint, q.keys.map((k) => keyValue(last[k.alias]))) : undefined };
}
