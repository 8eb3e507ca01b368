/**
 * API tokens: 32 random bytes behind a recognisable prefix (`ciclo_`, so a
 * leaked token is easy to find in logs and secret scanners). Only a SHA-256
 * of the token is stored — a token has 256 bits of entropy, so a slow KDF
 * would add cost per request and no protection.
 * @module
 */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PREFIX = "ciclo_";

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function looksLikeToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX) && value.length > TOKEN_PREFIX.length + 20;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** What a listing shows of a token: its prefix and four characters, enough to recognise it. */
export function tokenHint(token: string): string {
  return `${token.slice(0, TOKEN_PREFIX.length + 4)}…`;
}
