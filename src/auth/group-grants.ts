/**
 * Permissions from an identity provider's groups (single sign-on): members
 * of a group get a permission on every experiment and registered model, or
 * on named ones. The mapping is the server's (`CICLO_OIDC_GROUP_PERMISSIONS`);
 * a user's grants are worked out from the groups the provider reports at
 * every sign-in and kept with the user until the next one.
 *
 * Written either as a list, for the common case of one permission everywhere:
 *   `data-science=EDIT, analysts=READ`
 * or as JSON, which can also name resources:
 *   `{"data-science": "EDIT", "fraud-team": {"permission": "MANAGE", "experiments": ["12"], "models": ["fraud"]}}`
 *
 * How a permission is decided (permission-service.ts): an admin may do
 * everything; a permission stored for the user on the resource (MLflow's
 * per-user permissions, the creator's MANAGE) comes first; then the highest
 * of their groups' grants naming the resource; then the higher of their
 * groups' grant on everything and the server's default permission.
 * @module
 */
import { parseList } from "../shared/text-list.js";
import { isPermissionName, PERMISSION_NAMES, type PermissionName } from "./permissions.js";

export interface GroupPermission {
  group: string;
  permission: PermissionName;
  /** Absent (with `models` absent too): every experiment and registered model. */
  experiments?: string[];
  models?: string[];
}

/** What a user's groups grant them. */
export interface GroupGrants {
  /** On every experiment and registered model. */
  all?: PermissionName;
  experiments: Record<string, PermissionName>;
  models: Record<string, PermissionName>;
}

const RANK: Record<PermissionName, number> = { NO_PERMISSIONS: 0, READ: 1, USE: 2, EDIT: 3, MANAGE: 4 };

/** The higher of two permissions (an absent one counts for nothing). */
export function higher(a: PermissionName | undefined, b: PermissionName | undefined): PermissionName | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

function permissionOf(v: unknown, where: string): PermissionName {
  const p = typeof v === "string" ? v.trim().toUpperCase() : v;
  if (!isPermissionName(p)) throw new Error(`${where}: '${String(v)}' is not a permission (${PERMISSION_NAMES.join(", ")}).`);
  return p;
}

function names(v: unknown, where: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || x === "")) throw new Error(`${where} must be a list of names.`);
  return v as string[];
}

/** Parses the mapping; throws an Error naming the setting and the bad entry. */
export function parseGroupPermissions(text: string | undefined, setting = "CICLO_OIDC_GROUP_PERMISSIONS"): GroupPermission[] {
  const t = (text ?? "").trim();
  if (t === "") return [];
  if (t.startsWith("{")) {
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch (err) {
      throw new Error(`${setting} is not valid JSON: ${(err as Error).message}`);
    }
    return Object.entries(doc as Record<string, unknown>).map(([group, v]) => {
      if (typeof v === "string") return { group, permission: permissionOf(v, `${setting} '${group}'`) };
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`${setting} '${group}': give a permission, or {"permission": ..., "experiments": [...], "models": [...]}.`);
      const o = v as Record<string, unknown>;
      const unknown = Object.keys(o).filter((k) => !["permission", "experiments", "models"].includes(k));
      if (unknown.length > 0) throw new Error(`${setting} '${group}': unknown key '${unknown[0]}' (permission, experiments, models).`);
      const experiments = names(o.experiments, `${setting} '${group}'.experiments`);
      const models = names(o.models, `${setting} '${group}'.models`);
      return { group, permission: permissionOf(o.permission, `${setting} '${group}'.permission`), ...(experiments && { experiments }), ...(models && { models }) };
    });
  }
  return parseList(t).map((entry) => {
    const eq = entry.lastIndexOf("=");
    if (eq <= 0) throw new Error(`${setting}: '${entry}' is not group=PERMISSION (e.g. data-science=EDIT).`);
    return { group: entry.slice(0, eq).trim(), permission: permissionOf(entry.slice(eq + 1), `${setting} '${entry}'`) };
  });
}

/** What the mapping grants a member of `groups`; null when it grants nothing. */
export function grantsForGroups(mapping: readonly GroupPermission[], groups: readonly string[]): GroupGrants | null {
  const out: GroupGrants = { experiments: {}, models: {} };
  let any = false;
  for (const m of mapping) {
    if (!groups.includes(m.group)) continue;
    any = true;
    if (m.experiments === undefined && m.models === undefined) out.all = higher(out.all, m.permission);
    for (const id of m.experiments ?? []) out.experiments[id] = higher(out.experiments[id], m.permission)!;
    for (const name of m.models ?? []) out.models[name] = higher(out.models[name], m.permission)!;
  }
  return any ? out : null;
}
