/**
 * The browser's transport to ciclo's REST API: same-origin fetch, JSON in and
 * out, and MLflow's error envelope `{error_code, message}` turned into an
 * {@link ApiError} whose message the page shows as is. (The SDK's transport
 * reads process.env and retries for batch logging; the UI needs neither.)
 */
import type { ErrorCode } from "../../../src/shared/errors";

export const MLFLOW = "/ajax-api/2.0/mlflow";
export const CICLO = "/api/ciclo/v1";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: ErrorCode | "NETWORK_ERROR",
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type QueryValue = string | number | boolean | undefined | null | Array<string | number>;

export function queryString(query: Record<string, QueryValue>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { error_code?: ErrorCode; message?: string };
    if (body && typeof body.message === "string") return new ApiError(body.message, res.status, body.error_code ?? "INTERNAL_ERROR");
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(`${res.status} ${res.statusText || "error"}${text ? `: ${text.slice(0, 200)}` : ""}`, res.status, "INTERNAL_ERROR");
}

let csrfToken: string | undefined;

/**
 * The signed-in session's CSRF token (auth/session.tsx sets it after sign-in):
 * sent in `X-CSRF-Token` with every write, as the server requires of writes
 * its session cookie signs in.
 */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Raised (on window) when the server answers 401: the session ended, so the app shows the sign-in page. */
export const UNAUTHENTICATED_EVENT = "ciclo:unauthenticated";

/** Fetches and checks the status; throws {@link ApiError} (network failures too). */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  // The UI says who it is, so a 401 comes without the Basic challenge (no browser dialog over the sign-in page).
  const headers = new Headers(init.headers);
  headers.set("x-requested-with", "ciclo-ui");
  const method = (init.method ?? "GET").toUpperCase();
  if (csrfToken && method !== "GET" && method !== "HEAD") headers.set("x-csrf-token", csrfToken);
  try {
    res = await fetch(url, { credentials: "same-origin", ...init, headers });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(`Cannot reach the ciclo server (${(err as Error).message}).`, 0, "NETWORK_ERROR");
  }
  if (res.status === 401 && !url.endsWith("/auth/login")) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function getJson<T>(url: string, query: Record<string, QueryValue> = {}, signal?: AbortSignal): Promise<T> {
  const res = await request(`${url}${queryString(query)}`, { signal, headers: { accept: "application/json" } });
  return (await res.json()) as T;
}

export async function postJson<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const res = await request(url, {
    method: "POST",
    signal,
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as T;
}
