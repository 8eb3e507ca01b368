import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { contentDisposition, parseRange } from "./artifact-download.js";
import { guessMimeType } from "./artifact-mime.js";

describe("parseRange (RFC 9110 byte ranges against an object of 1000 bytes)", () => {
  const cases: Array<[string | undefined, ReturnType<typeof parseRange>]> = [
    [undefined, { kind: "none" }],
    ["bytes=0-0", { kind: "range", range: { start: 0, end: 0 } }],
    ["bytes=0-999", { kind: "range", range: { start: 0, end: 999 } }],
    ["bytes=500-", { kind: "range", range: { start: 500, end: 999 } }],
    ["bytes=500-5000", { kind: "range", range: { start: 500, end: 999 } }],
    ["bytes=-1", { kind: "range", range: { start: 999, end: 999 } }],
    ["bytes=-5000", { kind: "range", range: { start: 0, end: 999 } }],
    [" Bytes = 1 - 2 ", { kind: "range", range: { start: 1, end: 2 } }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=1000-1001", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=5-1", { kind: "none" }],
    ["bytes=-", { kind: "none" }],
    ["bytes=0-1,5-6", { kind: "none" }],
    ["bytes=abc", { kind: "none" }],
    ["items=0-1", { kind: "none" }],
  ];
  for (const [header, expected] of cases) {
    test(String(header), () => assert.deepEqual(parseRange(header, 1000), expected));
  }
  test("an empty object satisfies no range", () => {
    assert.deepEqual(parseRange("bytes=0-", 0), { kind: "unsatisfiable" });
    assert.deepEqual(parseRange("bytes=-1", 0), { kind: "unsatisfiable" });
  });
});

describe("contentDisposition", () => {
  test("a plain name is quoted", () => assert.equal(contentDisposition("1/r/artifacts/model.pkl"), 'attachment; filename="model.pkl"'));
  test("quotes, backslashes and non-ASCII get an ASCII fallback and an RFC 5987 filename*", () => {
    assert.equal(contentDisposition('a/"x".txt'), `attachment; filename="_x_.txt"; filename*=UTF-8''%22x%22.txt`);
    assert.equal(contentDisposition("résumé.pdf"), "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
  });
});

describe("guessMimeType follows MLflow's _guess_mime_type", () => {
  const cases: Array<[string, string]> = [
    ["model/MLmodel", "text/plain"],
    ["MLproject", "text/plain"],
    ["mlproject", "text/plain"],
    ["conda.yaml", "text/plain"],
    ["input_example.json", "text/plain"],
    ["train.py", "text/plain"],
    ["data.csv", "text/plain"],
    ["report.html", "text/html"],
    ["plot.png", "image/png"],
    ["photo.JPG", "image/jpeg"],
    ["doc.pdf", "application/pdf"],
    ["model.pkl", "application/octet-stream"],
    ["model.onnx", "application/octet-stream"],
    ["noextension", "application/octet-stream"],
  ];
  for (const [name, type] of cases) test(name, () => assert.equal(guessMimeType(name), type));
});
