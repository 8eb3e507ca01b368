/**
 * The permission check's view of the tracking and registry tables: which
 * experiment a run, a logged model or an artifact URI belongs to. Read-only;
 * every lookup is an indexed equality match.
 * @module
 */
import { sql, type Kysely } from "kysely";
import type { ResourceLookup } from "../../../auth/auth-store.js";
import type { Database } from "../schema.js";
import type { SqlConnection } from "../sql-dialect.js";

const MAX_DEPTH = 64;

export class SqlResourceLookup implements ResourceLookup {
  private readonly db: Kysely<Database>;
  constructor(conn: SqlConnection) {
    this.db = conn.db;
  }

  async experimentOfRun(runId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom("runs").select("experiment_id").where("run_uuid", "=", runId).executeTakeFirst();
    return r ? String(r.experiment_id) : undefined;
  }

  async experimentByName(name: string): Promise<string | undefined> {
    const r = await this.db.selectFrom("experiments").select("experiment_id").where("name", "=", name).executeTakeFirst();
    return r ? String(r.experiment_id) : undefined;
  }

  async experimentExists(experimentId: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(experimentId)) return false;
    const r = await this.db.selectFrom("experiments").select("experiment_id").where("experiment_id", "=", Number(experimentId)).executeTakeFirst();
    return r !== undefined;
  }

  async experimentOfLoggedModel(modelId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom("logged_models").select("experiment_id").where("model_id", "=", modelId).executeTakeFirst();
    return r ? String(r.experiment_id) : undefined;
  }

  async experimentOfTrace(traceId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom("trace_info").select("experiment_id").where("request_id", "=", traceId).executeTakeFirst();
    return r ? String(r.experiment_id) : undefined;
  }

  async registeredModelExists(name: string): Promise<boolean> {
    const r = await this.db.selectFrom("registered_models").select("name").where("name", "=", name).executeTakeFirst();
    return r !== undefined;
  }

  async experimentOfArtifactUri(uri: string): Promise<string | "many" | undefined> {
    const trimmed = uri.replace(/\/+$/, "");
    const segments = trimmed.split("/");
    // Every ancestor of the URI (at a segment boundary) that could be an experiment's location.
    const prefixes: string[] = [];
    for (let i = 1; i <= segments.length && prefixes.length < MAX_DEPTH; i++) {
      const p = segments.slice(0, i).join("/");
      if (p && !p.endsWith(":") && !p.endsWith(":/")) prefixes.push(p, `${p}/`);
    }
    if (prefixes.length > 0) {
      const rows = await this.db
        .selectFrom("experiments")
        .select(["experiment_id", "artifact_location"])
        .where("artifact_location", "in", prefixes)
        .execute();
      if (rows.length > 0) {
        // Of the experiments whose folders hold the path, the newest owns it. Creating an experiment inside the
        // folder of an existing one needs MANAGE on that one's owner (the permission hook checks it), so a newer
        // nested experiment was made by someone who could manage those files; an older nested one is a claim
        // made in advance (`mlflow-artifacts:/7/models` before experiment 7 existed) and gets nothing. Not "the
        // deepest": that let anyone take over another's files by creating an experiment inside their folder.
        const owner = rows.reduce((a, b) => (Number(b.experiment_id) > Number(a.experiment_id) ? b : a));
        return String(owner.experiment_id);
      }
    }
    // A parent of experiments' folders (or the whole root) holds more than one experiment.
    const escaped = trimmed.replace(/[\\%_]/g, (c) => `\\${c}`);
    const child = await this.db
      .selectFrom("experiments")
      .select("experiment_id")
      .where((eb) => eb.or([sql<boolean>`artifact_location like ${`${escaped}/%`} escape '\\'`, eb("artifact_location", "=", trimmed)]))
      .limit(1)
      .executeTakeFirst();
    return child ? "many" : undefined;
  }
}
