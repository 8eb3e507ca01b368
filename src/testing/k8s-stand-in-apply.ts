/**
 * Server-side apply's field ownership, as the Kubernetes API stand-in
 * (k8s-api-stand-in.ts) follows it: each field manager owns the leaf fields
 * it applied; changing a field another manager owns is a conflict unless
 * forced (which moves the field to the applier); a field a manager applied
 * before and leaves out is removed unless another manager owns it too.
 * Simplification: lists are atomic (owned whole), where the real server
 * merges lists with merge keys item by item. Also the Status bodies and the
 * label selectors every resource kind shares.
 * @module
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** A `Status` object, as the API server sends with every failure. */
export function statusBody(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code, ...(details && { details }) };
}

/** `a`, `a=b`, `a==b`, `a!=b`, `!a`, comma-separated (all must hold). */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(",").every((req) => {
    const r = req.trim();
    if (r.startsWith("!")) return !(r.slice(1) in l);
    const ne = r.split("!=");
    if (ne.length === 2) return l[ne[0]] !== ne[1];
    const eq = r.split(/==?/);
    return eq.length === 2 ? l[eq[0]] === eq[1] : r in l;
  });
}

/** A leaf path (arrays are leaves) → its value, for ownership. */
function leaves(o: unknown, prefix: string[] = [], out = new Map<string, unknown>()): Map<string, unknown> {
  if (o !== null && typeof o === "object" && !Array.isArray(o) && Object.keys(o).length > 0) {
    for (const [k, v] of Object.entries(o)) leaves(v, [...prefix, k], out);
  } else if (prefix.length > 0) out.set(JSON.stringify(prefix), o);
  return out;
}

const IGNORED = new Set(["apiVersion", "kind", "status"]);
const IGNORED_META = new Set(["resourceVersion", "managedFields", "uid", "creationTimestamp", "generation", "namespace", "name"]);
/** The fields a manager can own: everything but identity, server-set metadata and status. */
function ownable(o: Obj): Map<string, unknown> {
  const all = leaves(o);
  for (const k of [...all.keys()]) {
    const p = JSON.parse(k) as string[];
    if (IGNORED.has(p[0]) || (p[0] === "metadata" && IGNORED_META.has(p[1]))) all.delete(k);
  }
  return all;
}

function setPath(o: Obj, path: string[], v: unknown): void {
  let cur = o;
  for (const k of path.slice(0, -1)) cur = cur[k] = cur[k] !== null && typeof cur[k] === "object" && !Array.isArray(cur[k]) ? cur[k] : {};
  cur[path[path.length - 1]] = structuredClone(v);
}

function deletePath(o: Obj, path: string[]): void {
  const stack: Obj[] = [];
  let cur: Obj | undefined = o;
  for (const k of path.slice(0, -1)) {
    stack.push(cur!);
    cur = cur?.[k];
    if (cur === undefined) return;
  }
  delete cur![path[path.length - 1]];
  // Drop maps left empty.
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = stack[i];
    if (Object.keys(parent[path[i]] ?? {}).length === 0) delete parent[path[i]];
    else break;
  }
}

/** manager → owned leaf paths. */
export type Owners = Map<string, Set<string>>;

export type ApplyOutcome = { ok: true; next: Obj; owners: Owners } | { ok: false; status: number; body: Obj };

/**
 * Merges `body` (applied by `manager`) into `existing` (or `fresh`, when the
 * object is new). Nothing passed in is changed: the result carries the merged
 * object and the new ownership, for the caller to store (or not: a dry run).
 */
export function mergeApplied(existing: Obj | undefined, fresh: () => Obj, ownersBefore: Owners, body: Obj, manager: string, force: boolean): ApplyOutcome {
  const owners: Owners = new Map([...ownersBefore].map(([m, f]) => [m, new Set(f)]));
  const applied = ownable(body);
  const current = existing ? ownable(existing) : new Map<string, unknown>();
  // Conflicts: a field whose value would change and that another manager owns.
  const conflicts: Array<{ field: string; manager: string }> = [];
  for (const [path, value] of applied) {
    if (!current.has(path) || JSON.stringify(current.get(path)) === JSON.stringify(value)) continue;
    for (const [m, fields] of owners) if (m !== manager && fields.has(path)) conflicts.push({ field: `.${(JSON.parse(path) as string[]).join(".")}`, manager: m });
  }
  if (conflicts.length > 0 && !force) {
    const message = `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? "s" : ""}: ${conflicts.map((c) => `conflict with "${c.manager}": ${c.field}`).join(", ")}`;
    return { ok: false, status: 409, body: statusBody(409, "Conflict", message, { causes: conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with "${c.manager}"`, field: c.field })) }) };
  }
  const next: Obj = existing ? structuredClone(existing) : fresh();
  const mine = owners.get(manager) ?? new Set<string>();
  // Fields this manager applied before and leaves out now go, unless another manager owns them too.
  for (const path of mine) {
    if (applied.has(path)) continue;
    const sharedWith = [...owners].some(([m, f]) => m !== manager && f.has(path));
    if (!sharedWith) deletePath(next, JSON.parse(path) as string[]);
  }
  for (const [path, value] of applied) setPath(next, JSON.parse(path) as string[], value);
  // Ownership: the applier owns what it applied; forced fields leave their former owners.
  owners.set(manager, new Set(applied.keys()));
  for (const [m, fields] of owners) {
    if (m === manager) continue;
    // A forced change takes the field from its former owner; an equal value is shared.
    for (const path of applied.keys()) if (JSON.stringify(current.get(path)) !== JSON.stringify(applied.get(path))) fields.delete(path);
    if (fields.size === 0) owners.delete(m);
  }
  return { ok: true, next, owners };
}

/** `metadata.managedFields` of an object from its ownership. */
export function managedFields(owners: Owners, apiVersion: string): Obj[] {
  return [...owners].map(([m, f]) => ({ manager: m, operation: "Apply", apiVersion, fieldsType: "FieldsV1", fieldsV1: Object.fromEntries([...f].map((p) => [`f:${(JSON.parse(p) as string[]).join(".")}`, {}])) }));
}
