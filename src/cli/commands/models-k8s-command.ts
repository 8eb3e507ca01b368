/**
 * `ciclo models k8s`: prints (or writes) a Deployment, a Service and a
 * HorizontalPodAutoscaler for a model image (src/serving/k8s-manifests.ts).
 * The model URI only names things (labels, defaults): nothing is downloaded.
 * @module
 */
import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { pinImage } from "../../deployments/images/image-inspect.js";
import { parsePlatform } from "../../deployments/images/oci-manifest.js";
import { RegistryClient } from "../../deployments/images/registry-client.js";
import { credentialLookup } from "../../deployments/images/registry-credentials.js";
import { isModelUri, parseModelUri } from "../../sdk/model-uri.js";
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
    .addHelpText("after", "\nExamples:\n  $ ciclo models k8s -m models:/fraud@champion --image registry.example.com/fraud:3 | kubectl apply -f -\n  $ ciclo models k8s -m models:/fraud@champion --cpu 2 --memory 2Gi --min-replicas 2 --max-replicas 10 -o fraud.yaml")
    .action(
      cliAction("models k8s", async (flags: K8sFlags) => {
        let { name: modelName, version } = nameFromUri(flags.modelUri);
        let image = flags.image;
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
          process.stderr.write(`Pinned ${flags.image} to ${image}.\n`);
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
