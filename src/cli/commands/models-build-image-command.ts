/**
 * `ciclo models build-image`: an OCI image serving one model, built without
 * a daemon (src/deployments/images/): the base pulled over the registry API,
 * ciclo's runtime and the model appended as reproducible layers, pushed back
 * or written as an OCI layout. Prints the image digest (`repo@sha256:…` when
 * pushed) on stdout.
 * @module
 */
import type { Command } from "commander";
import { buildWithBuildah } from "../../deployments/images/buildah-builder.js";
import { buildImage, type BuiltImage } from "../../deployments/images/image-builder.js";
import { formatReference, isLoopbackHost, parseImageReference } from "../../deployments/images/image-reference.js";
import { planModelImage } from "../../deployments/images/model-image.js";
import { mlflowSources } from "../../deployments/images/python-packages.js";
import { pipIndexUrl } from "../../deployments/images/python-pip-install.js";
import { DEFAULT_BASE_IMAGE } from "../../deployments/docker-context.js";
import { resolveModelSource, type ResolvedModelSource } from "../../serving/model-source.js";
import { cliAction } from "../output/cli-errors.js";
import { addImageFlags, buildProgress, imageContext, type ImageContext, type ImageFlags } from "./image-flags.js";

interface BuildImageFlags extends ImageFlags {
  modelUri: string;
  trackingUri?: string;
  modelName?: string;
  modelVersion?: string;
  mlflowFrom: string[];
  allowMismatch?: boolean;
  python?: string;
  pipIndexUrl?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** The URI that names this model wherever it is built: registry versions by number, never by alias. */
export function canonicalModelUri(source: ResolvedModelSource): string | undefined {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(source.uri)?.[1]?.toLowerCase();
  if (!scheme || scheme.length === 1 || scheme === "file") return undefined; // a local folder: its path is not the model
  if (scheme === "models" && !/^m-[0-9a-f]{32}$/.test(source.name)) return `models:/${source.name}/${source.version}`;
  return source.uri;
}

/** Shared by build-image and build-server: native build (+push/output) or buildah. */
export async function runImageBuild(
  flags: ImageFlags,
  ctx: ImageContext,
  plan: { layers: Parameters<typeof buildImage>[0]["layers"]; settings: Parameters<typeof buildImage>[0]["settings"]; inspectBase?: Parameters<typeof buildImage>[0]["inspectBase"] },
): Promise<BuiltImage & { buildahDigest?: string }> {
  const progress = buildProgress();
  const t0 = performance.now();
  try {
    const native = flags.builder === "native";
    const built = await buildImage({
      base: flags.base,
      target: flags.tag,
      platform: ctx.platform,
      format: ctx.format,
      layers: plan.layers,
      settings: plan.settings,
      push: native && Boolean(flags.push),
      outputDir: native ? flags.output : undefined,
      clientFor: ctx.clientFor,
      cache: ctx.cache,
      onEvent: progress.onEvent,
      inspectBase: plan.inspectBase,
    });
    let buildahDigest: string | undefined;
    if (!native) {
      const registry = parseImageReference(flags.tag!).registry;
      const r = await buildWithBuildah({
        base: flags.base,
        target: flags.tag!,
        layers: built.layers,
        settings: plan.settings,
        push: Boolean(flags.push),
        tlsVerify: !(isLoopbackHost(registry) || flags.insecureRegistry.includes(registry)),
        workDir: ctx.cache.dir,
      });
      buildahDigest = r.digest;
    }
    progress.stop();
    const mib = (built.size / 1024 / 1024).toFixed(1);
    const o = built.outcomes;
    process.stderr.write(
      `Built ${flags.tag ?? "image"} ${native ? built.digest : `(buildah) ${buildahDigest ?? ""}`} on ${built.base.reference}@${built.base.digest.slice(0, 19)}…: ` +
        `${built.layers.length} new layers, ${mib} MiB compressed in all` +
        (flags.push && native ? `; pushed (${o.uploaded} uploaded, ${o.mounted} mounted, ${o.exists} already there)` : "") +
        ` in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    return { ...built, buildahDigest };
  } finally {
    progress.stop();
  }
}

export function registerModelsBuildImageCommand(models: Command): void {
  const cmd = models
    .command("build-image")
    .description("Build an OCI image serving a model (no Docker daemon): base from a registry + ciclo's runtime + the model, reproducible, optionally pushed")
    .requiredOption("-m, --model-uri <uri>", "models:/…, runs:/…, mlflow-artifacts:/…, or a local model folder")
    .option("--tracking-uri <uri>", "tracking server, to resolve models:/ and runs:/ URIs")
    .option("--model-name <name>", "name the server reports (default: from the URI)")
    .option("--model-version <v>", "version the server reports (default: from the URI)")
    .option("--mlflow-from <source>", "Python models: where MLflow comes from (ciclo does not ship it): a folder of packages, a folder of .whl files, or a .whl; put on the image's PYTHONPATH; repeatable (default: CICLO_MLFLOW_FROM, ':'-separated)", collect, [])
    .option("--pip-index-url <url>", "Python models: a PEP 503 package index to install the model's requirements that the base and --mlflow-from lack (or hold at another version) from, into a layer of the image (default: PIP_INDEX_URL)")
    .option("--allow-mismatch", "Python models: build even when the model's requirements do not fit the image's packages (printed as warnings)")
    .option("--python <interpreter>", "Python models: the interpreter in the image", "python3");
  addImageFlags(cmd, DEFAULT_BASE_IMAGE)
    .addHelpText(
      "after",
      `
The image: the model at /opt/ml/model, the scoring server on port 8080 (/invocations, /v2/…,
/ping, /health, /metrics) as user 10001, a health check, SIGTERM drains in-flight requests.
The same model on the same base gives the same digest. Base images need Node 20 on the PATH.

Python models (sklearn, custom pyfunc, …): the same server drives Python workers that load the model
with MLflow's pyfunc loader. The base needs python3 and the model's packages (scripts/base-images.sh
builds one from Debian's: numpy, scipy, pandas, scikit-learn), and MLflow itself comes from
--mlflow-from folders. The model's requirements.txt / python_env.yaml / conda.yaml is checked against
the base's and the folders' package metadata first: a missing package or another version fails the
build (--allow-mismatch: warn and build), unless --pip-index-url (or PIP_INDEX_URL) names an index:
then those requirements are installed from it with this machine's pip (python3 -m pip; wheels for
the image's Python and platform, without their dependencies) into a layer first on PYTHONPATH.

Examples:
  $ ciclo models build-image -m models:/fraud@champion -t registry.example.com/ml/fraud:3 --push
  $ ciclo models build-image -m ./model -t 127.0.0.1:5000/fraud:dev --base 127.0.0.1:5000/base/node:20 --push
  $ ciclo models build-image -m runs:/<run_id>/model -t fraud:dev --output ./fraud-oci
  $ ciclo models build-image -m models:/churn@champion -t 127.0.0.1:5000/churn:4 --push \\
      --base 127.0.0.1:5000/base/python-sklearn:3-node20 --mlflow-from ./wheelhouse
  $ ciclo models build-image -m models:/churn/4 -t 127.0.0.1:5000/churn:4 --push \\
      --base 127.0.0.1:5000/base/python-sklearn:3-node20 --mlflow-from ./wheelhouse \\
      --pip-index-url https://pypi.example.com/simple
  $ echo "$TOKEN" | ciclo models build-image -m models:/fraud/3 -t ghcr.io/acme/fraud:3 --push --registry-username bot --registry-password-stdin
  $ podman run -p 8080:8080 registry.example.com/ml/fraud@sha256:…`,
    )
    .action(
      cliAction("models build-image", async (flags: BuildImageFlags) => {
        const ctx = await imageContext(flags);
        if (flags.tag) parseImageReference(flags.tag);
        const source = await resolveModelSource(flags.modelUri, { trackingUri: flags.trackingUri });
        let cleanup: (() => Promise<void>) | undefined;
        try {
          const name = flags.modelName ?? source.name;
          const version = flags.modelVersion ?? source.version;
          const plan = await planModelImage({ path: source.path, name, version, uri: canonicalModelUri(source) }, ctx.platform, {
            mlflowFrom: mlflowSources(flags.mlflowFrom),
            allowMismatch: flags.allowMismatch,
            python: flags.python,
            pipIndexUrl: pipIndexUrl(flags.pipIndexUrl),
            log: (line) => process.stderr.write(`pip: ${line}\n`),
          });
          cleanup = plan.cleanup;
          const built = await runImageBuild(flags, ctx, plan);
          const pinned = built.pushedAs ?? (built.buildahDigest && flags.tag ? `${formatReference({ ...parseImageReference(flags.tag), tag: undefined })}@${built.buildahDigest}` : undefined);
          if (pinned) process.stderr.write(`Kubernetes: ciclo models k8s -m ${flags.modelUri} --image ${pinned}\n`);
          process.stdout.write(`${pinned ?? built.digest}\n`);
        } finally {
          await cleanup?.();
          await source.cleanup();
        }
      }),
    );
}
