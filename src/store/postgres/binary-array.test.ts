/**
 * Binary numeric arrays (binary-array.ts) read back by PostgreSQL itself as exactly what the text literals
 * (array-literal.ts) they replace gave: edge values, NaN and ±Infinity, NULL elements, empty arrays, random arrays;
 * what has no exact binary form is left to the literal; array-parameters.ts picks binary only from the text's casts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { QueryResult } from "pg";
import { postgresTestClient } from "../../testing/postgres-fixture.js";
import { arrayLiteral } from "./array-literal.js";
import { binaryArray, type BinaryArrayType } from "./binary-array.js";
import { arrayParameters, binaryParameterTypes } from "./array-parameters.js";

const pgc = postgresTestClient();

const SAFE = Number.MAX_SAFE_INTEGER;
const EDGES: Record<BinaryArrayType, unknown[]> = {
  int8: [0, -0, 1, -1, SAFE, -SAFE, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, -(2 ** 32) - 1, 2 ** 31, -(2 ** 31) - 1, 1_700_000_000_000, null, undefined],
  int4: [0, -0, 1, -1, 2147483647, -2147483648, 65536, null],
  int2: [0, -0, 1, -1, 32767, -32768, 256, null],
  float8: [0, -0, 1, -1.5, 0.1 + 0.2, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53 + 2, 1e21, Number.NaN, Infinity, -Infinity, null, undefined],
};

/** PostgreSQL's text of `$1::type[]` sent in binary and of `$2::type[]` sent as the literal. */
async function bothTexts(type: BinaryArrayType, values: unknown[]): Promise<[string, string]> {
  const binary = binaryArray(type, values);
  assert.ok(binary, `binary form of ${type} ${values.join(",")}`);
  const res = await pgc.client!.query<{ b: string; t: string }>(`select $1::${type}[]::text as b, $2::${type}[]::text as t`, [binary, arrayLiteral(values)]);
  return [res.rows[0].b, res.rows[0].t];
}

test("edge values, NULL elements, NaN and ±Infinity read back as the literal gave them", async (t) => {
  if (!pgc.client) return t.skip("PostgreSQL unavailable");
  for (const [type, values] of Object.entries(EDGES) as Array<[BinaryArrayType, unknown[]]>) {
    const [b, lit] = await bothTexts(type, values);
    assert.equal(b, lit, type);
  }
  const ints = await pgc.client!.query<{ a: Array<string | null> }>("select $1::int8[] as a", [binaryArray("int8", EDGES.int8)]);
  assert.deepEqual(ints.rows[0].a, EDGES.int8.map((v) => (v == null ? null : String(v))));
  // pg parses float8[] elements to numbers: NaN, ±Infinity and NULL come back as themselves, -0 as 0 (as its literal sent it).
  const floats = await pgc.client!.query<{ a: Array<number | null> }>("select $1::float8[] as a", [binaryArray("float8", EDGES.float8)]);
  assert.deepEqual(floats.rows[0].a, EDGES.float8.map((v) => (v === undefined ? null : v === 0 ? 0 : v)));
  assert.ok(Object.is(floats.rows[0].a[1], 0));
  const flags = await pgc.client!.query<{ nulls: boolean; n: number }>("select array_position($1::float8[], null) is not null as nulls, cardinality($1::float8[]) as n", [
    binaryArray("float8", [1, 2]),
  ]);
  assert.deepEqual(flags.rows[0], { nulls: false, n: 2 });
});

test("empty and all-NULL arrays", async (t) => {
  const client = pgc.client;
  if (!client) return t.skip("PostgreSQL unavailable");
  for (const type of ["int8", "int4", "int2", "float8"] as const) {
    assert.deepEqual(await bothTexts(type, []), ["{}", "{}"]);
    assert.deepEqual(await bothTexts(type, [null, null]), ["{NULL,NULL}", "{NULL,NULL}"]);
    const res: QueryResult<{ n: number | null; u: number }> = await client.query<{ n: number | null; u: number }>(`select cardinality($1::${type}[]) as n, (select count(*) from unnest($1::${type}[]))::int as u`, [binaryArray(type, [])]);
    assert.deepEqual(res.rows[0], { n: 0, u: 0 });
  }
});

test("an element without an exact binary form leaves the array to its literal", () => {
  // Past 2^53 a number's text is its shortest round-trip spelling, not its exact value; PostgreSQL reads (or rejects) that.
  for (const v of [2 ** 53, -(2 ** 53), 2 ** 63, -(2 ** 63), 9223372036854775807, 1.5, Number.NaN, Infinity, "1", 1n, true, [1]]) {
    assert.equal(binaryArray("int8", [1, v]), undefined, String(v));
  }
  for (const v of [2147483648, -2147483649, 0.5]) assert.equal(binaryArray("int4", [v]), undefined);
  for (const v of [32768, -32769]) assert.equal(binaryArray("int2", [v]), undefined);
  for (const v of ["NaN", 1n, {}]) assert.equal(binaryArray("float8", [v as number]), undefined);
  const sent = arrayParameters("select $1::int8[], $2::float8[], $3::text[]", [[2 ** 63], [1, "x"], ["a"]]);
  assert.deepEqual(sent, ["{9223372036854776000}", '{1,"x"}', '{"a"}']);
});

test("MLflow's ±2^63-1 step bounds: the literal path's answer is kept", async (t) => {
  if (!pgc.client) return t.skip("PostgreSQL unavailable");
  // JSON gives ±2^63 for ±9223372036854775807, whose literals (their shortest spellings) are out of int8's range:
  // rejected by PostgreSQL as before, not stored as a wrapped or clamped value.
  for (const v of [9223372036854775807, -9223372036854775807]) {
    const [sent] = arrayParameters("select $1::int8[]", [[v]]);
    assert.equal(typeof sent, "string");
    await assert.rejects(pgc.client!.query("select $1::int8[]", [sent]), /out of range/);
  }
});

test("random arrays: binary and literal give PostgreSQL the same array", async (t) => {
  if (!pgc.client) return t.skip("PostgreSQL unavailable");
  let seed = 17;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const int = (max: number) => Math.trunc((rand() * 2 - 1) * max);
  const gen: Record<BinaryArrayType, () => unknown> = {
    int8: () => pick([null, 0, int(SAFE), int(2 ** 40), int(1000)]),
    int4: () => pick([null, 0, int(2 ** 31 - 1), int(1000)]),
    int2: () => pick([null, 0, int(32767), int(10)]),
    float8: () => pick([null, 0, -0, Number.NaN, Infinity, -Infinity, (rand() - 0.5) * 10 ** int(300), rand(), int(SAFE)]),
  };
  for (let round = 0; round < 40; round++) {
    const type = pick(Object.keys(gen) as BinaryArrayType[]);
    const values = Array.from({ length: Math.floor(rand() * 300) }, gen[type]);
    const [b, lit] = await bothTexts(type, values);
    assert.equal(b, lit, `${type} round ${round}`);
  }
});

test("binary only where every use of the parameter is cast to one numeric array type", () => {
  const text =
    "select $1::text[], $2::int8[], $3::float8[], $4::int4[], $5::int2[], $6::bytea, $7, $8::int8[] from x " +
    "where a = any($8::float8[]) and $9::int8[][] is not null and $10::int8[] = $10::int8[] and $11::bigint[] is null and $12::int8";
  assert.deepEqual(binaryParameterTypes(text), [undefined, "int8", "float8", "int4", "int2", undefined, undefined, undefined, undefined, "int8", undefined, undefined]);
  const sent = arrayParameters("select $1::int8[], $2::text[], $3::float8[], $4::bytea, $5", [[1, 2], ["a"], [0.5], Buffer.from("x"), 7]);
  assert.ok(Buffer.isBuffer(sent[0]) && Buffer.isBuffer(sent[2]));
  assert.deepEqual(sent.slice(1, 2), ['{"a"}']);
  assert.deepEqual(sent.slice(3), [Buffer.from("x"), 7]);
});
