/**
 * Reads an MLflow SQL store (SQLite, PostgreSQL, MySQL/MariaDB) through one
 * set of queries over MLflow's schema; what a revision lacks is not asked for.
 *
 * MLflow compat: MLflow's SQL store keeps NaN as `value = 0, is_nan = true`
 * and infinities as ±1.7976931348623157e308 (SQL has no infinity); those are
 * read back as NaN and ±Infinity, what the client logged.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { Tag } from "../shared/types.js";
import { checkRevision, featuresOf, type SchemaFeatures } from "./alembic-revisions.js";
import type {
  MlflowSource,
  SourceExperiment,
  SourceLoggedModel,
  SourceMetricPoint,
  SourceModelMetric,
  SourceRegisteredModel,
  SourceRun,
} from "./mlflow-source.js";
import type { MlflowDb } from "./mlflow-schema.js";
import { openSourceConnection, type SourceConnection } from "./sql-source-connection.js";

const DBL_MAX = 1.7976931348623157e308;
/** Ids per `in (…)` list: well under every engine's bound-parameter limit. */
const IN_LIST = 500;
const LOGGED_MODEL_STATUS = ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"] as const;

export function metricValue(value: number | null, isNan: unknown): number {
  if (isNan === true || isNan === 1 || value === null) return NaN;
  const v = Number(value);
  if (v >= DBL_MAX) return Infinity;
  if (v <= -DBL_MAX) return -Infinity;
  return v;
}

const stage = (s: string | null): "active" | "deleted" => (s === "deleted" ? "deleted" : "active");
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function chunks<T>(items: T[], size = IN_LIST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function group<T>(rows: T[], keyOf: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

export async function openSqlSource(uri: string): Promise<SqlSource> {
  const conn = await openSourceConnection(uri);
  try {
    const rows = await conn.db.selectFrom("alembic_version").select("version_num").execute().catch(() => undefined);
    const revision = checkRevision(rows?.[0]?.version_num, conn.describe);
    return new SqlSource(conn, revision, featuresOf(revision));
  } catch (err) {
    await conn.db.destroy();
    throw err;
  }
}

export class SqlSource implements MlflowSource {
  readonly kind = "sql" as const;
  readonly description: string;
  private readonly db: Kysely<MlflowDb>;

  constructor(
    conn: SourceConnection,
    readonly revision: string,
    private readonly features: SchemaFeatures,
  ) {
    this.db = conn.db;
    this.description = conn.describe;
  }

  async experiments(): Promise<SourceExperiment[]> {
    const f = this.features;
    const rows = await this.db
      .selectFrom("experiments")
      .select(["experiment_id", "name", "artifact_location", "lifecycle_stage"])
      .$if(f.experimentTimes, (q) => q.select(["creation_time", "last_update_time"]))
      .orderBy("experiment_id")
      .execute();
    const tags = group(await this.db.selectFrom("experiment_tags").selectAll().execute(), (t) => String(t.experiment_id));
    return rows.map((r) => ({
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactLocation: r.artifact_location,
      lifecycleStage: stage(r.lifecycle_stage),
      creationTime: num((r as { creation_time?: number }).creation_time),
      lastUpdateTime: num((r as { last_update_time?: number }).last_update_time),
      tags: (tags.get(String(r.experiment_id)) ?? []).map((t) => ({ key: t.key, value: t.value ?? "" })),
    }));
  }

  async runIds(experimentIds: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const ids of chunks(experimentIds.map(Number))) {
      for (const r of await this.db.selectFrom("runs").select("run_uuid").where("experiment_id", "in", ids).execute()) out.push(r.run_uuid);
    }
    return out;
  }

  async *runPages(experimentIds: string[], pageSize: number): AsyncIterable<SourceRun[]> {
    for (const experimentId of experimentIds) {
      let after = "";
      for (;;) {
        const rows = await this.db
          .selectFrom("runs")
          .selectAll()
          .where("experiment_id", "=", Number(experimentId))
          .where("run_uuid", ">", after)
          .orderBy("run_uuid")
          .limit(pageSize)
          .execute();
        if (rows.length === 0) break;
        after = rows[rows.length - 1].run_uuid;
        yield await this.loadRuns(rows);
        if (rows.length < pageSize) break;
      }
    }
  }

  private async loadRuns(rows: MlflowDb["runs"][]): Promise<SourceRun[]> {
    const ids = rows.map((r) => r.run_uuid);
    const runs = new Map<string, SourceRun>();
    for (const r of rows) {
      runs.set(r.run_uuid, {
        runId: r.run_uuid,
        experimentId: String(r.experiment_id),
        name: r.name,
        userId: r.user_id,
        status: r.status ?? "RUNNING",
        startTime: num(r.start_time),
        endTime: num(r.end_time),
        artifactUri: r.artifact_uri,
        lifecycleStage: stage(r.lifecycle_stage),
        deletedTime: num(r.deleted_time),
        params: [],
        tags: [],
        datasetInputs: [],
        modelInputs: [],
        modelOutputs: [],
      });
    }
    for (const part of chunks(ids)) {
      for (const p of await this.db.selectFrom("params").selectAll().where("run_uuid", "in", part).orderBy("key").execute()) {
        runs.get(p.run_uuid)!.params.push({ key: p.key, value: p.value });
      }
      for (const t of await this.db.selectFrom("tags").selectAll().where("run_uuid", "in", part).orderBy("key").execute()) {
        runs.get(t.run_uuid)!.tags.push({ key: t.key, value: t.value ?? "" });
      }
      if (this.features.datasets) await this.loadDatasetInputs(part, runs);
      if (this.features.loggedModels) await this.loadModelLinks(part, runs);
    }
    return [...runs.values()];
  }

  private async loadDatasetInputs(runIds: string[], runs: Map<string, SourceRun>): Promise<void> {
    const inputs = await this.db
      .selectFrom("inputs as i")
      .innerJoin("datasets as d", "d.dataset_uuid", "i.source_id")
      .select(["i.input_uuid", "i.destination_id", "d.name", "d.digest", "d.dataset_source_type", "d.dataset_source", "d.dataset_schema", "d.dataset_profile"])
      .where("i.source_type", "=", "DATASET")
      .where("i.destination_type", "=", "RUN")
      .where("i.destination_id", "in", runIds)
      .orderBy("i.destination_id")
      .orderBy("d.name")
      .orderBy("d.digest")
      .execute();
    if (inputs.length === 0) return;
    const tags = new Map<string, Tag[]>();
    for (const part of chunks(inputs.map((i) => i.input_uuid))) {
      for (const t of await this.db.selectFrom("input_tags").selectAll().where("input_uuid", "in", part).orderBy("name").execute()) {
        const list = tags.get(t.input_uuid) ?? [];
        list.push({ key: t.name, value: t.value });
        tags.set(t.input_uuid, list);
      }
    }
    for (const i of inputs) {
      runs.get(i.destination_id)!.datasetInputs.push({
        dataset: {
          name: i.name,
          digest: i.digest,
          sourceType: i.dataset_source_type,
          source: i.dataset_source,
          schema: i.dataset_schema,
          profile: i.dataset_profile,
        },
        tags: tags.get(i.input_uuid) ?? [],
      });
    }
  }

  private async loadModelLinks(runIds: string[], runs: Map<string, SourceRun>): Promise<void> {
    const rows = await this.db
      .selectFrom("inputs")
      .select(["source_type", "source_id", "destination_type", "destination_id"])
      .$if(this.features.inputStep, (q) => q.select("step"))
      .where("source_id", "in", runIds)
      .where((eb) =>
        eb.or([
          eb.and([eb("source_type", "=", "RUN_INPUT"), eb("destination_type", "=", "MODEL_INPUT")]),
          eb.and([eb("source_type", "=", "RUN_OUTPUT"), eb("destination_type", "=", "MODEL_OUTPUT")]),
        ]),
      )
      .orderBy("destination_id")
      .execute();
    for (const r of rows) {
      const run = runs.get(r.source_id)!;
      if (r.source_type === "RUN_INPUT") run.modelInputs.push(r.destination_id);
      else run.modelOutputs.push({ modelId: r.destination_id, step: Number((r as { step?: number }).step ?? 0) });
    }
  }

  /**
   * Keyset pages over (run, key, timestamp, step, value, is_nan) — MLflow's
   * primary key — so a history of millions of points is read in bounded chunks.
   */
  async *metricPoints(runIds: string[], chunk: number): AsyncIterable<SourceMetricPoint[]> {
    for (const part of chunks(runIds)) {
      let after: MlflowDb["metrics"] | undefined;
      for (;;) {
        const last = after;
        const rows = await this.db
          .selectFrom("metrics")
          .select(["run_uuid", "key", "timestamp", "step", "value", "is_nan"])
          .where("run_uuid", "in", part)
          .$if(last !== undefined, (q) =>
            q.where(
              sql<boolean>`(run_uuid, ${sql.ref("key")}, ${sql.ref("timestamp")}, step, value, is_nan) > (${last!.run_uuid}, ${last!.key}, ${last!.timestamp}, ${last!.step}, ${last!.value}, ${last!.is_nan})`,
            ),
          )
          .orderBy("run_uuid")
          .orderBy("key")
          .orderBy("timestamp")
          .orderBy("step")
          .orderBy("value")
          .orderBy("is_nan")
          .limit(chunk)
          .execute();
        if (rows.length === 0) break;
        after = rows[rows.length - 1];
        yield rows.map((r) => ({
          runId: r.run_uuid,
          key: r.key,
          value: metricValue(r.value, r.is_nan),
          timestamp: Number(r.timestamp),
          step: Number(r.step),
        }));
        if (rows.length < chunk) break;
      }
    }
  }

  async loggedModels(experimentIds: string[]): Promise<SourceLoggedModel[]> {
    if (!this.features.loggedModels || experimentIds.length === 0) return [];
    const out = new Map<string, SourceLoggedModel>();
    for (const ids of chunks(experimentIds.map(Number))) {
      for (const m of await this.db.selectFrom("logged_models").selectAll().where("experiment_id", "in", ids).orderBy("model_id").execute()) {
        out.set(m.model_id, {
          modelId: m.model_id,
          experimentId: String(m.experiment_id),
          name: m.name,
          artifactLocation: m.artifact_location,
          creationTimestampMs: Number(m.creation_timestamp_ms),
          lastUpdatedTimestampMs: Number(m.last_updated_timestamp_ms),
          status: LOGGED_MODEL_STATUS[Number(m.status)] ?? "LOGGED_MODEL_PENDING",
          statusMessage: m.status_message,
          modelType: m.model_type,
          sourceRunId: m.source_run_id,
          lifecycleStage: stage(m.lifecycle_stage),
          params: [],
          tags: [],
          metrics: [],
        });
      }
    }
    for (const part of chunks([...out.keys()])) {
      for (const p of await this.db.selectFrom("logged_model_params").selectAll().where("model_id", "in", part).orderBy("param_key").execute()) {
        out.get(p.model_id)!.params.push({ key: p.param_key, value: p.param_value });
      }
      for (const t of await this.db.selectFrom("logged_model_tags").selectAll().where("model_id", "in", part).orderBy("tag_key").execute()) {
        out.get(t.model_id)!.tags.push({ key: t.tag_key, value: t.tag_value });
      }
      const metrics = await this.db.selectFrom("logged_model_metrics").selectAll().where("model_id", "in", part).execute();
      for (const m of metrics) {
        const metric: SourceModelMetric = {
          runId: m.run_id,
          key: m.metric_name,
          value: metricValue(m.metric_value, false),
          timestamp: Number(m.metric_timestamp_ms),
          step: Number(m.metric_step),
          modelId: m.model_id,
          datasetName: m.dataset_name,
          datasetDigest: m.dataset_digest,
        };
        out.get(m.model_id)!.metrics.push(metric);
      }
    }
    return [...out.values()];
  }

  async registeredModels(): Promise<SourceRegisteredModel[]> {
    const f = this.features;
    const models = await this.db.selectFrom("registered_models").selectAll().orderBy("name").execute();
    const tags = group(await this.db.selectFrom("registered_model_tags").selectAll().orderBy("key").execute(), (t) => t.name);
    const aliases = f.aliases ? group(await this.db.selectFrom("registered_model_aliases").selectAll().orderBy("alias").execute(), (a) => a.name) : new Map();
    const versions = group(await this.db.selectFrom("model_versions").selectAll().orderBy("version").execute(), (v) => v.name);
    const versionTags = group(await this.db.selectFrom("model_version_tags").selectAll().orderBy("key").execute(), (t) => `${t.name}\u0000${t.version}`);
    return models.map((m) => {
      const all = versions.get(m.name) ?? [];
      // MLflow compat: a deleted version stays in the table as stage Deleted_Internal (its number is never reused).
      const live = all.filter((v) => v.current_stage !== "Deleted_Internal");
      return {
        name: m.name,
        creationTime: Number(m.creation_time ?? 0),
        lastUpdatedTime: Number(m.last_updated_time ?? m.creation_time ?? 0),
        description: m.description,
        tags: (tags.get(m.name) ?? []).map((t) => ({ key: t.key, value: t.value ?? "" })),
        aliases: ((aliases.get(m.name) ?? []) as MlflowDb["registered_model_aliases"][]).map((a) => ({ alias: a.alias, version: Number(a.version) })),
        maxVersion: all.reduce((max, v) => Math.max(max, Number(v.version)), 0),
        deletedVersions: all.length - live.length,
        versions: live.map((v) => ({
          version: Number(v.version),
          creationTime: Number(v.creation_time ?? 0),
          lastUpdatedTime: Number(v.last_updated_time ?? v.creation_time ?? 0),
          description: v.description,
          userId: v.user_id,
          currentStage: v.current_stage ?? "None",
          source: v.source ?? "",
          storageLocation: f.storageLocation ? (v.storage_location ?? null) : null,
          runId: v.run_id,
          runLink: v.run_link,
          status: v.status ?? "READY",
          statusMessage: v.status_message,
          tags: (versionTags.get(`${m.name}\u0000${v.version}`) ?? []).map((t) => ({ key: t.key, value: t.value ?? "" })),
        })),
      };
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
