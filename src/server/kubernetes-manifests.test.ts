/**
 * deploy/kubernetes: every overlay rendered by `kubectl kustomize` (the
 * kubectl that scripts/kubectl.sh finds or installs), every object validated
 * against the Kubernetes schemas (kubernetes-models, no cluster), and the
 * server's flags and environment checked against what `ciclo server` and
 * `ciclo db upgrade` really accept. Several replicas only where every store
 * supports them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import YAML from "yaml";
import { AzureBlobLocation } from "../artifacts/azure-blob-location.js";
import { S3KeySpace } from "../artifacts/s3-key-space.js";
import { registerDbCommand } from "../cli/commands/db-command.js";
import { registerServerCommand } from "../cli/commands/server-command.js";
import { sqlitePathFromUri } from "../store/sqlite/sqlite-connection.js";
import { resolveServerConfig } from "./config.js";
import { findKubectl, K8S_DIR, renderKustomization, validateK8sObject, type K8sObject } from "../testing/kustomize.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const K8S = K8S_DIR;
const OVERLAYS = ["sqlite", "postgres-s3", "postgres-azure"] as const;
type Obj = K8sObject;

const only = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string) => {
  const found = only(objs, kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0];
};

/** The env a container ends up with: its ConfigMap's data, then its own `env` (which wins). */
function containerEnv(objs: Obj[], c: Obj): Map<string, Obj> {
  const env = new Map<string, Obj>();
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = only(objs, "ConfigMap").find((m) => m.metadata.name === from.configMapRef.name);
      assert.ok(cm, `ConfigMap ${from.configMapRef.name} is rendered`);
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(k, { value: v });
    }
  }
  for (const e of c.env ?? []) env.set(e.name, e);
  return env;
}

function cliCommands(): { server: Command; upgrade: Command } {
  const program = new Command();
  registerServerCommand(program);
  registerDbCommand(program);
  const server = program.commands.find((c) => c.name() === "server")!;
  const upgrade = program.commands.find((c) => c.name() === "db")!.commands.find((c) => c.name() === "upgrade")!;
  return { server, upgrade };
}

/** Every `--flag` in `args` is an option of `cmd` (and takes a value when one follows). */
function assertKnownFlags(cmd: Command, args: string[]): void {
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith("--")) continue;
    const opt = cmd.options.find((o) => o.long === args[i]);
    assert.ok(opt, `\`ciclo ${cmd.name()}\` has no option ${args[i]}`);
    if (opt.required) i++;
  }
}

describe("deploy/kubernetes overlays", () => {
  let kubectl: string | undefined;
  const rendered = new Map<string, Obj[]>();
  before(async () => {
    kubectl = await findKubectl("kubernetes manifest tests");
    if (!kubectl) return;
    for (const o of OVERLAYS) rendered.set(o, await renderKustomization(kubectl, join(K8S, "overlays", o)));
  });
  const it = (title: string, fn: () => void | Promise<void>) =>
    test(title, async (t) => {
      if (!kubectl) return t.skip("no kubectl");
      await fn();
    });

  it("every rendered object validates against the Kubernetes schemas; no Secret is written out", () => {
    for (const [name, objs] of rendered) {
      for (const o of objs) {
        validateK8sObject(o);
        assert.equal(o.metadata.labels?.["app.kubernetes.io/name"], "ciclo", `${name}: ${o.kind} is labelled`);
      }
      assert.equal(only(objs, "Secret").length, 0, `${name}: secrets are referenced, never rendered`);
    }
  });

  it("the validator is strict about types: a malformed Deployment is refused", () => {
    const d = structuredClone(one(rendered.get("sqlite")!, "Deployment"));
    d.spec.template.spec.securityContext.runAsNonRoot = "yes";
    assert.throws(() => validateK8sObject(d));
  });

  it("one image, set by the base's `images:` entry, for the server and its init container", () => {
    const base = YAML.parse(readFileSync(join(K8S, "base/kustomization.yaml"), "utf8")) as Obj;
    const entry = base.images.find((i: Obj) => i.name === "ciclo-server");
    for (const [name, objs] of rendered) {
      const pod = one(objs, "Deployment").spec.template.spec;
      for (const c of [...pod.initContainers, ...pod.containers]) assert.equal(c.image, `${entry.newName}:${entry.newTag}`, `${name}: ${c.name}`);
    }
  });

  it("flags and environment are ones `ciclo server` and `ciclo db upgrade` accept, and they configure the stores", () => {
    const { server, upgrade } = cliCommands();
    for (const [name, objs] of rendered) {
      const pod = one(objs, "Deployment").spec.template.spec;
      const main = pod.containers.find((c: Obj) => c.name === "server");
      assert.equal(main.args[0], "server");
      assertKnownFlags(server, main.args.slice(1));
      const init = pod.initContainers.find((c: Obj) => c.name === "db-upgrade");
      assert.deepEqual(init.args, ["db", "upgrade"]);
      assert.equal(upgrade.registeredArguments.length, 1, "`db upgrade [uri]` falls back to CICLO_BACKEND_STORE_URI");
      const flag = (f: string) => main.args[main.args.indexOf(f) + 1];
      const env = containerEnv(objs, main);
      const initEnv = containerEnv(objs, init);
      // Every CICLO_* variable is one the server reads: a sentinel value must come back in the config.
      for (const key of [...env.keys()].filter((k) => k.startsWith("CICLO_"))) {
        const sentinel = "s3://sentinel-bucket/x";
        assert.ok(JSON.stringify(resolveServerConfig({}, { [key]: sentinel })).includes(sentinel), `${name}: ciclo ignores ${key}`);
      }
      const literal = (k: string) => env.get(k)?.value as string | undefined;
      const config = resolveServerConfig(
        { host: flag("--host"), port: flag("--port"), logLevel: flag("--log-level") },
        { CICLO_BACKEND_STORE_URI: literal("CICLO_BACKEND_STORE_URI") ?? "postgresql://from-secret/db", CICLO_ARTIFACTS_DESTINATION: literal("CICLO_ARTIFACTS_DESTINATION") },
      );
      assert.equal(config.host, "0.0.0.0", `${name}: listens on the pod's address`);
      assert.equal(config.port, main.ports.find((p: Obj) => p.name === "http").containerPort);
      // The init container migrates the same database the server opens.
      assert.deepEqual(initEnv.get("CICLO_BACKEND_STORE_URI"), env.get("CICLO_BACKEND_STORE_URI"), name);
      const dest = config.artifactsDestination;
      if (dest.startsWith("s3:")) S3KeySpace.parse(dest);
      else if (/^(wasbs|abfss):/.test(dest)) AzureBlobLocation.parse(dest);
      else assert.match(dest, /^file:\/\/\//, `${name}: unexpected destination ${dest}`);
    }
  });

  it("sqlite: one replica, Recreate, no HPA or PDB; database and artifacts on the volume", () => {
    const objs = rendered.get("sqlite")!;
    const d = one(objs, "Deployment");
    assert.equal(d.spec.replicas, 1);
    assert.equal(d.spec.strategy.type, "Recreate");
    assert.equal(only(objs, "HorizontalPodAutoscaler").length, 0);
    assert.equal(only(objs, "PodDisruptionBudget").length, 0);
    const main = d.spec.template.spec.containers[0];
    const env = containerEnv(objs, main);
    const dataMount = main.volumeMounts.find((m: Obj) => m.name === "data").mountPath;
    const claim = d.spec.template.spec.volumes.find((v: Obj) => v.name === "data").persistentVolumeClaim.claimName;
    assert.equal(one(objs, "PersistentVolumeClaim").metadata.name, claim);
    assert.ok(sqlitePathFromUri(env.get("CICLO_BACKEND_STORE_URI")!.value).startsWith(`${dataMount}/`));
    assert.ok(env.get("CICLO_ARTIFACTS_DESTINATION")!.value.startsWith(`${dataMount}/`));
    const init = d.spec.template.spec.initContainers[0];
    assert.ok(init.volumeMounts.some((m: Obj) => m.name === "data" && m.mountPath === dataMount), "db upgrade sees the database");
  });

  it("several replicas only with PostgreSQL (from a Secret) and an object store; HPA, PDB, spreading, rolling updates", () => {
    for (const name of ["postgres-s3", "postgres-azure"]) {
      const objs = rendered.get(name)!;
      const d = one(objs, "Deployment");
      const pod = d.spec.template.spec;
      assert.equal(d.spec.replicas, undefined, `${name}: the HPA owns the replica count`);
      assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
      const hpa = one(objs, "HorizontalPodAutoscaler");
      assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: d.metadata.name });
      assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
      const pdb = one(objs, "PodDisruptionBudget");
      for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(pod.metadata?.labels?.[k] ?? d.spec.template.metadata.labels[k], v);
      assert.ok(pod.affinity.podAntiAffinity && pod.topologySpreadConstraints.length >= 1);
      for (const c of [...pod.initContainers, ...pod.containers]) {
        const uri = containerEnv(objs, c).get("CICLO_BACKEND_STORE_URI");
        assert.deepEqual(uri?.valueFrom?.secretKeyRef, { name: "ciclo-database", key: "uri" }, `${name}: ${c.name} reads the database URI from a Secret`);
      }
    }
    // The rule, for any overlay: more than one pod needs shared stores.
    for (const [name, objs] of rendered) {
      const d = one(objs, "Deployment");
      const scaled = only(objs, "HorizontalPodAutoscaler").length > 0 || (d.spec.replicas ?? 1) > 1;
      const env = containerEnv(objs, d.spec.template.spec.containers[0]);
      const backend = env.get("CICLO_BACKEND_STORE_URI");
      const dest = env.get("CICLO_ARTIFACTS_DESTINATION")?.value as string;
      if (scaled) {
        assert.ok(!backend?.value?.startsWith("sqlite:"), `${name}: SQLite with several replicas`);
        assert.match(dest, /^(s3|wasbs|abfss):\/\//, `${name}: a local artifacts folder with several replicas`);
      } else {
        assert.equal(d.spec.strategy.type, "Recreate", `${name}: one pod at a time`);
      }
    }
  });

  it("probes on /health, non-root, read-only root, writable paths only on volumes, requests and limits", () => {
    for (const [name, objs] of rendered) {
      const pod = one(objs, "Deployment").spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(pod.automountServiceAccountToken, false);
      const volumes = new Set(pod.volumes.map((v: Obj) => v.name));
      for (const c of [...pod.initContainers, ...pod.containers]) {
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${name}: ${c.name}`);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
        for (const m of c.volumeMounts) assert.ok(volumes.has(m.name), `${name}: ${c.name} mounts ${m.name}`);
        assert.ok(c.volumeMounts.some((m: Obj) => m.mountPath === "/tmp"), `${name}: ${c.name} has a writable /tmp`);
        for (const k of ["cpu", "memory"]) assert.ok(c.resources.requests[k] && c.resources.limits[k], `${name}: ${c.name} ${k}`);
      }
      const main = pod.containers.find((c: Obj) => c.name === "server");
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        assert.deepEqual(main[probe].httpGet, { path: "/health", port: "http" }, `${name}: ${probe}`);
      }
      const svc = one(objs, "Service");
      assert.equal(svc.spec.ports[0].targetPort, "http");
      for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(one(objs, "Deployment").spec.template.metadata.labels[k], v);
      const drain = Number(main.args[main.args.indexOf("--shutdown-timeout") + 1]);
      assert.ok(pod.terminationGracePeriodSeconds > drain, `${name}: the grace period covers the drain`);
    }
  });

  it("secrets are referenced by name only, from the Secrets docs/kubernetes.md tells to create", () => {
    const docs = readFileSync(join(ROOT, "docs/kubernetes.md"), "utf8");
    for (const [name, objs] of rendered) {
      const text = JSON.stringify(objs);
      assert.doesNotMatch(text, /AccountKey=|AWS_SECRET_ACCESS_KEY"\s*:\s*"|password=/i, name);
      const pod = one(objs, "Deployment").spec.template.spec;
      for (const c of [...pod.initContainers, ...pod.containers]) {
        const refs = [
          ...(c.envFrom ?? []).flatMap((f: Obj) => (f.secretRef ? [f.secretRef.name] : [])),
          ...(c.env ?? []).flatMap((e: Obj) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
        ];
        for (const r of refs) assert.match(docs, new RegExp(`kubectl create secret generic ${r}\\b`), `${name}: docs say how to create ${r}`);
      }
    }
  });

  describe("the optional Ingress component", () => {
    let dir: string;
    after(() => dir && rmSync(dir, { recursive: true, force: true }));
    it("adds a valid Ingress routing to the Service's http port", async () => {
      dir = mkdtempSync(join(tmpdir(), "ciclo-k8s-"));
      writeFileSync(
        join(dir, "kustomization.yaml"),
        YAML.stringify({
          apiVersion: "kustomize.config.k8s.io/v1beta1",
          kind: "Kustomization",
          resources: [relative(dir, join(K8S, "overlays/postgres-azure"))],
          components: [relative(dir, join(K8S, "components/ingress"))],
        }),
      );
      const objs = await renderKustomization(kubectl!, dir);
      const ing = one(objs, "Ingress");
      validateK8sObject(ing);
      const backend = ing.spec.rules[0].http.paths[0].backend.service;
      assert.deepEqual(backend, { name: one(objs, "Service").metadata.name, port: { name: "http" } });
    });
  });
});
