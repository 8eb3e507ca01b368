/**
 * The web UI's sign-in sessions. The cookie carries a random id (256 bits);
 * the database keeps only its SHA-256, so a leaked dump signs nobody in.
 * Each session has a synchronizer CSRF token that cookie-authenticated writes
 * must echo, an absolute expiry and an idle timeout.
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { AuthStore, Session, User } from "./auth-store.js";

export interface SessionSettings {
  /** A session ends this long after sign-in, whatever happens (default 12 hours). */
  ttlMs: number;
  /** ... or after this long without a request (default 2 hours). */
  idleMs: number;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = { ttlMs: 12 * 3_600_000, idleMs: 2 * 3_600_000 };

/** last_seen_at is written at most this often per session (a write per request would cost more than the check). */
const TOUCH_MS = 60_000;

const hashId = (id: string) => createHash("sha256").update(id).digest("hex");

export class SessionService {
  private readonly now: () => number;
  constructor(
    private readonly store: AuthStore,
    readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  async create(user: User, via: Session["via"]): Promise<{ id: string; csrfToken: string; expiresAt: number }> {
    const id = randomBytes(32).toString("base64url");
    const csrfToken = randomBytes(32).toString("base64url");
    const now = this.now();
    const expiresAt = now + this.settings.ttlMs;
    await this.store.createSession({ idHash: hashId(id), userId: user.id, csrfToken, via, createdAt: now, expiresAt, lastSeenAt: now });
    // Housekeeping on sign-in: no timer of its own (see ARCHITECTURE.md), and sign-ins are rare.
    await this.store.deleteExpiredSessions(now);
    return { id, csrfToken, expiresAt };
  }

  /** The live session behind a cookie value, or undefined (unknown, expired or idle too long: then deleted). */
  async resolve(id: string): Promise<{ session: Session; user: User } | undefined> {
    if (id === "" || id.length > 128) return undefined;
    const found = await this.store.findSession(hashId(id));
    if (!found) return undefined;
    const now = this.now();
    if (found.session.expiresAt <= now || found.session.lastSeenAt + this.settings.idleMs <= now) {
      await this.store.deleteSession(found.session.idHash);
      return undefined;
    }
    if (now - found.session.lastSeenAt >= TOUCH_MS) await this.store.touchSession(found.session.idHash, now);
    return found;
  }

  async destroy(id: string): Promise<void> {
    await this.store.deleteSession(hashId(id));
  }
}
