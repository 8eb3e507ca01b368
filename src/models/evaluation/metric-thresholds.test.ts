import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32, inflateSync } from "node:zlib";
import { renderBitmap } from "./confusion-matrix-png.js";
import { parseThresholdExpression, validateMetrics } from "./metric-thresholds.js";
import { encodePng } from "./png-encoder.js";

describe("threshold expressions", () => {
  it("parse absolute thresholds, absolute and relative changes, with aliases", () => {
    const t = {};
    for (const e of ["rmse<=0.5", "r2>=0.8", "f1>=+0.01", "accuracy>=+2%", "rmse<=+0.05"]) parseThresholdExpression(e, t);
    assert.deepEqual(t, {
      root_mean_squared_error: { threshold: 0.5, minAbsoluteChange: 0.05, greaterIsBetter: false },
      r2_score: { threshold: 0.8, greaterIsBetter: true },
      f1_score: { minAbsoluteChange: 0.01, greaterIsBetter: true },
      accuracy_score: { minRelativeChange: 0.02, greaterIsBetter: true },
    });
  });
  it("refuses malformed expressions and a direction that contradicts the metric", () => {
    assert.throws(() => parseThresholdExpression("rmse<0.5"), (e: Error) => /expected e.g./.test(e.message) && !/quote it/.test(e.message));
    // What an unquoted `--threshold f1>=0.8` leaves after the shell's redirection: the message says to quote it.
    assert.throws(() => parseThresholdExpression("f1"), /Invalid threshold 'f1': expected e\.g\..* On a command line, quote it \('f1>=0\.8'\): unquoted, the shell reads > and < as redirections\./);
    assert.throws(() => parseThresholdExpression("rmse>=0.5"), /lower-is-better; use '<='/);
    assert.throws(() => parseThresholdExpression("f1>=2%"), /needs a sign/);
  });
});

describe("validateMetrics (MLflow's MetricThreshold semantics)", () => {
  it("absolute threshold, both directions", () => {
    const r = validateMetrics({ r2_score: 0.8, root_mean_squared_error: 0.6 }, { r2_score: { threshold: 0.8 }, root_mean_squared_error: { threshold: 0.5 } });
    assert.equal(r.passed, false);
    assert.deepEqual(r.results.map((x) => x.passed), [true, false]);
    assert.match(r.failures[0], /root_mean_squared_error value threshold check failed: candidate model root_mean_squared_error = 0.6, root_mean_squared_error threshold = 0.5/);
  });
  it("min absolute change vs the baseline", () => {
    const t = { f1_score: { minAbsoluteChange: 0.05, greaterIsBetter: true }, log_loss: { minAbsoluteChange: 0.1 } };
    assert.equal(validateMetrics({ f1_score: 0.85, log_loss: 0.3 }, t, { f1_score: 0.8, log_loss: 0.4 }).passed, true);
    const r = validateMetrics({ f1_score: 0.84, log_loss: 0.31 }, t, { f1_score: 0.8, log_loss: 0.4 });
    assert.deepEqual(r.results.map((x) => x.passed), [false, false]);
    assert.match(r.failures[0], /min(imum)? absolute change check failed.*baseline model f1_score = 0.8/);
  });
  it("min relative change, and a zero baseline asks for a strict improvement", () => {
    const t = { accuracy_score: { minRelativeChange: 0.1 }, mean_absolute_error: { minRelativeChange: 0.5 } };
    assert.equal(validateMetrics({ accuracy_score: 0.66, mean_absolute_error: 1 }, t, { accuracy_score: 0.6, mean_absolute_error: 2 }).passed, true);
    assert.equal(validateMetrics({ accuracy_score: 0.65, mean_absolute_error: 1 }, t, { accuracy_score: 0.6, mean_absolute_error: 2 }).passed, false);
    assert.equal(validateMetrics({ accuracy_score: 0 }, { accuracy_score: { minRelativeChange: 0.1 } }, { accuracy_score: 0 }).passed, false);
    assert.equal(validateMetrics({ accuracy_score: 0.01 }, { accuracy_score: { minRelativeChange: 0.1 } }, { accuracy_score: 0 }).passed, true);
  });
  it("a missing metric, or a change check without a baseline, fails", () => {
    const r = validateMetrics({ r2_score: 0.9 }, { f1_score: { threshold: 0.5 }, r2_score: { minAbsoluteChange: 0 } });
    assert.equal(r.passed, false);
    assert.match(r.failures.join("\n"), /f1_score is missing for the candidate/);
    assert.match(r.failures.join("\n"), /no baseline model was given/);
  });
  it("unknown metrics need greaterIsBetter; change bounds are checked", () => {
    assert.throws(() => validateMetrics({ custom: 1 }, { custom: { threshold: 1 } }), /greaterIsBetter is required/);
    assert.throws(() => validateMetrics({ r2_score: 1 }, { r2_score: { minRelativeChange: 2 } }), /between 0 and 1/);
  });
});

describe("PNG output", () => {
  function chunks(png: Buffer): Array<{ type: string; data: Buffer }> {
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const out = [];
    for (let o = 8; o < png.length; ) {
      const len = png.readUInt32BE(o);
      const type = png.toString("ascii", o + 4, o + 8);
      const data = png.subarray(o + 8, o + 8 + len);
      assert.equal(png.readUInt32BE(o + 8 + len), crc32(png.subarray(o + 4, o + 8 + len)) >>> 0, `CRC of ${type}`);
      out.push({ type, data });
      o += 12 + len;
    }
    return out;
  }
  it("encodes valid chunks whose pixels decode back", () => {
    const px = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const c = chunks(encodePng(2, 2, px));
    assert.deepEqual(c.map((x) => x.type), ["IHDR", "IDAT", "IEND"]);
    assert.deepEqual([c[0].data.readUInt32BE(0), c[0].data.readUInt32BE(4), c[0].data[8], c[0].data[9]], [2, 2, 8, 2]);
    assert.deepEqual([...inflateSync(c[1].data)], [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 10, 20, 30]);
  });
  it("draws a confusion matrix with the bitmap font (the fallback without resvg): darker cells for larger counts", () => {
    const png = renderBitmap({ labels: [0, 1], matrix: [[50, 1], [0, 49]] });
    const c = chunks(png);
    const w = c[0].data.readUInt32BE(0);
    const h = c[0].data.readUInt32BE(4);
    assert.ok(w > 100 && h > 100);
    const raw = inflateSync(c.find((x) => x.type === "IDAT")!.data);
    assert.equal(raw.length, (w * 3 + 1) * h);
    let dark = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (raw[y * (w * 3 + 1) + 1 + x * 3 + 2] < 130 && raw[y * (w * 3 + 1) + 1 + x * 3] < 40) dark++;
    assert.ok(dark > 1000, `the two large diagonal cells are dark blue (${dark} pixels)`);
  });
});
