/** Walks an artifact tree through a listing function (downloads, export). */
import type { FileInfo } from "../../sdk/artifact-stores.js";

/** Every file under `dir` of a listing function, depth first. */
export async function walkArtifacts(list: (dir: string) => Promise<FileInfo[]>, dir: string): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  const visit = async (d: string) => {
    for (const f of await list(d)) {
      if (f.isDir) await visit(f.path);
      else out.push(f);
    }
  };
  await visit(dir);
  return out;
}
