/**
 * The one canonicalisation of artifact paths that come from clients (URL
 * paths, `?path=` queries, JSON fields, run artifact URIs). Every artifact
 * route calls it before a path reaches a repository.
 *
 * MLflow was broken 15+ times by checking one spelling of a path and then
 * using another (security-anchors §1.1–1.2). So the path is percent-decoded
 * until it stops changing (bounded), checked once, and the checked, normalised
 * form is the only one handed on: a relative POSIX path, "" for the root.
 * @module
 */
import { InvalidParameterValueError } from "../shared/errors.js";

/** MLflow's `_decode` gives up after 10 rounds; so does ciclo (then the path is refused). */
const MAX_DECODE_ROUNDS = 10;

/** MLflow compat: `validate_path_is_safe` answers every refusal with exactly this message. */
const INVALID_PATH_MESSAGE = "Invalid path";

export function invalidPath(): InvalidParameterValueError {
  return new InvalidParameterValueError(INVALID_PATH_MESSAGE);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/** One round of percent-decoding. Invalid UTF-8 (overlong `%c0%ae`, lone bytes) is refused, not replaced. */
function decodeOnce(s: string): string {
  return s.replace(ESCAPE_RUN, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    try {
      return utf8.decode(bytes);
    } catch {
      throw invalidPath();
    }
  });
}

/** Decodes `%XX` escapes until the text stops changing; refuses a path still changing after {@link MAX_DECODE_ROUNDS}. */
export function decodeToFixedPoint(raw: string): string {
  let current = raw;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeOnce(current);
    if (next === current) return current;
    current = next;
  }
  throw invalidPath();
}

// C0 controls (NUL, CR, LF, TAB...) and DEL: MLflow escapes them; ciclo refuses them outright.
const CONTROL = /[\u0000-\u001f\u007f]/;
// `\` is a separator on Windows (CVE-2023-2780, -6831); `#`, `?`, `;` split a URL into fragment, query,
// params, which is how `..` was smuggled past MLflow's checks (CVE-2023-6909, -2024-1593, -1594).
const URL_SYNTAX = /[\\#?;]/;
// `C:` / `c:foo` drive letters and `file:` URIs name places outside the root (CVE-2023-3765, -2024-3573).
const DRIVE_OR_FILE_URI = /^(?:[a-zA-Z]:|file:)/i;

/**
 * Canonicalises a client artifact path: decoded to a fixed point, then
 * refused (INVALID_PARAMETER_VALUE "Invalid path") when it holds a `..`
 * segment, starts at `/` or a drive letter, is a `file:` URI, or contains a
 * backslash, a control character, `#`, `?` or `;`. Empty and `.` segments are
 * dropped as MLflow's `normpath` drops them. Returns "" for the root.
 */
export function safeArtifactPath(raw: string): string {
  const path = decodeToFixedPoint(raw);
  if (CONTROL.test(path) || URL_SYNTAX.test(path) || DRIVE_OR_FILE_URI.test(path) || path.startsWith("/")) {
    throw invalidPath();
  }
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "..") throw invalidPath();
    if (segment !== "" && segment !== ".") segments.push(segment);
  }
  return segments.join("/");
}

/** A path that must name a file (upload, part upload): not the root. */
export function safeArtifactFilePath(raw: string): string {
  const path = safeArtifactPath(raw);
  if (path === "") throw invalidPath();
  return path;
}

/** Joins already-safe relative paths ("" is the root). */
export function joinArtifactPath(...parts: string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

/** The last segment of a safe path ("" for the root). */
export function artifactBasename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
