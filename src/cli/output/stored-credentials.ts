/**
 * The tokens `ciclo auth login` keeps, one per server: a JSON file readable
 * by its owner only (mode 0600) at `$CICLO_CONFIG_DIR/credentials.json`
 * (default `$XDG_CONFIG_HOME/ciclo`, else `~/.config/ciclo`). Environment
 * credentials (`MLFLOW_TRACKING_TOKEN`, `MLFLOW_TRACKING_USERNAME`) win over it.
 * @module
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface StoredCredential {
  token: string;
  username: string;
  tokenId: number;
  expiresAt?: number;
}

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.CICLO_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "ciclo");
  return join(dir, "credentials.json");
}

/** The server's key: its URL without credentials, query or trailing slash. */
export function serverKey(trackingUri: string): string {
  let u: URL;
  try {
    u = new URL(trackingUri);
  } catch {
    return trackingUri; // the client refuses it with its own message
  }
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return u.href.replace(/\/+$/, "");
}

function readAll(file: string): Record<string, StoredCredential> {
  if (!existsSync(file)) return {};
  try {
    const data = JSON.parse(readFileSync(file, "utf8")) as { servers?: Record<string, StoredCredential> };
    return data.servers ?? {};
  } catch (err) {
    throw new Error(`Cannot read ${file}: ${(err as Error).message}. Fix or delete it, then run 'ciclo auth login' again.`);
  }
}

function writeAll(file: string, servers: Record<string, StoredCredential>): void {
  mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ servers }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function loadCredential(trackingUri: string, env: NodeJS.ProcessEnv = process.env): StoredCredential | undefined {
  return readAll(credentialsFile(env))[serverKey(trackingUri)];
}

export function saveCredential(trackingUri: string, cred: StoredCredential, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  writeAll(file, { ...readAll(file), [serverKey(trackingUri)]: cred });
  return file;
}

export function forgetCredential(trackingUri: string, env: NodeJS.ProcessEnv = process.env): StoredCredential | undefined {
  const file = credentialsFile(env);
  const all = readAll(file);
  const key = serverKey(trackingUri);
  const had = all[key];
  if (had) {
    delete all[key];
    writeAll(file, all);
  }
  return had;
}

/** True when the environment already names credentials (they win over stored ones). */
export function envHasCredentials(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CICLO_TRACKING_TOKEN || env.MLFLOW_TRACKING_TOKEN || env.MLFLOW_TRACKING_USERNAME);
}
