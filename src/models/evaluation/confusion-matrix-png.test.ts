/**
 * The confusion matrix PNG: rasterized by resvg with the shipped Inter font —
 * its size grows with the class count up to a bound, it is rendered at twice
 * its CSS size, labels and counts are drawn (ink where they are, none where
 * they are blank), and hostile labels are escaped.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConfusionMatrix } from "../metrics/classification-metrics.js";
import { loadRasterizer, PIXEL_RATIO, rasterizeSvg, renderConfusionMatrixPng } from "./confusion-matrix-png.js";
import { confusionMatrixSvg, escapeXml, MAX_GRID } from "./confusion-matrix-svg.js";

const rasterizer = loadRasterizer();
const skip = rasterizer ? false : "@resvg/resvg-js or @expo-google-fonts/inter is not installed (optional dependencies)";
if (skip && process.env.CICLO_REQUIRE_ALL === "1") throw new Error(`${skip} (CICLO_REQUIRE_ALL=1 forbids skipping)`);

function diagonal(k: number, label = (i: number) => `class_${i}`): ConfusionMatrix {
  return {
    labels: Array.from({ length: k }, (_, i) => label(i)),
    matrix: Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 90 : (i + j) % 3))),
  };
}

const pngSize = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];

/** Pixels darker than mid-grey in a box (device pixels), from an RGBA buffer. */
function inkIn(img: { pixels: Buffer; width: number }, box: { x: number; y: number; w: number; h: number }): number {
  // resvg's `pixels` is a getter that copies the whole image: read it once.
  const px = img.pixels;
  let n = 0;
  for (let y = Math.floor(box.y); y < box.y + box.h; y++) {
    for (let x = Math.floor(box.x); x < box.x + box.w; x++) {
      const o = (y * img.width + x) * 4;
      if (px[o] + px[o + 1] + px[o + 2] < 3 * 128) n++;
    }
  }
  return n;
}

describe("confusion matrix PNG", { skip }, () => {
  it("is a PNG at twice the SVG's size, growing with the class count and bounded for hundreds", () => {
    const sizes = [2, 5, 12, 40, 300].map((k) => {
      const svg = confusionMatrixSvg(diagonal(k));
      const [w, h] = pngSize(renderConfusionMatrixPng(diagonal(k)));
      assert.deepEqual([w, h], [Math.round(svg.width * PIXEL_RATIO), Math.round(svg.height * PIXEL_RATIO)], `k=${k}`);
      assert.ok(svg.grid.cell * k <= MAX_GRID + k, `k=${k}: grid ${svg.grid.cell * k}`);
      return { k, w, cell: svg.grid.cell };
    });
    for (let i = 1; i < sizes.length - 1; i++) assert.ok(sizes[i].w >= sizes[i - 1].w, JSON.stringify(sizes));
    // Few classes get large cells; many get small ones, and the picture stays within bounds.
    assert.ok(sizes[0].cell >= 70 && sizes[3].cell <= 30, JSON.stringify(sizes));
    assert.ok(sizes[0].w >= 500, "a 2-class matrix is large enough to read at a glance");
    assert.ok(sizes[4].w <= 2 * (MAX_GRID + 600), "300 classes stay within a few thousand pixels");
  });

  it("draws every label with the font: ink beside each row and under each column, none when the labels are blank", () => {
    const cm = diagonal(4, (i) => ["cat", "dog", "great white shark", "goldfish"][i]);
    const svg = confusionMatrixSvg(cm);
    const blank = confusionMatrixSvg({ ...cm, labels: ["", "", "", ""] });
    assert.equal(blank.grid.x <= svg.grid.x, true);
    const img = rasterizeSvg(rasterizer!, svg.svg);
    const none = rasterizeSvg(rasterizer!, blank.svg);
    const r = PIXEL_RATIO;
    const { x, y, cell } = svg.grid;
    for (let i = 0; i < 4; i++) {
      // Row label: left of the grid, in row i.
      const row = { x: 8 * r, y: (y + i * cell) * r, w: (x - 14) * r, h: cell * r };
      assert.ok(inkIn(img, row) > 40, `true label ${i} has ink`);
      // Column label: under the grid, in column i (two staggered lines).
      const col = { x: (x + i * cell) * r, y: (y + 4 * cell + 4) * r, w: cell * r, h: 44 * r };
      assert.ok(inkIn(img, col) > 40, `predicted label ${i} has ink`);
    }
    const b = blank.grid;
    assert.equal(inkIn(none, { x: 8 * r, y: b.y * r, w: (b.x - 14) * r, h: 4 * b.cell * r }), 0, "no ink where the labels are blank");
    // Counts: a light off-diagonal cell holds dark digits.
    assert.ok(inkIn(img, { x: (x + cell) * r, y: y * r, w: cell * r, h: cell * r }) > 20, "the count in cell (0, 1) is drawn");
  });

  it("escapes labels: markup in a class name is text, and the SVG still parses", () => {
    const cm = diagonal(2, (i) => (i === 0 ? `<script>alert("x")</script>` : "a & b 'c'"));
    const { svg } = confusionMatrixSvg(cm);
    assert.ok(!svg.includes("<script>"));
    assert.ok(svg.includes(escapeXml("a & b 'c'")));
    assert.equal(pngSize(renderConfusionMatrixPng(cm)).length, 2);
  });
});
