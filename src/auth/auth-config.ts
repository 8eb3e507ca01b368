/**
 * MLflow's auth configuration file (`basic_auth.ini`, found through
 * `MLFLOW_AUTH_CONFIG_PATH`): the `[mlflow]` section's `default_permission`,
 * `admin_username` and `admin_password`. `database_uri` and
 * `authorization_function` are read and ignored with a warning: ciclo keeps
 * users in its own metadata database and checks requests itself.
 * ciclo has no built-in admin password: without one, the first start refuses
 * to create an admin (unless users exist already).
 * @module
 */
import { readFileSync } from "node:fs";
import { InvalidParameterValueError } from "../shared/errors.js";
import { validatePermission, type PermissionName } from "./permissions.js";

export interface AuthFileConfig {
  defaultPermission?: PermissionName;
  adminUsername?: string;
  adminPassword?: string;
  /** Keys ciclo reads but does not use. */
  ignored: string[];
}

/** Python configparser's basic syntax: sections, `key = value` or `key: value`, `#`/`;` comment lines. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      section = out[head[1]!.trim()] ??= {};
      continue;
    }
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m && section) section[m[1]!.toLowerCase()] = m[2]!;
  }
  return out;
}

export function readAuthConfigFile(path: string): AuthFileConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`Cannot read the auth configuration '${path}' (MLFLOW_AUTH_CONFIG_PATH): ${(err as Error).message}`);
  }
  return authConfigFromIni(text, path);
}

export function authConfigFromIni(text: string, where = "auth configuration"): AuthFileConfig {
  const mlflow = parseIni(text).mlflow;
  if (!mlflow) throw new Error(`${where}: no [mlflow] section (see docs/auth.md).`);
  const cfg: AuthFileConfig = { ignored: [] };
  if (mlflow.default_permission !== undefined) {
    try {
      cfg.defaultPermission = validatePermission(mlflow.default_permission);
    } catch (err) {
      if (err instanceof InvalidParameterValueError) throw new Error(`${where}: default_permission: ${err.message}`);
      throw err;
    }
  }
  if (mlflow.admin_username) cfg.adminUsername = mlflow.admin_username;
  if (mlflow.admin_password) cfg.adminPassword = mlflow.admin_password;
  for (const key of ["database_uri", "authorization_function"]) if (mlflow[key] !== undefined) cfg.ignored.push(key);
  return cfg;
}
