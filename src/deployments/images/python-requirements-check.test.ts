/**
 * The Python fit check on real files: a base image layer (a gzip tar written
 * here, with Debian's metadata folder names and a later layer's whiteout),
 * an `--mlflow-from` folder, and model requirement files as MLflow writes
 * them (requirements.txt + python_env.yaml, or conda.yaml alone); wheels
 * (zip archives written by Python's zipfile) given to --mlflow-from.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { after, test } from "node:test";
import tar from "tar-stream";
import { tempDir } from "../../testing/temp-dir.js";
import { normalizeName, parseMetadataDir, scanFolder, scanLayers } from "./python-inventory.js";
import { pythonPackagesLayer } from "./python-packages.js";
import { checkFit, modelPythonNeeds } from "./python-requirements-check.js";
import { unpackWheel } from "./wheel-unpack.js";

const tmp = tempDir("ciclo-pyfit-");
after(() => tmp.remove());

async function layer(name: string, entries: Array<{ name: string; type?: "file" | "directory" | "symlink"; body?: string; linkname?: string }>): Promise<{ path: string; digest: string }> {
  const pack = tar.pack();
  const path = join(tmp.path, `${name}.tar.gz`);
  const done = pipeline(pack, createGzip(), createWriteStream(path));
  for (const e of entries) {
    if (e.type === "directory") pack.entry({ name: e.name, type: "directory" });
    else if (e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.linkname });
    else pack.entry({ name: e.name }, e.body ?? "");
  }
  pack.finalize();
  await done;
  return { path, digest: `sha256:${name}` };
}

test("metadata folder names: Debian's egg-info (with -pyX.Y), wheels' dist-info, PEP 503 names", () => {
  assert.deepEqual(parseMetadataDir("scikit_learn-1.2.1.egg-info"), { name: "scikit_learn", version: "1.2.1" });
  assert.deepEqual(parseMetadataDir("cupshelpers-1.0-py3.10.egg-info"), { name: "cupshelpers", version: "1.0" });
  assert.deepEqual(parseMetadataDir("cheroot-9.0.0+ds1.egg-info"), { name: "cheroot", version: "9.0.0+ds1" });
  assert.deepEqual(parseMetadataDir("mlflow-2.10.2.dist-info"), { name: "mlflow", version: "2.10.2" });
  assert.equal(parseMetadataDir("sklearn"), undefined);
  assert.equal(normalizeName("Scikit_Learn"), "scikit-learn");
  assert.equal(normalizeName("ruamel.yaml"), "ruamel-yaml");
});

test("a base's layers: interpreters and packages, a later layer's whiteout removes one; hostile names are refused", async () => {
  const l1 = await layer("l1", [
    { name: "usr/bin/python3.11", body: "elf" },
    { name: "usr/bin/python3", type: "symlink", linkname: "python3.11" },
    { name: "usr/lib/python3/dist-packages/numpy-1.24.2.egg-info/PKG-INFO" },
    { name: "usr/lib/python3/dist-packages/scikit_learn-1.2.1.egg-info", type: "directory" },
    { name: "usr/lib/python3/dist-packages/scipy-1.10.1.dist-info/METADATA" },
    { name: "usr/lib/python3/dist-packages/pandas-1.5.3.egg-info/PKG-INFO" },
    // Not a site folder: ignored.
    { name: "usr/share/doc/fake-9.9.dist-info/METADATA" },
  ]);
  const l2 = await layer("l2", [
    { name: "usr/lib/python3/dist-packages/.wh.pandas-1.5.3.egg-info" },
    { name: "usr/local/lib/python3.11/site-packages/cloudpickle-2.2.1.dist-info/METADATA" },
  ]);
  const inv = await scanLayers([l1, l2]);
  assert.deepEqual(inv.pythons, ["3.11"]);
  assert.deepEqual([...inv.packages.keys()].sort(), ["cloudpickle", "numpy", "scikit-learn", "scipy"]);
  assert.equal(inv.packages.get("scikit-learn")!.version, "1.2.1");
  const bad = await layer("bad", [{ name: "../../etc/passwd" }]);
  await assert.rejects(scanLayers([bad]), /climbs out of the root/);
});

test("requirements as MLflow logs them: fits, a missing package, another version, another Python, and unchecked lines", async () => {
  const inv = {
    pythons: ["3.11"],
    packages: new Map(
      [
        ["mlflow", "2.10.2"],
        ["numpy", "1.24.2"],
        ["scikit-learn", "1.2.1"],
        ["scipy", "1.10.1"],
        ["cloudpickle", "2.2.1"],
      ].map(([n, v]) => [n, { name: n, version: v, where: `/x/${n}` }]),
    ),
  };
  const model = join(tmp.path, "model");
  mkdirSync(model);
  writeFileSync(join(model, "requirements.txt"), "mlflow==2.10.2\ncloudpickle==2.2.1\nnumpy==1.24.2\nscikit-learn==1.2.1\nscipy==1.10.1\n");
  writeFileSync(join(model, "python_env.yaml"), "python: 3.11.2\nbuild_dependencies:\n- pip==23.0\ndependencies:\n- -r requirements.txt\n");
  const needs = (await modelPythonNeeds(model))!;
  const fit = checkFit(needs, inv);
  // pip is a build dependency (for a virtualenv): the model does not import it, so it is not checked.
  assert.deepEqual(fit.mismatches, []);
  assert.equal(needs.python, "3.11.2");
  assert.deepEqual(fit.fits, ["mlflow==2.10.2", "cloudpickle==2.2.1", "numpy==1.24.2", "scikit-learn==1.2.1", "scipy==1.10.1"]);

  const conda = join(tmp.path, "conda-model");
  mkdirSync(conda);
  writeFileSync(
    join(conda, "conda.yaml"),
    "channels: [conda-forge]\ndependencies:\n- python=3.9.18\n- pip<=23.0\n- pip:\n  - mlflow==2.10.2\n  - scikit-learn>=1.3,<1.4\n  - Pandas[performance]==2.1.0\n  - lightgbm\n  - git+https://example.com/x.git\n  - numpy; python_version < '3.12'\n",
  );
  const c = checkFit((await modelPythonNeeds(conda))!, inv);
  assert.deepEqual(c.mismatches, [
    "the model was logged with Python 3.9.18; the image has Python 3.11",
    "scikit-learn>=1.3,<1.4: the image has scikit-learn 1.2.1 (/x/scikit-learn)",
    "Pandas[performance]==2.1.0: the image has no 'Pandas'",
    "lightgbm: the image has no 'lightgbm'",
  ]);
  assert.deepEqual(c.unchecked, ["git+https://example.com/x.git", "numpy; python_version < '3.12'"]);
  assert.deepEqual(c.fits, ["mlflow==2.10.2"]);
  const none = join(tmp.path, "no-reqs");
  mkdirSync(none);
  assert.equal(await modelPythonNeeds(none), undefined);
});

test("--mlflow-from folders: on PYTHONPATH in order, what they provide (a bare mlflow package reads its version.py), a file is refused", async () => {
  const a = join(tmp.path, "site-a");
  mkdirSync(join(a, "mlflow"), { recursive: true });
  writeFileSync(join(a, "mlflow", "__init__.py"), "");
  writeFileSync(join(a, "mlflow", "version.py"), 'VERSION = "2.10.2"\n');
  mkdirSync(join(a, "mlflow", "__pycache__"));
  writeFileSync(join(a, "mlflow", "__pycache__", "x.cpython-311.pyc"), "");
  const b = join(tmp.path, "site-b");
  mkdirSync(join(b, "querystring_parser-1.2.4.dist-info"), { recursive: true });
  assert.equal((await scanFolder(a)).get("mlflow")!.version, "2.10.2");
  const got = await pythonPackagesLayer([a, b]);
  assert.deepEqual(got.pythonPath, ["/opt/ciclo/python/0", "/opt/ciclo/python/1"]);
  assert.deepEqual([...got.provides.keys()].sort(), ["mlflow", "querystring-parser"]);
  const paths = got.layer!.sorted().map((e) => e.path);
  assert.ok(paths.includes("/opt/ciclo/python/0/mlflow/version.py"));
  assert.ok(!paths.some((p) => p.includes("__pycache__")));
  await assert.rejects(pythonPackagesLayer([join(a, "mlflow", "version.py")]), /neither a folder nor a \.whl file/);
});

/** Writes a zip with Python's zipfile: entries [name, text, unix mode]. */
function zip(path: string, entries: Array<[string, string, number]>): void {
  const script = `import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, text, mode in json.load(sys.stdin):
        info = zipfile.ZipInfo(name)
        info.external_attr = mode << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, text)`;
  const r = spawnSync("python3", ["-c", script, path], { input: JSON.stringify(entries), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

test("wheels and wheelhouses as --mlflow-from sources: unpacked as an installer lays out site-packages; links and climbing names refused", { skip: spawnSync("python3", ["-V"]).status === 0 ? undefined : "python3 is needed to write the test wheels" }, async () => {
  const house = join(tmp.path, "wheelhouse");
  mkdirSync(house);
  zip(join(house, "pkgx-1.0-py3-none-any.whl"), [
    ["pkgx/__init__.py", "VALUE = 1\n", 0o100644],
    ["pkgx-1.0.dist-info/METADATA", "Name: pkgx\nVersion: 1.0\n", 0o100644],
    ["pkgx-1.0.data/purelib/pkgx_extra.py", "X = 2\n", 0o100644],
    ["pkgx-1.0.data/scripts/pkgx-tool", "#!/bin/sh\n", 0o100755],
  ]);
  zip(join(house, "mlflow_skinny-2.10.2-py3-none-any.whl"), [
    ["mlflow/__init__.py", "", 0o100644],
    ["mlflow/version.py", 'VERSION = "2.10.2"\n', 0o100644],
    ["mlflow_skinny-2.10.2.dist-info/METADATA", "Name: mlflow-skinny\n", 0o100644],
  ]);
  const got = await pythonPackagesLayer([house, join(house, "pkgx-1.0-py3-none-any.whl")]);
  try {
    assert.deepEqual(got.pythonPath, ["/opt/ciclo/python/0", "/opt/ciclo/python/1"]);
    // mlflow-skinny's metadata, and the bare package's version.py naming mlflow.
    assert.deepEqual([...got.provides.keys()].sort(), ["mlflow", "mlflow-skinny", "pkgx"]);
    assert.equal(got.provides.get("mlflow")!.version, "2.10.2");
    const paths = got.layer!.sorted().filter((e) => e.type === "file").map((e) => e.path);
    for (const p of ["/opt/ciclo/python/0/pkgx/__init__.py", "/opt/ciclo/python/0/pkgx_extra.py", "/opt/ciclo/python/0/mlflow/version.py", "/opt/ciclo/python/1/pkgx-1.0.dist-info/METADATA"]) assert.ok(paths.includes(p), p);
    assert.ok(!paths.some((p) => p.includes("pkgx-tool") || p.includes(".data/")), paths.join("\n"));
    const staged = got.layer!.sorted().find((e) => e.path === "/opt/ciclo/python/0/pkgx/__init__.py")!.source!;
    assert.equal(readFileSync(staged, "utf8"), "VALUE = 1\n");
    await got.cleanup();
    assert.equal(existsSync(staged), false);
  } finally {
    await got.cleanup();
  }
  const climbing = join(tmp.path, "evil-1.0-py3-none-any.whl");
  zip(climbing, [["../../evil.py", "x", 0o100644]]);
  await assert.rejects(unpackWheel(climbing, join(tmp.path, "out-a")), /Refused wheel|not a readable wheel/);
  assert.equal(existsSync(join(tmp.path, "evil.py")), false);
  const linked = join(tmp.path, "link-1.0-py3-none-any.whl");
  zip(linked, [["link/passwd", "/etc/passwd", 0o120777]]);
  await assert.rejects(unpackWheel(linked, join(tmp.path, "out-b")), /is a symbolic link/);
  await assert.rejects(pythonPackagesLayer([join(tmp.path, "nope.whl")]), /neither a folder nor a \.whl file/);
});
