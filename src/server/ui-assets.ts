/**
 * Serves the built web UI (`dist/ui/`, made by `npm run build:ui`) at `/`:
 * hashed assets under `/assets/` with a year-long immutable cache, the
 * single-page app's index.html (never cached) for `/` and for unknown
 * non-API paths, and security headers on every UI response (a CSP without
 * inline scripts, nosniff, no framing). API paths keep MLflow's JSON 404.
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { access } from "./http/route-access.js";

export interface UiDeps {
  /** The folder holding index.html and assets/ (see {@link locateUiAssets}). */
  assetsDir: string;
}

/**
 * No inline script anywhere (the build emits none), no eval; WebAssembly may
 * compile (`wasm-unsafe-eval`: the Parquet preview's zstd/brotli decoders are
 * wasm — it allows no JavaScript eval). Styles are files too,
 * React and uPlot set styles through the CSSOM, which CSP does not govern.
 * Images may be blob: URLs (artifact previews are fetched, then shown).
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": UI_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

/** Paths that belong to the API (or to MLflow's download routes): never answered with the app. */
const API_PATH = /^\/(api|ajax-api|get-artifact|model-versions\/get-artifact|health|version)(\/|$)/;

/** `dist/ui` next to the running code: `dist/server/` when built, `src/server/` in a source checkout. */
export function locateUiAssets(): string | undefined {
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const candidate of [join(here, "..", "ui"), join(here, "..", "..", "dist", "ui")]) {
    if (existsSync(join(candidate, "index.html"))) return candidate;
  }
  return undefined;
}

function secure(reply: FastifyReply): FastifyReply {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
  return reply;
}

function sendIndex(reply: FastifyReply): FastifyReply {
  // The entry names hashed assets: revalidate every time so a new build is picked up at once.
  return secure(reply).header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });
}

export async function registerUi(app: FastifyInstance, deps: UiDeps): Promise<void> {
  await app.register(fastifyStatic, { root: deps.assetsDir, serve: false });
  const route = { config: access("server", "public") };
  app.get("/", route, async (_req, reply) => sendIndex(reply));
  app.get("/index.html", route, async (_req, reply) => sendIndex(reply));
  app.get("/favicon.svg", route, async (_req, reply) => secure(reply).sendFile("favicon.svg", { maxAge: 86_400_000 }));
  app.get("/assets/*", route, async (req, reply) => {
    const file = (req.params as { "*": string })["*"];
    // Names carry a content hash: a file never changes, so browsers keep it a year without asking.
    return secure(reply).sendFile(join("assets", file), { maxAge: 365 * 86_400_000, immutable: true });
  });
}

/**
 * The app's answer for a path no route matched: index.html for a GET of a
 * page path (`/experiments/3`), so deep links and reloads work; undefined for
 * API paths and file-like paths (`/x.js`), which keep the JSON 404.
 */
export function uiFallback(req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  const path = req.url.split("?")[0];
  if (API_PATH.test(path) || path.startsWith("/assets/")) return undefined;
  const last = path.slice(path.lastIndexOf("/") + 1);
  if (last.includes(".")) return undefined;
  return sendIndex(reply);
}
