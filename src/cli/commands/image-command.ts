/**
 * `ciclo image build-server`: ciclo's own server as an OCI image, built and
 * pushed without a daemon the way `ciclo models build-image` builds model
 * images (src/deployments/images/server-image.ts says what is inside).
 * @module
 */
import type { Command } from "commander";
import { planServerImage, SERVER_DATA, SERVER_PORT } from "../../deployments/images/server-image.js";
import { cliAction, usageExitCodes } from "../output/cli-errors.js";
import { addImageFlags, imageContext, type ImageFlags } from "./image-flags.js";
import { runImageBuild } from "./models-build-image-command.js";

/** Node 20 on Debian bookworm, as the image of the Node project ships it. */
export const DEFAULT_SERVER_BASE = "node:20-bookworm-slim";

export function registerImageCommand(program: Command): void {
  const image = usageExitCodes(program.command("image").description("Container images of ciclo itself"));
  const cmd = image
    .command("build-server")
    .description("Build ciclo's server image (API + UI, non-root, data on a volume) without a daemon, reproducibly; optionally push it");
  addImageFlags(cmd, DEFAULT_SERVER_BASE)
    .addHelpText(
      "after",
      `
Built from dist/ (run \`npm run build\` first) and the production node_modules.
The image: \`ciclo server\` on port ${SERVER_PORT} as user 10001, data under the volume ${SERVER_DATA}
(SQLite ciclo.db and artifacts/), a health check on /health, SIGTERM closes gracefully.
Point it elsewhere with CICLO_BACKEND_STORE_URI, CICLO_ARTIFACTS_DESTINATION, CICLO_DEFAULT_ARTIFACT_ROOT.

Examples:
  $ ciclo image build-server -t registry.example.com/ciclo/server:0.1.0 --push
  $ ciclo image build-server -t 127.0.0.1:5000/ciclo:dev --base 127.0.0.1:5000/base/node:20 --push
  $ podman run -p ${SERVER_PORT}:${SERVER_PORT} -v ciclo-data:${SERVER_DATA} registry.example.com/ciclo/server@sha256:…`,
    )
    .action(
      cliAction("image build-server", async (flags: ImageFlags) => {
        const ctx = await imageContext(flags);
        const plan = await planServerImage(ctx.platform);
        const built = await runImageBuild(flags, ctx, plan);
        process.stdout.write(`${built.pushedAs ?? built.buildahDigest ?? built.digest}\n`);
      }),
    );
}
