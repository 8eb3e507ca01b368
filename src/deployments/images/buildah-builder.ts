/**
 * `--builder buildah`: the same layers, handed to buildah instead of being
 * assembled by ciclo — a Containerfile that `ADD`s each layer tarball ciclo
 * wrote onto the base and sets the same config, then `buildah bud` and
 * `buildah push`. For sites that sign or scan with buildah's tooling; the
 * digest is buildah's (its timestamps make it differ per build), not the
 * reproducible one of the native builder.
 * @module
 */
import { spawn } from "node:child_process";
import { copyFile, link, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidStateError } from "../../shared/errors.js";
import { type ConfigSettings, CICLO_UID } from "./image-config.js";
import type { LayerBlob } from "./layer-tar.js";

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    let out = "";
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => {
      out += d.toString();
      process.stderr.write(d);
    });
    p.on("error", (err) => resolve({ code: 127, out: err.message }));
    p.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

const json = (v: unknown) => JSON.stringify(v);

export function containerfile(base: string, layers: string[], s: Omit<ConfigSettings, "created">): string {
  const lines = [`FROM ${base}`, ...layers.map((l) => `ADD ${l} /`), `USER ${CICLO_UID}:${CICLO_UID}`, `WORKDIR ${s.workingDir}`];
  for (const [k, v] of Object.entries(s.env)) lines.push(`ENV ${k}=${json(v)}`);
  for (const [k, v] of Object.entries(s.labels)) lines.push(`LABEL ${json(k)}=${json(v)}`);
  if (s.exposedPort) lines.push(`EXPOSE ${s.exposedPort}`);
  for (const v of s.volumes ?? []) lines.push(`VOLUME ${json([v])}`);
  if (s.healthcheck) {
    const h = s.healthcheck;
    lines.push(`HEALTHCHECK --interval=${h.intervalSeconds}s --timeout=${h.timeoutSeconds}s --start-period=${h.startPeriodSeconds}s --retries=${h.retries} CMD ${json(h.test)}`);
  }
  lines.push("STOPSIGNAL SIGTERM", `ENTRYPOINT ${json(s.entrypoint)}`, `CMD ${json(s.cmd ?? [])}`);
  return `${lines.join("\n")}\n`;
}

export async function buildWithBuildah(o: {
  base: string;
  target: string;
  layers: LayerBlob[];
  settings: Omit<ConfigSettings, "created">;
  push: boolean;
  tlsVerify: boolean;
  /** A folder on the layers' file system (hard links instead of copies). */
  workDir: string;
}): Promise<{ digest?: string }> {
  const ctx = await mkdtemp(join(o.workDir, "buildah-"));
  try {
    const names: string[] = [];
    for (const [i, l] of o.layers.entries()) {
      const name = `layer-${i}.tar.gz`;
      await link(l.path, join(ctx, name)).catch(() => copyFile(l.path, join(ctx, name)));
      names.push(name);
    }
    await writeFile(join(ctx, "Containerfile"), containerfile(o.base, names, o.settings));
    const tls = `--tls-verify=${o.tlsVerify}`;
    const bud = await run("buildah", ["bud", "--format", "docker", tls, "-f", join(ctx, "Containerfile"), "-t", o.target, ctx]);
    if (bud.code !== 0) throw new InvalidStateError(`buildah bud failed (exit ${bud.code}).`);
    if (!o.push) return {};
    const digestFile = join(ctx, "digest");
    const push = await run("buildah", ["push", tls, "--digestfile", digestFile, o.target]);
    if (push.code !== 0) throw new InvalidStateError(`buildah push failed (exit ${push.code}).`);
    return { digest: (await readFile(digestFile, "utf8")).trim() };
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}
