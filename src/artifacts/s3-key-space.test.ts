/** Artifact paths ↔ S3 keys under an `s3://bucket/prefix` root. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { S3KeySpace } from "./s3-key-space.js";

test("parses s3://bucket[/prefix], normalising slashes at the ends of the prefix", () => {
  const a = S3KeySpace.parse("s3://my-bucket/mlflow/artifacts/");
  assert.deepEqual([a.bucket, a.prefix, a.rootUri], ["my-bucket", "mlflow/artifacts", "s3://my-bucket/mlflow/artifacts"]);
  const b = S3KeySpace.parse("s3://my.bucket");
  assert.deepEqual([b.bucket, b.prefix, b.rootUri], ["my.bucket", "", "s3://my.bucket"]);
});

test("refuses URIs that are not s3://bucket[/prefix] or whose prefix has empty, . or .. segments", () => {
  for (const uri of ["s3://", "s3:///x", "http://b/x", "s3://b/a//c", "s3://b/a/../c", "s3://b/./c", "s3://-b/x", "s3://ab/x", "s3://b/x?y", "s3://b/x#y"]) {
    assert.throws(() => S3KeySpace.parse(uri), { errorCode: "INVALID_PARAMETER_VALUE" }, uri);
  }
});

test("maps artifact paths to keys under the prefix; the root has no file key", () => {
  const k = S3KeySpace.parse("s3://bkt/root");
  assert.equal(k.fileKey("a/b.txt"), "root/a/b.txt");
  assert.equal(k.fileKey(""), undefined);
  assert.equal(k.folderPrefix(""), "root/");
  assert.equal(k.folderPrefix("a"), "root/a/");
  const whole = S3KeySpace.parse("s3://bkt");
  assert.equal(whole.fileKey("a"), "a");
  assert.equal(whole.folderPrefix(""), "");
});

test("refuses artifact paths that could name a key outside the root", () => {
  const k = S3KeySpace.parse("s3://bkt/root");
  for (const p of ["..", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a/", "a\0b"]) {
    assert.throws(() => k.fileKey(p), { errorCode: "INVALID_PARAMETER_VALUE" }, JSON.stringify(p));
  }
});

test("turns listed keys and common prefixes into MLflow's root-relative paths", () => {
  const k = S3KeySpace.parse("s3://bkt/root");
  assert.equal(k.childPath("root/dir/f.txt", "root/dir/", false), "dir/f.txt");
  assert.equal(k.childPath("root/dir/sub/", "root/dir/", true), "dir/sub");
  assert.equal(k.childPath("root/f.txt", "root/", false), "f.txt");
  // A folder marker (the listed prefix itself), an empty name, or a key from elsewhere is no child.
  assert.equal(k.childPath("root/dir/", "root/dir/", false), undefined);
  assert.equal(k.childPath("root/dir//", "root/dir/", true), undefined);
  assert.equal(k.childPath("other/f.txt", "root/dir/", false), undefined);
});
