/** `ciclo artifacts list|log|download`: a run's files, with progress bars on transfers. */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import type { ArtifactClient } from "../../sdk/artifact-client.js";
import type { FileInfo } from "../../sdk/artifact-stores.js";
import { resolveArtifactSource, type ArtifactSource } from "../../sdk/model-uri.js";
import { createByteProgress } from "../output/byte-progress.js";
import { walkArtifacts } from "../transfer/artifact-walk.js";
import { CliContext, withCommonOptions, type CommonFlags } from "../output/cli-context.js";
import { cliAction, usageExitCodes, UsageError } from "../output/cli-errors.js";
import { formatBytes } from "../output/format.js";


/** Files and bytes a download of `source` will move (the progress bar's total). */
export async function measureSource(artifacts: ArtifactClient, source: ArtifactSource): Promise<{ files: number; bytes: number }> {
  const resolved = await resolveArtifactSource(source, artifacts.registry);
  const loc = resolved.location;
  const list = "runId" in loc ? (d: string) => artifacts.listArtifacts(loc.runId, d) : async (d: string) => (await artifacts.openStore(loc.rootUri)).list(d);
  let files = await walkArtifacts(list, resolved.path);
  if (files.length === 0 && resolved.path !== "") {
    // A single file: its size is in its folder's listing.
    const parent = resolved.path.includes("/") ? resolved.path.slice(0, resolved.path.lastIndexOf("/")) : "";
    files = (await list(parent)).filter((f) => f.path === resolved.path && !f.isDir);
  }
  return { files: files.length, bytes: files.reduce((a, f) => a + (f.fileSize ?? 0), 0) };
}

/** Downloads with a byte progress bar; resolves with the local path. */
export async function downloadWithProgress(cli: CliContext, source: ArtifactSource, dest: string, label: string): Promise<{ localPath: string; files: number; bytes: number }> {
  const progress = createByteProgress(0, label);
  const artifacts = cli.artifacts({ onBytes: (n) => progress.add(n) });
  try {
    const size = await measureSource(artifacts, source);
    progress.grow(size.bytes);
    const localPath = await artifacts.downloadArtifacts(source, dest);
    return { localPath, files: size.files, bytes: progress.done };
  } finally {
    progress.stop();
  }
}

async function localSize(path: string): Promise<{ files: number; bytes: number; isDir: boolean }> {
  const st = await stat(path);
  if (!st.isDirectory()) return { files: 1, bytes: st.size, isDir: false };
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await stat(join(e.parentPath, e.name))).size;
  }
  return { files, bytes, isDir: true };
}

export function registerArtifactsCommand(program: Command): void {
  const artifacts = usageExitCodes(program.command("artifacts").description("List, upload and download a run's artifacts"));

  withCommonOptions(artifacts.command("list"))
    .description("List a run's artifacts (one folder, or everything with --recursive)")
    .argument("<run-id>", "the run")
    .argument("[path]", "folder inside the run's artifacts", "")
    .option("-r, --recursive", "list every file under the folder")
    .addHelpText("after", "\nExamples:\n  $ ciclo artifacts list 5f3c0a...\n  $ ciclo artifacts list 5f3c0a... model\n  $ ciclo artifacts list 5f3c0a... -r --json")
    .action(
      cliAction("artifacts list", async (runId: string, path: string, flags: CommonFlags & { recursive?: boolean }) => {
        const cli = new CliContext(flags);
        const client = cli.artifacts();
        const files = flags.recursive ? await walkArtifacts((d) => client.listArtifacts(runId, d), path) : await client.listArtifacts(runId, path);
        cli.emit(files, () =>
          cli.table(
            [
              { header: "PATH", value: (f) => (f.isDir ? `${f.path}/` : f.path), color: (c, f) => (f.isDir ? cli.colors.cyan(c) : c) },
              { header: "SIZE", value: (f) => formatBytes(f.fileSize), align: "right", shrink: false },
            ],
            files,
            "No artifacts.",
          ),
        );
      }),
    );

  withCommonOptions(artifacts.command("log"))
    .description("Upload a file or a folder (recursively) to a run's artifacts")
    .argument("<run-id>", "the run")
    .argument("<local-path>", "a file or a folder")
    .option("-p, --artifact-path <path>", "folder inside the run's artifacts to upload into")
    .addHelpText(
      "after",
      `
A file lands as <artifact-path>/<its name>; a folder's files keep their
relative paths under <artifact-path>. Large files (500 MB+) go up in parts.

Examples:
  $ ciclo artifacts log 5f3c0a... ./confusion.png
  $ ciclo artifacts log 5f3c0a... ./model --artifact-path model`,
    )
    .action(
      cliAction("artifacts log", async (runId: string, localPath: string, flags: CommonFlags & { artifactPath?: string }) => {
        const cli = new CliContext(flags);
        const size = await localSize(localPath).catch(() => {
          throw new UsageError(`No such file or folder: '${localPath}'.`);
        });
        const progress = createByteProgress(size.bytes, `uploading ${localPath}`);
        const client = cli.artifacts({ onBytes: (n) => progress.add(n) });
        let paths: string[];
        try {
          paths = size.isDir
            ? await client.logArtifacts(runId, localPath, flags.artifactPath)
            : [await client.logArtifact(runId, localPath, flags.artifactPath)];
        } finally {
          progress.stop();
        }
        cli.emit({ runId, paths, bytes: size.bytes }, () =>
          cli.out(`Uploaded ${paths.length} file(s), ${formatBytes(size.bytes)}, to run ${runId}${flags.artifactPath ? ` under '${flags.artifactPath}'` : ""}.`),
        );
      }),
    );

  withCommonOptions(artifacts.command("download"))
    .description("Download a run's artifacts (a file or a folder), or any runs:/, models:/ or mlflow-artifacts:/ URI")
    .argument("<source>", "a run id, or a URI: runs:/<run>/<path>, models:/<name>/<version|alias|stage>, mlflow-artifacts:/...")
    .argument("[path]", "with a run id: the file or folder inside its artifacts (default: all)")
    .option("-d, --dest <dir>", "local folder to download into", ".")
    .addHelpText(
      "after",
      `
Prints the local path of what was downloaded (the run's files go straight
into --dest; a file or folder lands as <dest>/<its name>).

Examples:
  $ ciclo artifacts download 5f3c0a... -d ./out
  $ ciclo artifacts download 5f3c0a... model/MLmodel
  $ ciclo artifacts download runs:/5f3c0a.../model -d /tmp/m
  $ ciclo artifacts download models:/fraud@champion -d ./serving`,
    )
    .action(
      cliAction("artifacts download", async (sourceArg: string, path: string | undefined, flags: CommonFlags & { dest: string }) => {
        const cli = new CliContext(flags);
        const isUri = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(sourceArg);
        if (isUri && path !== undefined) throw new UsageError("Give either a URI, or a run id and a path, not both.");
        const source: ArtifactSource = isUri ? sourceArg : { runId: sourceArg, path: path ?? "" };
        const res = await downloadWithProgress(cli, source, flags.dest, `downloading ${isUri ? sourceArg : `${sourceArg}/${path ?? ""}`}`);
        cli.emit(res, () => cli.out(res.localPath));
        if (!cli.json) cli.note(`Downloaded ${res.files} file(s), ${formatBytes(res.bytes)}.`);
      }),
    );
}
