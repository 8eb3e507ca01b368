/**
 * What `mlflow server`'s network flags mean on ciclo's app, checked before
 * routing: `--allowed-hosts` (a request whose Host header is not allowed is
 * refused: DNS rebinding), `--cors-allowed-origins` (browsers on other
 * origins may read answers only when allowed, and may never change state
 * otherwise), `--artifacts-only` (only the proxied artifact API is served)
 * and `--static-prefix` (every route lives under a path prefix).
 * Defaults follow MLflow 3.5+'s security middleware: loopback names and
 * private addresses as hosts, loopback origins for CORS.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parseList } from "../../shared/text-list.js";
import { DEFAULT_ALLOWED_HOSTS, hostChecker, INVALID_HOST, matcher } from "../../shared/host-allow-list.js";

export { DEFAULT_ALLOWED_HOSTS, hostChecker, INVALID_HOST };

export interface NetworkPolicy {
  /** Host header patterns (`mlflow.internal:5000`, `*.company.com`, `192.168.*`, `*` for any); MLflow's defaults when absent. */
  allowedHosts?: readonly string[];
  /** Origins (`https://app.company.com`, `https://*.company.com`, `*`); loopback origins when absent. */
  corsAllowedOrigins?: readonly string[];
  /** Serve only the proxied artifact API (`/api/2.0/mlflow-artifacts/...`), /health and /version. */
  artifactsOnly?: boolean;
}

/** MLflow 3.x's default CORS origins: any port on a loopback name. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = [
  "http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*", "https://localhost:*", "https://127.0.0.1:*", "https://[::1]:*",
  "http://localhost", "http://127.0.0.1", "http://[::1]",
];

const CORS_BLOCKED = "Cross-origin request blocked";
const STATE_CHANGING = new Set(["POST", "PUT", "DELETE", "PATCH"]);
/** Probes answer whatever name they use. */
const EXEMPT = new Set(["/health", "/version"]);

/** A comma-separated flag value as a list (empty entries dropped). */
export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return parseList(value);
}

function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf("?");
  const path = q < 0 ? req.url : req.url.slice(0, q);
  return path.includes("//") ? path.replace(/\/{2,}/g, "/") : path;
}

function refuse(reply: FastifyReply, status: number, code: string, message: string): void {
  void reply.status(status).header("content-type", "application/json").send(JSON.stringify({ error_code: code, message }));
}

const OUTSIDE_PREFIX = "/__outside-static-prefix__";
const ARTIFACT_API = /^\/(?:ajax-)?api\/2\.0\/mlflow-artifacts\//;

/**
 * Adds the policy's checks as the app's first hook. It is a callback hook, not an async one: it runs on every
 * request, and an async hook costs each request a promise and a microtask turn even when it lets it through.
 */
export function applyNetworkPolicy(app: FastifyInstance, policy: NetworkPolicy): (host: string) => boolean {
  const hostAllowed = hostChecker(policy.allowedHosts ?? DEFAULT_ALLOWED_HOSTS);
  const originAllowed = matcher(policy.corsAllowedOrigins ?? DEFAULT_CORS_ORIGINS);
  app.addHook("onRequest", (req, reply, done) => {
    // A refusal answers here and does not call done(): the request goes no further.
    if (checkRequest(req, reply)) done();
  });
  return hostAllowed;

  /** True to let the request through; false when it was answered (refused, or a CORS preflight). */
  function checkRequest(req: FastifyRequest, reply: FastifyReply): boolean {
    const path = pathOf(req);
    if (path.startsWith(OUTSIDE_PREFIX)) {
      refuse(reply, 404, "ENDPOINT_NOT_FOUND", `No API endpoint for ${req.method} ${path.slice(OUTSIDE_PREFIX.length)} (this server serves under --static-prefix)`);
      return false;
    }
    if (EXEMPT.has(path)) return true;
    const host = req.headers.host ?? "";
    if (!hostAllowed(host)) {
      refuse(reply, 403, "PERMISSION_DENIED", INVALID_HOST);
      return false;
    }

    const origin = req.headers.origin;
    if (origin !== undefined) {
      // Same-origin requests (the UI this server serves) carry an Origin naming the Host they were sent to.
      let sameOrigin = false;
      try {
        sameOrigin = new URL(origin).host.toLowerCase() === host.toLowerCase();
      } catch {
        sameOrigin = false;
      }
      const allowed = sameOrigin || originAllowed(origin);
      if (allowed && !sameOrigin) {
        void reply.header("access-control-allow-origin", origin).header("vary", "Origin");
        if (req.method === "OPTIONS") {
          const asked = req.headers["access-control-request-headers"];
          void reply
            .header("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
            .header("access-control-allow-headers", typeof asked === "string" ? asked : "content-type, authorization")
            .header("access-control-max-age", "600")
            .status(204)
            .send();
          return false;
        }
      }
      if (!allowed && (STATE_CHANGING.has(req.method) || req.method === "OPTIONS")) {
        refuse(reply, 403, "PERMISSION_DENIED", CORS_BLOCKED);
        return false;
      }
    }

    if (policy.artifactsOnly && !ARTIFACT_API.test(path)) {
      // MLflow compat: `_disable_if_artifacts_only`'s 503 and wording.
      refuse(
        reply,
        503,
        "TEMPORARILY_UNAVAILABLE",
        `Endpoint: ${path} disabled due to the ciclo server running in \`--artifacts-only\` mode. ` +
          "To enable tracking server functionality, run `ciclo server` without `--artifacts-only`",
      );
      return false;
    }
    return true;
  }
}

/** `--static-prefix`: the URL rewrite Fastify applies before routing; requests outside the prefix find nothing. */
export function staticPrefixRewrite(prefix: string | undefined): ((req: { url?: string }) => string) | undefined {
  if (!prefix) return undefined;
  const p = `/${prefix.replace(/^\/+|\/+$/g, "")}`;
  if (p === "/") return undefined;
  return (req) => {
    const url = req.url ?? "/";
    if (url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`)) return url.slice(p.length) || "/";
    // Outside the prefix: a path no route has, so the not-found handler answers.
    return `${OUTSIDE_PREFIX}${url.startsWith("/") ? url : `/${url}`}`;
  };
}

/** Where an artifact path starts in a proxied-artifact URL: everything after it is the client's path, kept verbatim. */
const ARTIFACT_PATH_START = /\/mlflow-artifacts\/(?:artifacts|mpu\/[a-z-]+)\//;

/**
 * MLflow compat: Werkzeug merges repeated slashes, so `//model-versions/get-artifact` is that route, not the UI's
 * catch-all page. Merged in the route part only: in a proxied artifact path (`…/mlflow-artifacts/artifacts//etc/passwd`)
 * the slashes are the client's and stay, so an absolute path is still refused with 400 instead of becoming a
 * relative one.
 */
export function mergeRouteSlashes(url: string): string {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.includes("//")) return url;
  const m = ARTIFACT_PATH_START.exec(path.replace(/\/{2,}/g, "/"));
  let head = path;
  let tail = "";
  if (m) {
    // Find the same boundary in the unmerged path: the first "/mlflow-artifacts/" and the segment after it.
    const raw = /\/+mlflow-artifacts\/+(?:artifacts|mpu\/+[a-z-]+)\//.exec(path);
    if (raw) {
      head = path.slice(0, raw.index + raw[0].length);
      tail = path.slice(raw.index + raw[0].length);
    }
  }
  return head.replace(/\/{2,}/g, "/") + tail + (q < 0 ? "" : url.slice(q));
}
