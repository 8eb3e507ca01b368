/**
 * The import target over ciclo's SQL store (SQLite and PostgreSQL): writes
 * MLflow's entities with their own ids and times, and keeps the import's
 * progress in `mlflow_import_items` (source, kind, source id → target id),
 * written in the same transaction as what it records.
 *
 * The progress table is created by the first import rather than by a schema
 * migration: it is the importer's bookkeeping, not part of the model, and a
 * store that never imported never has it.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type {
  ImportExperiment,
  ImportKind,
  ImportLoggedModel,
  ImportMetricPoint,
  ImportRegisteredModel,
  ImportRun,
  ImportState,
  ImportTarget,
  TargetContents,
} from "../../../mlflow-import/import-target.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";
import { insertPoints, insertRuns } from "./import-run-writer.js";

interface ItemsTable {
  source: string;
  kind: string;
  source_id: string;
  target_id: string;
  imported_at: number;
}
type ImportDb = Database & { mlflow_import_items: ItemsTable };
type Db = Kysely<ImportDb>;

const KINDS: ImportKind[] = ["experiment", "run", "logged_model", "registered_model", "run_artifacts", "logged_model_artifacts"];
const IN_LIST = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_LIST) out.push(items.slice(i, i + IN_LIST));
  return out;
}

export class SqlImportTarget implements ImportTarget {
  private readonly db: Db;

  constructor(
    private readonly conn: SqlConnection,
    private readonly now: () => number = Date.now,
  ) {
    this.db = conn.db as unknown as Db;
  }

  private write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.conn.write((trx) => fn(trx as unknown as Db));
  }

  private async record(trx: Db, source: string, kind: ImportKind, pairs: Array<[string, string]>): Promise<void> {
    const at = this.now();
    for (const part of chunks(pairs)) {
      await trx
        .insertInto("mlflow_import_items")
        .values(part.map(([sourceId, targetId]) => ({ source, kind, source_id: sourceId, target_id: targetId, imported_at: at })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async loadState(source: string, readOnly = false): Promise<ImportState> {
    const state = Object.fromEntries(KINDS.map((k) => [k, new Map<string, string>()])) as ImportState;
    if (readOnly && !(await this.hasItemsTable())) return state;
    const text = this.conn.dialect.name === "postgres" ? sql.raw(`varchar(500) collate "C"`) : sql.raw("text");
    await this.db.schema
      .createTable("mlflow_import_items")
      .ifNotExists()
      .addColumn("source", text, (c) => c.notNull())
      .addColumn("kind", "varchar(32)", (c) => c.notNull())
      .addColumn("source_id", "varchar(500)", (c) => c.notNull())
      .addColumn("target_id", "varchar(500)", (c) => c.notNull())
      .addColumn("imported_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("mlflow_import_items_pk", ["source", "kind", "source_id"])
      .execute();
    const rows = await this.db.selectFrom("mlflow_import_items").select(["kind", "source_id", "target_id"]).where("source", "=", source).execute();
    for (const r of rows) state[r.kind as ImportKind]?.set(r.source_id, r.target_id);
    return state;
  }

  private async hasItemsTable(): Promise<boolean> {
    const tables = await this.db.introspection.getTables();
    return tables.some((t) => t.name === "mlflow_import_items");
  }

  async contents(q: { experimentIds: number[]; experimentNames: string[]; runIds: string[]; modelNames: string[]; loggedModelIds: string[] }): Promise<TargetContents> {
    const out: TargetContents = {
      experiments: new Map(),
      experimentNames: new Map(),
      runIds: new Set(),
      registeredModels: new Set(),
      loggedModels: new Set(),
      maxExperimentId: 0,
    };
    const max = await this.db.selectFrom("experiments").select((eb) => eb.fn.max("experiment_id").as("m")).executeTakeFirst();
    out.maxExperimentId = Number(max?.m ?? 0);
    const exps = [];
    for (const ids of chunks(q.experimentIds)) exps.push(...(await this.db.selectFrom("experiments").select(["experiment_id", "name"]).where("experiment_id", "in", ids).execute()));
    for (const names of chunks(q.experimentNames)) {
      for (const r of await this.db.selectFrom("experiments").select(["experiment_id", "name"]).where("name", "in", names).execute()) out.experimentNames.set(r.name, Number(r.experiment_id));
    }
    for (const e of exps) out.experiments.set(Number(e.experiment_id), { name: e.name, pristineDefault: Number(e.experiment_id) === 0 && (await this.isPristineDefault(this.db)) });
    for (const ids of chunks(q.runIds)) for (const r of await this.db.selectFrom("runs").select("run_uuid").where("run_uuid", "in", ids).execute()) out.runIds.add(r.run_uuid);
    for (const names of chunks(q.modelNames)) for (const r of await this.db.selectFrom("registered_models").select("name").where("name", "in", names).execute()) out.registeredModels.add(r.name);
    for (const ids of chunks(q.loggedModelIds)) for (const r of await this.db.selectFrom("logged_models").select("model_id").where("model_id", "in", ids).execute()) out.loggedModels.add(r.model_id);
    return out;
  }

  /** The Default experiment a new ciclo store creates: no runs, tags, datasets or logged models, still active. */
  private async isPristineDefault(db: Db, lock = false): Promise<boolean> {
    // Before deleting it (PostgreSQL): locked first, so a run created into it meanwhile (runs have no foreign key
    // there, migration 21; a new run locks its experiment instead) is either committed and seen below, or waits.
    const query = db.selectFrom("experiments").select(["name", "lifecycle_stage"]).where("experiment_id", "=", 0);
    const e = await (lock ? query.forUpdate() : query).executeTakeFirst();
    if (!e || e.name !== "Default" || e.lifecycle_stage !== "active") return false;
    for (const table of ["runs", "experiment_tags", "datasets", "logged_models"] as const) {
      const hit = await db.selectFrom(table).select(sql<number>`1`.as("x")).where("experiment_id", "=", 0).executeTakeFirst();
      if (hit) return false;
    }
    return true;
  }

  async writeExperiments(source: string, experiments: ImportExperiment[]): Promise<void> {
    if (experiments.length === 0) return;
    await this.write(async (trx) => {
      if (experiments.some((e) => e.experimentId === 0) && (await this.isPristineDefault(trx, this.conn.dialect.name === "postgres"))) {
        await trx.deleteFrom("experiments").where("experiment_id", "=", 0).execute();
      }
      await trx
        .insertInto("experiments")
        .values(
          experiments.map((e) => ({
            experiment_id: e.experimentId,
            name: e.name,
            artifact_location: e.artifactLocation,
            lifecycle_stage: e.lifecycleStage,
            creation_time: e.creationTime,
            last_update_time: e.lastUpdateTime,
            deleted_time: e.deletedTime,
          })),
        )
        .execute();
      const tags = experiments.flatMap((e) => e.tags.map((t) => ({ experiment_id: e.experimentId, key: t.key, value: t.value })));
      for (const part of chunks(tags)) await trx.insertInto("experiment_tags").values(part).execute();
      await this.record(trx, source, "experiment", experiments.map((e) => [e.sourceId, String(e.experimentId)]));
    });
  }

  async writeLoggedModels(source: string, models: ImportLoggedModel[]): Promise<void> {
    if (models.length === 0) return;
    await this.write(async (trx) => {
      for (const part of chunks(models)) {
        await trx
          .insertInto("logged_models")
          .values(
            part.map((m) => ({
              model_id: m.modelId,
              experiment_id: m.experimentId,
              name: m.name,
              model_type: m.modelType,
              source_run_id: m.sourceRunId,
              status: m.status,
              status_message: m.statusMessage,
              artifact_uri: m.artifactUri,
              creator: null,
              lifecycle_stage: m.lifecycleStage,
              creation_timestamp_ms: m.creationTimestampMs,
              last_updated_timestamp_ms: m.lastUpdatedTimestampMs,
            })),
          )
          .execute();
      }
      const params = models.flatMap((m) => m.params.map((p) => ({ model_id: m.modelId, key: p.key, value: p.value })));
      const tags = models.flatMap((m) => m.tags.map((t) => ({ model_id: m.modelId, key: t.key, value: t.value })));
      for (const part of chunks(params)) await trx.insertInto("logged_model_params").values(part).onConflict((oc) => oc.doNothing()).execute();
      for (const part of chunks(tags)) await trx.insertInto("logged_model_tags").values(part).onConflict((oc) => oc.doNothing()).execute();
      await this.record(trx, source, "logged_model", models.map((m) => [m.modelId, m.modelId]));
    });
  }

  async writeRuns(source: string, runs: ImportRun[], points: AsyncIterable<ImportMetricPoint[]>): Promise<number> {
    if (runs.length === 0) return 0;
    return this.write(async (trx) => {
      const db = trx as unknown as Kysely<Database>;
      const pks = await insertRuns(db, this.conn.dialect, runs);
      let written = 0;
      for await (const chunk of points) written += await insertPoints(db, this.conn.dialect, pks, chunk);
      await this.record(trx, source, "run", runs.map((r) => [r.runId, r.runId]));
      return written;
    });
  }

  async writeRegisteredModel(source: string, m: ImportRegisteredModel): Promise<void> {
    await this.write(async (trx) => {
      const row = await trx
        .insertInto("registered_models")
        .values({ name: m.name, creation_time: m.creationTime, last_updated_time: m.lastUpdatedTime, description: m.description, next_version: m.nextVersion })
        .returning("id")
        .executeTakeFirstOrThrow();
      const modelPk = Number(row.id);
      if (m.tags.length > 0) await trx.insertInto("registered_model_tags").values(m.tags.map((t) => ({ registered_model_id: modelPk, key: t.key, value: t.value }))).execute();
      const versionPks = new Map<number, number>();
      for (const v of m.versions) {
        const vr = await trx
          .insertInto("model_versions")
          .values({
            registered_model_id: modelPk,
            version: v.version,
            creation_time: v.creationTime,
            last_updated_time: v.lastUpdatedTime,
            description: v.description,
            user_id: v.userId,
            current_stage: v.currentStage,
            source: v.source,
            storage_location: v.storageLocation,
            run_id: v.runId,
            run_link: v.runLink,
            status: v.status,
            status_message: v.statusMessage,
            model_id: v.modelId,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        versionPks.set(v.version, Number(vr.id));
        if (v.tags.length > 0) await trx.insertInto("model_version_tags").values(v.tags.map((t) => ({ model_version_id: Number(vr.id), key: t.key, value: t.value }))).execute();
      }
      const aliases = m.aliases.filter((a) => versionPks.has(a.version));
      if (aliases.length > 0) {
        await trx
          .insertInto("registered_model_aliases")
          .values(aliases.map((a) => ({ registered_model_id: modelPk, alias: a.alias, model_version_id: versionPks.get(a.version)! })))
          .execute();
      }
      await this.record(trx, source, "registered_model", [[m.name, m.name]]);
    });
  }

  async markArtifactsCopied(source: string, roots: Array<{ kind: "run_artifacts" | "logged_model_artifacts"; id: string }>): Promise<void> {
    await this.write(async (trx) => {
      for (const kind of ["run_artifacts", "logged_model_artifacts"] as const) {
        const ids = roots.filter((r) => r.kind === kind).map((r): [string, string] => [r.id, r.id]);
        if (ids.length > 0) await this.record(trx, source, kind, ids);
      }
    });
  }

  async finish(): Promise<void> {
    // PostgreSQL's identity sequence does not notice explicit ids; SQLite's AUTOINCREMENT does.
    if (this.conn.dialect.name === "postgres") {
      await sql`select setval(pg_get_serial_sequence('experiments', 'experiment_id'), greatest(m, 1), m >= 1)
                from (select coalesce(max(experiment_id), 0) as m from experiments) x`.execute(this.db);
    }
  }

  async close(): Promise<void> {
    await this.conn.db.destroy();
  }
}
