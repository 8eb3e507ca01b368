/**
 * The deployments store over SQL (SQLite and PostgreSQL). Maps, strategy and
 * env are JSON text; every change writes its history row in the same
 * transaction.
 * @module
 */
import type { Kysely } from "kysely";
import type { DeploymentStore, EndpointPatch, HistoryInput, ReplicaRecord } from "../../../deployments/endpoints/deployment-store.js";
import type { Deployment, Endpoint, HistoryEntry, Rollout, RolloutState, Strategy } from "../../../deployments/endpoints/endpoint-types.js";
import { ResourceAlreadyExistsError } from "../../../shared/errors.js";
import type { SqlConnection } from "../sql-dialect.js";

interface EndpointRow {
  name: string;
  description: string;
  traffic: string;
  mirror: string;
  strategy: string;
  sticky_header: string | null;
  created_at: number | string;
  updated_at: number | string;
}
interface DeploymentRow {
  endpoint: string;
  name: string;
  model_uri: string;
  model_name: string;
  model_version: string;
  follow_alias: string | null;
  target: string;
  replicas: number;
  env: string;
  created_at: number | string;
  updated_at: number | string;
}
interface RolloutRow {
  id: number | string;
  endpoint: string;
  stable: string;
  candidate: string;
  strategy: string;
  step: number;
  state: string;
  reason: string | null;
  last_analysis: string | null;
  started_at: number | string;
  updated_at: number | string;
}
interface HistoryRow {
  id: number | string;
  endpoint: string;
  deployment: string | null;
  action: string;
  actor: string | null;
  reason: string | null;
  detail: string | null;
  time: number | string;
}
interface ReplicaRow {
  endpoint: string;
  deployment: string;
  replica: number;
  owner: string;
  pid: number;
  url: string | null;
  started_at: number | string;
}

/** The module's tables, as Kysely sees them. */
interface Tables {
  deployment_endpoints: EndpointRow;
  deployment_deployments: DeploymentRow;
  deployment_rollouts: RolloutRow & { id: never };
  deployment_history: HistoryRow & { id: never };
  deployment_replicas: ReplicaRow;
}
type Db = Kysely<Tables>;

// Strategies store infinity (no divergence limit) as null.
const jsonStrategy = (s: Strategy) => JSON.stringify(s, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? null : v));
const parseStrategy = (t: string): Strategy => {
  const s = JSON.parse(t) as Strategy;
  if (s.analysis.maxDivergence === null) s.analysis.maxDivergence = Number.POSITIVE_INFINITY;
  return s;
};

const toEndpoint = (r: EndpointRow): Endpoint => ({
  name: r.name,
  description: r.description,
  traffic: JSON.parse(r.traffic) as Record<string, number>,
  mirror: JSON.parse(r.mirror) as Record<string, number>,
  strategy: parseStrategy(r.strategy),
  stickyHeader: r.sticky_header ?? undefined,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});
const toDeployment = (r: DeploymentRow): Deployment => ({
  endpoint: r.endpoint,
  name: r.name,
  modelUri: r.model_uri,
  modelName: r.model_name,
  modelVersion: r.model_version,
  followAlias: r.follow_alias ?? undefined,
  target: r.target,
  replicas: Number(r.replicas),
  env: JSON.parse(r.env) as Deployment["env"],
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});
const fromDeployment = (d: Deployment): DeploymentRow => ({
  endpoint: d.endpoint,
  name: d.name,
  model_uri: d.modelUri,
  model_name: d.modelName,
  model_version: d.modelVersion,
  follow_alias: d.followAlias ?? null,
  target: d.target,
  replicas: d.replicas,
  env: JSON.stringify(d.env),
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});
const toRollout = (r: RolloutRow): Rollout => ({
  id: String(r.id),
  endpoint: r.endpoint,
  stable: r.stable,
  candidate: r.candidate,
  strategy: parseStrategy(r.strategy),
  step: Number(r.step),
  state: r.state as RolloutState,
  reason: r.reason ?? undefined,
  lastAnalysis: r.last_analysis === null ? undefined : (JSON.parse(r.last_analysis) as unknown),
  startedAt: Number(r.started_at),
  updatedAt: Number(r.updated_at),
});

export class SqlDeploymentStore implements DeploymentStore {
  constructor(
    private readonly conn: SqlConnection,
    private readonly now: () => number = Date.now,
  ) {}

  private get db(): Db {
    return this.conn.db as unknown as Db;
  }
  private write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.conn.write((trx) => fn(trx as unknown as Db));
  }
  createEndpoint(e: Endpoint, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      const had = await trx.selectFrom("deployment_endpoints").select("name").where("name", "=", e.name).executeTakeFirst();
      if (had) throw new ResourceAlreadyExistsError(`Endpoint '${e.name}' already exists.`);
      await trx
        .insertInto("deployment_endpoints")
        .values({
          name: e.name,
          description: e.description,
          traffic: JSON.stringify(e.traffic),
          mirror: JSON.stringify(e.mirror),
          strategy: jsonStrategy(e.strategy),
          sticky_header: e.stickyHeader ?? null,
          created_at: e.createdAt,
          updated_at: e.updatedAt,
        })
        .execute();
      await this.insertHistory(trx, h, e.createdAt);
    });
  }

  async getEndpoint(name: string): Promise<Endpoint | undefined> {
    const r = await this.db.selectFrom("deployment_endpoints").selectAll().where("name", "=", name).executeTakeFirst();
    return r && toEndpoint(r);
  }

  async listEndpoints(): Promise<Endpoint[]> {
    return (await this.db.selectFrom("deployment_endpoints").selectAll().orderBy("name").execute()).map(toEndpoint);
  }

  updateEndpoint(name: string, p: EndpointPatch, now: number, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      await trx
        .updateTable("deployment_endpoints")
        .set({
          ...(p.description !== undefined && { description: p.description }),
          ...(p.traffic !== undefined && { traffic: JSON.stringify(p.traffic) }),
          ...(p.mirror !== undefined && { mirror: JSON.stringify(p.mirror) }),
          ...(p.strategy !== undefined && { strategy: jsonStrategy(p.strategy) }),
          ...("stickyHeader" in p && { sticky_header: p.stickyHeader ?? null }),
          updated_at: now,
        })
        .where("name", "=", name)
        .execute();
      await this.insertHistory(trx, h, now);
    });
  }

  deleteEndpoint(name: string, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      await trx.deleteFrom("deployment_deployments").where("endpoint", "=", name).execute();
      await trx.deleteFrom("deployment_rollouts").where("endpoint", "=", name).execute();
      await trx.deleteFrom("deployment_endpoints").where("name", "=", name).execute();
      await this.insertHistory(trx, h, this.now());
    });
  }

  async listDeployments(endpoint?: string): Promise<Deployment[]> {
    let q = this.db.selectFrom("deployment_deployments").selectAll();
    if (endpoint !== undefined) q = q.where("endpoint", "=", endpoint);
    return (await q.orderBy("endpoint").orderBy("name").execute()).map(toDeployment);
  }

  async getDeployment(endpoint: string, name: string): Promise<Deployment | undefined> {
    const r = await this.db.selectFrom("deployment_deployments").selectAll().where("endpoint", "=", endpoint).where("name", "=", name).executeTakeFirst();
    return r && toDeployment(r);
  }

  createDeployment(d: Deployment, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      const had = await trx.selectFrom("deployment_deployments").select("name").where("endpoint", "=", d.endpoint).where("name", "=", d.name).executeTakeFirst();
      if (had) throw new ResourceAlreadyExistsError(`Deployment '${d.name}' already exists in endpoint '${d.endpoint}'.`);
      await trx.insertInto("deployment_deployments").values(fromDeployment(d)).execute();
      await this.insertHistory(trx, h, d.createdAt);
    });
  }

  updateDeployment(d: Deployment, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      const { endpoint, name, created_at: _c, ...rest } = fromDeployment(d);
      await trx.updateTable("deployment_deployments").set(rest).where("endpoint", "=", endpoint).where("name", "=", name).execute();
      await this.insertHistory(trx, h, d.updatedAt);
    });
  }

  deleteDeployment(endpoint: string, name: string, traffic: Record<string, number>, mirror: Record<string, number>, now: number, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      await trx.deleteFrom("deployment_deployments").where("endpoint", "=", endpoint).where("name", "=", name).execute();
      await trx
        .updateTable("deployment_endpoints")
        .set({ traffic: JSON.stringify(traffic), mirror: JSON.stringify(mirror), updated_at: now })
        .where("name", "=", endpoint)
        .execute();
      await this.insertHistory(trx, h, now);
    });
  }

  async history(endpoint: string, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.db.selectFrom("deployment_history").selectAll().where("endpoint", "=", endpoint).orderBy("id", "desc").limit(limit).execute();
    return rows.map((r) => ({
      id: String(r.id),
      endpoint: r.endpoint,
      deployment: r.deployment ?? undefined,
      action: r.action,
      actor: r.actor,
      reason: r.reason ?? undefined,
      detail: r.detail === null ? undefined : (JSON.parse(r.detail) as unknown),
      time: Number(r.time),
    }));
  }

  private async insertHistory(trx: Db, h: HistoryInput, time: number): Promise<void> {
    await trx
      .insertInto("deployment_history")
      .values({
        endpoint: h.endpoint,
        deployment: h.deployment ?? null,
        action: h.action,
        actor: h.actor,
        reason: h.reason ?? null,
        detail: h.detail === undefined ? null : JSON.stringify(h.detail),
        time,
      } as never)
      .execute();
  }

  addHistory(h: HistoryInput, now: number): Promise<void> {
    return this.write((trx) => this.insertHistory(trx, h, now));
  }

  createRollout(r: Omit<Rollout, "id">, h: HistoryInput): Promise<string> {
    return this.write(async (trx) => {
      const row = await trx
        .insertInto("deployment_rollouts")
        .values({
          endpoint: r.endpoint,
          stable: r.stable,
          candidate: r.candidate,
          strategy: jsonStrategy(r.strategy),
          step: r.step,
          state: r.state,
          reason: r.reason ?? null,
          last_analysis: null,
          started_at: r.startedAt,
          updated_at: r.updatedAt,
        } as never)
        .returning("id")
        .executeTakeFirstOrThrow();
      const id = String(row.id);
      await this.insertHistory(trx, { ...h, detail: { ...(h.detail as object), rollout_id: id } }, r.startedAt);
      return id;
    });
  }

  async getRollout(id: string): Promise<Rollout | undefined> {
    if (!/^\d{1,15}$/.test(id)) return undefined;
    const r = await this.db.selectFrom("deployment_rollouts").selectAll().where("id", "=", Number(id) as never).executeTakeFirst();
    return r && toRollout(r);
  }

  async listRollouts(endpoint: string): Promise<Rollout[]> {
    return (await this.db.selectFrom("deployment_rollouts").selectAll().where("endpoint", "=", endpoint).orderBy("id", "desc").limit(100).execute()).map(toRollout);
  }

  updateRollout(r: Rollout, traffic: { traffic: Record<string, number>; mirror: Record<string, number> } | undefined, h: HistoryInput): Promise<void> {
    return this.write(async (trx) => {
      await trx
        .updateTable("deployment_rollouts")
        .set({
          step: r.step,
          state: r.state,
          reason: r.reason ?? null,
          last_analysis: r.lastAnalysis === undefined ? null : JSON.stringify(r.lastAnalysis),
          updated_at: r.updatedAt,
        })
        .where("id", "=", Number(r.id) as never)
        .execute();
      if (traffic) {
        await trx
          .updateTable("deployment_endpoints")
          .set({ traffic: JSON.stringify(traffic.traffic), mirror: JSON.stringify(traffic.mirror), updated_at: r.updatedAt })
          .where("name", "=", r.endpoint)
          .execute();
      }
      await this.insertHistory(trx, h, r.updatedAt);
    });
  }

  recordReplica(r: ReplicaRecord): Promise<void> {
    return this.write(async (trx) => {
      await trx
        .deleteFrom("deployment_replicas")
        .where("endpoint", "=", r.endpoint)
        .where("deployment", "=", r.deployment)
        .where("replica", "=", r.index)
        .where("owner", "=", r.owner)
        .execute();
      await trx
        .insertInto("deployment_replicas")
        .values({ endpoint: r.endpoint, deployment: r.deployment, replica: r.index, owner: r.owner, pid: r.pid, url: r.url ?? null, started_at: r.startedAt })
        .execute();
    });
  }

  forgetReplica(endpoint: string, deployment: string, index: number, owner: string): Promise<void> {
    return this.write(async (trx) => {
      await trx
        .deleteFrom("deployment_replicas")
        .where("endpoint", "=", endpoint)
        .where("deployment", "=", deployment)
        .where("replica", "=", index)
        .where("owner", "=", owner)
        .execute();
    });
  }

  async listReplicas(): Promise<ReplicaRecord[]> {
    const rows = await this.db.selectFrom("deployment_replicas").selectAll().execute();
    return rows.map((r) => ({ endpoint: r.endpoint, deployment: r.deployment, index: Number(r.replica), owner: r.owner, pid: Number(r.pid), url: r.url ?? undefined, startedAt: Number(r.started_at) }));
  }
}
