/**
 * MLflow's validation rules: posixNormpath against Python's own
 * posixpath.normpath, names against MLflow's regex + path rule (run in
 * Python too), and the length and batch limits.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { MlflowError } from "../shared/errors.js";
import { LIMITS, validateBatchLimits, validateExperimentName, validateExperimentTag, validateMetric, validateParam, validateRunId, validateTag } from "./validation.js";
import { posixNormpath, validateLength, validateMaxResults, validateParamKeysUnique } from "../shared/validation.js";

const PYTHON = "/usr/bin/python3";

/** Runs a Python snippet that reads a JSON list on stdin and prints a JSON list. */
function python(code: string, input: unknown[]): unknown[] {
  const r = spawnSync(PYTHON, ["-c", code], { input: JSON.stringify(input), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MlflowError, `expected an MlflowError, got ${String(err)}`);
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    assert.match(err.message, pattern);
    return true;
  });
}

const TRICKY_PATHS = [
  "", ".", "..", "...", "/", "//", "///", "////", "/.", "/..", "//..", "///..", "./", "../", ".//", "a", "a/", "a//",
  "a/.", "a/..", "a/../..", "a/b/../../..", "../a", "../../a/b", "./a", "././a", "a/./b", "a//b", "a///b", "/a",
  "//a", "///a", "////a", "//a/../b", "//../a", "/../a", "/../../", "a/b/c/../../../../d", ".../a", "a/.../b",
  "..a/b", "a/..b", "a/b..", " /a", "a/ ", " .. ", "a/ ../b", "a\\..\\b", "a\\b", "é/../ü", "日本/./語",
  "a/b/", "/a/b//c/./d/../e/", "..//..//a", "a/../../b/../c", "//a//b//", "///a//..//b",
];

/** Deterministic random paths over the pieces normpath cares about. */
function generatedPaths(n: number): string[] {
  const pieces = ["a", "b", ".", "..", "...", "", "/", "//", " ", "c.d"];
  let seed = 12345;
  const rand = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % k;
  };
  return Array.from({ length: n }, () => Array.from({ length: 1 + rand(7) }, () => pieces[rand(pieces.length)]).join("/"));
}

const hasPython = existsSync(PYTHON);

describe("posixNormpath", () => {
  test("matches Python's posixpath.normpath on tricky and generated paths", { skip: hasPython ? false : `${PYTHON} not found` }, () => {
    const inputs = [...TRICKY_PATHS, ...generatedPaths(600)];
    const expected = python("import json, sys, posixpath; print(json.dumps([posixpath.normpath(p) for p in json.load(sys.stdin)]))", inputs);
    const mismatches = inputs
      .map((p, i) => ({ p, want: expected[i], got: posixNormpath(p) }))
      .filter((x) => x.want !== x.got);
    assert.deepEqual(mismatches, []);
  });

  test("known values", () => {
    assert.equal(posixNormpath(""), ".");
    assert.equal(posixNormpath("//a/../b"), "//b");
    assert.equal(posixNormpath("///a/../b"), "/b");
    assert.equal(posixNormpath("a/../../b"), "../b");
    assert.equal(posixNormpath("/../a"), "/a");
  });
});

/** MLflow's name rule: `_VALID_PARAM_AND_METRIC_NAMES` and `path_not_unique`, in Python. */
const MLFLOW_NAME_CHECK = `
import json, sys, re, posixpath
NAMES = re.compile(r"^[/\\w.\\- :]*$")
def ok(name):
    norm = posixpath.normpath(name)
    unique = not (norm != name or norm == "." or norm.startswith("..") or norm.startswith("/"))
    return bool(NAMES.match(name)) and unique
print(json.dumps([ok(n) for n in json.load(sys.stdin)]))
`;

const NAMES = [
  "a", "Ab-5_", "a/b/c", "a.b.c", ".a", "b.", "a..a/._./o_O/.e.", "a b/c d", "a:b", "loss@epoch", "val loss", "x-y_z.w",
  "café", "Zürich/ö", "日本語", "ΔT", "٣", "a!", "a$", "a%b", "a\\b", "a\tb", "a\nb", "😀", "a,b", "a;b", "a'b", 'a"b',
  ".", "..", "/", "/a", "a/", "a//b", "a/./b", "./a", "../a", "a/..", "a/../b", "//a", "...", "a/...", " ", " a ",
];

describe("name validation (metrics, params, tags)", () => {
  const validators: Array<[string, (name: string) => void]> = [
    ["metric", (key) => validateMetric({ key, value: 1, timestamp: 0, step: 0 })],
    ["parameter", (key) => validateParam({ key, value: "v" })],
    ["tag", (key) => validateTag({ key, value: "v" })],
    ["tag", (key) => validateExperimentTag({ key, value: "v" })],
  ];

  test("accepts exactly the names MLflow accepts", { skip: hasPython ? false : `${PYTHON} not found` }, () => {
    const mlflowOk = python(MLFLOW_NAME_CHECK, NAMES) as boolean[];
    for (const [kind, validate] of validators) {
      const differences = NAMES.filter((name, i) => {
        let ours = true;
        try {
          validate(name);
        } catch {
          ours = false;
        }
        return ours !== mlflowOk[i];
      });
      assert.deepEqual(differences, [], `${kind} names judged differently from MLflow`);
    }
  });

  test("says why a name is refused", () => {
    rejects(() => validateMetric({ key: "a!", value: 1, timestamp: 0, step: 0 }), /Invalid metric name: 'a!'\. Names may only contain/);
    rejects(() => validateParam({ key: "a/../b", value: "v" }), /Invalid parameter name: 'a\/\.\.\/b'\. .*would resolve to 'b'/);
    rejects(() => validateTag({ key: "/abs", value: "v" }), /Invalid tag name: '\/abs'\. .*resolve to '\/abs'/);
    rejects(() => validateTag({ key: "", value: "v" }), /Tag name cannot be None/);
    rejects(() => validateParam({ key: 5 as unknown as string, value: "v" }), /Invalid parameter name: 5/);
  });

  test("differences from MLflow that are deliberate", () => {
    // Python's `$` also matches before a final newline, so MLflow accepts "loss\n"; ciclo does not.
    rejects(() => validateMetric({ key: "loss\n", value: 1, timestamp: 0, step: 0 }), /Invalid metric name/);
    // Combining marks (Devanagari vowel signs, decomposed accents) are letters' parts; Python's \w leaves them out.
    validateMetric({ key: "हिन्दी", value: 1, timestamp: 0, step: 0 });
    validateMetric({ key: "cafe\u0301", value: 1, timestamp: 0, step: 0 });
  });
});

describe("length limits count characters, as MLflow's len() does", () => {
  const emoji = "😀"; // one character, two UTF-16 code units

  test("boundaries of every limit", () => {
    validateParam({ key: "k".repeat(LIMITS.entityKeyLength), value: "v".repeat(LIMITS.paramValueLength) });
    rejects(() => validateParam({ key: "k".repeat(251), value: "v" }), /Param key '.*' had length 251, which exceeded length limit of 250/);
    rejects(() => validateParam({ key: "k", value: "v".repeat(6001) }), /Param value '.*' had length 6001, which exceeded length limit of 6000/);
    validateTag({ key: "k", value: "v".repeat(LIMITS.tagValueLength) });
    rejects(() => validateTag({ key: "k", value: "v".repeat(8001) }), /Tag value .* had length 8001, .* limit of 8000/);
    validateExperimentTag({ key: "k", value: "v".repeat(LIMITS.experimentTagValueLength) });
    rejects(() => validateExperimentTag({ key: "k", value: "v".repeat(5001) }), /Tag value .* had length 5001, .* limit of 5000/);
    rejects(() => validateMetric({ key: "m".repeat(251), value: 1, timestamp: 0, step: 0 }), /Metric name .* had length 251/);
    validateExperimentName("e".repeat(500));
    rejects(() => validateExperimentName("e".repeat(501)), /exceeds the maximum length of 500 characters/);
  });

  test("characters outside the BMP count once", () => {
    validateParam({ key: "k", value: emoji.repeat(LIMITS.paramValueLength) });
    validateTag({ key: "k", value: emoji.repeat(LIMITS.tagValueLength) });
    validateExperimentName(emoji.repeat(LIMITS.experimentNameLength));
    rejects(() => validateParam({ key: "k", value: emoji.repeat(6001) }), /had length 6001, which exceeded length limit of 6000/);
    validateLength("Thing", 3, "a😀b");
    rejects(() => validateLength("Thing", 3, "a😀bc"), /Thing 'a😀bc' had length 4, which exceeded length limit of 3/);
  });

  test("the message quotes at most 250 characters of the value", () => {
    assert.throws(() => validateLength("Param value", 10, "x".repeat(1000)), (err: Error) => {
      assert.ok(err.message.includes(`'${"x".repeat(250)}'`));
      assert.ok(!err.message.includes("x".repeat(251)));
      return true;
    });
    assert.throws(() => validateLength("Tag value", 10, "😀".repeat(300)), (err: Error) => {
      assert.ok(err.message.includes(`'${"😀".repeat(250)}' had length 300`), "cut between characters, not inside one");
      return true;
    });
  });
});

describe("other validators", () => {
  test("metric value, timestamp and step", () => {
    validateMetric({ key: "m", value: Number.NaN, timestamp: 0, step: -5 });
    validateMetric({ key: "m", value: Number.POSITIVE_INFINITY, timestamp: Number.MAX_SAFE_INTEGER, step: 0 });
    rejects(() => validateMetric({ key: "m", value: "1" as unknown as number, timestamp: 0, step: 0 }), /Got invalid value 1 for metric 'm'/);
    rejects(() => validateMetric({ key: "m", value: 1, timestamp: -1, step: 0 }), /Timestamp must be a nonnegative long/);
    rejects(() => validateMetric({ key: "m", value: 1, timestamp: 1.5, step: 0 }), /invalid timestamp 1\.5/);
    rejects(() => validateMetric({ key: "m", value: 1, timestamp: 0, step: 0.5 }), /invalid step 0\.5/);
    rejects(() => validateMetric({ key: "m", value: 1, timestamp: 0, step: 2 ** 53 }), /Step must be a valid long/);
  });

  test("run ids", () => {
    validateRunId("0123456789abcdef0123456789abcdef");
    validateRunId("A" + "b".repeat(255));
    for (const bad of ["", "-abc", "_abc", "a".repeat(257), "abc/def", "../etc", "abc def", "abc\n"]) {
      rejects(() => validateRunId(bad), /Invalid run ID/);
    }
  });

  test("batch limits and duplicate param keys", () => {
    validateBatchLimits(1000, 0, 0);
    validateBatchLimits(800, 100, 100);
    rejects(() => validateBatchLimits(1001, 0, 0), /at most 1000 metrics\. Got 1001 metrics/);
    rejects(() => validateBatchLimits(0, 101, 0), /at most 100 params\. Got 101 params/);
    rejects(() => validateBatchLimits(0, 0, 101), /at most 100 tags/);
    rejects(() => validateBatchLimits(900, 100, 1), /at most 1000 metrics, params, and tags\. Got 1001/);
    validateParamKeysUnique([{ key: "a", value: "1" }, { key: "b", value: "1" }]);
    rejects(
      () => validateParamKeysUnique([{ key: "a", value: "1" }, { key: "b", value: "1" }, { key: "a", value: "1" }, { key: "b", value: "2" }]),
      /Duplicate parameter keys have been submitted: \['a', 'b'\]/,
    );
  });

  test("max_results and experiment names", () => {
    validateMaxResults(1);
    validateMaxResults(50_000);
    for (const bad of [0, -1, 1.5, Number.NaN]) rejects(() => validateMaxResults(bad), /It must be a positive integer/);
    rejects(() => validateMaxResults(50_001), /It must be at most 50000/);
    rejects(() => validateMaxResults(11, 10), /It must be at most 10/);
    rejects(() => validateExperimentName("   "), /Invalid experiment name: '   '/);
    rejects(() => validateExperimentName(5), /Invalid experiment name: 5\. Expects a string/);
  });
});
