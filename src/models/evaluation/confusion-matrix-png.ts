/**
 * Renders a confusion matrix as a PNG heat map (counts in each cell, true
 * labels down the side, predicted labels along the bottom) — the
 * `confusion_matrix.png` artifact MLflow's evaluator logs.
 * @module
 */
import type { ConfusionMatrix } from "./classification-metrics.js";
import { RgbCanvas, textWidth, type Rgb } from "./png-encoder.js";

const INK: Rgb = [33, 37, 41];
const WHITE: Rgb = [255, 255, 255];
const LOW: Rgb = [247, 251, 255];
const HIGH: Rgb = [8, 48, 107];

function shade(t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(LOW[i] + (HIGH[i] - LOW[i]) * t)) as Rgb;
}

function clip(label: string, max = 10): string {
  return label.length > max ? `${label.slice(0, max - 1)}.` : label;
}

export function renderConfusionMatrixPng(cm: ConfusionMatrix, title = "Confusion matrix"): Buffer {
  const k = cm.labels.length;
  const labels = cm.labels.map((l) => clip(String(l)));
  const maxCount = Math.max(1, ...cm.matrix.flat());
  const countChars = String(maxCount).length;
  const cell = Math.max(44, textWidth("0".repeat(countChars), 2) + 16);
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
    // True label at the left of row i, predicted label under column i.
    c.text(labels[i], left - 8 - textWidth(labels[i], 2), top + i * cell + (cell - 14) / 2, INK, 2);
    c.textVertical(labels[i], left + i * cell + (cell - 14) / 2, top + k * cell + 8 + textWidth(labels[i], 2), INK, 2);
  }
  c.textVertical("True", 6, top + (k * cell + textWidth("True", 2)) / 2, INK, 2);
  const predicted = "Predicted";
  c.text(predicted, left + (k * cell - textWidth(predicted, 2)) / 2, height - 22, INK, 2);
  return c.toPng();
}
