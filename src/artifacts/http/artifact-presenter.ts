/** Artifact domain objects → MLflow's wire JSON (`FileInfo`, multipart credentials). */
import type { FileInfo, MultipartCredential } from "../artifact-repository.js";

export interface WireFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** MLflow compat: `file_size` is absent for directories. */
function presentFileInfo(f: FileInfo): WireFileInfo {
  return f.isDir || f.fileSize === undefined ? { path: f.path, is_dir: f.isDir } : { path: f.path, is_dir: false, file_size: f.fileSize };
}

/** MLflow compat: an empty repeated field is left out of the JSON (`{}` for an empty listing). */
export function presentFiles(files: FileInfo[]): WireFileInfo[] | undefined {
  return files.length > 0 ? files.map(presentFileInfo) : undefined;
}

export function presentCredential(c: MultipartCredential): { url: string; part_number: number; headers: Record<string, string> } {
  return { url: c.url, part_number: c.partNumber, headers: c.headers };
}
