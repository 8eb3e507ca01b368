import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModelInputError } from "./input-coercion.js";
import { validateInput } from "./input-validator.js";
import { CsvParser, parseCsv, parseCsvInput, readCsvBatches } from "./csv-input.js";
import type { ColumnsInput } from "./model-input.js";
import { parseSchema } from "./model-signature.js";

const TEXT = '\ufeffa,b,"c ""q"""\r\n1,"x,y",\r\n2,"line\nbreak","z"\n3,,"last"';
const EXPECTED = [
  ["a", "b", 'c "q"'],
  ["1", "x,y", ""],
  ["2", "line\nbreak", "z"],
  ["3", "", "last"],
];

describe("CsvParser", () => {
  it("parses quotes, escaped quotes, CRLF, embedded newlines, BOM and a last line without newline", () => {
    const { header, rows } = parseCsv(TEXT);
    assert.deepEqual([header, ...rows], EXPECTED);
  });
  it("gives the same records whatever the chunk boundaries", () => {
    for (let cut = 1; cut < TEXT.length; cut++) {
      const p = new CsvParser();
      const recs = [...p.push(TEXT.slice(0, cut)), ...p.push(TEXT.slice(cut)), ...p.end()];
      assert.deepEqual(recs, EXPECTED, `cut at ${cut}`);
    }
    const p = new CsvParser();
    const recs: string[][] = [];
    for (const ch of TEXT) recs.push(...p.push(ch));
    assert.deepEqual([...recs, ...p.end()], EXPECTED);
  });
  it("refuses a file ending inside quotes", () => {
    assert.throws(() => parseCsv('a\n"open'), ModelInputError);
  });
});

describe("csvToInput", () => {
  const schema = parseSchema('[{"type":"double","name":"x"},{"type":"long","name":"n"},{"type":"string","name":"s","required":false}]');
  it("types cells by the signature (as pd.read_csv with dtypes)", () => {
    const input = validateInput(parseCsvInput("n,x,s\n1,2.5,hello\n2,1e3,\n", schema), schema) as ColumnsInput;
    assert.deepEqual(Array.from(input.columns[0].values as Float64Array), [2.5, 1000]);
    assert.deepEqual(Array.from(input.columns[1].values as Float64Array), [1, 2]);
    assert.deepEqual(input.columns[2].values, ["hello", null]);
  });
  it("text in a numeric column is reported by column and row", () => {
    assert.throws(
      () => validateInput(parseCsvInput("x,n\n1,2\noops,3\n", schema), schema),
      /column 'x' \(double\): value "oops" at row 1 is not a number/,
    );
  });
  it("infers numeric columns without a signature, keeps text columns as text", () => {
    const input = validateInput(parseCsvInput("a,b\n1,01\n2,x\n"), undefined) as ColumnsInput;
    assert.ok(input.columns[0].values instanceof Float64Array);
    assert.deepEqual(input.columns[1].values, ["01", "x"]);
  });
  it("rows with the wrong number of fields", () => {
    assert.throws(() => parseCsvInput("a,b\n1\n"), /row 1 has 1 fields; the header has 2/);
  });
});

describe("readCsvBatches", () => {
  it("streams batches of bounded size from byte chunks (UTF-8 split mid-character)", async () => {
    const lines = ["name,v"];
    for (let i = 0; i < 25; i++) lines.push(`é${i},${i}`);
    const bytes = Buffer.from(lines.join("\n") + "\n");
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    }
    const batches: ColumnsInput[] = [];
    for await (const b of readCsvBatches(chunks(), 10)) batches.push(b);
    assert.deepEqual(batches.map((b) => b.rowCount), [10, 10, 5]);
    assert.equal(batches[2].columns[0].values[4], "é24");
    assert.equal(batches[1].columns[1].values[0], 10);
  });
});
