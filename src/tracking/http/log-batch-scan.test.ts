/**
 * The log-batch scanner against the path it shortcuts: `parseJsonBody`, the route's body schema compiled as the app
 * compiles it, and the handler's `toMetric`. For every body — the wrk benchmark's, hundreds generated (key orders,
 * whitespace, numbers of every form, unicode, escapes, nesting, extra and repeated keys) and hand-written hostile
 * ones — the scanner either declines, or the existing path accepts the body and makes the very same records
 * (numbers compared with Object.is, so -0 and every bit count). Bodies the scanner must take are checked to be taken.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ajv } from "ajv";
import { parseJsonBody } from "../../server/http/json-body.js";
import type { Metric } from "../../shared/tracking-types.js";
import { scanLogBatch, type ScannedLogBatch } from "./log-batch-scan.js";
import { toMetric } from "./runs.js";
import { LogBatchBody } from "./runs.schema.js";

// The app's body validator options (server/app.ts).
const validate = new Ajv({ coerceTypes: false, useDefaults: true, allErrors: false, verbose: true, strict: false }).compile(LogBatchBody);

type Outcome = { ok: true; batch: ScannedLogBatch } | { ok: false; error: string };

function existingPath(text: string): Outcome {
  let body: unknown;
  try {
    body = parseJsonBody(text);
  } catch (err) {
    return { ok: false, error: `parse: ${(err as Error).message}` };
  }
  if (!validate(body)) return { ok: false, error: `validation: ${JSON.stringify(validate.errors)}` };
  const b = body as { run_id: string; metrics?: Parameters<typeof toMetric>[0][]; params?: ScannedLogBatch["params"]; tags?: ScannedLogBatch["tags"] };
  return { ok: true, batch: { runId: b.run_id, metrics: (b.metrics ?? []).map(toMetric), params: b.params ?? [], tags: b.tags ?? [] } };
}

function sameMetric(a: Metric, b: Metric, where: string): void {
  assert.deepEqual(Object.keys(a), Object.keys(b), where);
  for (const k of Object.keys(a) as (keyof Metric)[]) assert.ok(Object.is(a[k], b[k]), `${where}: ${k} ${String(a[k])} vs ${String(b[k])}`);
}

/** Asserts the scanner's answer is the existing path's; returns whether the scanner took the body. */
function check(text: string): boolean {
  const scanned = scanLogBatch(text);
  if (scanned === undefined) return false;
  const old = existingPath(text);
  assert.ok(old.ok, `scanner took a body the existing path refuses (${old.ok ? "" : old.error}): ${text.slice(0, 300)}`);
  const want = old.batch;
  assert.equal(scanned.runId, want.runId);
  assert.equal(scanned.metrics.length, want.metrics.length);
  scanned.metrics.forEach((m, i) => sameMetric(m, want.metrics[i], `metric ${i} of ${text.slice(0, 200)}`));
  assert.deepEqual(scanned.params, want.params);
  assert.deepEqual(scanned.tags, want.tags);
  for (const kv of [...scanned.params, ...scanned.tags]) assert.deepEqual(Object.keys(kv), ["key", "value"]);
  return true;
}

/** A deterministic generator (xorshift), so a failure reproduces. */
function rng(seed: number) {
  let x = seed | 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}
type Rng = ReturnType<typeof rng>;

/** The wrk script's body (bench/wrk/log-batch.lua): 1,000 points over ten keys, values printed with `%.6f`. */
function wrkBody(r: Rng, runId: string): string {
  const parts: string[] = [];
  for (let i = 0; i < 1000; i++) parts.push(`{"key":"m${i % 10}","value":${r.next().toFixed(6)},"timestamp":${1700000000000 + 7},"step":${40_000_000 + i}}`);
  return `{"run_id":"${runId}","metrics":[${parts.join(",")}]}`;
}

const WS = [" ", "\n", "\t", "\r\n", "  "];
/** Whitespace JSON.parse refuses but `trim` and people know. */
const ODD_WS = ["\u00a0", "\v", "\f", "\ufeff", "\u2028"];

/** Number texts: most valid JSON (exact fast path or not), some the integer fields refuse, some not JSON at all. */
function numberText(r: Rng): string {
  switch (r.int(16)) {
    case 0:
      return String(r.int(1000));
    case 1:
      return String(-r.int(1e9));
    case 2:
      return (r.next() * 10 ** r.int(12)).toFixed(r.int(10));
    case 3:
      return String(r.next() * 10 ** (r.int(40) - 20)); // shortest form: up to 17 digits, exponents
    case 4:
      return r.pick(["0", "-0", "0.0", "-0.0", "1.0", "1e3", "1E+3", "1e-3", "-1e400", "1e400", "5e-324", "2.5e-324"]);
    case 5:
      return String(2 ** 53 + r.int(5) - 2); // around 2^53
    case 6:
      return r.pick(["9007199254740993", "9223372036854775807", "-9223372036854775808", "123456789012345678901234567890"]);
    case 7:
      return r.pick(["01", "-", "1.", ".5", "+1", "1e", "--1", "0x10", "1_000", "NaN", "Infinity", "-Infinity"]);
    case 8:
      return `"${r.pick(["1.5", "NaN", "Infinity", "12", "-0", "1e3", "x"])}"`;
    case 9:
      return r.pick(["null", "true", "[]", "{}", "[1]"]);
    case 10: {
      // 1–15 random digits with a random point: the fast path's whole domain.
      const n = 1 + r.int(15);
      let d = String(1 + r.int(9));
      while (d.length < n) d += String(r.int(10));
      const at = r.int(n);
      return (r.next() < 0.3 ? "-" : "") + (at === 0 ? d : `${d.slice(0, at)}.${d.slice(at)}`);
    }
    case 11: {
      // 16–20 digits: past the fast path.
      const n = 16 + r.int(5);
      let d = String(1 + r.int(9));
      while (d.length < n) d += String(r.int(10));
      const at = r.int(n);
      return at === 0 ? d : `${d.slice(0, at)}.${d.slice(at)}`;
    }
    case 12:
      return `0.${"0".repeat(r.int(20))}${1 + r.int(9)}`;
    default:
      return String(Math.round(r.next() * 1e13));
  }
}

function stringText(r: Rng): string {
  switch (r.int(12)) {
    case 0:
      return '""';
    case 1:
      return JSON.stringify(r.pick(["é", "指标", "😀 loss", "a/b.c", "x y", "ключ", "\u2028"]));
    case 2:
      return r.pick(['"a\\"b"', '"a\\\\b"', '"\\u0041"', '"\\u0000"', '"a\\u0000"', '"\\\\u0000"', '"\\n"', '"\\/"']);
    case 3:
      return r.pick(['"a\tb"', '"a\nb"', '"\u0001"', '"\u0000"']); // raw control characters: invalid JSON
    case 4:
      return r.pick(["1", "null", '["k"]', '{"k":1}']);
    default:
      return JSON.stringify(`m${r.int(12)}`);
  }
}

/** One key: value member; mostly the expected fields, sometimes extra, repeated or oddly spelled ones. */
function member(r: Rng, name: string, value: string): string {
  const w = () => (r.next() < 0.15 ? r.pick(WS) : "");
  return `${w()}"${name}"${w()}:${w()}${value}${w()}`;
}

function shuffle<T>(r: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

function metricText(r: Rng, clean: boolean): string {
  const fields: [string, string][] = [
    ["key", clean ? JSON.stringify(`m${r.int(10)}`) : stringText(r)],
    ["value", clean ? (r.next() * 100).toFixed(r.int(8)) : numberText(r)],
    ["timestamp", clean ? String(1700000000000 + r.int(1e6)) : numberText(r)],
  ];
  if (r.next() < 0.8) fields.push(["step", clean ? String(r.int(1e9)) : numberText(r)]);
  if (clean && r.next() < 0.1) fields.push([r.pick(["model_id", "dataset_name", "dataset_digest", "run_id"]), r.pick(['"m-1"', '""', '"ds"'])]);
  if (!clean) {
    if (r.next() < 0.2) fields.push([r.pick(["model_id", "dataset_name", "dataset_digest", "run_id", "extra", "Key", "__proto__", "key"]), r.pick(['"x"', '""', "1", "null", '"m-1"'])]);
    if (r.next() < 0.05) fields.splice(r.int(fields.length), 1);
    if (r.next() < 0.03) fields.push(["step", "1"]);
  }
  return `{${shuffle(r, fields).map(([k, v]) => member(r, k, v)).join(",")}}`;
}

function kvText(r: Rng, clean: boolean): string {
  const fields: [string, string][] = [
    ["key", clean ? JSON.stringify(`p${r.int(1000)}`) : stringText(r)],
    ["value", clean ? JSON.stringify(`v${r.int(10)}`) : stringText(r)],
  ];
  if (!clean && r.next() < 0.1) fields.push([r.pick(["key", "value", "extra"]), '"x"']);
  if (!clean && r.next() < 0.05) fields.pop();
  return `{${shuffle(r, fields).map(([k, v]) => member(r, k, v)).join(",")}}`;
}

function list(r: Rng, n: number, item: () => string): string {
  const sep = () => (r.next() < 0.1 ? `,${r.pick(WS)}` : ",");
  const items = Array.from({ length: n }, item);
  return `[${r.next() < 0.1 ? " " : ""}${items.map((x, i) => (i === 0 ? x : sep() + x)).join("")}]`;
}

function bodyText(r: Rng, clean: boolean): string {
  const members: [string, string][] = [["run_id", clean || r.next() < 0.9 ? '"0123456789abcdef0123456789abcdef"' : stringText(r)]];
  if (r.next() < 0.9) members.push(["metrics", list(r, r.int(r.next() < 0.1 ? 300 : 20), () => metricText(r, clean || r.next() < 0.9))]);
  if (r.next() < 0.5) members.push(["params", list(r, r.int(4), () => kvText(r, clean || r.next() < 0.8))]);
  if (r.next() < 0.5) members.push(["tags", list(r, r.int(4), () => kvText(r, clean || r.next() < 0.8))]);
  if (!clean) {
    if (r.next() < 0.05) members.push([r.pick(["run_uuid", "metrics", "run_id", "nested", "params"]), r.pick(['"x"', "[]", '{"a":[1,{"b":2}]}', "null"])]);
    if (r.next() < 0.03) members.shift();
  }
  let text = `{${shuffle(r, members).map(([k, v]) => member(r, k, v)).join(",")}}`;
  if (r.next() < 0.1) text = r.pick(WS) + text + r.pick(WS);
  if (!clean) {
    const roll = r.next();
    if (roll < 0.03) text = JSON.stringify(text); // the double-encoded body
    else if (roll < 0.06) text = text + r.pick(["x", "}", ",", "{}", "\u0000"]);
    else if (roll < 0.09) text = r.pick(ODD_WS) + text;
    else if (roll < 0.12) text = text.slice(0, r.int(text.length));
  }
  return text;
}

describe("log-batch scanner: the existing path's records, or it declines", () => {
  test("the wrk body is taken, and gives the records of JSON.parse + schema + toMetric", () => {
    const r = rng(17);
    for (let i = 0; i < 5; i++) assert.ok(check(wrkBody(r, "0123456789abcdef0123456789abcdef")), "the benchmark's body must be taken");
  });

  test("generated bodies of the common shape are taken and agree", () => {
    const r = rng(4242);
    for (let i = 0; i < 300; i++) {
      const text = bodyText(r, true);
      assert.ok(check(text), `a clean body was declined: ${text.slice(0, 300)}`);
    }
  });

  test("generated bodies with hostile parts: taken ones agree, the rest are declined", () => {
    const r = rng(99);
    let taken = 0;
    let refusedByOldPath = 0;
    for (let i = 0; i < 1500; i++) {
      const text = bodyText(r, false);
      if (check(text)) taken++;
      else if (!existingPath(text).ok) refusedByOldPath++;
    }
    // Not vacuous: both kinds occur in numbers.
    assert.ok(taken > 150, `taken ${taken}`);
    assert.ok(refusedByOldPath > 150, `refused ${refusedByOldPath}`);
  });

  test("numbers: every form the value field takes is bit-identical to JSON.parse", () => {
    const r = rng(7);
    let n = 0;
    for (let b = 0; b < 60; b++) {
      const parts: string[] = [];
      for (let i = 0; i < 500; i++) {
        let v = numberText(r);
        while (!/^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/.test(v)) v = numberText(r);
        parts.push(`{"key":"k","value":${v},"timestamp":1}`);
      }
      assert.ok(check(`{"run_id":"r","metrics":[${parts.join(",")}]}`));
      n += parts.length;
    }
    assert.equal(n, 30_000);
  });

  test("hand-written edge bodies", () => {
    const m = (fields: string) => `{"run_id":"r","metrics":[{${fields}}]}`;
    const takes = [
      m(`"key":"a","value":1,"timestamp":2`),
      m(`"key":"a","value":"NaN","timestamp":2`),
      m(`"value":"Infinity","key":"a","timestamp":2`),
      m(`"key":"a","timestamp":2,"value" : "-Infinity"`),
      m(`"step":3,"timestamp":2,"value":-0,"key":"a"`),
      m(`"key":"a","value":-0.0,"timestamp":-0,"step":-0`),
      m(`"key":"a","value":1e400,"timestamp":1,"step":999999999999999`),
      m(`"key":"a","value":4.9e-324,"timestamp":-999999999999999`),
      m(`"key":"a","value":0.1000000000000000055511151231257827,"timestamp":1`),
      m(`"key":"😀","value":123456789012345,"timestamp":1`),
      ` \t\r\n{ "run_id" : "r" , "metrics" : [ ] , "params" : [ ] , "tags" : [ ] } \n`,
      `{"run_id":"r"}`,
      m(`"key":"a","value":1,"timestamp":2,"model_id":"m","dataset_digest":"d","run_id":"x","dataset_name":"n"`),
      m(`"key":"a","value":1,"timestamp":2,"model_id":"","dataset_name":""`),
      `{"tags":[{"value":"","key":"t"}],"run_id":"r","params":[{"key":"p","value":"é"}]}`,
    ];
    for (const text of takes) assert.ok(check(text), `declined: ${text}`);
    const declines = [
      "",
      "   ",
      "{}",
      "[]",
      "null",
      `"{\\"run_id\\":\\"r\\"}"`,
      `{"run_id":""}`,
      `{"run_id":"r","run_id":"s"}`,
      `{"run_id":"r","metrics":[],"metrics":[]}`,
      `{"run_id":"r","run_uuid":"r"}`,
      `{"run_id":"r\\u0000"}`,
      `{"run_id":"r","params":[{"key":"\\u0000","value":""}]}`,
      `{"run_id":"r\\"x"}`,
      `{"run_id":"r"} x`,
      `{"run_id":"r"}\u00a0`,
      `\ufeff{"run_id":"r"}`,
      `{"run_id":"r",}`,
      `{"run_id":"r","metrics":[,]}`,
      `{"run_id":"r","metrics":[{"key":"a","value":1,"timestamp":2},]}`,
      `{"run_id":"r","metrics":null}`,
      `{"run_id":"r","metrics":[null]}`,
      `{"run_id":"r","params":[{"key":"","value":"v"}]}`,
      `{"run_id":"r","params":[{"key":"k"}]}`,
      `{"run_id":"r","params":[{"key":"k","value":1}]}`,
      m(`"key":"","value":1,"timestamp":2`),
      m(`"key":"a","value":NaN,"timestamp":2`),
      m(`"key":"a","value":Infinity,"timestamp":2`),
      m(`"key":"a","value":-Infinity,"timestamp":2`),
      m(`"key":"a","value":"1.5","timestamp":2`),
      m(`"key":"a","value":"nan","timestamp":2`),
      m(`"key":"a","value":"+Infinity","timestamp":2`),
      m(`"key":"a","value":"-NaN","timestamp":2`),
      m(`"key":"a","value":"","timestamp":2`),
      m(`"key":"a","value":1,"timestamp":"2"`),
      m(`"key":"a","value":1,"timestamp":2.0`),
      m(`"key":"a","value":1,"timestamp":2e3`),
      m(`"key":"a","value":1,"timestamp":9007199254740993`),
      m(`"key":"a","value":1,"timestamp":1,"step":1234567890123456`),
      m(`"key":"a","value":01,"timestamp":2`),
      m(`"key":"a","value":1.,"timestamp":2`),
      m(`"key":"a","value":.5,"timestamp":2`),
      m(`"key":"a","value":+1,"timestamp":2`),
      m(`"key":"a","value":1,"timestamp":2,"model_id":null`),
      m(`"key":"a","value":1,"timestamp":2,"run_id":1`),
      m(`"key":"a","value":1,"timestamp":2,"model_id":"m","model_id":"n"`),
      m(`"key":"a","value":1,"timestamp":2,"key":"b"`),
      m(`"key":"a","value":1`),
      m(`"key":"a","value":1,"timestamp":2,"step":null`),
      m(`"key":"a\\u0062","value":1,"timestamp":2`),
      `{"run_id":"r","metrics":[{"key":"a","value":1,"timestamp":2}`,
      `{"run_id":"r","metrics":[{"key":"a","value":1,"timestamp":`,
      `{"run_id":"r","metrics":[{"key":"a","value":1,"timestamp":2}]`,
      `{"run_id":"r`,
    ];
    for (const text of declines) {
      assert.equal(scanLogBatch(text), undefined, `taken: ${JSON.stringify(text)}`);
    }
  });
});
