/**
 * Array literals built by array-literal.ts read back from PostgreSQL exactly as sent: the awkward strings
 * (empty, `NULL`, quotes, backslashes, separators, braces, spaces, non-ASCII), the float8 specials and nulls.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { postgresTestClient } from "../../testing/postgres-fixture.js";
import { arrayLiteral, withArrayLiterals } from "./array-literal.js";

const pgc = postgresTestClient();

test("numbers go bare, strings quoted with only backslash and double quote escaped, nulls as NULL", () => {
  assert.equal(arrayLiteral([1, -2.5, 2 ** 40, Number.NaN, Infinity, -Infinity]), "{1,-2.5,1099511627776,NaN,Infinity,-Infinity}");
  assert.equal(arrayLiteral(["a", "", 'say "hi"', "back\\slash", null, undefined]), '{"a","","say \\"hi\\"","back\\\\slash",NULL,NULL}');
  assert.equal(arrayLiteral([true, false]), "{t,f}");
  assert.equal(arrayLiteral([]), "{}");
  // What it cannot spell is left to pg's own encoder.
  assert.equal(arrayLiteral([[1]]), undefined);
  assert.equal(arrayLiteral([Buffer.from("x")]), undefined);
  assert.deepEqual(withArrayLiterals([[1, 2], 3, "x", [new Date(0)]]), ["{1,2}", 3, "x", [new Date(0)]]);
});

test("PostgreSQL reads every literal back as the values sent", async (t) => {
  if (!pgc.client) return t.skip("PostgreSQL unavailable");
  const texts = ["", "NULL", "null", " lead and trail ", "a,b", "{braces}", 'quote"d', "back\\slash\\", "\\\"", "tab\there", "line\nbreak", "ünïcødé ✓", "x".repeat(5000)];
  const withNull = [...texts, null];
  const floats = [0, -0.5, 1e300, -1e-300, 0.1 + 0.2, Number.NaN, Infinity, -Infinity, null];
  const ints = [0, -1, 2 ** 53 - 1, -(2 ** 53) + 1, 1_700_000_000_000, null];
  const res = await pgc.client!.query<{ t: Array<string | null>; f: Array<number | string | null>; i: Array<string | null> }>(
    "select $1::text[] as t, $2::float8[] as f, $3::int8[] as i",
    withArrayLiterals([withNull, floats, ints]),
  );
  const row = res.rows[0];
  assert.deepEqual(row.t, withNull);
  // pg parses float8[] elements to numbers and int8[] elements to strings.
  assert.deepEqual(row.f.map((v) => (v === null ? null : Number(v))), floats);
  assert.deepEqual(row.i, ints.map((v) => (v === null ? null : String(v))));
});
