/**
 * The order in which both databases sort keys: SQLite's BINARY collation and PostgreSQL's "C" compare UTF-8
 * bytes, which is code point order. JavaScript's `<` compares UTF-16 code units instead, which puts characters
 * past U+FFFF (surrogate pairs, 0xD800–0xDFFF) before U+E000–U+FFFF.
 * @module
 */

export function codePointOrder(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  return codePointRank(a.charCodeAt(i)) - codePointRank(b.charCodeAt(i));
}

/** A UTF-16 code unit moved so that surrogates (parts of code points past U+FFFF) rank above U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}
