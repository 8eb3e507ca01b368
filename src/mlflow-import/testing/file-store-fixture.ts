/**
 * Test helper: a small MLflow file store written by hand in MLflow's layout
 * (what the 2.x/3.x client writes without a server), for tests that need no
 * real MLflow: experiments 0 and 1, `runs` runs in experiment 1 with params,
 * tags, metric histories (NaN and infinities in Python's spelling) and an
 * artifact each, and a registered model with one version.
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export function runId(i: number): string {
  return `${String(i).padStart(2, "0")}${"a".repeat(30)}`;
}

export function writeFileStore(root: string, runs = 3): void {
  const url = pathToFileURL(root).href;
  const w = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const [id, name] of [
    ["0", "Default"],
    ["1", "fixture"],
  ]) {
    w(`${id}/meta.yaml`, `artifact_location: ${url}/${id}\ncreation_time: 1700000000000\nexperiment_id: '${id}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: ${name}\n`);
  }
  w("1/tags/team", "cv");
  for (let i = 0; i < runs; i++) {
    const id = runId(i);
    w(
      `1/${id}/meta.yaml`,
      `artifact_uri: ${url}/1/${id}/artifacts\nend_time: 1700000100000\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\n` +
        `run_id: ${id}\nrun_name: run-${i}\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1700000000000\nstatus: 3\ntags: []\nuser_id: alice\n`,
    );
    w(`1/${id}/params/lr`, "0.1");
    w(`1/${id}/params/nested/key`, "v");
    w(`1/${id}/tags/mlflow.runName`, `run-${i}`);
    w(`1/${id}/metrics/loss`, Array.from({ length: 100 }, (_, s) => `${1700000000000 + s} ${1 / (s + 1)} ${s}`).join("\n") + "\n");
    w(`1/${id}/metrics/odd`, "1700000000001 nan 0\n1700000000002 inf 1\n1700000000003 -inf 2\n");
    w(`1/${id}/artifacts/model/MLmodel`, `run ${i}\n`);
  }
  w("models/fixture-model/meta.yaml", "creation_timestamp: 1700000000000\ndescription: null\nlast_updated_timestamp: 1700000000000\nname: fixture-model\n");
  w(
    "models/fixture-model/version-1/meta.yaml",
    `creation_timestamp: 1700000000000\ncurrent_stage: Staging\ndescription: null\nlast_updated_timestamp: 1700000000000\nname: fixture-model\n` +
      `run_id: ${runId(0)}\nrun_link: null\nsource: ${url}/1/${runId(0)}/artifacts/model\nstatus: READY\nstatus_message: null\nuser_id: null\nversion: 1\n`,
  );
  w("models/fixture-model/aliases/champion", "1");
}
