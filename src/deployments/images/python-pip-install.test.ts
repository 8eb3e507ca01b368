/**
 * `--pip-index-url`: the model's requirements that the image lacks,
 * installed with the real pip from a package index — here a PEP 503 simple
 * index served by the test on loopback (testing/pip-index.ts), holding two
 * versions of a small pure-Python wheel written in the test — into the layer
 * that goes first on the image's PYTHONPATH; and the image plan that uses it
 * (the layer before the model's, PYTHONPATH, the check run again) on a base
 * layer written here. The whole build through a registry and podman is
 * python-model-image.test.ts's (without an index: none is reachable there).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { after, before, test } from "node:test";
import tar from "tar-stream";
import { pipUnavailable, startPipIndex, type PipIndex } from "../../testing/pip-index.js";
import { tempDir } from "../../testing/temp-dir.js";
import { planModelImage } from "./model-image.js";
import { checkFit } from "./python-requirements-check.js";
import { manylinuxPlatforms, PIP_PACKAGES_DIR, pipIndexUrl, pipInstallArgs, pipInstallLayer } from "./python-pip-install.js";

const tmp = tempDir("ciclo-pip-");
const PYTHON = "/usr/bin/python3";
const AMD64 = { os: "linux", architecture: "amd64" };

let unavailable: string | undefined;
let index: PipIndex | undefined;

before(async () => {
  unavailable = existsSync(PYTHON) ? pipUnavailable(PYTHON) : `${PYTHON} does not exist`;
  if (unavailable) {
    if (process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${unavailable} (CICLO_REQUIRE_ALL=1 forbids skipping)`);
    console.log(`# SKIP pip install tests: ${unavailable}`);
    return;
  }
  index = await startPipIndex(tmp.path, ["1.0", "1.1"], PYTHON);
});
after(async () => {
  await index?.close();
  tmp.remove();
});

test("the index comes from --pip-index-url, else PIP_INDEX_URL; not a URL is refused", () => {
  assert.equal(pipIndexUrl("https://mirror.example/simple", { PIP_INDEX_URL: "https://other.example/simple" }), "https://mirror.example/simple");
  assert.equal(pipIndexUrl(undefined, { PIP_INDEX_URL: "https://other.example/simple" }), "https://other.example/simple");
  assert.equal(pipIndexUrl(undefined, {}), undefined);
  assert.throws(() => pipIndexUrl("not a url", {}), /is not a URL/);
  assert.throws(() => pipIndexUrl("ftp://x.example/simple", {}), /http\(s\) or file URL/);
});

test("pip is asked for the image's wheels: its Python, its platform, binaries only, no dependencies, into a target folder", () => {
  const args = pipInstallArgs({ requirements: ["scikit-learn==1.3.2"], indexUrl: "https://mirror.example/simple", python: "3.11", platform: AMD64 }, "/t");
  const valueOf = (flag: string) => args[args.indexOf(flag) + 1];
  assert.equal(valueOf("--target"), "/t");
  assert.equal(valueOf("--index-url"), "https://mirror.example/simple");
  assert.equal(valueOf("--python-version"), "3.11");
  assert.ok(args.includes("--only-binary=:all:") && args.includes("--no-deps"));
  assert.equal(args.at(-1), "scikit-learn==1.3.2");
  assert.deepEqual(manylinuxPlatforms({ os: "linux", architecture: "arm64" }).slice(0, 1), ["manylinux_2_28_aarch64"]);
  assert.ok(manylinuxPlatforms(AMD64).includes("manylinux2014_x86_64"));
  assert.throws(() => manylinuxPlatforms({ os: "windows", architecture: "amd64" }), /not supported/);
});

test("an unmet requirement is installed from the loopback index at the version asked, and then fits", async (t) => {
  if (unavailable) return t.skip(unavailable);
  const needs = { lines: ["ciclo-tiny==1.0"], source: "requirements.txt" };
  const unfit = checkFit(needs, { pythons: ["3.11"], packages: new Map() });
  assert.deepEqual(unfit.unmet, ["ciclo-tiny==1.0"]);
  const installed = await pipInstallLayer({ requirements: unfit.unmet, indexUrl: index!.url, python: "3.11", platform: AMD64, hostPython: PYTHON });
  try {
    assert.ok(index!.asked.includes("/simple/ciclo-tiny/"), `the index was asked: ${index!.asked.join(" ")}`);
    assert.ok(index!.asked.includes("/files/ciclo_tiny-1.0-py3-none-any.whl"), "the 1.0 wheel was downloaded (not the newer 1.1)");
    assert.equal(installed.provides.get("ciclo-tiny")?.version, "1.0");
    assert.ok(installed.layer.size > 0);
    assert.match(installed.layer.comment, /pip/);
    assert.doesNotMatch(installed.layer.comment, /127\.0\.0\.1/, "the index URL (it may hold credentials) stays out of the image history");
    assert.ok(installed.layer.sorted().some((e) => e.path === `${PIP_PACKAGES_DIR}/ciclo_tiny/__init__.py`));
    // What the image's Python would import from that folder.
    const imported = spawnSync(PYTHON, ["-c", "import ciclo_tiny; print(ciclo_tiny.VERSION)"], { env: { PYTHONPATH: installed.dir }, encoding: "utf8" });
    assert.equal(imported.stdout.trim(), "1.0", imported.stderr);
    const afterFit = checkFit(needs, { pythons: ["3.11"], packages: installed.provides });
    assert.deepEqual(afterFit.mismatches, []);
  } finally {
    await installed.cleanup();
  }
  assert.equal(existsSync(installed.dir), false, "the staging folder is removed");
});

test("a requirement the index does not have fails with pip's own words", async (t) => {
  if (unavailable) return t.skip(unavailable);
  await assert.rejects(
    pipInstallLayer({ requirements: ["ciclo-tiny==9.9"], indexUrl: index!.url, python: "3.11", platform: AMD64, hostPython: PYTHON }),
    /pip could not install the model's requirements[\s\S]*ciclo-tiny==9\.9/,
  );
});

test("an image plan installs what the base lacks from the index: a layer before the model's, first on PYTHONPATH; without the index the build stops", async (t) => {
  if (unavailable) return t.skip(unavailable);
  const model = join(tmp.path, "plan-model");
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, "MLmodel"), "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    python_version: 3.11.2\n");
  writeFileSync(join(model, "requirements.txt"), "mlflow==2.10.2\nciclo-tiny==1.1\n");
  // --mlflow-from: a folder that holds mlflow's metadata; the base: Python 3.11 and nothing else.
  const mlflowDir = join(tmp.path, "mlflow-site");
  mkdirSync(join(mlflowDir, "mlflow-2.10.2.dist-info"), { recursive: true });
  writeFileSync(join(mlflowDir, "mlflow-2.10.2.dist-info", "METADATA"), "Name: mlflow\nVersion: 2.10.2\n");
  const base = { path: join(tmp.path, "base.tar.gz"), digest: "sha256:base" };
  const pack = tar.pack();
  const written = pipeline(pack, createGzip(), createWriteStream(base.path));
  pack.entry({ name: "usr/bin/python3.11" }, "elf");
  pack.finalize();
  await written;

  const info = { path: model, name: "tiny", version: "1" };
  const refused = await planModelImage(info, AMD64, { mlflowFrom: [mlflowDir] });
  try {
    await assert.rejects(refused.inspectBase!([base]), /ciclo-tiny==1\.1: the image has no 'ciclo-tiny'/);
  } finally {
    await refused.cleanup();
  }

  const plan = await planModelImage(info, AMD64, { mlflowFrom: [mlflowDir], pipIndexUrl: index!.url });
  try {
    const before = plan.layers.length;
    const warnings = await plan.inspectBase!([base]);
    assert.ok(warnings.some((w) => w.includes("installed from the pip index: ciclo-tiny==1.1")), warnings.join("\n"));
    assert.ok(index!.asked.includes("/files/ciclo_tiny-1.1-py3-none-any.whl"), "the wheel the model pins was downloaded");
    assert.equal(plan.layers.length, before + 1);
    const at = plan.layers.findIndex((l) => /pip/.test(l.comment));
    assert.equal(at, plan.layers.length - 2, "the pip layer sits just before the model's");
    assert.ok(plan.layers[at].sorted().some((e) => e.path === `${PIP_PACKAGES_DIR}/ciclo_tiny/__init__.py`));
    assert.match(plan.settings.env.PYTHONPATH ?? "", new RegExp(`^${PIP_PACKAGES_DIR}:/opt/ciclo/python/0$`));
  } finally {
    await plan.cleanup();
  }
});
