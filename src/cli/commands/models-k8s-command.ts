/**
 * `ciclo models k8s`: prints (or writes) a Deployment, a Service and a
 * HorizontalPodAutoscaler for a model image (src/serving/k8s-manifests.ts).
 * The model URI only names things (labels, defaults): nothing is downloaded.
 * Labels carry a version number, never an alias: an alias, stage or `latest`
 * is resolved from the image's labels (`--image`, pinned) or, failing that,
 * by asking the tracking server's registry.
 * @module
 */
import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { pinImage } from "../../deployments/images/image-inspect.js";
import { parsePlatform } from "../../deployments/images/oci-manifest.js";
import { RegistryClient } from "../../deployments/images/registry-client.js";
import { credentialLookup } from "../../deployments/images/registry-credentials.js";
import { ArtifactClient } from "../../sdk/artifact-client.js";
import { isModelUri, parseModelUri, resolveModelDownloadUri } from "../../sdk/model-uri.js";
import { trackingUriFromEnv } from "../../sdk/sdk-config.js";
import { MlflowError } from "../../shared/errors.js";
import { k8sManifests, k8sName, manifestsYaml } from "../../deployments/k8s-manifests.js";
import { SCORING_DEFAULTS } from "../../serving/online/scoring-options.js";
import { cliAction, UsageError } from "../output/cli-errors.js";
import { numberFlag } from "./models-serve-command.js";

interface K8sFlags {
  modelUri: string;
  name?: string;
  image?: string;
  replicas: string;
  cpu: string;
  memory: string;
  minReplicas?: string;
  maxReplicas?: string;
  drainSeconds: string;
  targetCpu: string;
  namespace?: string;
  output?: string;
  pinDigest: boolean;
  insecureRegistry: string[];
  platform: string;
  trackingUri?: string;
}

/** An alias, stage or `latest` names a version only through the registry. */
function namesVersionIndirectly(uri: string): boolean {
  if (!isModelUri(uri)) return false;
  const kind = parseModelUri(uri).kind;
  return kind === "alias" || kind === "stage" || kind === "latest";
}

/** The version an alias, stage or `latest` points at now, from the tracking server's registry (metadata only). */
async function resolveVersion(uri: string, trackingUri: string): Promise<{ name: string; version: string }> {
  const client = new ArtifactClient({ trackingUri });
  let model;
  try {
    ({ model } = await resolveModelDownloadUri(uri, client.registry));
  } catch (err) {
    const e = err as Error;
    if (e instanceof MlflowError && e.errorCode !== "TEMPORARILY_UNAVAILABLE") throw err; // it answered: no such model or alias
    throw new Error(
      `Cannot ask the tracking server at ${trackingUri} which version '${uri}' names (${e.message}). ` +
        `Pass --tracking-uri (or set CICLO_TRACKING_URI), name the version (models:/<name>/<version>), or pass --image with a ciclo-built image (its labels say the version).`,
    );
  }
  if (!model || !("name" in model)) throw new Error(`'${uri}' does not name a registered model version.`);
  return model;
}

/** Model name and version from the URI alone (an alias stands in for the version). */
function nameFromUri(uri: string): { name: string; version: string } {
  if (isModelUri(uri)) {
    const m = parseModelUri(uri);
    switch (m.kind) {
      case "version":
        return { name: m.name, version: m.version };
      case "alias":
        return { name: m.name, version: m.alias };
      case "stage":
        return { name: m.name, version: m.stage };
      case "latest":
        return { name: m.name, version: "latest" };
      case "model-id":
        return { name: m.modelId, version: "1" };
    }
  }
  const runs = /^runs:\/+([^/]+)\/?(.*)$/.exec(uri);
  if (runs) return { name: basename(runs[2]) || "model", version: runs[1] };
  return { name: basename(resolve(uri.replace(/^file:\/\//, ""))) || "model", version: "1" };
}

const QUANTITY = /^\d+(\.\d+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;

export function registerModelsK8sCommand(models: Command): void {
  models
    .command("k8s")
    .description("Kubernetes manifests for a model server image: Deployment (probes, resources, graceful drain), Service, HorizontalPodAutoscaler")
    .requiredOption("-m, --model-uri <uri>", "the model served (names and labels the objects; nothing is downloaded)")
    .option("--name <name>", "object name (default: from the model name)")
    .option("--image <image>", "image built by `ciclo models build-image` or build-docker, pinned to its digest (default: <name>:<version>, unpinned)")
    .option("--replicas <n>", "initial replicas", "2")
    .option("--cpu <quantity>", "CPU request per pod", "1")
    .option("--memory <quantity>", "memory request and limit per pod", "1Gi")
    .option("--min-replicas <n>", "HPA minimum (default: --replicas)")
    .option("--max-replicas <n>", "HPA maximum (default: 3 × minimum)")
    .option("--target-cpu <percent>", "HPA target CPU utilisation", "80")
    .option("--drain-seconds <s>", "drain window after SIGTERM (grace period = preStop + this + 5 s)", String(SCORING_DEFAULTS.drainSeconds))
    .option("--namespace <ns>", "namespace for the objects")
    .option("-o, --output <file>", "write the YAML to a file instead of stdout")
    .option("--no-pin-digest", "keep --image's tag (by default the registry is asked which digest it names, and the model version comes from the image's labels)")
    .option("--insecure-registry <host>", "allow plain http to this registry host[:port] when pinning (loopback hosts always are)", (v: string, p: string[]) => [...p, v], [])
    .option("--platform <os/arch>", "platform whose labels are read when the image is multi-platform", "linux/amd64")
    .option("--tracking-uri <uri>", "tracking server, asked which version an alias, stage or latest names when the image's labels do not say (default: $CICLO_TRACKING_URI, $MLFLOW_TRACKING_URI)")
    .addHelpText("after", "\nExamples:\n  $ ciclo models k8s -m models:/fraud@champion --image registry.example.com/fraud:3 | kubectl apply -f -\n  $ ciclo models k8s -m models:/fraud@champion --cpu 2 --memory 2Gi --min-replicas 2 --max-replicas 10 -o fraud.yaml")
    .action(
      cliAction("models k8s", async (flags: K8sFlags) => {
        let { name: modelName, version } = nameFromUri(flags.modelUri);
        let image = flags.image;
        let versionFromImage = false;
        if (image && flags.pinDigest) {
          // The pods must run the image that was built, and the labels must say its real version (not an alias).
          const clients = new Map<string, RegistryClient>();
          const credentials = credentialLookup();
          const got = await pinImage(image, parsePlatform(flags.platform), (registry) => {
            if (!clients.has(registry)) clients.set(registry, new RegistryClient(registry, { credentials, insecureRegistries: flags.insecureRegistry }));
            return clients.get(registry)!;
          });
          image = got.pinned;
          modelName = got.labels["dev.ciclo.model.name"] ?? modelName;
          version = got.labels["dev.ciclo.model.version"] ?? version;
          versionFromImage = got.labels["dev.ciclo.model.version"] !== undefined;
          // An image given by digest is already pinned: saying "Pinned X to X" would only puzzle.
          if (image !== flags.image) process.stderr.write(`Pinned ${flags.image} to ${image}.\n`);
        }
        if (namesVersionIndirectly(flags.modelUri) && !versionFromImage) {
          // Labels carry the version the alias resolves to now, never the alias (which moves).
          const resolved = await resolveVersion(flags.modelUri, flags.trackingUri ?? trackingUriFromEnv());
          modelName = resolved.name;
          version = resolved.version;
          process.stderr.write(`${flags.modelUri} is version ${version} of '${modelName}'.\n`);
        }
        const name = k8sName(flags.name ?? modelName);
        for (const [flag, q] of [["--cpu", flags.cpu], ["--memory", flags.memory]] as const) {
          if (!QUANTITY.test(q)) throw new UsageError(`${flag} must be a Kubernetes quantity such as 500m, 1, 512Mi or 2Gi; got '${q}'.`);
        }
        const replicas = numberFlag(flags.replicas, "--replicas", { min: 1 })!;
        const minReplicas = numberFlag(flags.minReplicas, "--min-replicas", { min: 1 }) ?? replicas;
        const maxReplicas = numberFlag(flags.maxReplicas, "--max-replicas", { min: 1 }) ?? Math.max(minReplicas * 3, minReplicas + 1);
        if (maxReplicas < minReplicas) throw new UsageError(`--max-replicas (${maxReplicas}) is below --min-replicas (${minReplicas}).`);
        const yaml = manifestsYaml(
          k8sManifests({
            name,
            image: image ?? `${name}:${k8sName(version)}`,
            modelName,
            modelVersion: version,
            replicas,
            cpu: flags.cpu,
            memory: flags.memory,
            minReplicas,
            maxReplicas,
            targetCpuPercent: numberFlag(flags.targetCpu, "--target-cpu", { min: 1 }),
            drainSeconds: numberFlag(flags.drainSeconds, "--drain-seconds", { fraction: true })!,
            namespace: flags.namespace,
          }),
        );
        if (flags.output) {
          await writeFile(flags.output, yaml);
          process.stderr.write(`Wrote Deployment, Service and HorizontalPodAutoscaler '${name}' to ${flags.output}.\n`);
        } else process.stdout.write(yaml);
      }),
    );
}
