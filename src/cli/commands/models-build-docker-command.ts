/**
 * `ciclo models build-docker`: writes a build context for a model
 * (src/serving/docker-context.ts) and builds it with docker or podman when one
 * works; otherwise prints how to build it and exits 0.
 * @module
 */
import type { Command } from "commander";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCommand, buildImage, findBuilder } from "../../deployments/container-builder.js";
import { DEFAULT_BASE_IMAGE, writeDockerContext } from "../../deployments/docker-context.js";
import { resolveModelSource } from "../../serving/model-source.js";
import { cliAction } from "../output/cli-errors.js";

interface BuildFlags {
  modelUri: string;
  name: string;
  outputDir?: string;
  baseImage: string;
  build: boolean;
  trackingUri?: string;
  modelName?: string;
  modelVersion?: string;
}

export function registerModelsBuildDockerCommand(models: Command): void {
  models
    .command("build-docker")
    .description("Write a Docker build context serving a model on port 8080 (and build it with docker or podman when one works)")
    .requiredOption("-m, --model-uri <uri>", "models:/…, runs:/…, mlflow-artifacts:/…, or a local model folder")
    .option("-n, --name <image>", "image name (tag)", "ciclo-model-server")
    .option("--output-dir <dir>", "where to write the context (default: a new temporary folder)")
    .option("--base-image <image>", "Node 20 base image", DEFAULT_BASE_IMAGE)
    .option("--no-build", "only write the context")
    .option("--tracking-uri <uri>", "tracking server, to resolve models:/ and runs:/ URIs")
    .option("--model-name <name>", "name the server reports (default: from the URI)")
    .option("--model-version <v>", "version the server reports (default: from the URI)")
    .addHelpText("after", "\nExamples:\n  $ ciclo models build-docker -m models:/fraud/3 -n fraud:3\n  $ ciclo models build-docker -m ./model --output-dir ./fraud-image --no-build\n  $ docker run -p 8080:8080 fraud:3")
    .action(
      cliAction("models build-docker", async (flags: BuildFlags) => {
        const source = await resolveModelSource(flags.modelUri, { trackingUri: flags.trackingUri });
        try {
          const dir = flags.outputDir ?? (await mkdtemp(join(tmpdir(), "ciclo-docker-")));
          const files = await writeDockerContext({
            modelPath: source.path,
            outputDir: dir,
            modelName: flags.modelName ?? source.name,
            modelVersion: flags.modelVersion ?? source.version,
            baseImage: flags.baseImage,
          });
          process.stderr.write(`Wrote the build context to ${dir}: ${files.join(", ")}\n`);
          if (!flags.build) {
            process.stderr.write(`Build it with:\n  ${buildCommand("docker", flags.name, dir).join(" ")}\n`);
            process.stdout.write(`${dir}\n`);
            return;
          }
          const { builder, notes } = await findBuilder();
          if (!builder) {
            process.stderr.write(
              `No working image builder here (${notes.join("; ")}).\n` +
                `Build the context where Docker or Podman runs:\n  ${buildCommand("docker", flags.name, dir).join(" ")}\n` +
                `  ${buildCommand("podman", flags.name, dir).join(" ")}\n` +
                `Or run it without a container: cd ${dir} && npm ci --omit=dev && CICLO_MODEL_PATH=$PWD/model node app/server.mjs\n`,
            );
            process.stdout.write(`${dir}\n`);
            return;
          }
          process.stderr.write(`Building ${flags.name} with ${builder}…\n`);
          const code = await buildImage(builder, flags.name, dir);
          if (code !== 0) {
            throw new Error(
              `${builder} build failed (exit ${code}). The context is in ${dir}; if the base image cannot be pulled here, ` +
                `build it on a machine that can reach a registry, or pass --base-image with a local image.`,
            );
          }
          process.stderr.write(`Built ${flags.name}. Run it with: ${builder} run -p 8080:8080 ${flags.name}\n`);
          process.stdout.write(`${flags.name}\n`);
        } finally {
          await source.cleanup();
        }
      }),
    );
}
