/**
 * The router's fast path: plain keep-alive scoring requests to
 * `/endpoints/{name}/...` answered on the HTTP server's own sockets, below
 * node's HTTP stack and the app's framework. The router is one route of the
 * server's socket path (`shared/node/http-socket-path.ts`, which owns the
 * connections, their timeouts, closing and the hand-off to node's own
 * handling at the first request no route takes); request-head.ts says which
 * requests are the router's, and the router's answer is written as one
 * buffer.
 * @module
 */
import type { Server } from "node:http";
import { socketPath, type SocketAnswer } from "../../shared/node/http-socket-path.js";
import type { EndpointRouter, RouterResponse } from "./endpoint-router.js";
import { FALLBACK, SCORING_STARTS, scoringRequest } from "./request-head.js";

export interface FastPathOptions {
  /** Largest body answered here, bytes (larger ones go to the full path and its limit). */
  bodyLimit: number;
  /** The app's Host check (absent: any Host). */
  hostAllowed?: (host: string) => boolean;
  /** Reports each answer (the app's request-duration metric), with the route pattern the full path would name. */
  observe?: (method: string, route: string, status: number, seconds: number) => void;
}

export interface FastPath {
  /** Requests answered on the server's socket path, and connections handed to the full path. */
  readonly stats: { answered: number; handedOff: number };
}

const ROUTES = { invocations: "/endpoints/:name/invocations", v2: "/endpoints/:name/v2", v2Any: "/endpoints/:name/v2/*" };

function routeOf(path: string): string {
  if (path.startsWith("/invocations")) return ROUTES.invocations;
  return path === "/v2" || path.startsWith("/v2?") ? ROUTES.v2 : ROUTES.v2Any;
}

const failed = (err: Error): RouterResponse => ({ status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ error_code: "INTERNAL_ERROR", message: err.message }) });

/**
 * Answers `/endpoints/...` requests on `server`'s connections (see the
 * module's comment). Install before the server listens.
 */
export function installFastPath(server: Server, router: EndpointRouter, opts: FastPathOptions): FastPath {
  const path = socketPath(server);
  const rules = { bodyLimit: opts.bodyLimit, hostAllowed: opts.hostAllowed ?? (() => true) };
  path.add({
    starts: SCORING_STARTS,
    take(head) {
      const req = scoringRequest(head, rules);
      if (req === FALLBACK) return undefined;
      return async (_head, body, headAt) => {
        let res: RouterResponse;
        try {
          res = await router.invoke({ endpoint: req.endpoint, path: req.path, method: req.method, headers: req.headers, body });
        } catch (err) {
          res = failed(err as Error);
        }
        if (opts.observe) opts.observe(req.method, routeOf(req.path), res.status, (performance.now() - headAt) / 1000);
        return res as SocketAnswer;
      };
    },
  });
  return { stats: path.stats };
}
