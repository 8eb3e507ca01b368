/**
 * Content-Type of a downloaded artifact, guessed from its name the way
 * MLflow's `_guess_mime_type` does: its list of text extensions (plus the
 * extension-less `MLmodel` / `MLproject`) is `text/plain`, other known
 * extensions get Python's `mimetypes` answer, anything else is binary.
 * @module
 */

/** MLflow compat: `get_text_extensions()` in `mlflow/utils/mime_type_utils.py`. */
const TEXT_EXTENSIONS = new Set([
  "txt", "log", "err", "cfg", "conf", "cnf", "cf", "ini", "properties", "prop", "hocon", "toml",
  "yaml", "yml", "xml", "json", "js", "py", "py3", "csv", "tsv", "md", "rst", "MLmodel",
  // MLflow's MLPROJECT_FILE_NAME is "mlproject" (lower case); ciclo also serves the usual spelling as text.
  "mlproject", "MLproject",
]);

/** The common part of Python's `mimetypes` table (the answers MLflow's server gives for these names). */
const KNOWN_TYPES: Record<string, string> = {
  html: "text/html",
  htm: "text/html",
  css: "text/css",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
  svg: "image/svg+xml",
  webp: "image/webp",
  tif: "image/tiff",
  tiff: "image/tiff",
  ico: "image/vnd.microsoft.icon",
  pdf: "application/pdf",
  zip: "application/zip",
  tar: "application/x-tar",
  gz: "application/gzip",
  wasm: "application/wasm",
  mp3: "audio/mpeg",
  wav: "audio/x-wav",
  mp4: "video/mp4",
  webm: "video/webm",
  sh: "application/x-sh",
};

export function guessMimeType(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  // MLflow compat: a name without an extension (MLmodel) is looked up as the extension itself.
  const ext = dot < 0 ? name : name.slice(dot + 1);
  if (TEXT_EXTENSIONS.has(ext)) return "text/plain";
  return KNOWN_TYPES[ext.toLowerCase()] ?? "application/octet-stream";
}
