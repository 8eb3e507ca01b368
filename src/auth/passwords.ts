/**
 * Password hashing with scrypt (node:crypto; memory-hard, no native addon).
 * The stored form names its parameters, so they can be raised later without
 * invalidating existing hashes: `scrypt$N$r$p$salt$hash` (base64url).
 * @module
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { InvalidParameterValueError } from "../shared/errors.js";

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/** OWASP's scrypt minimum (N=2^17, r=8, p=1) costs ~128 MiB per hash; 2^15 keeps 32 MiB and ~60 ms here. */
const DEFAULT = { N: 1 << 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
/** NIST SP 800-63B's minimum for a chosen password. */
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...DEFAULT, maxmem: 64 * 1024 * 1024 });
  return ["scrypt", DEFAULT.N, DEFAULT.r, DEFAULT.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4]!, "base64url");
  const expected = Buffer.from(parts[5]!, "base64url");
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(key, expected);
}

/**
 * Refuses weak passwords (MLflow accepted empty ones: CVE-2025-1474; weak
 * requirements: CVE-2025-11200).
 */
export function checkPasswordStrength(password: unknown): string {
  if (typeof password !== "string" || password.length === 0) {
    throw new InvalidParameterValueError("Password must not be empty.");
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidParameterValueError(`Password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidParameterValueError(`Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  }
  return password;
}
