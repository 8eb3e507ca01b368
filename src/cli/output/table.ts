/**
 * Aligned text tables for the CLI's human output. On a terminal the table
 * fits its width: the shrinkable columns (long names, URIs) give up space
 * first, widest first, and their cells are cut with "…". Piped output is
 * never cut (a script that greps it must see whole values; `--json` is the
 * format for scripts anyway).
 * @module
 */
import { stripAnsi, type Colors } from "./colors.js";

export interface Column<R> {
  header: string;
  value(row: R): string;
  align?: "left" | "right";
  /** May be cut to fit the terminal (default true). Ids should not be. */
  shrink?: boolean;
  /** Narrowest a shrinking column gets (default: its header's width, at least 6). */
  minWidth?: number;
  /** Colours the (padded) cell; widths are measured without colour. */
  color?(cell: string, row: R): string;
}

export interface TableOptions {
  /** Width to fit (a terminal's columns); undefined = no limit. */
  width?: number;
  colors: Colors;
}

const GAP = "  ";

/** Columns a string takes on a terminal: East Asian wide characters and most emoji take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of stripAnsi(s)) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x300 && c < 0x370) || c === 0x200b) continue;
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isWide(c: number): boolean {
  return (
    (c >= 0x1100 && c <= 0x115f) ||
    (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
    (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) ||
    (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) ||
    (c >= 0x1f300 && c <= 0x1faff) ||
    (c >= 0x20000 && c <= 0x3fffd)
  );
}

/** Cuts `s` to `width` columns, ending in "…" when cut. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  if (width <= 1) return width === 1 ? "…" : "";
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = displayWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

function pad(s: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(s)));
  return align === "right" ? fill + s : s + fill;
}

/** Control characters (a newline in a tag value) would break the rows: shown escaped. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function renderTable<R>(columns: Column<R>[], rows: R[], opts: TableOptions): string {
  const cells = rows.map((r) => columns.map((c) => oneLine(c.value(r))));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]))));
  if (opts.width !== undefined) fit(columns, widths, opts.width);
  const lines: string[] = [];
  const header = columns.map((c, i) => pad(truncate(c.header, widths[i]), widths[i], c.align ?? "left")).join(GAP);
  lines.push(opts.colors.bold(header.trimEnd()));
  rows.forEach((row, r) => {
    const line = columns
      .map((c, i) => {
        const cell = pad(truncate(cells[r][i], widths[i]), widths[i], c.align ?? "left");
        return c.color ? c.color(cell, row) : cell;
      })
      .join(GAP);
    lines.push(line.replace(/\s+$/, ""));
  });
  return `${lines.join("\n")}\n`;
}

/** Narrows shrinkable columns, widest first, until the table fits `width` (or none can shrink further). */
function fit<R>(columns: Column<R>[], widths: number[], width: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  const floor = columns.map((c) => c.minWidth ?? Math.max(6, displayWidth(c.header)));
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < columns.length; i++) {
      if (columns[i].shrink === false || widths[i] <= floor[i]) continue;
      if (widest < 0 || widths[i] > widths[widest]) widest = i;
    }
    if (widest < 0) return;
    widths[widest] = Math.max(floor[widest], widths[widest] - Math.max(1, Math.min(total() - width, widths[widest] - floor[widest])));
  }
}

/** `key: value` lines with the keys aligned (a record's fields, `runs describe`). */
export function renderFields(fields: Array<[string, string]>, colors: Colors): string {
  const w = Math.max(0, ...fields.map(([k]) => displayWidth(k)));
  // An empty value leaves its line without trailing spaces.
  return fields.map(([k, v]) => (v === "" ? colors.dim(`${k}:`) : `${colors.dim(pad(`${k}:`, w + 1, "left"))} ${oneLine(v)}`)).join("\n") + "\n";
}
