import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { MlflowError } from "../shared/errors.js";
import { tempDir } from "../testing/temp-dir.js";
import { localRootPath, openArtifactRepository } from "./artifact-repositories.js";
import { LocalArtifactRepository } from "./local-artifact-repository.js";

describe("openArtifactRepository picks the implementation by URI scheme", () => {
  const dir = tempDir("ciclo-repos-");
  after(() => dir.remove());

  test("file: URIs and plain paths open local folders", async () => {
    const root = join(dir.path, "a b");
    const byUri = await openArtifactRepository(pathToFileURL(root).href);
    assert.ok(byUri instanceof LocalArtifactRepository);
    await byUri.put("x.txt", Readable.from([Buffer.from("hi")]));
    const byPath = await openArtifactRepository(root);
    assert.ok(byPath instanceof LocalArtifactRepository);
    assert.equal((await byPath.stat("x.txt"))?.size, 2);
    assert.equal(byPath.rootUri, byUri.rootUri);
    assert.equal(localRootPath(`file://localhost${root}`), root);
    assert.equal(localRootPath("relative/dir"), resolve("relative/dir"));
  });

  test("s3: URIs load the S3 repository on demand", async () => {
    const repo = await openArtifactRepository("s3://bucket/prefix");
    assert.equal(repo.constructor.name, "S3ArtifactRepository");
  });

  test("other schemes are refused with INVALID_PARAMETER_VALUE", async () => {
    for (const uri of ["http://169.254.169.254/latest/meta-data", "gs://b/p", "hdfs://h/p", "ftp://h/p"]) {
      await assert.rejects(openArtifactRepository(uri), (e: unknown) => e instanceof MlflowError && e.errorCode === "INVALID_PARAMETER_VALUE");
    }
  });

  test("roots hiding `..`, queries, fragments, params, control characters or other hosts are refused (CVE-2023-6909, -2024-1593/1594/3573/8859)", async () => {
    const hostile = [
      `file://${dir.path}/exp/../../../etc`,
      `file://${dir.path}/exp/%2e%2e/%2e%2e/etc`,
      `file://${dir.path}/exp/%252e%252e/etc`,
      `file://${dir.path}/x?a=/../../etc/1/artifacts`,
      `file://${dir.path}/#/../../etc/1/artifacts`,
      `file://${dir.path}/p;/../../etc`,
      "file://attacker.example/share/x",
      `${dir.path}/..\\..\\etc`,
      `${dir.path}/a\u0000b`,
      "s3://bucket/models/../../other",
      "s3://bucket/p?x=1",
    ];
    for (const uri of hostile) {
      await assert.rejects(
        openArtifactRepository(uri),
        (e: unknown) => e instanceof MlflowError && e.errorCode === "INVALID_PARAMETER_VALUE",
        `expected ${uri} to be refused`,
      );
    }
  });
});
