/**
 * A list written as text, as settings and claims give them (`a, b,,c`):
 * items trimmed, empty ones dropped. One helper for every such setting
 * (server flags and environment, OpenID Connect groups and scopes).
 * @module
 */

/** Splits on commas (or on `separator`); absent or blank text is the empty list. */
export function parseList(text: string | undefined | null, separator: RegExp = /,/): string[] {
  if (!text) return [];
  return text
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Commas or whitespace: how scopes and a groups claim sent as one string are written. */
export const COMMAS_OR_SPACES = /[\s,]+/;
