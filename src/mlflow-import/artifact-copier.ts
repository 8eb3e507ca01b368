/**
 * Copies one artifact root (a run's, a logged model's) into the destination,
 * file by file, streaming through ciclo's artifact repositories: local
 * folders, S3 and Azure Blob on either side, nothing buffered whole. A file
 * already at the destination with the same size is not copied again (an
 * interrupted import resumes where it stopped).
 * @module
 */
import { Transform } from "node:stream";
import type { ArtifactRepository } from "../artifacts/artifact-repository.js";
import { joinUri } from "./artifact-locations.js";

/** Files copied at once: enough to hide an object store's latency, few enough for 2 cores. */
const PARALLEL = 4;

export interface CopyResult {
  files: number;
  bytes: number;
  skipped: number;
}

async function* walk(repo: ArtifactRepository, dir: string): AsyncGenerator<{ path: string; size: number }> {
  for (const f of await repo.list(dir)) {
    if (f.isDir) yield* walk(repo, f.path);
    else yield { path: f.path, size: f.fileSize ?? 0 };
  }
}

export async function copyArtifactTree(
  source: ArtifactRepository,
  destination: ArtifactRepository,
  destPrefix: string,
  onBytes: (n: number) => void,
): Promise<CopyResult> {
  const result: CopyResult = { files: 0, bytes: 0, skipped: 0 };
  const running = new Set<Promise<void>>();
  let failure: unknown;
  const copyOne = async (path: string, size: number): Promise<void> => {
    const target = joinUri(destPrefix, path);
    const there = await destination.stat(target);
    if (there && !there.isDir && there.size === size) {
      result.skipped++;
      onBytes(size);
      return;
    }
    const object = await source.get(path);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    object.body.on("error", (err) => counter.destroy(err));
    const written = await destination.put(target, object.body.pipe(counter));
    result.files++;
    result.bytes += written;
  };
  for await (const f of walk(source, "")) {
    if (failure) break;
    const p = copyOne(f.path, f.size).catch((err: unknown) => {
      failure ??= err;
    });
    running.add(p);
    void p.finally(() => running.delete(p));
    if (running.size >= PARALLEL) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure;
  return result;
}
