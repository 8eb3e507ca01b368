/**
 * The event stream's outboxes and cursors. Two sources today: `registry`
 * (the registry's audit history, written in the same transaction as each
 * change) and `events` (what capabilities publish with {@link publishEvents}).
 * A cursor is a position (tx, id) in one source; migration 0009 says why
 * PostgreSQL orders by the writing transaction first.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { PublishEventInput, StreamEvent } from "../../../jobs/types.js";
import type { SqlDialectName } from "../sql-dialect.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database>;

export const EVENT_SOURCES = ["registry", "events"] as const;
export type EventSourceName = (typeof EVENT_SOURCES)[number];

export interface Cursor {
  tx: string;
  id: number;
}

/** Publishes events; call with the write transaction of the change they describe. */
export async function publishEvents(trx: Db, now: number, events: readonly PublishEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto("stream_events")
    .values(events.map((e) => ({ time: now, type: e.type, subject: e.subject ?? null, payload: JSON.stringify(e.payload ?? {}) })))
    .execute();
}

export function encodePosition(c: Cursor): string {
  return `${c.tx}:${c.id}`;
}

export function decodePosition(position: string): Cursor | undefined {
  const m = /^(\d{1,20}):(\d{1,15})$/.exec(position);
  return m ? { tx: m[1], id: Number(m[2]) } : undefined;
}

const TABLE: Record<EventSourceName, "registry_events" | "stream_events"> = { registry: "registry_events", events: "stream_events" };

/** Where a new subscriber starts when it asks for "now": after everything already committed. */
export async function headCursor(db: Db, dialect: SqlDialectName, source: EventSourceName): Promise<Cursor> {
  if (dialect === "postgres") {
    // Every transaction older than xmin is over; (xmin, 0) sorts before any row written from xmin on.
    const r = await sql<{ xmin: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(db);
    return { tx: r.rows[0].xmin, id: 0 };
  }
  const r = await db.selectFrom(TABLE[source]).select((eb) => eb.fn.max("id").as("id")).executeTakeFirst();
  return { tx: "0", id: Number(r?.id ?? 0) };
}

interface RawEvent {
  tx: string | number;
  id: number;
  time: number;
}

/** Rows after `after`, in commit order, only from transactions that can no longer be followed by an earlier row. */
async function readRows<R extends RawEvent>(db: Db, dialect: SqlDialectName, table: string, columns: string, after: Cursor, limit: number): Promise<R[]> {
  const t = sql.table(table);
  const cols = sql.raw(columns);
  if (dialect === "postgres") {
    const r = await sql<R>`select tx::text as tx, id, time, ${cols} from ${t}
      where (tx, id) > (${after.tx}::xid8, ${after.id}) and tx < pg_snapshot_xmin(pg_current_snapshot())
      order by tx, id limit ${limit}`.execute(db);
    return r.rows;
  }
  const r = await sql<R>`select tx, id, time, ${cols} from ${t} where id > ${after.id} order by id limit ${limit}`.execute(db);
  return r.rows;
}

interface RegistryRow extends RawEvent {
  actor: string | null;
  name: string;
  version: number | null;
  entity: string;
  action: string;
  key: string | null;
  from_value: string | null;
  to_value: string | null;
}

interface PublishedRow extends RawEvent {
  type: string;
  subject: string | null;
  payload: string;
}

export async function readEvents(db: Db, dialect: SqlDialectName, source: EventSourceName, after: Cursor, limit: number): Promise<StreamEvent[]> {
  const pos = (r: RawEvent) => encodePosition({ tx: String(r.tx), id: Number(r.id) });
  if (source === "registry") {
    const rows = await readRows<RegistryRow>(db, dialect, TABLE.registry, "actor, name, version, entity, action, key, from_value, to_value", after, limit);
    return rows.map((r) => ({
      source,
      position: pos(r),
      // registry.model_version.created, registry.registered_model_alias.set, registry.model_version.transitioned, ...
      type: `registry.${r.entity}.${r.action}`,
      time: Number(r.time),
      subject: r.version === null ? r.name : `${r.name}/${r.version}`,
      payload: { name: r.name, version: r.version === null ? null : String(r.version), key: r.key, from: r.from_value, to: r.to_value, actor: r.actor },
    }));
  }
  const rows = await readRows<PublishedRow>(db, dialect, TABLE.events, "type, subject, payload", after, limit);
  return rows.map((r) => ({ source, position: pos(r), type: r.type, time: Number(r.time), subject: r.subject, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

/**
 * Takes the (subscriber, source) cursor's lease for `owner` (creating the
 * cursor at `start` when absent); resolves with its position, or undefined
 * while another owner's lease runs.
 */
export async function claimCursor(
  trx: Db,
  q: { subscriber: string; source: string; owner: string; leaseMs: number; now: number },
  start: (trx: Db) => Promise<Cursor>,
): Promise<Cursor | undefined> {
  const exists = await trx.selectFrom("event_cursors").select("cursor_id").where("subscriber", "=", q.subscriber).where("source", "=", q.source).executeTakeFirst();
  if (!exists) {
    const c = await start(trx);
    await trx
      .insertInto("event_cursors")
      .values({ subscriber: q.subscriber, source: q.source, cursor_tx: c.tx, cursor_id: c.id, updated_at: q.now })
      .onConflict((oc) => oc.columns(["subscriber", "source"]).doNothing())
      .execute();
  }
  const row = await trx
    .updateTable("event_cursors")
    .set({ lease_owner: q.owner, lease_until: q.now + q.leaseMs, updated_at: q.now })
    .where("subscriber", "=", q.subscriber)
    .where("source", "=", q.source)
    .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_owner", "=", q.owner), eb("lease_until", "<", q.now)]))
    .returning(["cursor_tx", "cursor_id"])
    .executeTakeFirst();
  return row ? { tx: row.cursor_tx, id: Number(row.cursor_id) } : undefined;
}

export async function advanceCursor(
  trx: Db,
  q: { subscriber: string; source: string; owner: string; to: Cursor; leaseMs: number; now: number },
): Promise<boolean> {
  const res = await trx
    .updateTable("event_cursors")
    .set({ cursor_tx: q.to.tx, cursor_id: q.to.id, lease_until: q.now + q.leaseMs, updated_at: q.now })
    .where("subscriber", "=", q.subscriber)
    .where("source", "=", q.source)
    .where("lease_owner", "=", q.owner)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function releaseCursor(trx: Db, subscriber: string, source: string, owner: string): Promise<void> {
  await trx
    .updateTable("event_cursors")
    .set({ lease_owner: null, lease_until: null })
    .where("subscriber", "=", subscriber)
    .where("source", "=", source)
    .where("lease_owner", "=", owner)
    .execute();
}

/** Deletes up to `limit` published events older than `before` (one chunk, so SQLite's writer is not held long). */
export async function purgeEvents(trx: Db, before: number, limit: number): Promise<number> {
  const ids = (await trx.selectFrom("stream_events").select("id").where("time", "<", before).orderBy("id").limit(limit).execute()).map((r) => r.id);
  if (ids.length === 0) return 0;
  await trx.deleteFrom("stream_events").where("id", "in", ids).execute();
  return ids.length;
}
