/**
 * Renders a confusion matrix as a PNG — the `confusion_matrix.png` artifact
 * MLflow's evaluator logs. The heat map is drawn as SVG
 * (confusion-matrix-svg.ts) and rasterized at twice its size (crisp on
 * high-DPI screens) by resvg (`@resvg/resvg-js`, a prebuilt napi binary per
 * platform from npm, no build step) with the Inter font shipped by
 * `@expo-google-fonts/inter` — the same pixels on every machine, whatever
 * fonts it has. Both are optional dependencies, loaded on first use: where
 * they are missing the matrix is drawn with the built-in bitmap font
 * instead (legible, not pretty), so an evaluation never fails for a picture.
 * @module
 */
import { createRequire } from "node:module";
import type { ConfusionMatrix } from "../metrics/classification-metrics.js";
import { confusionMatrixSvg, FONT_FAMILY } from "./confusion-matrix-svg.js";
import { RgbCanvas, textWidth, type Rgb } from "./png-encoder.js";

/** Device pixels per SVG pixel. */
export const PIXEL_RATIO = 2;
const FONT_FILES = ["@expo-google-fonts/inter/400Regular/Inter_400Regular.ttf", "@expo-google-fonts/inter/600SemiBold/Inter_600SemiBold.ttf"];

interface ResvgModule {
  Resvg: new (svg: string, opts: object) => { render(): { asPng(): Buffer; width: number; height: number; pixels: Buffer } };
}

interface Rasterizer {
  resvg: ResvgModule;
  fontFiles: string[];
}

let rasterizer: Rasterizer | null | undefined;

/** resvg and the font files, or null (with the reason on stderr, once) when they cannot load. */
export function loadRasterizer(): Rasterizer | null {
  if (rasterizer !== undefined) return rasterizer;
  const require = createRequire(import.meta.url);
  try {
    rasterizer = { resvg: require("@resvg/resvg-js") as ResvgModule, fontFiles: FONT_FILES.map((f) => require.resolve(f)) };
  } catch (err) {
    process.emitWarning(`confusion matrix drawn with the bitmap font: ${(err as Error).message.split("\n")[0]}`, { code: "CICLO_NO_RESVG" });
    rasterizer = null;
  }
  return rasterizer;
}

/** Rasterizes an SVG that uses {@link FONT_FAMILY}; system fonts are never scanned (slow, and different per machine). */
export function rasterizeSvg(r: Rasterizer, svg: string, ratio = PIXEL_RATIO) {
  return new r.resvg.Resvg(svg, {
    fitTo: { mode: "zoom", value: ratio },
    font: { fontFiles: r.fontFiles, loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    shapeRendering: 2,
    textRendering: 1,
  }).render();
}

export function renderConfusionMatrixPng(cm: ConfusionMatrix, title = "Confusion matrix"): Buffer {
  const r = loadRasterizer();
  if (!r) return renderBitmap(cm, title);
  return rasterizeSvg(r, confusionMatrixSvg(cm, title).svg).asPng();
}

const INK: Rgb = [33, 37, 41];
const WHITE: Rgb = [255, 255, 255];
const LOW: Rgb = [247, 251, 255];
const HIGH: Rgb = [8, 48, 107];

const shade = (t: number) => [0, 1, 2].map((i) => Math.round(LOW[i] + (HIGH[i] - LOW[i]) * t)) as Rgb;
const clip = (label: string, max = 10) => (label.length > max ? `${label.slice(0, max - 1)}.` : label);

/** The fallback: the same heat map with the 5×7 bitmap font of png-encoder.ts. */
export function renderBitmap(cm: ConfusionMatrix, title = "Confusion matrix"): Buffer {
  const k = cm.labels.length;
  const labels = cm.labels.map((l) => clip(String(l)));
  const maxCount = Math.max(1, ...cm.matrix.flat());
  const cell = Math.max(44, textWidth("0".repeat(String(maxCount).length), 2) + 16);
  const labelW = Math.max(...labels.map((l) => textWidth(l, 2))) + 12;
  const left = 28 + labelW;
  const top = 44;
  const width = left + k * cell + 20;
  const height = top + k * cell + labelW + 40;
  const c = new RgbCanvas(width, height);
  c.text(title, Math.max(8, (width - textWidth(title, 2)) / 2), 12, INK, 2);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = cm.matrix[i][j];
      const t = v / maxCount;
      const x = left + j * cell;
      const y = top + i * cell;
      c.fillRect(x, y, cell - 1, cell - 1, shade(t));
      const s = String(v);
      c.text(s, x + (cell - textWidth(s, 2)) / 2, y + (cell - 14) / 2, t > 0.5 ? WHITE : INK, 2);
    }
    c.text(labels[i], left - 8 - textWidth(labels[i], 2), top + i * cell + (cell - 14) / 2, INK, 2);
    c.textVertical(labels[i], left + i * cell + (cell - 14) / 2, top + k * cell + 8 + textWidth(labels[i], 2), INK, 2);
  }
  c.textVertical("True", 6, top + (k * cell + textWidth("True", 2)) / 2, INK, 2);
  const predicted = "Predicted";
  c.text(predicted, left + (k * cell - textWidth(predicted, 2)) / 2, height - 22, INK, 2);
  return c.toPng();
}
