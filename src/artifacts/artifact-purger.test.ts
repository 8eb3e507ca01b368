import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { tempDir } from "../testing/temp-dir.js";
import { ArtifactPurger } from "./artifact-purger.js";
import { LocalArtifactRepository } from "./local-artifact-repository.js";

test("entityFolder: the folder named by the id, or nothing when the URI does not name it", () => {
  const id = "0123abcd";
  assert.equal(ArtifactPurger.entityFolder(`mlflow-artifacts:/1/${id}/artifacts`, id), `mlflow-artifacts:/1/${id}`);
  assert.equal(ArtifactPurger.entityFolder(`s3://b/p/1/${id}/artifacts/`, id), `s3://b/p/1/${id}`);
  assert.equal(ArtifactPurger.entityFolder(`file:///srv/x/${id}`, id), `file:///srv/x/${id}`);
  assert.equal(ArtifactPurger.entityFolder("s3://bucket", id), undefined);
  assert.equal(ArtifactPurger.entityFolder(`s3://bucket/${id}x/artifacts`, id), undefined);
  assert.equal(ArtifactPurger.entityFolder("file:///srv/shared/artifacts", id), undefined);
});

test("deleteEntityFolder refuses URIs that do not name the entity and store roots; deletes only the named folder", async () => {
  const dir = tempDir();
  try {
    const dest = join(dir.path, "dest");
    mkdirSync(join(dest, "1", "run1", "artifacts"), { recursive: true });
    writeFileSync(join(dest, "1", "run1", "artifacts", "f"), "x");
    writeFileSync(join(dest, "1", "other"), "y");
    const purger = new ArtifactPurger({ destination: new LocalArtifactRepository(dest) });
    await assert.rejects(purger.deleteEntityFolder("mlflow-artifacts:/1", "run1"), /does not end in the id/);
    await assert.rejects(purger.deleteEntityFolder("mlflow-artifacts:/run1", "other"), /does not end in the id/);
    await assert.rejects(purger.deleteEntityFolder(`file:///run1`, "run1"), /not inside a folder/);
    assert.equal(await purger.deleteEntityFolder("mlflow-artifacts:/1/run1/artifacts", "run1"), "mlflow-artifacts:/1/run1");
    assert.equal(existsSync(join(dest, "1", "run1")), false);
    assert.ok(existsSync(join(dest, "1", "other")));
    // The experiment folder still holds a file: it stays.
    assert.equal(await purger.deleteEmptyExperimentFolder("mlflow-artifacts:/1", "1"), false);
    const direct = join(dir.path, "direct", "7");
    mkdirSync(join(direct, "models"), { recursive: true });
    assert.equal(await purger.deleteEmptyExperimentFolder(pathToFileURL(direct).href, "7"), true);
    assert.equal(existsSync(direct), false);
    assert.equal(await purger.deleteEmptyExperimentFolder(pathToFileURL(join(dir.path, "direct")).href, "7"), false);
    await purger.close();
  } finally {
    dir.remove();
  }
});
