/**
 * The registry's append-only audit history: written inside the transaction
 * of the change it describes, read newest first.
 * @module
 */
import type { Kysely } from "kysely";
import { InvalidParameterValueError, ResourceDoesNotExistError } from "../../../shared/errors.js";
import type { Actor, RegistryAction, RegistryEntity, RegistryEvent } from "../../../shared/registry-types.js";
import type { Page } from "../../../shared/types.js";
import type { HistoryQuery } from "../../../registry/registry-store.js";
import { decodePageToken, encodePageToken } from "../page-token.js";
import type { Database } from "../schema.js";

type Db = Kysely<Database>;

export interface EventInput {
  modelId: number;
  /** The model's name when the event happens. */
  name: string;
  version?: number | null;
  entity: RegistryEntity;
  action: RegistryAction;
  key?: string | null;
  from?: string | null;
  to?: string | null;
}

/** Appends events; call with the write transaction of the change. */
export async function recordEvents(trx: Db, now: number, by: Actor, events: EventInput[]): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto("registry_events")
    .values(
      events.map((e) => ({
        time: now,
        actor: by,
        registered_model_id: e.modelId,
        name: e.name,
        version: e.version ?? null,
        entity: e.entity,
        action: e.action,
        key: e.key ?? null,
        from_value: e.from ?? null,
        to_value: e.to ?? null,
      })),
    )
    .execute();
}

export async function getHistory(db: Db, name: string, q: HistoryQuery): Promise<Page<RegistryEvent>> {
  const current = await db.selectFrom("registered_models").select("id").where("name", "=", name).executeTakeFirst();
  // A model now bearing the name owns its whole history (before renames too); otherwise the
  // deleted models that bore it are shown, so an audit outlives the model.
  const ids = current
    ? [current.id]
    : (await db.selectFrom("registry_events").select("registered_model_id").distinct().where("name", "=", name).execute()).map(
        (r) => r.registered_model_id,
      );
  if (ids.length === 0) throw new ResourceDoesNotExistError(`Registered Model with name=${name} not found`);
  let query = db.selectFrom("registry_events").selectAll().where("registered_model_id", "in", ids);
  if (q.pageToken) {
    const [after] = decodePageToken(q.pageToken, "registry-history", "", ["int32"]);
    // Event ids are positive: anything else was not made by this server.
    if (typeof after !== "number" || after < 0) throw new InvalidParameterValueError(`Invalid page token '${q.pageToken}' for this history.`);
    query = query.where("id", "<", after);
  }
  const rows = await query.orderBy("id", "desc").limit(q.maxResults + 1).execute();
  const more = rows.length > q.maxResults;
  const page = more ? rows.slice(0, q.maxResults) : rows;
  return {
    items: page.map((r) => ({
      eventId: String(r.id),
      timestamp: Number(r.time),
      actor: r.actor,
      name: r.name,
      version: r.version === null ? null : String(r.version),
      entity: r.entity as RegistryEntity,
      action: r.action as RegistryAction,
      key: r.key,
      from: r.from_value,
      to: r.to_value,
    })),
    nextPageToken: more ? encodePageToken("registry-history", "", [page[page.length - 1].id]) : undefined,
  };
}
