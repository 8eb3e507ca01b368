/**
 * The web UI's sign-in under `/api/ciclo/v1/auth`: `GET session` (who the
 * cookie signs in, the CSRF token, whether SSO is offered), `POST login`
 * (username and password → an HttpOnly session cookie), `POST logout`, and,
 * when configured, OpenID Connect single sign-on (`GET oidc/login` →
 * the provider → `GET oidc/callback`).
 *
 * CSRF: the session cookie is SameSite=Strict, and every write it signs in
 * (a route declaring edit or manage) must also carry the session's synchronizer token in `X-CSRF-Token` (checked
 * by the permission hook, see {@link sessionPrincipal}). The token lives in
 * the session's row (not in a second cookie, so a sibling subdomain that can
 * plant cookies cannot forge the pair, which defeats double-submit cookies).
 * `login` takes JSON only, which a cross-site form cannot send.
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply, FastifyRequest } from "fastify";
import { CICLO_API } from "../../shared/api-paths.js";
import { access, type RouteAccess } from "../../server/http/route-access.js";
import { PermissionDeniedError, TooManyAttemptsError, UnauthenticatedError } from "../auth-errors.js";
import type { AuthService, Principal } from "../auth-service.js";
import type { User } from "../auth-store.js";
import type { OidcClient, PendingLogin } from "../oidc/oidc-client.js";
import type { SessionService } from "../sessions.js";
import * as S from "./auth.schema.js";

export const SESSION_COOKIE = "ciclo_session";
const OIDC_COOKIE = "ciclo_oidc";
const OIDC_COOKIE_PATH = `${CICLO_API}/auth/oidc`;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface SessionRouteDeps {
  auth: AuthService;
  sessions: SessionService;
  oidc?: OidcClient;
  /** Mark cookies Secure even over plain http (a proxy in front terminates TLS). */
  secureCookies: boolean;
}

const sessionUser = (u: User) => ({ id: u.id, username: u.username, is_admin: u.isAdmin });

function secure(req: FastifyRequest, deps: Pick<SessionRouteDeps, "secureCookies">): boolean {
  return deps.secureCookies || req.protocol === "https";
}

/** The permission hook's way to identify a request by its session cookie; writes must carry the CSRF token. */
export async function sessionPrincipal(req: FastifyRequest, sessions: SessionService): Promise<Principal | undefined> {
  const id = req.cookies?.[SESSION_COOKIE];
  if (!id) return undefined;
  const found = await sessions.resolve(id);
  if (!found) throw new UnauthenticatedError("Your session has expired or was signed out: sign in again.");
  // Writes only: a route that only reads (MLflow searches are POSTs) cannot be abused across sites, whose pages
  // cannot read the answer (CORS); the UI's first searches may also leave before it has fetched the token.
  const permission = (req.routeOptions.config as { access?: RouteAccess } | undefined)?.access?.permission;
  const writes = !SAFE_METHODS.has(req.method) && permission !== "read" && permission !== "public";
  if (writes && !sameToken(req.headers["x-csrf-token"], found.session.csrfToken)) {
    throw new PermissionDeniedError("Missing or wrong CSRF token (X-CSRF-Token): reload the page and try again.");
  }
  return { user: found.user, via: "session", csrfToken: found.session.csrfToken, sessionIdHash: found.session.idHash };
}

function sameToken(sent: unknown, expected: string): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A path of this server's UI to return to after signing in, else "/" (never another site: `//evil`, `https://…`). Browsers drop tabs and newlines from a URL and
 * read `\\` as `/`, so any of them (or another control character) anywhere is refused, not only `//` at the start:
 * `/<TAB>/evil.example` is `//evil.example` to a browser.
 */
function localPath(p: string | undefined): string {
  return p && /^\/(?![/\\])/.test(p) && !/[\u0000-\u001f\u007f\\]/.test(p) ? p : "/";
}

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRouteDeps> = async (app, deps) => {
  const { auth, sessions, oidc } = deps;
  const pub = access("user", "public");

  const startSession = async (req: FastifyRequest, reply: FastifyReply, user: User, via: "password" | "sso") => {
    const s = await sessions.create(user, via);
    void reply.setCookie(SESSION_COOKIE, s.id, {
      path: "/",
      httpOnly: true,
      sameSite: "strict",
      secure: secure(req, deps),
      // A session cookie for the browser (gone when it closes); the server ends it at expires_at regardless.
    });
    return s;
  };

  app.get("/auth/session", { schema: { response: { 200: S.SessionResponse } }, config: pub }, async (req) => {
    const sso = oidc ? { label: oidc.settings.label ?? "Sign in with SSO" } : undefined;
    const id = req.cookies?.[SESSION_COOKIE];
    const found = id ? await sessions.resolve(id) : undefined;
    if (!found) return { auth_enabled: true, sso };
    return { auth_enabled: true, sso, user: sessionUser(found.user), csrf_token: found.session.csrfToken, expires_at: found.session.expiresAt };
  });

  app.post("/auth/login", { schema: { body: S.LoginBody, response: { 200: S.SessionResponse } }, config: pub }, async (req, reply) => {
    try {
      const user = await auth.login(req.body.username, req.body.password, req.ip);
      const s = await startSession(req, reply, user, "password");
      return { auth_enabled: true, user: sessionUser(user), csrf_token: s.csrfToken, expires_at: s.expiresAt };
    } catch (err) {
      if (err instanceof TooManyAttemptsError) void reply.header("retry-after", String(err.retryAfterSeconds));
      throw err;
    }
  });

  app.post("/auth/logout", { schema: { response: { 200: S.Empty } }, config: pub }, async (req, reply) => {
    const id = req.cookies?.[SESSION_COOKIE];
    if (id) {
      const found = await sessions.resolve(id);
      if (found) {
        // Signing someone out is a write too: a cross-site page must not do it.
        if (!sameToken(req.headers["x-csrf-token"], found.session.csrfToken)) {
          throw new PermissionDeniedError("Missing or wrong CSRF token (X-CSRF-Token): reload the page and try again.");
        }
        await sessions.destroy(id);
        await auth.logout(found.user, req.ip);
      }
    }
    void reply.clearCookie(SESSION_COOKIE, { path: "/", httpOnly: true, sameSite: "strict", secure: secure(req, deps) });
    return {};
  });

  if (!oidc) return;

  const redirectUrl = (req: FastifyRequest) => oidc.settings.redirectUrl ?? `${req.protocol}://${req.host}${CICLO_API}/auth/oidc/callback`;

  app.get("/auth/oidc/login", { schema: { querystring: S.OidcLoginQuery }, config: pub }, async (req, reply) => {
    const { url, pending } = await oidc.begin(redirectUrl(req), localPath(req.query.return_to));
    // Lax, not Strict: the provider sends the browser back with a cross-site navigation, which must carry it.
    void reply.setCookie(OIDC_COOKIE, Buffer.from(JSON.stringify(pending)).toString("base64url"), {
      path: OIDC_COOKIE_PATH,
      httpOnly: true,
      sameSite: "lax",
      secure: secure(req, deps),
      maxAge: 600,
    });
    return reply.redirect(url, 302);
  });

  app.get("/auth/oidc/callback", { schema: { querystring: S.OidcCallbackQuery }, config: pub }, async (req, reply) => {
    const fail = (message: string) => {
      req.log.warn({ reason: message }, "single sign-on refused");
      return reply.redirect(`/?sso_error=${encodeURIComponent(message.slice(0, 300))}`, 302);
    };
    const raw = req.cookies?.[OIDC_COOKIE];
    void reply.clearCookie(OIDC_COOKIE, { path: OIDC_COOKIE_PATH, httpOnly: true, sameSite: "lax", secure: secure(req, deps) });
    if (req.query.error) return fail(`The identity provider refused the sign-in: ${req.query.error_description ?? req.query.error}`);
    const pending = raw ? parsePending(raw) : undefined;
    if (!pending) return fail("The sign-in took too long or was started in another browser: start again.");
    let identity;
    try {
      identity = await oidc.finish(new URL(req.url, redirectUrl(req)), pending);
    } catch (err) {
      await auth.audit("login.failed", null, null, `sso: ${(err as Error).message.slice(0, 200)}`, req.ip);
      return fail(`Single sign-on failed: ${(err as Error).message}`);
    }
    if ("refused" in identity) {
      await auth.audit("login.failed", null, null, `sso: ${identity.refused.slice(0, 200)}`, req.ip);
      return fail(identity.refused);
    }
    let user: User;
    try {
      user = await auth.ssoSignIn(identity, req.ip);
    } catch (err) {
      return fail((err as Error).message);
    }
    await startSession(req, reply, user, "sso");
    return reply.redirect(pending.returnTo, 302);
  });
};

function parsePending(raw: string): PendingLogin | undefined {
  try {
    const v = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as Partial<PendingLogin>;
    if (typeof v.state === "string" && typeof v.nonce === "string" && typeof v.verifier === "string" && typeof v.returnTo === "string") {
      return { state: v.state, nonce: v.nonce, verifier: v.verifier, returnTo: localPath(v.returnTo) };
    }
  } catch {
    // a cookie we did not write
  }
  return undefined;
}

/** With authentication off: the UI asks, learns there is nothing to sign in to, and shows what it always did. */
export const sessionRoutesAuthOff: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/auth/session", { schema: { response: { 200: S.SessionResponse } }, config: access("user", "public") }, async () => ({ auth_enabled: false }));
};
