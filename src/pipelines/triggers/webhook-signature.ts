/**
 * Is this webhook request from the provider that knows the trigger's secret?
 * Each provider proves it differently, and every comparison here takes the
 * same time whatever the guess:
 * - GitHub signs the raw body: `X-Hub-Signature-256: sha256=<HMAC-SHA256 hex>`;
 * - GitLab sends the secret itself in `X-Gitlab-Token`;
 * - Azure DevOps service hooks send it as HTTP basic authentication's password
 *   (the hook's "Basic authentication" settings) or in a header the hook adds
 *   (`X-Ciclo-Webhook-Token: <secret>` in its "HTTP headers" setting).
 * A missing proof is 401 (UNAUTHENTICATED), a wrong one 403 (PERMISSION_DENIED).
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { MlflowError } from "../../shared/errors.js";
import type { WebhookKind } from "./trigger-types.js";

export type Headers = Record<string, string | string[] | undefined>;

export const AZURE_TOKEN_HEADER = "x-ciclo-webhook-token";

export class WebhookUnauthenticatedError extends MlflowError {
  constructor(message: string) {
    super(message, "UNAUTHENTICATED");
  }
}

export class WebhookSignatureError extends MlflowError {
  constructor(message: string) {
    super(message, "PERMISSION_DENIED");
  }
}

export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Equal strings, compared in time independent of where they differ or of their lengths (both are hashed first). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a, "utf8").digest();
  const hb = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(ha, hb);
}

export function githubSignature(secret: string, body: Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Throws unless the request proves knowledge of `secret`; `body` is the raw bytes as received. */
export function verifyWebhook(kind: WebhookKind, headers: Headers, body: Buffer, secret: string, opts: { username?: string } = {}): void {
  switch (kind) {
    case "github": {
      const sent = header(headers, "x-hub-signature-256");
      if (!sent) throw new WebhookUnauthenticatedError("This webhook needs X-Hub-Signature-256: set the trigger's secret as the GitHub webhook's secret.");
      const expected = Buffer.from(githubSignature(secret, body), "utf8");
      const got = Buffer.from(sent.trim(), "utf8");
      // The lengths are public (sha256= and 64 hex digits); only equal-length buffers can be compared in constant time.
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        throw new WebhookSignatureError("X-Hub-Signature-256 does not match the body: the webhook's secret differs from the trigger's, or the body was altered.");
      }
      return;
    }
    case "gitlab": {
      const sent = header(headers, "x-gitlab-token");
      if (!sent) throw new WebhookUnauthenticatedError("This webhook needs X-Gitlab-Token: set the trigger's secret as the GitLab webhook's secret token.");
      if (!sameSecret(sent, secret)) throw new WebhookSignatureError("X-Gitlab-Token does not match the trigger's secret.");
      return;
    }
    case "azure": {
      const token = header(headers, AZURE_TOKEN_HEADER);
      const basic = readBasic(header(headers, "authorization"));
      if (token === undefined && !basic) {
        throw new WebhookUnauthenticatedError(`This webhook needs the trigger's secret: as the service hook's basic authentication password, or in a '${AZURE_TOKEN_HEADER}: <secret>' HTTP header.`);
      }
      // Both checks always run, so the time does not tell which one failed.
      const tokenOk = token !== undefined && sameSecret(token, secret);
      const basicOk = basic !== undefined && sameSecret(basic.password, secret) && (opts.username === undefined || sameSecret(basic.username, opts.username));
      if (!tokenOk && !basicOk) throw new WebhookSignatureError("The service hook's credentials do not match the trigger's secret (and user name, when the trigger names one).");
      return;
    }
  }
}

function readBasic(authorization: string | undefined): { username: string; password: string } | undefined {
  const m = authorization?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = text.indexOf(":");
  return i < 0 ? undefined : { username: text.slice(0, i), password: text.slice(i + 1) };
}
