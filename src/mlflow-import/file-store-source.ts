/**
 * Reads an MLflow file store (the `mlruns/` folder the client writes without a
 * server): experiments (`<id>/meta.yaml`, deleted ones under `.trash/`), runs
 * (`<exp>/<run_id>/` with meta.yaml, metrics/, params/, tags/, inputs/,
 * outputs/), datasets, MLflow 3.x logged models (`<exp>/models/<model_id>/`)
 * and the registry (`models/<name>/version-<n>/`). Every file is read through
 * file-store-reader.ts, which treats the store as hostile input.
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tag } from "../shared/types.js";
import { FileStoreError, FileStoreReader, parsePythonFloat } from "./file-store-reader.js";
import type {
  MlflowSource,
  SourceExperiment,
  SourceLoggedModel,
  SourceMetricPoint,
  SourceModelMetric,
  SourceRegisteredModel,
  SourceRun,
} from "./mlflow-source.js";

const RUN_STATUS = ["", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
const LOGGED_MODEL_STATUS = ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"] as const;
/** MLflow's run id rule (`_validate_run_id`). */
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^\d{1,19}$/;
const MODEL_ID = /^m-[0-9a-f]{32}$/;
const RESERVED = new Set(["tags", "datasets", "traces", "models"]);

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined || v === "" ? null : Number(v));
const stage = (v: unknown): "active" | "deleted" => (v === "deleted" ? "deleted" : "active");

export function fileStorePath(location: string): string {
  return resolve(location.startsWith("file:") ? fileURLToPath(location) : location);
}

export class FileStoreSource implements MlflowSource {
  readonly kind = "file" as const;
  readonly revision = null;
  readonly description: string;
  private readonly fs: FileStoreReader;
  private readonly warn: (message: string) => void;
  /** Experiment id → its folder (active or in .trash). */
  private dirs = new Map<string, string>();

  constructor(
    readonly root: string,
    warn: (message: string) => void,
  ) {
    this.description = root;
    this.warn = warn;
    this.fs = new FileStoreReader(root, warn);
  }

  async experiments(): Promise<SourceExperiment[]> {
    if (!(await this.fs.isDir(this.root))) throw new FileStoreError(`No MLflow file store at '${this.root}' (not a folder).`);
    const out: SourceExperiment[] = [];
    const active = (await this.fs.list(this.root)).dirs.filter((d) => d !== ".trash" && d !== "models");
    const trash = (await this.fs.list(join(this.root, ".trash"))).dirs;
    for (const [parent, names] of [
      [this.root, active],
      [join(this.root, ".trash"), trash],
    ] as const) {
      for (const name of names) {
        if (!EXPERIMENT_ID.test(name)) {
          this.warn(`skipped folder ${name}: not an experiment id`);
          continue;
        }
        const dir = join(parent, name);
        const meta = await this.fs.readYaml(join(dir, "meta.yaml"));
        if (!meta) {
          this.warn(`skipped experiment folder ${name}: no meta.yaml`);
          continue;
        }
        if (String(meta.experiment_id) !== name) {
          this.warn(`skipped experiment folder ${name}: its meta.yaml names experiment ${String(meta.experiment_id)}`);
          continue;
        }
        this.dirs.set(name, dir);
        out.push({
          experimentId: name,
          name: String(meta.name ?? ""),
          artifactLocation: str(meta.artifact_location),
          lifecycleStage: parent === this.root ? stage(meta.lifecycle_stage) : "deleted",
          creationTime: num(meta.creation_time),
          lastUpdateTime: num(meta.last_update_time),
          tags: await this.keyValues(join(dir, "tags")),
        });
      }
    }
    return out.sort((a, b) => (BigInt(a.experimentId) < BigInt(b.experimentId) ? -1 : 1));
  }

  private async keyValues(dir: string): Promise<Tag[]> {
    const out: Tag[] = [];
    for (const f of await this.fs.keyFiles(dir)) out.push({ key: f.key, value: (await this.fs.readSmall(f.path)) ?? "" });
    return out;
  }

  private async runDirs(experimentId: string): Promise<string[]> {
    const dir = this.dirs.get(experimentId);
    if (!dir) return [];
    return (await this.fs.list(dir)).dirs.filter((d) => !RESERVED.has(d) && RUN_ID.test(d));
  }

  async runIds(experimentIds: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of experimentIds) out.push(...(await this.runDirs(id)));
    return out;
  }

  async *runPages(experimentIds: string[], pageSize: number): AsyncIterable<SourceRun[]> {
    for (const experimentId of experimentIds) {
      const names = await this.runDirs(experimentId);
      for (let i = 0; i < names.length; i += pageSize) {
        const page: SourceRun[] = [];
        for (const name of names.slice(i, i + pageSize)) {
          const run = await this.readRun(experimentId, name);
          if (run) page.push(run);
        }
        if (page.length > 0) yield page;
      }
    }
  }

  private runPaths = new Map<string, string>();

  private async readRun(experimentId: string, name: string): Promise<SourceRun | undefined> {
    const expDir = this.dirs.get(experimentId)!;
    const dir = join(expDir, name);
    const meta = await this.fs.readYaml(join(dir, "meta.yaml"));
    if (!meta) {
      this.warn(`skipped run folder ${experimentId}/${name}: no meta.yaml`);
      return undefined;
    }
    const runId = String(meta.run_id ?? meta.run_uuid ?? "");
    if (runId !== name || String(meta.experiment_id) !== experimentId) {
      this.warn(`skipped run folder ${experimentId}/${name}: its meta.yaml names run ${runId} of experiment ${String(meta.experiment_id)}`);
      return undefined;
    }
    this.runPaths.set(runId, dir);
    const tags = await this.keyValues(join(dir, "tags"));
    const run: SourceRun = {
      runId,
      experimentId,
      name: str(meta.run_name) || (tags.find((t) => t.key === "mlflow.runName")?.value ?? null),
      userId: str(meta.user_id),
      status: RUN_STATUS[Number(meta.status ?? 1)] || "RUNNING",
      startTime: num(meta.start_time),
      endTime: num(meta.end_time),
      artifactUri: str(meta.artifact_uri),
      lifecycleStage: stage(meta.lifecycle_stage),
      deletedTime: num(meta.deleted_time),
      params: await this.keyValues(join(dir, "params")),
      tags,
      datasetInputs: [],
      modelInputs: [],
      modelOutputs: [],
    };
    for (const input of (await this.fs.list(join(dir, "inputs"))).dirs) {
      const m = await this.fs.readYaml(join(dir, "inputs", input, "meta.yaml"));
      if (!m) continue;
      const sourceId = String(m.source_id ?? "");
      if (m.source_type === "MODEL") {
        run.modelInputs.push(sourceId);
        continue;
      }
      if (m.source_type !== "DATASET" || !/^[0-9a-f]{32}$/.test(sourceId)) continue;
      const d = await this.fs.readYaml(join(expDir, "datasets", sourceId, "meta.yaml"));
      if (!d) {
        this.warn(`run ${runId}: dataset ${sourceId} named by an input is missing; input left out`);
        continue;
      }
      const inputTags = (m.tags && typeof m.tags === "object" ? Object.entries(m.tags as Record<string, unknown>) : []).map(([key, value]) => ({
        key,
        value: String(value),
      }));
      run.datasetInputs.push({
        dataset: {
          name: String(d.name ?? ""),
          digest: String(d.digest ?? ""),
          sourceType: String(d.source_type ?? ""),
          source: String(d.source ?? ""),
          schema: str(d.schema),
          profile: str(d.profile),
        },
        tags: inputTags,
      });
    }
    for (const output of (await this.fs.list(join(dir, "outputs"))).dirs) {
      const m = await this.fs.readYaml(join(dir, "outputs", output, "meta.yaml"));
      if (m && MODEL_ID.test(String(m.source_id))) run.modelOutputs.push({ modelId: String(m.source_id), step: Number(m.step ?? 0) });
    }
    return run;
  }

  async *metricPoints(runIds: string[], chunk: number): AsyncIterable<SourceMetricPoint[]> {
    let out: SourceMetricPoint[] = [];
    for (const runId of runIds) {
      const dir = this.runPaths.get(runId);
      if (!dir) continue;
      for (const f of await this.fs.keyFiles(join(dir, "metrics"))) {
        let n = 0;
        for await (const line of this.fs.lines(f.path)) {
          n++;
          if (line.trim() === "") continue;
          const parts = line.trim().split(" ");
          const value = parsePythonFloat(parts[1] ?? "");
          if ((parts.length !== 2 && parts.length !== 3 && parts.length !== 5) || value === undefined || !/^-?\d+$/.test(parts[0]) || (parts[2] !== undefined && !/^-?\d+$/.test(parts[2]))) {
            throw new FileStoreError(`run ${runId}: metric '${f.key}' line ${n} is malformed.`);
          }
          const p: SourceMetricPoint = { runId, key: f.key, value, timestamp: Number(parts[0]), step: parts[2] === undefined ? 0 : Number(parts[2]) };
          if (parts.length === 5) {
            p.datasetName = parts[3];
            p.datasetDigest = parts[4];
          }
          out.push(p);
          if (out.length >= chunk) {
            yield out;
            out = [];
          }
        }
      }
    }
    if (out.length > 0) yield out;
  }

  async loggedModels(experimentIds: string[]): Promise<SourceLoggedModel[]> {
    const out: SourceLoggedModel[] = [];
    for (const experimentId of experimentIds) {
      const expDir = this.dirs.get(experimentId);
      if (!expDir) continue;
      for (const modelId of (await this.fs.list(join(expDir, "models"))).dirs) {
        const dir = join(expDir, "models", modelId);
        const meta = await this.fs.readYaml(join(dir, "meta.yaml"));
        if (!MODEL_ID.test(modelId) || !meta || meta.model_id !== modelId || String(meta.experiment_id) !== experimentId) {
          this.warn(`skipped logged model folder ${experimentId}/models/${modelId}: no matching meta.yaml`);
          continue;
        }
        const metrics: SourceModelMetric[] = [];
        for (const f of await this.fs.keyFiles(join(dir, "metrics"))) {
          for await (const line of this.fs.lines(f.path)) {
            const parts = line.trim().split(" ");
            const value = parsePythonFloat(parts[1] ?? "");
            if ((parts.length !== 4 && parts.length !== 6) || value === undefined) throw new FileStoreError(`logged model ${modelId}: metric '${f.key}' has a malformed line.`);
            metrics.push({
              modelId,
              key: f.key,
              value,
              timestamp: Number(parts[0]),
              step: Number(parts[2]),
              runId: parts[3],
              datasetName: parts[4] ?? null,
              datasetDigest: parts[5] ?? null,
            });
          }
        }
        const status = typeof meta.status === "number" ? LOGGED_MODEL_STATUS[meta.status] : (meta.status as SourceLoggedModel["status"]);
        out.push({
          modelId,
          experimentId,
          name: String(meta.name ?? ""),
          artifactLocation: String(meta.artifact_location ?? ""),
          creationTimestampMs: Number(meta.creation_timestamp ?? 0),
          lastUpdatedTimestampMs: Number(meta.last_updated_timestamp ?? meta.creation_timestamp ?? 0),
          status: status ?? "LOGGED_MODEL_PENDING",
          statusMessage: str(meta.status_message),
          modelType: str(meta.model_type),
          sourceRunId: str(meta.source_run_id),
          lifecycleStage: stage(meta.lifecycle_stage),
          params: await this.keyValues(join(dir, "params")),
          tags: await this.keyValues(join(dir, "tags")),
          metrics,
        });
      }
    }
    return out;
  }

  async registeredModels(): Promise<SourceRegisteredModel[]> {
    const base = join(this.root, "models");
    const out: SourceRegisteredModel[] = [];
    for (const folder of (await this.fs.list(base)).dirs) {
      const dir = join(base, folder);
      const meta = await this.fs.readYaml(join(dir, "meta.yaml"));
      if (!meta || String(meta.name) !== folder) {
        this.warn(`skipped registered model folder ${folder}: no matching meta.yaml`);
        continue;
      }
      const aliases: SourceRegisteredModel["aliases"] = [];
      for (const a of await this.keyValues(join(dir, "aliases"))) aliases.push({ alias: a.key, version: Number(a.value.trim()) });
      const model: SourceRegisteredModel = {
        name: folder,
        creationTime: Number(meta.creation_timestamp ?? 0),
        lastUpdatedTime: Number(meta.last_updated_timestamp ?? meta.creation_timestamp ?? 0),
        description: str(meta.description),
        tags: await this.keyValues(join(dir, "tags")),
        aliases,
        versions: [],
        maxVersion: 0,
        deletedVersions: 0,
      };
      for (const v of (await this.fs.list(dir)).dirs) {
        const m = /^version-(\d{1,9})$/.exec(v);
        if (!m) continue;
        const vm = await this.fs.readYaml(join(dir, v, "meta.yaml"));
        if (!vm || Number(vm.version) !== Number(m[1])) continue;
        const version = Number(m[1]);
        model.maxVersion = Math.max(model.maxVersion, version);
        if (vm.current_stage === "Deleted_Internal") {
          model.deletedVersions++;
          continue;
        }
        model.versions.push({
          version,
          creationTime: Number(vm.creation_timestamp ?? 0),
          lastUpdatedTime: Number(vm.last_updated_timestamp ?? vm.creation_timestamp ?? 0),
          description: str(vm.description),
          userId: str(vm.user_id),
          currentStage: String(vm.current_stage ?? "None"),
          source: String(vm.source ?? ""),
          storageLocation: str(vm.storage_location),
          runId: str(vm.run_id),
          runLink: str(vm.run_link),
          status: String(vm.status ?? "READY"),
          statusMessage: str(vm.status_message),
          tags: await this.keyValues(join(dir, v, "tags")),
        });
      }
      model.versions.sort((a, b) => a.version - b.version);
      out.push(model);
    }
    return out;
  }

  async close(): Promise<void> {}
}
