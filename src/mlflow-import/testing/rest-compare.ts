/**
 * Test helper: walks two servers' REST APIs — the real MLflow the data came
 * from and ciclo after the import — and lists every difference in what a
 * client sees: experiments, runs (info, params, tags, latest metrics,
 * inputs, outputs), every metric history point, registered models, model
 * versions and download URIs, 3.x logged models, and every artifact file's
 * bytes. Only the documented differences (docs/migration.md) are normalised,
 * by the caller's `expectUri` and the rules below.
 * @module
 */
import { createHash } from "node:crypto";

type Json = Record<string, unknown>;

export interface CompareOptions {
  /** The URI ciclo should show for an MLflow artifact URI (copies move; in place they stay). */
  expectUri(uri: string): string;
  /** MLflow experiment id → ciclo's, where they differ (file stores). */
  experimentIds?: Record<string, string>;
  loggedModels: boolean;
}

export interface Comparison {
  differences: string[];
  counts: { experiments: number; runs: number; metricPoints: number; artifactFiles: number; artifactBytes: number; models: number; versions: number; loggedModels: number };
}

const DBL_MAX = 1.7976931348623157e308;

/** MLflow's SQL stores keep ±inf as ±DBL_MAX; ciclo gives back what was logged. */
function normNumber(v: unknown): unknown {
  if (v === DBL_MAX) return "Infinity";
  if (v === -DBL_MAX) return "-Infinity";
  return v;
}

function sortBy<T>(list: T[] | undefined, key: (x: T) => string): T[] {
  return [...(list ?? [])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const kv = (list: unknown) => sortBy((list as Array<{ key: string; value: string }>) ?? [], (t) => t.key).map((t) => [t.key, t.value]);

async function call(base: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${base}${path}`, body === undefined ? undefined : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${base}${path} → ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Json) : {};
}

async function bytesOf(base: string, path: string): Promise<string | undefined> {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) return `HTTP ${res.status}`;
  return createHash("sha256").update(Buffer.from(await res.arrayBuffer())).digest("hex");
}

export async function compareServers(mlflow: string, ciclo: string, o: CompareOptions): Promise<Comparison> {
  const diffs: string[] = [];
  const counts: Comparison["counts"] = { experiments: 0, runs: 0, metricPoints: 0, artifactFiles: 0, artifactBytes: 0, models: 0, versions: 0, loggedModels: 0 };
  const api = "/api/2.0/mlflow";
  const same = (what: string, a: unknown, b: unknown) => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    if (x !== y) diffs.push(`${what}: mlflow=${x?.slice(0, 400)} ciclo=${y?.slice(0, 400)}`);
  };
  const cid = (id: string) => o.experimentIds?.[id] ?? id;
  const both = async (path: string, body?: unknown) => Promise.all([call(mlflow, path, body), call(ciclo, path.replace(/experiment_id=(\d+)/, (_, id: string) => `experiment_id=${cid(id)}`), body)]);

  // Experiments.
  const [me, ce] = await both(`${api}/experiments/search`, { view_type: "ALL", max_results: 1000 });
  const mExps = (me.experiments as Json[]) ?? [];
  const cExps = new Map(((ce.experiments as Json[]) ?? []).map((e) => [String(e.experiment_id), e]));
  same("experiment count", mExps.length, cExps.size);
  for (const m of mExps) {
    counts.experiments++;
    const c = cExps.get(cid(String(m.experiment_id)));
    if (!c) {
      diffs.push(`experiment ${String(m.experiment_id)} missing in ciclo`);
      continue;
    }
    const w = `experiment ${String(m.name)}`;
    same(`${w} fields`, [m.name, o.expectUri(String(m.artifact_location)), m.lifecycle_stage, m.creation_time, m.last_update_time], [c.name, c.artifact_location, c.lifecycle_stage, c.creation_time, c.last_update_time]);
    same(`${w} tags`, kv(m.tags), kv(c.tags));
    await compareRuns(String(m.experiment_id));
  }

  async function compareRuns(expId: string): Promise<void> {
    const [ms, cs] = await Promise.all([
      call(mlflow, `${api}/runs/search`, { experiment_ids: [expId], run_view_type: "ALL", max_results: 1000 }),
      call(ciclo, `${api}/runs/search`, { experiment_ids: [cid(expId)], run_view_type: "ALL", max_results: 1000 }),
    ]);
    const mIds = ((ms.runs as Json[]) ?? []).map((r) => String((r.info as Json).run_id)).sort();
    const cIds = ((cs.runs as Json[]) ?? []).map((r) => String((r.info as Json).run_id)).sort();
    same(`runs of experiment ${expId}`, mIds, cIds);
    for (const id of mIds) {
      counts.runs++;
      const [mr, cr] = await both(`${api}/runs/get?run_id=${id}`);
      const m = mr.run as Json;
      const c = cr.run as Json;
      const mi = m.info as Json;
      const ci = c.info as Json;
      const w = `run ${id}`;
      same(`${w} info`, [mi.run_name, cid(String(mi.experiment_id)), mi.user_id, mi.status, mi.start_time, mi.end_time, o.expectUri(String(mi.artifact_uri)), mi.lifecycle_stage], [ci.run_name, ci.experiment_id, ci.user_id, ci.status, ci.start_time, ci.end_time, ci.artifact_uri, ci.lifecycle_stage]);
      const md = m.data as Json;
      const cd = c.data as Json;
      same(`${w} params`, kv(md.params), kv(cd.params));
      same(`${w} tags`, kv(md.tags), kv(cd.tags));
      const latest = (d: Json) => sortBy(d.metrics as Json[], (x) => String(x.key)).map((x) => [x.key, normNumber(x.value), x.timestamp, x.step]);
      same(`${w} latest metrics`, latest(md), latest(cd));
      const inputs = (r: Json) =>
        sortBy(((r.inputs as Json)?.dataset_inputs as Json[]) ?? [], (x) => JSON.stringify((x.dataset as Json).name) + JSON.stringify((x.dataset as Json).digest)).map((x) => [x.dataset, kv(x.tags)]);
      same(`${w} dataset inputs`, inputs(m), inputs(c));
      const models = (r: Json) => sortBy(((r.inputs as Json)?.model_inputs as Json[]) ?? [], (x) => String(x.model_id));
      same(`${w} model inputs`, models(m), models(c));
      const outputs = (r: Json) => sortBy(((r.outputs as Json)?.model_outputs as Json[]) ?? [], (x) => String(x.model_id)).map((x) => [x.model_id, Number(x.step)]);
      same(`${w} model outputs`, outputs(m), outputs(c));
      for (const metric of (md.metrics as Json[]) ?? []) {
        const key = encodeURIComponent(String(metric.key));
        // max_results as MLflow's client sends it (MLflow 3.3's server answers an empty first page without it).
        const [mh, ch] = await both(`${api}/metrics/get-history?run_id=${id}&metric_key=${key}&max_results=25000`);
        // MLflow 3.x's SQL store drops model_id/dataset from run histories (it keeps them in the model's table); compared there.
        const pts = (h: Json) => sortBy((h.metrics as Json[]) ?? [], (x) => `${String(x.step).padStart(20)}${String(x.timestamp).padStart(20)}${String(normNumber(x.value))}`).map((x) => [normNumber(x.value), x.timestamp, x.step]);
        // MLflow 3.x's log_model re-logs a run's step-0 points; a file store then holds them twice, a SQL store (and ciclo) once.
        const unique = (list: unknown[]) => list.filter((p, i) => i === 0 || JSON.stringify(p) !== JSON.stringify(list[i - 1]));
        counts.metricPoints += pts(ch).length;
        same(`${w} history of ${String(metric.key)}`, unique(pts(mh)), pts(ch));
      }
      await compareArtifacts(w, (p) => `${api}/artifacts/list?run_id=${id}${p ? `&path=${encodeURIComponent(p)}` : ""}`, (p) => `/get-artifact?run_id=${id}&path=${encodeURIComponent(p)}`);
    }
  }

  async function compareArtifacts(what: string, list: (dir: string) => string, get: (path: string) => string, dir = ""): Promise<void> {
    const [ml, cl] = await both(list(dir));
    const files = (l: Json) => sortBy((l.files as Json[]) ?? [], (f) => String(f.path)).map((f) => [f.path, f.is_dir === true, f.is_dir ? null : Number(f.file_size ?? 0)]);
    // MLflow's JSON leaves out a file_size of 0 (a proto default); ciclo writes it.
    same(`${what} artifacts in '${dir}'`, files(ml), files(cl));
    for (const f of (ml.files as Json[]) ?? []) {
      const p = String(f.path);
      if (f.is_dir) {
        await compareArtifacts(what, list, get, p);
        continue;
      }
      counts.artifactFiles++;
      counts.artifactBytes += Number(f.file_size ?? 0);
      const [a, b] = await Promise.all([bytesOf(mlflow, get(p)), bytesOf(ciclo, get(p))]);
      same(`${what} artifact ${p} sha256`, a, b);
    }
  }

  // The registry.
  const [mm, cm] = await both(`${api}/registered-models/search?max_results=1000`);
  const names = (r: Json) => ((r.registered_models as Json[]) ?? []).map((x) => String(x.name)).sort();
  same("registered models", names(mm), names(cm));
  for (const name of names(mm)) {
    counts.models++;
    const q = encodeURIComponent(name);
    const [mg, cg] = await both(`${api}/registered-models/get?name=${q}`);
    const m = mg.registered_model as Json;
    const c = cg.registered_model as Json;
    const w = `registered model ${name}`;
    same(`${w} fields`, [m.creation_timestamp, m.last_updated_timestamp, m.description ?? ""], [c.creation_timestamp, c.last_updated_timestamp, c.description ?? ""]);
    same(`${w} tags`, kv(m.tags), kv(c.tags));
    const aliases = (x: Json) => sortBy((x.aliases as Json[]) ?? [], (a) => String(a.alias)).map((a) => [a.alias, String(a.version)]);
    same(`${w} aliases`, aliases(m), aliases(c));
    const latest = (x: Json) => sortBy((x.latest_versions as Json[]) ?? [], (v) => String(v.current_stage)).map((v) => [v.current_stage, String(v.version)]);
    same(`${w} latest versions`, latest(m), latest(c));
    const filter = encodeURIComponent(`name='${name}'`);
    const [mv, cv] = await both(`${api}/model-versions/search?filter=${filter}&max_results=1000`);
    const versions = (r: Json) => ((r.model_versions as Json[]) ?? []).map((v) => String(v.version)).sort();
    same(`${w} versions`, versions(mv), versions(cv));
    for (const v of versions(mv)) {
      counts.versions++;
      const [a, b] = await both(`${api}/model-versions/get?name=${q}&version=${v}`);
      const x = a.model_version as Json;
      const y = b.model_version as Json;
      same(
        `${w} v${v}`,
        [x.creation_timestamp, x.last_updated_timestamp, x.current_stage, x.description ?? "", x.user_id ?? "", o.expectUri(String(x.source)), x.run_id ?? "", x.status, x.status_message ?? "", x.run_link ?? "", [...((x.aliases as string[]) ?? [])].sort()],
        [y.creation_timestamp, y.last_updated_timestamp, y.current_stage, y.description ?? "", y.user_id ?? "", y.source, y.run_id ?? "", y.status, y.status_message ?? "", y.run_link ?? "", [...((y.aliases as string[]) ?? [])].sort()],
      );
      same(`${w} v${v} tags`, kv(x.tags), kv(y.tags));
      const [du, dv] = await both(`${api}/model-versions/get-download-uri?name=${q}&version=${v}`);
      same(`${w} v${v} download uri`, o.expectUri(String(du.artifact_uri)), dv.artifact_uri);
    }
  }

  // MLflow 3.x logged models.
  if (o.loggedModels) {
    const ids = mExps.map((e) => String(e.experiment_id));
    const [ml, cl] = await Promise.all([
      call(mlflow, `${api}/logged-models/search`, { experiment_ids: ids, max_results: 50 }),
      call(ciclo, `${api}/logged-models/search`, { experiment_ids: ids.map(cid), max_results: 50 }),
    ]);
    const modelIds = (r: Json) => ((r.models as Json[]) ?? []).map((x) => String((x.info as Json).model_id)).sort();
    same("logged models", modelIds(ml), modelIds(cl));
    for (const id of modelIds(ml)) {
      counts.loggedModels++;
      const [a, b] = await both(`${api}/logged-models/${id}`);
      const x = a.model as Json;
      const y = b.model as Json;
      const xi = x.info as Json;
      const yi = y.info as Json;
      const w = `logged model ${id}`;
      same(`${w} info`, [cid(String(xi.experiment_id)), xi.name, xi.creation_timestamp_ms, xi.last_updated_timestamp_ms, o.expectUri(String(xi.artifact_uri)), xi.status, xi.source_run_id ?? "", xi.model_type ?? ""], [yi.experiment_id, yi.name, yi.creation_timestamp_ms, yi.last_updated_timestamp_ms, yi.artifact_uri, yi.status, yi.source_run_id ?? "", yi.model_type ?? ""]);
      same(`${w} tags`, kv(xi.tags), kv(yi.tags));
      same(`${w} params`, kv((x.data as Json)?.params), kv((y.data as Json)?.params));
      const mets = (d: Json) => sortBy(((d?.metrics as Json[]) ?? []), (m) => `${String(m.key)}/${String(m.step)}/${String(m.timestamp)}`).map((m) => [m.key, normNumber(m.value), m.step, m.timestamp, m.run_id, m.model_id]);
      same(`${w} metrics`, mets(x.data as Json), mets(y.data as Json));
      await compareArtifacts(
        w,
        (p) => `${api}/logged-models/${id}/artifacts/directories${p ? `?artifact_directory_path=${encodeURIComponent(p)}` : ""}`,
        (p) => `/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files?artifact_file_path=${encodeURIComponent(p)}`,
      );
    }
  }
  return { differences: diffs, counts };
}
