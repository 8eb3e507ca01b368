/**
 * The trigger store on the shared database (SQLite or PostgreSQL alike).
 * @module
 */
import type { Kysely, Selectable } from "kysely";
import type { TriggerStore } from "../../../pipelines/triggers/trigger-store.js";
import type { FiringOutcome, FiringRecord, TriggerConfig, TriggerKind, TriggerRecord } from "../../../pipelines/triggers/trigger-types.js";
import type { SqlConnection } from "../sql-dialect.js";
import type { PipelineTriggerFiringsTable, PipelineTriggersTable, PipelineTriggerTables } from "./pipeline-triggers-tables.js";

type Db = Kysely<PipelineTriggerTables>;

function triggerOf(r: Selectable<PipelineTriggersTable>): TriggerRecord {
  return {
    triggerId: r.trigger_id,
    name: r.name,
    kind: r.kind as TriggerKind,
    project: r.project,
    pipeline: r.pipeline,
    config: JSON.parse(r.config) as TriggerConfig,
    inputs: JSON.parse(r.inputs) as Record<string, unknown>,
    secretName: r.secret_name,
    nextFireAt: r.next_fire_at === null ? null : Number(r.next_fire_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    createdBy: r.created_by,
  };
}

function firingOf(r: Selectable<PipelineTriggerFiringsTable>): FiringRecord {
  return {
    triggerId: r.trigger_id,
    firingKey: r.firing_key,
    firedAt: Number(r.fired_at),
    outcome: r.outcome as FiringOutcome,
    reason: r.reason,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    runId: r.run_id,
  };
}

export class SqlTriggerStore implements TriggerStore {
  private readonly db: Db;
  constructor(private readonly conn: SqlConnection) {
    this.db = conn.db as unknown as Db;
  }

  private write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.conn.write((trx) => fn(trx as unknown as Db));
  }

  insert(t: TriggerRecord): Promise<boolean> {
    return this.write(async (trx) => {
      const r = await trx
        .insertInto("pipeline_triggers")
        .values({
          trigger_id: t.triggerId,
          name: t.name,
          kind: t.kind,
          project: t.project,
          pipeline: t.pipeline,
          config: JSON.stringify(t.config),
          inputs: JSON.stringify(t.inputs),
          secret_name: t.secretName,
          next_fire_at: t.nextFireAt,
          created_at: t.createdAt,
          updated_at: t.updatedAt,
          created_by: t.createdBy,
        })
        .onConflict((oc) => oc.column("name").doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    });
  }

  async get(triggerId: string): Promise<TriggerRecord | undefined> {
    const r = await this.db.selectFrom("pipeline_triggers").selectAll().where("trigger_id", "=", triggerId).executeTakeFirst();
    return r && triggerOf(r);
  }

  async getByName(name: string): Promise<TriggerRecord | undefined> {
    const r = await this.db.selectFrom("pipeline_triggers").selectAll().where("name", "=", name).executeTakeFirst();
    return r && triggerOf(r);
  }

  async list(kind?: TriggerKind): Promise<TriggerRecord[]> {
    let q = this.db.selectFrom("pipeline_triggers").selectAll().orderBy("name");
    if (kind) q = q.where("kind", "=", kind);
    return (await q.execute()).map(triggerOf);
  }

  delete(triggerId: string): Promise<boolean> {
    return this.write(async (trx) => {
      await trx.deleteFrom("pipeline_trigger_firings").where("trigger_id", "=", triggerId).execute();
      const r = await trx.deleteFrom("pipeline_triggers").where("trigger_id", "=", triggerId).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    });
  }

  advanceCron(triggerId: string, expected: number, next: number, now: number): Promise<boolean> {
    return this.write(async (trx) => {
      const r = await trx
        .updateTable("pipeline_triggers")
        .set({ next_fire_at: next, updated_at: now })
        .where("trigger_id", "=", triggerId)
        .where("next_fire_at", "=", expected)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }

  claimFiring(f: { triggerId: string; firingKey: string; firedAt: number; detail: Record<string, unknown> }): Promise<boolean> {
    return this.write(async (trx) => {
      const r = await trx
        .insertInto("pipeline_trigger_firings")
        .values({ trigger_id: f.triggerId, firing_key: f.firingKey, fired_at: f.firedAt, outcome: "pending", reason: null, detail: JSON.stringify(f.detail), run_id: null })
        .onConflict((oc) => oc.columns(["trigger_id", "firing_key"]).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    });
  }

  async finishFiring(triggerId: string, firingKey: string, result: { outcome: Exclude<FiringOutcome, "pending">; reason?: string; runId?: string }): Promise<void> {
    await this.write((trx) =>
      trx
        .updateTable("pipeline_trigger_firings")
        .set({ outcome: result.outcome, reason: result.reason ?? null, run_id: result.runId ?? null })
        .where("trigger_id", "=", triggerId)
        .where("firing_key", "=", firingKey)
        .execute(),
    );
  }

  async dropFiring(triggerId: string, firingKey: string): Promise<void> {
    await this.write((trx) => trx.deleteFrom("pipeline_trigger_firings").where("trigger_id", "=", triggerId).where("firing_key", "=", firingKey).execute());
  }

  async getFiring(triggerId: string, firingKey: string): Promise<FiringRecord | undefined> {
    const r = await this.db.selectFrom("pipeline_trigger_firings").selectAll().where("trigger_id", "=", triggerId).where("firing_key", "=", firingKey).executeTakeFirst();
    return r && firingOf(r);
  }

  async listFirings(triggerId: string, limit: number): Promise<FiringRecord[]> {
    const rows = await this.db
      .selectFrom("pipeline_trigger_firings")
      .selectAll()
      .where("trigger_id", "=", triggerId)
      .orderBy("fired_at", "desc")
      .orderBy("firing_key", "desc")
      .limit(limit)
      .execute();
    return rows.map(firingOf);
  }
}
