/**
 * A failed Kubernetes API call in words, for the deployments target and the
 * pipelines' Job executor alike: the Status message the API server sent, or
 * the error's own.
 * @module
 */
export function k8sErrorMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let body = e.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  const msg = (body as { message?: string } | undefined)?.message ?? (typeof body === "string" ? body : undefined);
  return e.code !== undefined ? `HTTP ${e.code}: ${msg ?? "no message"}` : (e.message ?? String(err));
}
