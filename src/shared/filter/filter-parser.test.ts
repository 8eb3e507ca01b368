/** The search-filter and order_by parser in isolation (no SQL). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MlflowError } from "../errors.js";
import type { FilterNode, SearchSpec } from "./filter-ast.js";
import { parseFilter, parseOrderBy } from "./filter-parser.js";
import { EXPERIMENT_SEARCH_SPEC as EXP, RUN_SEARCH_SPEC as RUN } from "../../tracking/search-specs.js";

const parse = (f: string, spec: SearchSpec = RUN) => parseFilter(f, spec);
const cmp = (entity: string, key: string, op: string, value: unknown) => ({ kind: "cmp", entity, key, op, value });

/** Parsing must fail with INVALID_PARAMETER_VALUE and a message matching every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MlflowError, `expected an MlflowError, got ${String(err)}`);
    assert.equal(err.errorCode, "INVALID_PARAMETER_VALUE");
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}
const rejectsFilter = (f: string, ...patterns: RegExp[]) => rejects(() => parse(f), ...patterns);

describe("filter parser: identifiers", () => {
  test("every entity prefix and its aliases, case-insensitively", () => {
    const cases: Array<[string, string]> = [
      ["metric", "metric"], ["metrics", "metric"], ["METRICS", "metric"],
      ["param", "param"], ["params", "param"], ["parameter", "param"], ["parameters", "param"],
      ["tag", "tag"], ["tags", "tag"], ["Tags", "tag"],
    ];
    for (const [prefix, entity] of cases) {
      const value = entity === "metric" ? 1 : "v";
      const lit = entity === "metric" ? "1" : "'v'";
      assert.deepEqual(parse(`${prefix}.k = ${lit}`), cmp(entity, "k", "=", value), prefix);
    }
    for (const prefix of ["attribute", "attributes", "attr", "run"]) {
      assert.deepEqual(parse(`${prefix}.status = 'RUNNING'`), cmp("attribute", "status", "=", "RUNNING"), prefix);
    }
    for (const prefix of ["dataset", "datasets"]) {
      assert.deepEqual(parse(`${prefix}.digest = 'abc'`), cmp("dataset", "digest", "=", "abc"), prefix);
    }
    assert.deepEqual(parse("status = 'FAILED'"), cmp("attribute", "status", "=", "FAILED"), "bare attribute");
  });

  test("attribute aliases resolve to their canonical key", () => {
    assert.deepEqual(parse("run_uuid = 'abc'"), cmp("attribute", "run_id", "=", "abc"));
    assert.deepEqual(parse("attributes.created > 5"), cmp("attribute", "start_time", ">", 5));
    assert.deepEqual(parse("Created >= 5"), cmp("attribute", "start_time", ">=", 5));
    for (const alias of ["run name", "Run name", "Run Name"]) {
      assert.deepEqual(parse(`\`${alias}\` = 'r'`), cmp("attribute", "run_name", "=", "r"));
      assert.deepEqual(parse(`attributes.\`${alias}\` = 'r'`), cmp("attribute", "run_name", "=", "r"));
    }
  });

  test("backtick and double-quoted keys keep spaces, dots and doubled quote characters", () => {
    assert.deepEqual(parse("metrics.`val loss` < 0.5"), cmp("metric", "val loss", "<", 0.5));
    assert.deepEqual(parse('params."a b" = \'x\''), cmp("param", "a b", "=", "x"));
    assert.deepEqual(parse("params.`a b` = 'x'"), cmp("param", "a b", "=", "x"));
    assert.deepEqual(parse('tags."mlflow.runName" = \'x\''), cmp("tag", "mlflow.runName", "=", "x"));
    assert.deepEqual(parse("metrics.`a``b` = 1"), cmp("metric", "a`b", "=", 1));
    assert.deepEqual(parse("metrics.a.b/c-d:e = 1"), cmp("metric", "a.b/c-d:e", "=", 1));
    assert.deepEqual(
      parse("params.`x'; drop table runs; --` = 'y'"),
      cmp("param", "x'; drop table runs; --", "=", "y"),
      "an injection-looking key is just a key",
    );
  });

  test("unknown entities, attributes and dataset keys are refused by name", () => {
    rejectsFilter("foo.a = 'x'", /Invalid entity type 'foo'/, /attributes, metrics, params, tags, datasets/);
    rejectsFilter("colour = 'red'", /Invalid attribute key 'colour'/, /run_id, run_name/);
    rejectsFilter("datasets.size = 'x'", /Invalid dataset key 'size'/, /name, digest, context/);
    rejectsFilter("metrics. = 1", /expected a key after 'metrics\.'/);
    rejectsFilter("metrics.`` = 1", /empty key/);
    rejectsFilter("= 1", /expected a key but found '='/);
    rejects(() => parse("params.a = 'x'", EXP), /Invalid entity type 'params'/, /Valid values are attributes, tags\./);
    rejects(() => parse("datasets.name = 'x'", EXP), /Invalid entity type 'datasets'/);
  });

  test("experiment_id may be ordered on but not filtered (MLflow), and is no 500 on PostgreSQL", () => {
    rejectsFilter("experiment_id = '1'", /Invalid attribute key 'experiment_id'/);
    rejects(() => parse("experiment_id LIKE '1%'", EXP), /Invalid attribute key 'experiment_id'/);
    assert.deepEqual(parseOrderBy(["experiment_id DESC"], RUN), [{ entity: "attribute", key: "experiment_id", ascending: false }]);
    assert.deepEqual(parseOrderBy(["experiment_id"], EXP), [{ entity: "attribute", key: "experiment_id", ascending: true }]);
  });

  test("inherited object properties are not keys", () => {
    for (const key of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      rejects(() => parse(`${key} = 'x'`, EXP), new RegExp(`Invalid attribute key '${key}'`));
      rejectsFilter(`attributes.${key} = 'x'`, new RegExp(`Invalid attribute key '${key}'`));
      rejectsFilter(`${key}.a = 'x'`, new RegExp(`Invalid entity type '${key}'`));
    }
  });
});

describe("filter parser: comparators and values", () => {
  test("numeric comparators for metrics and numeric attributes; '<>' means '!='", () => {
    for (const op of ["=", "!=", "<", "<=", ">", ">="]) {
      assert.deepEqual(parse(`metrics.acc ${op} 0.5`), cmp("metric", "acc", op, 0.5));
      assert.deepEqual(parse(`end_time ${op} 10`), cmp("attribute", "end_time", op, 10));
    }
    assert.deepEqual(parse("metrics.acc <> 1"), cmp("metric", "acc", "!=", 1));
    assert.deepEqual(parse("metrics.acc>=1"), cmp("metric", "acc", ">=", 1), "no spaces needed");
  });

  test("string comparators for params, tags, string attributes and datasets, keywords in any case", () => {
    for (const [entity, id] of [["param", "params.p"], ["tag", "tags.t"], ["attribute", "attributes.user_id"], ["dataset", "datasets.name"]]) {
      const key = id.split(".")[1];
      for (const op of ["=", "!="]) assert.deepEqual(parse(`${id} ${op} 'v'`), cmp(entity, key, op, "v"));
      assert.deepEqual(parse(`${id} like 'v%'`), cmp(entity, key, "LIKE", "v%"));
      assert.deepEqual(parse(`${id} ILike '%V'`), cmp(entity, key, "ILIKE", "%V"));
    }
  });

  test("a comparator that does not fit the key's type is refused, naming comparator, key and valid set", () => {
    for (const op of ["LIKE", "ILIKE"]) {
      rejectsFilter(`metrics.acc ${op} '1'`, new RegExp(`Invalid comparator '${op}' for metric 'acc'`), /=, !=, <, <=, >, >=/);
      rejectsFilter(`start_time ${op} '1'`, new RegExp(`Invalid comparator '${op}' for attribute 'start_time'`));
    }
    for (const op of ["<", "<=", ">", ">="]) {
      rejectsFilter(`params.lr ${op} '1'`, new RegExp(`Invalid comparator '${op}' for param 'lr'`), /LIKE, ILIKE/);
      rejectsFilter(`tags.t ${op} '1'`, new RegExp(`Invalid comparator '${op}' for tag 't'`));
      rejectsFilter(`status ${op} '1'`, new RegExp(`Invalid comparator '${op}' for attribute 'status'`));
    }
    rejectsFilter("metrics.a == 1", /Expected numeric value type for metric 'a'\. Found '='/);
    rejectsFilter("metrics.a ! 1", /'!' must be followed by '='/);
    rejectsFilter("params.a NOT LIKE 'x'", /invalid comparator 'NOT'/);
    rejectsFilter("params.a CONTAINS 'x'", /invalid comparator 'CONTAINS'/);
    rejectsFilter("params.a", /expected a comparator after param 'a'/);
  });

  test("numeric values: signs, decimals, exponents; everything else refused", () => {
    const values: Array<[string, number]> = [["-1", -1], [".5", 0.5], ["-.5", -0.5], ["1e3", 1000], ["1E-3", 0.001], ["-2.5e+2", -250], ["0", 0]];
    for (const [text, n] of values) assert.deepEqual(parse(`metrics.m = ${text}`), cmp("metric", "m", "=", n), text);
    rejectsFilter("metrics.m = '1'", /Expected numeric value type for metric 'm'\. Found '1'/);
    rejectsFilter("metrics.m = abc", /Expected numeric value type/);
    for (const bad of ["NaN", "Infinity"]) rejectsFilter(`metrics.m > ${bad}`, /Expected numeric value type/);
    rejectsFilter("metrics.m = +1", /unexpected character '\+'/);
    rejectsFilter("metrics.m = -", /unexpected character '-'/);
    rejectsFilter("metrics.m = 1.2.3", /unexpected '\.3'/);
    rejectsFilter("metrics.m = 0x10", /unexpected 'x10'/);
    rejectsFilter("metrics.m = 1e", /unexpected 'e'/);
    rejectsFilter("start_time > '5'", /Expected numeric value type for attribute 'start_time'/);
  });

  test("string values must be quoted (either quote); doubled quotes stand for one", () => {
    assert.deepEqual(parse('params.a = "x"'), cmp("param", "a", "=", "x"));
    assert.deepEqual(parse("params.a = ''"), cmp("param", "a", "=", ""));
    assert.deepEqual(parse("params.a = 'it''s'"), cmp("param", "a", "=", "it's"));
    assert.deepEqual(parse('params.a = "say ""hi"""'), cmp("param", "a", "=", 'say "hi"'));
    assert.deepEqual(parse(`params.a = "it's"`), cmp("param", "a", "=", "it's"));
    assert.deepEqual(parse("params.a = 'a, (b) AND c = ''d'''"), cmp("param", "a", "=", "a, (b) AND c = 'd'"));
    rejectsFilter("params.a = 5", /Expected a quoted string value for param 'a', got '5'/);
    rejectsFilter("params.a = x", /Expected a quoted string value for param 'a', got 'x'/);
    rejectsFilter("params.a = `x`", /Expected a quoted string value/);
  });

  test("injection-looking input is parsed as plain values", () => {
    assert.deepEqual(parse("params.a = '1; DROP TABLE runs; --'"), cmp("param", "a", "=", "1; DROP TABLE runs; --"));
    assert.deepEqual(parse("params.lr = '0.1'' OR ''1''=''1'"), cmp("param", "lr", "=", "0.1' OR '1'='1"));
    assert.deepEqual(parse("tags.t LIKE '%'' UNION SELECT * FROM params --'"), cmp("tag", "t", "LIKE", "%' UNION SELECT * FROM params --"));
    rejectsFilter("params.lr = '0.1' OR '1'='1'", /expected a key but found '1'/);
    rejectsFilter("params.a = 'x'; DROP TABLE runs", /unexpected character ';'/);
    rejectsFilter("params.a = 'x' -- comment", /unexpected character '-'/);
  });

  test("unterminated quotes are reported with their position", () => {
    rejectsFilter("params.a = 'x", /unterminated quoted text starting with ' at position 11/);
    rejectsFilter('params.a = "x', /unterminated quoted text starting with " at position 11/);
    rejectsFilter("metrics.`a = 1", /unterminated quoted text starting with ` at position 8/);
    rejectsFilter("params.a = 'it''s", /unterminated/);
  });
});

describe("filter parser: IN lists and null checks", () => {
  test("IN / NOT IN on string keys", () => {
    assert.deepEqual(parse("params.a IN ('x', \"y\")"), cmp("param", "a", "IN", ["x", "y"]));
    assert.deepEqual(parse("tags.t not in ('x')"), cmp("tag", "t", "NOT IN", ["x"]));
    assert.deepEqual(parse("run_id IN ('a','b','c')"), cmp("attribute", "run_id", "IN", ["a", "b", "c"]));
    assert.deepEqual(parse("datasets.context IN ('train', 'eval')"), cmp("dataset", "context", "IN", ["train", "eval"]));
    assert.deepEqual(parse("params.a IN ('it''s')"), cmp("param", "a", "IN", ["it's"]));
  });

  test("IN lists are refused on numbers, malformed, or on attributes a spec does not allow", () => {
    rejectsFilter("metrics.a IN (1, 2)", /Invalid comparator 'IN' for metric 'a'/);
    rejectsFilter("start_time NOT IN (1)", /Invalid comparator 'NOT IN' for attribute 'start_time'/);
    rejectsFilter("params.a IN ('x', 1)", /IN list values must be quoted strings/);
    rejectsFilter("params.a IN ()", /IN list values must be quoted strings at position 13/);
    rejectsFilter("params.a IN ('x',)", /IN list values must be quoted strings/);
    rejectsFilter("params.a IN 'x'", /expected '\(' to start an IN list/);
    rejectsFilter("params.a IN ('x' 'y')", /expected ',' or '\)' in IN list/);
    rejectsFilter("params.a IN ('x',", /unterminated IN list/);
    const onlyRunId: SearchSpec = { ...RUN, inListAttributes: ["run_id"] };
    assert.deepEqual(parse("run_id IN ('a')", onlyRunId), cmp("attribute", "run_id", "IN", ["a"]));
    rejects(() => parse("status IN ('RUNNING')", onlyRunId), /Invalid comparator 'IN' for attribute 'status'/, /supported on run_id/);
  });

  test("IS NULL / IS NOT NULL on every entity", () => {
    for (const [id, entity, key] of [["metrics.m", "metric", "m"], ["params.p", "param", "p"], ["tags.t", "tag", "t"], ["end_time", "attribute", "end_time"], ["datasets.name", "dataset", "name"]]) {
      assert.deepEqual(parse(`${id} IS NULL`), { kind: "null", entity, key, negate: false });
      assert.deepEqual(parse(`${id} is not null`), { kind: "null", entity, key, negate: true });
    }
    rejectsFilter("params.p IS 'x'", /expected NULL after IS/);
    rejectsFilter("params.p IS NOT", /expected NULL after IS/);
    rejectsFilter("params.p IS", /expected NULL after IS/);
  });
});

describe("filter parser: AND, OR, parentheses, limits", () => {
  const a = cmp("param", "a", "=", "1");
  const b = cmp("param", "b", "=", "2");
  const c = cmp("param", "c", "=", "3");

  test("AND binds tighter than OR; parentheses override; keywords in any case", () => {
    assert.deepEqual(parse("params.a = '1' OR params.b = '2' AND params.c = '3'"), { kind: "or", items: [a, { kind: "and", items: [b, c] }] });
    assert.deepEqual(parse("params.a = '1' AND params.b = '2' or params.c = '3'"), { kind: "or", items: [{ kind: "and", items: [a, b] }, c] });
    assert.deepEqual(parse("(params.a = '1' OR params.b = '2') and params.c = '3'"), { kind: "and", items: [{ kind: "or", items: [a, b] }, c] });
    assert.deepEqual(parse("params.a = '1' AND params.b = '2' AND params.c = '3'"), { kind: "and", items: [a, b, c] });
    assert.deepEqual(parse("((params.a = '1'))"), a);
    assert.deepEqual(parse("  params.a\t=\n'1'  "), a, "any whitespace");
  });

  test("trailing garbage, dangling operators and unbalanced parentheses are refused", () => {
    rejectsFilter("params.a = '1' garbage", /unexpected 'garbage' at position 15/);
    rejectsFilter("params.a = '1' params.b = '2'", /unexpected 'params\.b'/);
    rejectsFilter("params.a = '1')", /unexpected '\)'/);
    rejectsFilter("(params.a = '1'", /expected '\)'/);
    rejectsFilter("params.a = '1' AND", /expected a clause but the filter ended/);
    rejectsFilter("OR params.a = '1'", /Invalid attribute key 'OR'/);
    rejectsFilter("NOT params.a = '1'", /Invalid attribute key 'NOT'/);
    rejectsFilter("()", /expected a key but found '\)'/);
    rejectsFilter("params.a = '1' && params.b = '2'", /unexpected character '&'/);
  });

  test("an empty filter means no filter", () => {
    assert.equal(parse(""), undefined);
    assert.equal(parse("   \t\n"), undefined);
    assert.equal(parseFilter(undefined, RUN), undefined);
  });

  test("long filters: 200 clauses and 20000 characters pass, more is refused", () => {
    const clauses = (n: number) => Array.from({ length: n }, (_, i) => `params.p${i} = 'v'`).join(" AND ");
    const many = parse(clauses(200)) as { kind: string; items: FilterNode[] };
    assert.equal(many.items.length, 200);
    rejectsFilter(clauses(201), /more than 200 clauses/);
    const prefix = "params.a = '";
    const atLimit = prefix + "x".repeat(20_000 - prefix.length - 1) + "'";
    assert.equal(atLimit.length, 20_000);
    assert.deepEqual(parse(atLimit), cmp("param", "a", "=", "x".repeat(20_000 - prefix.length - 1)));
    rejectsFilter(atLimit + " ", /too long: 20001 characters \(limit 20000\)/);
  });

  test("deep nesting is refused as a bad request, not a stack overflow", () => {
    const nested = (n: number) => "(".repeat(n) + "metrics.a = 1" + ")".repeat(n);
    assert.deepEqual(parse(nested(100)), cmp("metric", "a", "=", 1));
    rejectsFilter(nested(101), /nests parentheses more than 100 deep/);
    rejectsFilter(nested(9_000), /nests parentheses more than 100 deep/);
    rejectsFilter("(".repeat(19_000), /nests parentheses/);
  });
});

describe("order_by parser", () => {
  test("keys of every kind with an optional direction", () => {
    assert.deepEqual(parseOrderBy(["metrics.`a b` DESC"], RUN), [{ entity: "metric", key: "a b", ascending: false }]);
    assert.deepEqual(parseOrderBy(['params."a b" asc'], RUN), [{ entity: "param", key: "a b", ascending: true }]);
    assert.deepEqual(parseOrderBy(["tags.t"], RUN), [{ entity: "tag", key: "t", ascending: true }]);
    assert.deepEqual(parseOrderBy(["created Desc", "`Run name`"], RUN), [
      { entity: "attribute", key: "start_time", ascending: false },
      { entity: "attribute", key: "run_name", ascending: true },
    ]);
    assert.deepEqual(parseOrderBy(["attributes.name DESC"], EXP), [{ entity: "attribute", key: "name", ascending: false }]);
    assert.deepEqual(parseOrderBy(undefined, RUN), []);
    assert.deepEqual(parseOrderBy([], RUN), []);
  });

  test("bad direction, trailing text, empty clauses and unorderable keys are refused", () => {
    rejects(() => parseOrderBy(["start_time DOWN"], RUN), /Expected ASC or DESC, got 'DOWN'/);
    rejects(() => parseOrderBy(["start_time 'DESC'"], RUN), /Expected ASC or DESC, got 'DESC'/);
    rejects(() => parseOrderBy(["start_time DESC extra"], RUN), /unexpected trailing text/);
    rejects(() => parseOrderBy(["metrics.a DESC,"], RUN), /unexpected trailing text/);
    rejects(() => parseOrderBy(["metrics.a, metrics.b"], RUN), /Expected ASC or DESC, got ','/);
    rejects(() => parseOrderBy([""], RUN), /Invalid order_by clause ''/);
    rejects(() => parseOrderBy(["  "], RUN), /Invalid order_by clause/);
    rejects(() => parseOrderBy(["metrics.`a DESC"], RUN), /unterminated/);
    rejects(() => parseOrderBy(["datasets.name"], RUN), /Ordering by dataset fields is not supported/);
    rejects(() => parseOrderBy(["colour"], RUN), /Invalid attribute key 'colour'/);
    rejects(() => parseOrderBy(["params.p"], EXP), /Invalid entity type 'params'/);
    const narrow: SearchSpec = { ...RUN, orderableAttributes: ["start_time"] };
    rejects(() => parseOrderBy(["status"], narrow), /Invalid attribute key 'status' specified in order_by/, /Valid keys are start_time/);
  });
});
