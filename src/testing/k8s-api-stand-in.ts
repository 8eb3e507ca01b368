/**
 * Test helper: a small stand-in for the Kubernetes API server, on a loopback
 * port, for the kubernetes target's apply and watch logic (no real API server
 * can run on the test machine). It follows the API's documented semantics for
 * what the target uses:
 *
 * - discovery (`GET /api/v1`, `/apis/<group>/<version>`: APIResourceList);
 * - bearer-token authentication (401 without it);
 * - server-side apply: `PATCH` with `application/apply-patch+yaml`, the
 *   `fieldManager` query parameter required, the object created when absent;
 *   field ownership per manager, a change to a field another manager owns is
 *   a 409 `Conflict` Status naming the manager and field unless `force=true`
 *   (which takes ownership); fields a manager applied before and leaves out
 *   are removed; `metadata.managedFields`, `resourceVersion`, `generation`
 *   kept (lists are atomic here: see k8s-stand-in-apply.ts);
 * - every applied object validated against the Kubernetes OpenAPI schemas
 *   (kubernetes-models) — 422 `Invalid` when it does not validate;
 * - list (`labelSelector`: `k`, `k=v`, `!k`) with the list's resourceVersion;
 * - watch (`?watch=1|true`): events after `resourceVersion` in order,
 *   `BOOKMARK` events to watchers that sent `allowWatchBookmarks=true`, and
 *   `410 Gone` (an `ERROR` event with an `Expired` Status) for a
 *   resourceVersion older than the retained history ({@link compact});
 * - `dryRun=All`: the whole apply is checked (conflicts, schema) and nothing stored;
 * - delete (200 with the object; 404 `NotFound` Status when absent); the
 *   objects it owns (`ownerReferences`) go too unless the propagationPolicy
 *   (or the kind's default: `Orphan` for Jobs) keeps them;
 * - the pod log endpoint, `follow` included (k8s-stand-in-pods.ts).
 *
 * Field ownership is in k8s-stand-in-apply.ts, the kinds and their schemas in
 * k8s-stand-in-kinds.ts. Test hooks play the cluster's controllers and other
 * users: {@link applyAs} (another field manager), {@link setStatus},
 * {@link put} / {@link remove} (pods, events), {@link jobs} (a Job's pod, its
 * log and its end, as the Job controller and kubelet would), {@link bookmark},
 * {@link compact}, {@link closeWatches}.
 * @module
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import YAML from "yaml";
import { managedFields, matchesSelector, mergeApplied, statusBody as status, type Obj, type Owners } from "./k8s-stand-in-apply.js";
import { KINDS, kindNamed, type Kind, type Propagation } from "./k8s-stand-in-kinds.js";
import { JobPlay, PodLogs } from "./k8s-stand-in-pods.js";

export { matchesSelector, type Obj };

interface WatchEvent {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  collection: string;
  object: Obj;
}

interface Watcher {
  collection: string;
  selector: string | undefined;
  bookmarks: boolean;
  kind: Kind;
  res: ServerResponse;
}

export class KubernetesApiStandIn {
  /** collection (`<apiVersion>/<ns>/<plural>`) → name → object. */
  private readonly objects = new Map<string, Map<string, Obj>>();
  /** key → manager → owned leaf paths. */
  private readonly owners = new Map<string, Owners>();
  private history: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private rv = 1000;
  private compactedAt = 0;
  /** Every request: method, path with query, content type. */
  readonly requests: Array<{ method: string; url: string; contentType?: string }> = [];
  /** Pod logs (the log endpoint), written by {@link jobs}. */
  readonly podLogs: PodLogs = new PodLogs(this);
  /** Plays the Job controller and the kubelet for a Job's pod. */
  readonly jobs: JobPlay = new JobPlay(this, this.podLogs);

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(): Promise<KubernetesApiStandIn> {
    let api: KubernetesApiStandIn | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => api!.handle(req.method ?? "GET", req.url ?? "/", req.headers, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    api = new KubernetesApiStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, randomUUID());
    return api;
  }

  /** A kubeconfig (YAML) for this server, its token and a namespace. */
  kubeconfig(namespace: string): string {
    return YAML.stringify({
      apiVersion: "v1",
      kind: "Config",
      // Plain HTTP on loopback: the client allows it only with TLS verification off.
      clusters: [{ name: "stand-in", cluster: { server: this.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "ciclo", user: { token: this.token } }],
      contexts: [{ name: "stand-in", context: { cluster: "stand-in", user: "ciclo", namespace } }],
      "current-context": "stand-in",
    });
  }

  get(kind: string, namespace: string, name: string): Obj | undefined {
    const k = kindNamed(kind);
    const o = this.objects.get(`${k.apiVersion}/${namespace}/${k.plural}`)?.get(name);
    return o && structuredClone(o);
  }

  list(kind: string, namespace: string): Obj[] {
    const k = kindNamed(kind);
    return [...(this.objects.get(`${k.apiVersion}/${namespace}/${k.plural}`)?.values() ?? [])].map((o) => structuredClone(o));
  }

  /** Server-side apply as field manager `manager` (another user: kubectl, a controller). */
  applyAs(manager: string, obj: Obj, force = false): { status: number; body: Obj } {
    const k = KINDS.find((x) => x.kind === obj.kind && x.apiVersion === obj.apiVersion);
    if (!k) return { status: 404, body: status(404, "NotFound", `the server could not find the requested resource (${obj.apiVersion} ${obj.kind})`) };
    return this.apply(k, obj.metadata?.namespace ?? "default", obj.metadata?.name, obj, manager, force);
  }

  /** What a controller writes (the status subresource): bumps the resourceVersion, a MODIFIED event. */
  setStatus(kind: string, namespace: string, name: string, st: Obj): void {
    const k = kindNamed(kind);
    const o = this.objects.get(`${k.apiVersion}/${namespace}/${k.plural}`)?.get(name);
    if (!o) throw new Error(`no ${kind} ${namespace}/${name}`);
    o.status = structuredClone(st);
    this.changed(k, namespace, "MODIFIED", o);
  }

  /** Creates or replaces an object as the cluster would (pods by the ReplicaSet, events by the kubelet). */
  put(obj: Obj): void {
    const k = kindNamed(obj.kind);
    const ns = obj.metadata.namespace ?? "default";
    const coll = this.collection(k, ns);
    const had = coll.has(obj.metadata.name);
    const o = structuredClone(obj);
    o.metadata.namespace = ns;
    o.metadata.uid ??= randomUUID();
    coll.set(o.metadata.name, o);
    this.changed(k, ns, had ? "MODIFIED" : "ADDED", o);
  }

  /**
   * Deletes an object. What it owns (`ownerReferences` naming its uid) goes
   * too, as the garbage collector does, unless the propagation is `Orphan`
   * (the kind's default when none is given: see k8s-stand-in-kinds.ts).
   */
  remove(kind: string, namespace: string, name: string, propagation?: Propagation): boolean {
    const k = kindNamed(kind);
    const coll = this.collection(k, namespace);
    const o = coll.get(name);
    if (!o) return false;
    coll.delete(name);
    this.owners.delete(`${k.apiVersion}/${namespace}/${k.plural}/${name}`);
    this.changed(k, namespace, "DELETED", o);
    if ((propagation ?? k.defaultPropagation) !== "Orphan") {
      for (const dk of KINDS) {
        for (const d of [...(this.objects.get(`${dk.apiVersion}/${namespace}/${dk.plural}`)?.values() ?? [])]) {
          if (((d.metadata.ownerReferences ?? []) as Obj[]).some((r) => r.uid === o.metadata.uid)) this.remove(dk.kind, namespace, d.metadata.name);
        }
      }
    }
    return true;
  }

  /** Sends a BOOKMARK (the current resourceVersion) to watchers that asked for them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (w.bookmarks) w.res.write(`${JSON.stringify({ type: "BOOKMARK", object: { kind: w.kind.kind, apiVersion: w.kind.apiVersion, metadata: { resourceVersion: String(this.rv) } } })}\n`);
    }
  }

  /** Forgets the event history (etcd compaction): a watch from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.compactedAt = this.rv;
    this.history = [];
  }

  /** Ends every open watch (as the API server does at its watch timeout); clients re-watch from their resourceVersion. */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  async close(): Promise<void> {
    this.closeWatches();
    this.podLogs.closeAll();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private collection(k: Kind, ns: string): Map<string, Obj> {
    const key = `${k.apiVersion}/${ns}/${k.plural}`;
    let c = this.objects.get(key);
    if (!c) this.objects.set(key, (c = new Map()));
    return c;
  }

  private changed(k: Kind, ns: string, type: WatchEvent["type"], o: Obj): void {
    o.metadata.resourceVersion = String(++this.rv);
    const ev: WatchEvent = { rv: this.rv, type, collection: `${k.apiVersion}/${ns}/${k.plural}`, object: structuredClone(o) };
    this.history.push(ev);
    for (const w of this.watchers) if (w.collection === ev.collection && matchesSelector(o.metadata.labels, w.selector)) w.res.write(`${JSON.stringify({ type, object: ev.object })}\n`);
  }

  private apply(k: Kind, ns: string, name: string | undefined, body: Obj, manager: string, force: boolean, dryRun = false): { status: number; body: Obj } {
    if (!name) return { status: 400, body: status(400, "BadRequest", "metadata.name is required") };
    if (body.apiVersion !== k.apiVersion || body.kind !== k.kind) return { status: 400, body: status(400, "BadRequest", `the body's ${body.apiVersion}/${body.kind} does not match the path's ${k.apiVersion}/${k.kind}`) };
    if (body.metadata?.namespace !== undefined && body.metadata.namespace !== ns) return { status: 400, body: status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request") };
    const key = `${k.apiVersion}/${ns}/${k.plural}/${name}`;
    const coll = this.collection(k, ns);
    const existing = coll.get(name);
    // Nothing changes until the object is stored (a refused or dry-run apply leaves ownership as it was).
    const fresh = () => ({ apiVersion: k.apiVersion, kind: k.kind, metadata: { name, namespace: ns, uid: randomUUID(), creationTimestamp: new Date().toISOString() } });
    const merged = mergeApplied(existing, fresh, this.owners.get(key) ?? new Map(), body, manager, force);
    if (!merged.ok) return { status: merged.status, body: merged.body };
    const { next, owners } = merged;
    const candidate = structuredClone(next);
    delete candidate.status;
    delete candidate.metadata.managedFields;
    try {
      k.validate?.(candidate);
    } catch (err) {
      return { status: 422, body: status(422, "Invalid", `${k.kind}.${k.apiVersion.split("/")[0]} "${name}" is invalid: ${(err as Error).message.slice(0, 2000)}`) };
    }
    const specChanged = JSON.stringify(existing?.spec) !== JSON.stringify(next.spec);
    next.metadata.generation = (existing?.metadata.generation ?? 0) + (specChanged || !existing ? 1 : 0);
    if (dryRun) return { status: existing ? 200 : 201, body: next };
    next.metadata.managedFields = managedFields(owners, k.apiVersion);
    this.owners.set(key, owners);
    if (existing && JSON.stringify(existing) === JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: existing.metadata.resourceVersion } })) {
      return { status: 200, body: structuredClone(existing) }; // a no-op apply changes nothing, not even the resourceVersion
    }
    coll.set(name, next);
    this.changed(k, ns, existing ? "MODIFIED" : "ADDED", next);
    return { status: existing ? 200 : 201, body: structuredClone(next) };
  }

  private handle(method: string, rawUrl: string, headers: Record<string, string | string[] | undefined>, body: string, res: ServerResponse): void {
    this.requests.push({ method, url: rawUrl, contentType: headers["content-type"] as string | undefined });
    const send = (code: number, o: Obj): void => void res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(o));
    if (headers.authorization !== `Bearer ${this.token}`) return send(401, status(401, "Unauthorized", "Unauthorized"));
    const url = new URL(rawUrl, "http://x");
    const parts = url.pathname.split("/").filter(Boolean);
    // Discovery: /api/v1, /apis/<group>/<version>
    const apiVersion = parts[0] === "api" ? parts[1] : parts[0] === "apis" ? `${parts[1]}/${parts[2]}` : undefined;
    if (!apiVersion) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    const rest = parts.slice(parts[0] === "api" ? 2 : 3);
    if (rest.length === 0 && method === "GET") {
      const resources = KINDS.filter((k) => k.apiVersion === apiVersion).map((k) => ({ name: k.plural, singularName: k.kind.toLowerCase(), namespaced: true, kind: k.kind, verbs: ["create", "delete", "get", "list", "patch", "update", "watch"] }));
      if (resources.length === 0) return send(404, status(404, "NotFound", `no API group version ${apiVersion}`));
      return send(200, { kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersion, resources });
    }
    if (rest[0] !== "namespaces" || rest.length < 3) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    const [, ns, plural, name, subresource] = rest;
    const k = KINDS.find((x) => x.apiVersion === apiVersion && x.plural === plural);
    if (!k || rest.length > 5 || (subresource !== undefined && !(k.kind === "Pod" && subresource === "log"))) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    const coll = this.collection(k, ns);
    const q = url.searchParams;
    if (subresource === "log") return method === "GET" ? this.podLogs.serve(ns, name, q, res) : send(405, status(405, "MethodNotAllowed", `${method} is not supported on pods/log`));

    if (method === "GET" && name === undefined && (q.get("watch") === "1" || q.get("watch") === "true")) return this.watch(k, ns, q, res);
    if (method === "GET" && name === undefined) {
      const selector = q.get("labelSelector") ?? undefined;
      const items = [...coll.values()].filter((o) => matchesSelector(o.metadata.labels, selector));
      return send(200, { kind: `${k.kind}List`, apiVersion: k.apiVersion, metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (name === undefined) return send(405, status(405, "MethodNotAllowed", `${method} is not supported on a collection here`));
    if (method === "GET") {
      const o = coll.get(name);
      return o ? send(200, o) : send(404, status(404, "NotFound", `${k.plural} "${name}" not found`, { name, kind: k.plural }));
    }
    if (method === "DELETE") {
      const o = coll.get(name);
      // propagationPolicy as a query parameter or in a DeleteOptions body.
      let policy = q.get("propagationPolicy") ?? undefined;
      if (policy === undefined && body.trim() !== "") {
        try {
          policy = (JSON.parse(body) as { propagationPolicy?: string }).propagationPolicy;
        } catch {
          return send(400, status(400, "BadRequest", "the DeleteOptions body is not JSON"));
        }
      }
      if (policy !== undefined && !["Orphan", "Background", "Foreground"].includes(policy)) {
        return send(422, status(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`));
      }
      if (!o || !this.remove(k.kind, ns, name, policy as Propagation | undefined)) return send(404, status(404, "NotFound", `${k.plural} "${name}" not found`, { name, kind: k.plural }));
      return send(200, o);
    }
    if (method === "PATCH") {
      const type = String(headers["content-type"] ?? "").split(";")[0].trim();
      if (type !== "application/apply-patch+yaml") return send(415, status(415, "UnsupportedMediaType", `the stand-in supports only server-side apply (application/apply-patch+yaml), got '${type}'`));
      const manager = q.get("fieldManager");
      if (!manager) return send(400, status(400, "BadRequest", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"));
      const force = q.get("force");
      if (force !== null && force !== "true" && force !== "false") return send(400, status(400, "BadRequest", `invalid force '${force}'`));
      let obj: Obj;
      try {
        obj = YAML.parse(body) as Obj;
      } catch (err) {
        return send(400, status(400, "BadRequest", `error decoding YAML: ${(err as Error).message}`));
      }
      if (obj?.metadata?.name !== undefined && obj.metadata.name !== name) return send(400, status(400, "BadRequest", "the name of the object does not match the name on the URL"));
      const dryRun = q.get("dryRun");
      if (dryRun !== null && dryRun !== "All") return send(400, status(400, "BadRequest", `Invalid dry run value '${dryRun}': only All is supported`));
      const r = this.apply(k, ns, name, obj, manager, force === "true", dryRun === "All");
      return send(r.status, r.body);
    }
    return send(405, status(405, "MethodNotAllowed", `${method} is not supported`));
  }

  private watch(k: Kind, ns: string, q: URLSearchParams, res: ServerResponse): void {
    const collection = `${k.apiVersion}/${ns}/${k.plural}`;
    const selector = q.get("labelSelector") ?? undefined;
    const from = q.get("resourceVersion");
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders(); // as the API server: the client learns at once that the watch is open
    const write = (type: string, object: Obj) => res.write(`${JSON.stringify({ type, object })}\n`);
    if (from === null || from === "" || from === "0") {
      // "Any" version: the current state as ADDED events, then changes.
      for (const o of this.objects.get(collection)?.values() ?? []) if (matchesSelector(o.metadata.labels, selector)) write("ADDED", o);
    } else {
      const rv = Number(from);
      if (!Number.isInteger(rv) || rv < this.compactedAt) {
        write("ERROR", status(410, "Expired", `too old resource version: ${from} (${this.compactedAt})`));
        res.end();
        return;
      }
      for (const ev of this.history) if (ev.rv > rv && ev.collection === collection && matchesSelector(ev.object.metadata.labels, selector)) write(ev.type, ev.object);
    }
    const w: Watcher = { collection, selector, bookmarks: q.get("allowWatchBookmarks") === "true", kind: k, res };
    this.watchers.add(w);
    res.on("close", () => this.watchers.delete(w));
  }
}
