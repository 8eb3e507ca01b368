/**
 * Artifacts to and from object stores: a store whose runs live on S3 (an
 * MLflow server with `--default-artifact-root s3://…`) is imported into an S3
 * destination with direct URIs, and into Azure Blob Storage, streamed through
 * ciclo's repositories on the real S3 test server (radosgw,
 * scripts/s3-test-server.sh) and Azurite (scripts/azurite-test-server.sh).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { openArtifactRepository } from "../artifacts/artifact-repositories.js";
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { openAzureBlobArtifactRepository } from "../artifacts/azure-blob-artifact-repository.js";
import { openS3ArtifactRepository } from "../artifacts/s3-artifact-repository.js";
import { openStores } from "../store/open-stores.js";
import { SqlImportTarget } from "../store/sql/mlflow-import/sql-import-target.js";
import { azuriteUnavailable, createTestContainer, type AzureTestContainer } from "../testing/azurite-fixture.js";
import { createTestBucket, s3Unavailable, type S3TestBucket } from "../testing/s3-fixture.js";
import { tempDir } from "../testing/temp-dir.js";
import { FileStoreSource } from "./file-store-source.js";
import { importMlflow } from "./mlflow-importer.js";
import { runId, writeFileStore } from "./testing/file-store-fixture.js";

const tmp = tempDir("ciclo-import-s3-");
let skip: string | undefined;
let skipAzure: string | undefined;
let bucket: S3TestBucket | undefined;
let container: AzureTestContainer | undefined;
before(async () => {
  skip = await s3Unavailable();
  if (!skip) bucket = await createTestBucket();
  skipAzure = await azuriteUnavailable();
  if (!skipAzure) container = await createTestContainer();
});
after(async () => {
  await bucket?.drop();
  await container?.drop();
  tmp.remove();
});

function opener(b: S3TestBucket, c?: AzureTestContainer): (uri: string) => Promise<ArtifactRepository> {
  return (uri) =>
    uri.startsWith("s3:") ? openS3ArtifactRepository(uri, b.env) : uri.startsWith("wasbs:") && c ? openAzureBlobArtifactRepository(uri, c.env) : openArtifactRepository(uri);
}

async function importInto(destination: string, open: (uri: string) => Promise<ArtifactRepository>, name: string): Promise<void> {
  const b = bucket!;
  const root = join(tmp.path, name, "mlruns");
  writeFileStore(root, 3);
  const source = `s3://${b.bucket}/mlflow-${name}`;
  const payload = Buffer.concat([Buffer.from([0, 255, 1]), Buffer.alloc(6 * 1024 * 1024, 7)]);
  for (let i = 0; i < 3; i++) {
    const meta = join(root, "1", runId(i), "meta.yaml");
    writeFileSync(meta, readFileSync(meta, "utf8").replace(/artifact_uri: .*/, `artifact_uri: ${source}/1/${runId(i)}/artifacts`));
    const repo = await open(`${source}/1/${runId(i)}/artifacts`);
    await repo.put("model/MLmodel", Readable.from([Buffer.from(`run ${i}\n`)]));
    await repo.put("data/blob.bin", Readable.from([payload]));
  }
  const versionMeta = join(root, "models", "fixture-model", "version-1", "meta.yaml");
  writeFileSync(versionMeta, readFileSync(versionMeta, "utf8").replace(/source: .*/, `source: ${source}/1/${runId(0)}/artifacts/model`));

  const stores = await openStores(`sqlite:///${join(tmp.path, name, "ciclo.db")}`, { defaultArtifactRoot: "mlflow-artifacts:/" });
  try {
    const summary = await importMlflow({
      source: new FileStoreSource(root, () => {}),
      target: new SqlImportTarget(stores.connection),
      layout: { inPlace: false, destination, direct: true },
      sourceArtifacts: { allowedLocalRoots: [root] },
      openRepository: open,
    });
    assert.deepEqual([summary.artifacts.files, summary.artifacts.bytes], [6, 3 * (payload.length + 6)]);
    const run = await stores.tracking.getRun(runId(2));
    assert.equal(run.info.artifactUri, `${destination}/1/${runId(2)}/artifacts`);
    assert.equal((await stores.registry.getModelVersion("fixture-model", "1")).source, `${destination}/1/${runId(0)}/artifacts/model`);
    const copy = await open(run.info.artifactUri);
    const body = await copy.get("data/blob.bin");
    const chunks: Buffer[] = [];
    for await (const c of body.body) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(payload));
  } finally {
    await stores.tracking.close();
  }
}

test("runs on S3 are copied to an S3 destination, byte for byte, with direct URIs", async (t) => {
  if (skip || !bucket) return t.skip(skip);
  await importInto(`s3://${bucket.bucket}/ciclo`, opener(bucket), "s3");
});

test("runs on S3 are copied to Azure Blob Storage", async (t) => {
  if (skip || !bucket) return t.skip(skip);
  if (skipAzure || !container) return t.skip(skipAzure);
  await importInto(`${container.wasbsRoot}/ciclo`, opener(bucket, container), "azure");
});
