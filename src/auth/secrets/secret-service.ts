/**
 * Secrets (registry credentials, webhook signing keys, cloud keys): stored
 * encrypted, never returned by the API after creation — listing shows names,
 * descriptions and dates — and read only by server code that references them
 * by name (`resolve`): a deployment's env, a pipeline step's `${{ secrets.NAME }}`.
 *
 * Who may make something use a secret: with authentication off, anyone (as
 * every route is open); with it on, secrets are the admins' (no per-secret
 * grant exists), so the user a deployment or a pipeline run acts for must be
 * an admin — the server's own automation (a rollout, a cron trigger), which
 * acts for no user, may.
 * @module
 */
import { InvalidParameterValueError, MlflowError, ResourceAlreadyExistsError, ResourceDoesNotExistError } from "../../shared/errors.js";
import type { SecretCipher } from "./secret-cipher.js";
import type { SecretStore, StoredSecret } from "./secret-store.js";

export interface SecretInfo {
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
  createdBy: string | null;
}

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/** Whether the named user may use secrets: "yes", "no", or "unknown" (no such user: the server's own automation). */
export type SecretUsePolicy = (username: string) => Promise<"yes" | "no" | "unknown">;
const MAX_VALUE_BYTES = 64 * 1024;

export class SecretService {
  /** Set by the auth module when authentication is on; absent, anyone may use secrets. */
  private usePolicy: SecretUsePolicy | undefined;

  constructor(private readonly store: SecretStore, private readonly cipher: SecretCipher | undefined, private readonly now: () => number = Date.now) {}

  setUsePolicy(policy: SecretUsePolicy): void {
    this.usePolicy = policy;
  }

  /** Whether a secret of this name exists (its value is not read). */
  async has(name: string): Promise<boolean> {
    return NAME.test(name) && (await this.store.get(name)) !== undefined;
  }

  /** Throws PERMISSION_DENIED when `actor` (a username; null: the server's automation) may not use these secrets. */
  async checkUse(actor: string | null, names: readonly string[]): Promise<void> {
    if (!this.usePolicy || actor === null || names.length === 0) return;
    if ((await this.usePolicy(actor)) === "no") {
      // PERMISSION_DENIED (auth-errors.ts's error, spelled here: this folder does not import its parent).
      throw new MlflowError(`User '${actor}' may not use secret '${names[0]}': secrets are for admins; ask an admin to make this change.`, "PERMISSION_DENIED");
    }
  }

  async create(actor: string | null, name: unknown, value: unknown, description?: string): Promise<SecretInfo> {
    const n = checkName(name);
    const cipher = this.requireCipher();
    const v = checkValue(value);
    const t = this.now();
    const row: StoredSecret = { name: n, description: description ?? null, ciphertext: cipher.encrypt(n, v), keyId: cipher.keyId, createdAt: t, updatedAt: t, createdBy: actor };
    if (!(await this.store.insert(row))) throw new ResourceAlreadyExistsError(`Secret '${n}' already exists; update it instead.`);
    return info(row);
  }

  async update(name: unknown, value: unknown, description?: string): Promise<SecretInfo> {
    const n = checkName(name);
    const cipher = this.requireCipher();
    const v = checkValue(value);
    const change = { ciphertext: cipher.encrypt(n, v), keyId: cipher.keyId, updatedAt: this.now(), ...(description !== undefined ? { description } : {}) };
    if (!(await this.store.update(n, change))) throw new ResourceDoesNotExistError(`Secret '${n}' does not exist.`);
    return info((await this.store.get(n))!);
  }

  async list(): Promise<SecretInfo[]> {
    return (await this.store.list()).map(info);
  }

  async delete(name: unknown): Promise<void> {
    const n = checkName(name);
    if (!(await this.store.delete(n))) throw new ResourceDoesNotExistError(`Secret '${n}' does not exist.`);
  }

  /** The value, for server code only (never an HTTP answer). */
  async resolve(name: string): Promise<string> {
    const row = await this.store.get(name);
    if (!row) throw new ResourceDoesNotExistError(`Secret '${name}' does not exist.`);
    const cipher = this.requireCipher();
    if (row.keyId !== cipher.keyId) {
      throw new MlflowError(`Secret '${name}' was encrypted with another key (id ${row.keyId}); start the server with that CICLO_SECRETS_KEY, or set the secret again.`, "INVALID_STATE");
    }
    try {
      return cipher.decrypt(row.name, row.ciphertext);
    } catch {
      throw new MlflowError(`Secret '${name}' cannot be decrypted: its stored value was altered.`, "DATA_LOSS");
    }
  }

  private requireCipher(): SecretCipher {
    if (!this.cipher) {
      throw new MlflowError("Secrets are disabled: start the server with CICLO_SECRETS_KEY (32 random bytes, base64) or CICLO_SECRETS_KEY_FILE (docs/auth.md).", "FEATURE_DISABLED");
    }
    return this.cipher;
  }
}

const info = (r: StoredSecret): SecretInfo => ({ name: r.name, description: r.description, createdAt: r.createdAt, updatedAt: r.updatedAt, createdBy: r.createdBy });

function checkName(name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new InvalidParameterValueError(`Invalid secret name '${String(name).slice(0, 64)}': a letter, then letters, digits, '_', '.', '-' (at most 128).`);
  }
  return name;
}

function checkValue(value: unknown): string {
  if (typeof value !== "string" || value === "") throw new InvalidParameterValueError("A secret's value must be a non-empty string.");
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new InvalidParameterValueError(`A secret's value must be at most ${MAX_VALUE_BYTES} bytes.`);
  return value;
}
