/**
 * JSON request bodies as MLflow accepts them: an empty body is `{}`, a
 * double-encoded JSON string is decoded again, and the bare `NaN` /
 * `Infinity` tokens Python's json module writes are accepted.
 * @module
 */
import type { FastifyInstance } from "fastify";
import { InvalidParameterValueError } from "../../shared/errors.js";

class MalformedJsonError extends Error {
  readonly code = "CICLO_MALFORMED_JSON";
  readonly statusCode = 400;
}

/** Replaces bare NaN/Infinity tokens outside strings with their proto-JSON string forms. */
function quoteNonFinite(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith("NaN", i)) {
      out += '"NaN"';
      i += 2;
    } else if (text.startsWith("-Infinity", i)) {
      out += '"-Infinity"';
      i += 8;
    } else if (text.startsWith("Infinity", i)) {
      out += '"Infinity"';
      i += 7;
    } else out += c;
  }
  return out;
}

/** A `\u0000` escape that is not itself an escaped backslash followed by "u0000". */
const NUL_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u0000/;

export const NUL_MESSAGE = "Text values may not contain NUL (\\u0000) characters.";

/** A JSON body's value as MLflow reads it (see the module's comment); throws the error its answer maps. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return {};
  // PostgreSQL text cannot hold NUL, and no MLflow name or value needs one: refuse it everywhere alike.
  if (text.includes("\\u0000") && NUL_ESCAPE.test(text)) throw new InvalidParameterValueError(NUL_MESSAGE);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (first) {
    try {
      value = JSON.parse(quoteNonFinite(text));
    } catch {
      throw new MalformedJsonError((first as Error).message);
    }
  }
  if (typeof value === "string") value = parseJsonBody(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MalformedJsonError("the body must be a JSON object");
  }
  return value;
}

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The request's JSON text, kept for error messages that quote a value as it was written (`9.0`). A request
     * decoration (a field every request has from the start), not a WeakMap keyed by the request: a WeakMap entry
     * per request costs each request a hash and the garbage collector an ephemeron to trace.
     */
    cicloJsonText: string | undefined;
  }
}

/** The JSON text of a request's body, when it had one. */
export function rawJsonBody(req: object): string | undefined {
  return (req as { cicloJsonText?: string }).cicloJsonText;
}

export function registerJsonBody(app: FastifyInstance, bodyLimit: number): void {
  // MLflow compat: RPC bodies are JSON only; Fastify's default text/plain parser would let
  // `Content-Type: text/plain` through to schema validation instead of MLflow's content-type error.
  app.removeAllContentTypeParsers();
  app.decorateRequest("cicloJsonText", undefined);
  app.addContentTypeParser("application/json", { parseAs: "string", bodyLimit }, (req, body, done) => {
    req.cicloJsonText = body as string;
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
