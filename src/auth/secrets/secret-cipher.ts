/**
 * Encryption of secrets at rest: AES-256-GCM with a random 96-bit IV per
 * value and the secret's name as associated data (a ciphertext copied onto
 * another name does not decrypt). The key comes from the environment
 * (`CICLO_SECRETS_KEY`, 32 bytes as base64 or hex) or a file
 * (`CICLO_SECRETS_KEY_FILE`); its id (a hash prefix) is stored beside each
 * value, so a server started with another key says so instead of failing
 * obscurely.
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretCipher {
  readonly keyId: string;
  private constructor(private readonly key: Buffer) {
    this.keyId = createHash("sha256").update(key).digest("hex").slice(0, 16);
  }

  /** Parses a 32-byte key written as 64 hex digits or base64. */
  static fromText(text: string, where: string): SecretCipher {
    const t = text.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
    if (key.length !== 32) {
      throw new Error(`${where}: the secrets key must be 32 random bytes, as 64 hex digits or base64 (e.g. \`openssl rand -base64 32\`).`);
    }
    return new SecretCipher(key);
  }

  static fromFile(path: string): SecretCipher {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new Error(`Cannot read the secrets key file '${path}' (CICLO_SECRETS_KEY_FILE): ${(err as Error).message}`);
    }
    return SecretCipher.fromText(text, `CICLO_SECRETS_KEY_FILE '${path}'`);
  }

  encrypt(name: string, value: string): string {
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    c.setAAD(Buffer.from(name, "utf8"));
    const body = Buffer.concat([c.update(value, "utf8"), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]).toString("base64");
  }

  /** Throws when the value was altered, moved to another name, or encrypted with another key. */
  decrypt(name: string, stored: string): string {
    const raw = Buffer.from(stored, "base64");
    const d = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
    d.setAAD(Buffer.from(name, "utf8"));
    d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString("utf8");
  }
}
