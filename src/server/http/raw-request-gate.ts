/**
 * What a request answered below Fastify (a module's fast path on the HTTP
 * server's sockets: the deployments router's) must still respect of the
 * app's own checks before routing, so that skipping the framework changes no
 * answer: the network policy's Host check (a request whose Host is refused, or
 * that carries an Origin, goes the full way), `--expose-prometheus`'s request
 * histogram, and whether any request may skip the app at all (not under
 * `--static-prefix`, which rewrites every URL, nor `--artifacts-only`, which
 * refuses most). `buildApp` records the gate; modules read it with
 * {@link rawRequestGate}. Authentication is the auth module's hook: a module
 * offering a fast path turns it off when that module is on.
 * @module
 */
import type { FastifyInstance } from "fastify";

export interface RawRequestGate {
  /** False when every request must go through the app. */
  bypassable: boolean;
  /** Whether the app's network policy lets this Host header through (for a request with no Origin header). */
  hostAllowed(host: string): boolean;
  /** The app's request-duration metric, when it keeps one. */
  observe?: (method: string, route: string, status: number, seconds: number) => void;
}

const gates = new WeakMap<FastifyInstance, RawRequestGate>();

export function setRawRequestGate(app: FastifyInstance, gate: RawRequestGate): void {
  gates.set(app, gate);
}

/** The app's gate; an app `buildApp` did not make (or made with no network policy) lets any Host through. */
export function rawRequestGate(app: FastifyInstance): RawRequestGate {
  return gates.get(app) ?? { bypassable: true, hostAllowed: () => true };
}
