/**
 * A confusion matrix as an SVG heat map: counts (and the share of each true
 * class) in the cells, true labels down the side and predicted labels along
 * the bottom — horizontal, staggered on two rows when the cells are narrow —
 * a colour bar, and every size scaled to the number of classes (large cells
 * for a handful, a grid of at most {@link MAX_GRID} px for hundreds). Text
 * widths are estimated for the Inter face the rasterizer loads. Pure: the
 * PNG renderer rasterizes it; labels are XML-escaped (they come from data).
 * @module
 */
import type { ConfusionMatrix } from "../metrics/classification-metrics.js";

export interface MatrixSvg {
  svg: string;
  /** Size in CSS pixels (the PNG is rendered at a multiple of it). */
  width: number;
  height: number;
  /** Where the cells are: top-left corner and cell size, px. */
  grid: { x: number; y: number; cell: number };
}

export const FONT_FAMILY = "Inter";
/** Largest side of the cell grid, px. */
export const MAX_GRID = 1100;
const MARGIN = 24;
const INK = "#1f2430";
const MUTED = "#5f6878";
/** matplotlib's "Blues", sampled: readable in print, monotonic in lightness. */
const RAMP = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Inter's advance is about 0.56 em on average for mixed text; digits are tabular at ~0.6 em. */
const textWidth = (s: string, size: number) => [...s].length * size * 0.58;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** The label cut to `maxWidth` px with an ellipsis. */
function fit(label: string, size: number, maxWidth: number): string {
  const chars = [...label];
  if (textWidth(label, size) <= maxWidth) return label;
  const keep = Math.max(1, Math.floor(maxWidth / (size * 0.58)) - 1);
  return `${chars.slice(0, keep).join("")}…`;
}

export function rampColor(t: number): string {
  const x = clamp(t, 0, 1) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i].match(/\w\w/g)!.map((h) => parseInt(h, 16));
  const b = RAMP[i + 1].match(/\w\w/g)!.map((h) => parseInt(h, 16));
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

function formatCount(n: number): string {
  if (n < 100_000) return String(n);
  return n < 1e6 ? `${(n / 1e3).toFixed(n < 1e5 ? 1 : 0)}k` : `${(n / 1e6).toFixed(1)}M`;
}

function formatShare(p: number): string {
  if (p === 0) return "";
  if (p >= 0.995) return "100%";
  return p < 0.01 ? "<1%" : `${Math.round(p * 100)}%`;
}

export function confusionMatrixSvg(cm: ConfusionMatrix, title = "Confusion matrix"): MatrixSvg {
  const k = cm.labels.length;
  const labels = cm.labels.map((l) => String(l));
  const cell = Math.max(3, Math.round(clamp(MAX_GRID / Math.max(1, k), 3, 76)));
  const grid = cell * k;
  const labelSize = clamp(Math.round(cell * 0.3), 9, 13);
  const countSize = clamp(Math.round(cell * 0.26), 8, 17);
  const showCounts = cell >= 18;
  const showShares = cell >= 46;
  const max = Math.max(1, ...cm.matrix.flat());
  const rowSums = cm.matrix.map((r) => r.reduce((a, b) => a + b, 0));

  // Row labels: as wide as the longest needs, up to 200 px.
  const rowLabelW = Math.min(200, Math.max(40, ...labels.map((l) => textWidth(l, labelSize)))) + 12;
  // Column labels: horizontal; staggered on two rows when one row would cut them.
  const oneRowFits = labels.every((l) => textWidth(l, labelSize) <= cell - 6);
  const colRows = oneRowFits || k === 1 ? 1 : 2;
  const colLabelW = colRows === 1 ? cell - 6 : 2 * cell - 8;
  const colLabelH = colRows * (labelSize + 7);

  const titleH = 30;
  const x0 = MARGIN + rowLabelW;
  const y0 = MARGIN + titleH + 22;
  const barX = x0 + grid + 22;
  const barLabelW = textWidth(formatCount(max), 11) + 8;
  const width = Math.ceil(barX + 14 + 6 + barLabelW + MARGIN);
  const height = Math.ceil(y0 + grid + 8 + colLabelH + 26 + MARGIN);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`);
  out.push(`<defs><linearGradient id="bar" x1="0" y1="1" x2="0" y2="0">${RAMP.map((c, i) => `<stop offset="${(i / (RAMP.length - 1)).toFixed(3)}" stop-color="${c}"/>`).join("")}</linearGradient></defs>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${MARGIN}" y="${MARGIN + 18}" font-size="17" font-weight="600" fill="${INK}">${escapeXml(title)}</text>`);
  out.push(`<text x="${x0 - 10}" y="${y0 - 9}" font-size="11" font-weight="600" fill="${MUTED}" text-anchor="end">True label</text>`);

  for (let i = 0; i < k; i++) {
    const y = y0 + i * cell;
    for (let j = 0; j < k; j++) {
      const v = cm.matrix[i][j];
      const t = v / max;
      const x = x0 + j * cell;
      out.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${rampColor(t)}" stroke="#ffffff" stroke-width="1"/>`);
      if (!showCounts) continue;
      const fg = t > 0.5 ? "#ffffff" : INK;
      // Zeros stay legible but recede: the eye should find the confusions.
      const zero = v === 0 ? ` fill-opacity="0.4"` : "";
      const share = showShares && rowSums[i] > 0 ? formatShare(v / rowSums[i]) : "";
      const cy = y + cell / 2 + (share ? -countSize * 0.25 : countSize * 0.36);
      out.push(`<text class="count" x="${x + cell / 2}" y="${cy.toFixed(1)}" font-size="${countSize}" font-weight="600" fill="${fg}"${zero} text-anchor="middle">${formatCount(v)}</text>`);
      if (share) {
        out.push(`<text x="${x + cell / 2}" y="${(cy + countSize * 1.05).toFixed(1)}" font-size="${Math.round(countSize * 0.72)}" fill="${fg}" fill-opacity="0.8" text-anchor="middle">${escapeXml(share)}</text>`);
      }
    }
    out.push(`<text class="true-label" x="${x0 - 10}" y="${(y + cell / 2 + labelSize * 0.36).toFixed(1)}" font-size="${labelSize}" fill="${INK}" text-anchor="end">${escapeXml(fit(labels[i], labelSize, rowLabelW - 12))}</text>`);
    const ly = y0 + grid + 8 + (colRows === 2 && i % 2 === 1 ? labelSize + 7 : 0) + labelSize;
    out.push(`<text class="predicted-label" x="${x0 + i * cell + cell / 2}" y="${ly}" font-size="${labelSize}" fill="${INK}" text-anchor="middle">${escapeXml(fit(labels[i], labelSize, colLabelW))}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y0}" width="${grid}" height="${grid}" fill="none" stroke="#c9ced8" stroke-width="1"/>`);
  out.push(`<text x="${x0 + grid / 2}" y="${y0 + grid + 8 + colLabelH + 16}" font-size="11" font-weight="600" fill="${MUTED}" text-anchor="middle">Predicted label</text>`);

  // The colour bar: 0 at the bottom, the largest count at the top.
  out.push(`<rect x="${barX}" y="${y0}" width="14" height="${grid}" rx="2" fill="url(#bar)" stroke="#c9ced8" stroke-width="1"/>`);
  for (const f of [0, 0.5, 1]) {
    const y = y0 + grid - f * grid;
    const v = Math.round(f * max);
    out.push(`<line x1="${barX + 14}" x2="${barX + 18}" y1="${y}" y2="${y}" stroke="${MUTED}" stroke-width="1"/>`);
    out.push(`<text x="${barX + 21}" y="${(y + 4).toFixed(1)}" font-size="11" fill="${MUTED}">${formatCount(v)}</text>`);
  }
  out.push(`</svg>`);
  return { svg: out.join("\n"), width, height, grid: { x: x0, y: y0, cell } };
}
