import assert from "node:assert/strict";
import { test } from "node:test";
import { colorsEnabled, createColors, stripAnsi } from "./colors.js";
import { formatDuration, formatMetric, parseDuration } from "./format.js";
import { toJson } from "./json-output.js";
import { displayWidth, renderFields, renderTable, truncate, type Column } from "./table.js";

const plain = createColors({ isTTY: false }, {});

test("colours: only on a TTY, never with NO_COLOR or TERM=dumb; FORCE_COLOR forces them", () => {
  assert.equal(colorsEnabled({ isTTY: true }, {}), true);
  assert.equal(colorsEnabled({ isTTY: false }, {}), false);
  assert.equal(colorsEnabled({ isTTY: true }, { NO_COLOR: "1" }), false);
  assert.equal(colorsEnabled({ isTTY: true }, { TERM: "dumb" }), false);
  assert.equal(colorsEnabled({ isTTY: false }, { FORCE_COLOR: "1" }), true);
  assert.equal(colorsEnabled({ isTTY: true }, { FORCE_COLOR: "1", NO_COLOR: "1" }), false);
  assert.equal(createColors({ isTTY: true }, {}).red("x"), "\x1b[31mx\x1b[39m");
  assert.equal(plain.red("x"), "x");
});

type Row = { id: string; name: string; n: number };
const cols: Column<Row>[] = [
  { header: "ID", value: (r) => r.id, shrink: false },
  { header: "NAME", value: (r) => r.name },
  { header: "N", value: (r) => String(r.n), align: "right" },
];
const rows: Row[] = [
  { id: "a1", name: "short", n: 5 },
  { id: "b22", name: "a rather long experiment name that goes on", n: 12345 },
];

test("tables: columns aligned, numbers right-aligned, no trailing spaces", () => {
  const out = renderTable(cols, rows, { colors: plain });
  assert.equal(
    out,
    ["ID   NAME                                            N", "a1   short                                           5", "b22  a rather long experiment name that goes on  12345", ""].join("\n"),
  );
});

test("tables fit the terminal width by cutting shrinkable columns with …; ids are never cut", () => {
  const out = renderTable(cols, rows, { width: 30, colors: plain });
  for (const line of out.trimEnd().split("\n")) assert.ok(displayWidth(line) <= 30, `${line} (${displayWidth(line)})`);
  assert.match(out, /b22  a rather long exp…  12345\n/);
  assert.match(out, /^ID /);
  // A width nothing can meet: the unshrinkable columns stay whole.
  const narrow = renderTable(cols, rows, { width: 5, colors: plain });
  assert.match(narrow, /b22 /);
});

test("tables escape control characters and measure wide characters as two columns", () => {
  const out = renderTable([{ header: "V", value: (r: { v: string }) => r.v }], [{ v: "a\nb\tc" }, { v: "日本" }], { colors: plain });
  assert.deepEqual(out.split("\n").slice(1, 3), ["a\\nb\\tc", "日本"]);
  assert.equal(displayWidth("日本x"), 5);
  assert.equal(truncate("日本語テキスト", 5), "日本…");
  assert.equal(displayWidth(createColors({ isTTY: true }, {}).bold("abc")), 3);
});

test("coloured cells keep the alignment (widths ignore escape codes)", () => {
  const c = createColors({ isTTY: true }, {});
  const out = renderTable([{ header: "S", value: (r: { s: string }) => r.s, color: (cell) => c.green(cell) }, { header: "X", value: () => "x" }], [{ s: "ok" }, { s: "longer" }], { colors: c });
  const lines = stripAnsi(out).split("\n");
  assert.equal(lines[1], "ok      x");
  assert.equal(lines[2], "longer  x");
  assert.match(renderFields([["run id", "r1"], ["name", "n"]], plain), /^run id: r1\nname:   n\n$/);
  assert.equal(renderFields([["run id", "r1"], ["description", ""], ["name", "n"]], plain), "run id:      r1\ndescription:\nname:        n\n", "no trailing spaces after an empty value");
});

test("durations: MLflow's 1d2h3m4s and single units; malformed is undefined", () => {
  assert.equal(parseDuration("30d"), 30 * 86_400_000);
  assert.equal(parseDuration("1d2h3m4s"), 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4000);
  assert.equal(parseDuration("90m"), 5_400_000);
  assert.equal(parseDuration("2w"), 14 * 86_400_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  for (const bad of ["", "30", "d", "30x", "-1d", "1 d"]) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(4200), "4.2s");
  assert.equal(formatDuration(185_000), "3m 05s");
  assert.equal(formatDuration(3_720_000), "1h 02m");
  assert.equal(formatDuration(null), "-");
});

test("metric values and JSON keep NaN and infinities visible", () => {
  assert.equal(formatMetric(0.123456789), "0.123457");
  assert.equal(formatMetric(42), "42");
  assert.equal(formatMetric(NaN), "NaN");
  assert.equal(formatMetric(-Infinity), "-Infinity");
  assert.equal(formatMetric(1.5e-12), "1.50000e-12");
  assert.equal(toJson({ a: NaN, b: [Infinity, -Infinity, 1] }), '{\n  "a": "NaN",\n  "b": [\n    "Infinity",\n    "-Infinity",\n    1\n  ]\n}');
});
